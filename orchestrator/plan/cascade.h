#pragma once
/// `--cascade` (reset, apply --force, plan --force): a stage named there brings every stage that
/// needs it, transitively. One place decides which stages that is, for plan, apply and reset.
/// Pure.
#include <string>
#include <vector>

#include "plan/graph.h"
#include "plan/planner.h"

namespace gw {

/// Whether dependents of the named stages are included.
enum class Cascade { No, Yes };

/// What a STAGE[/STEP] list covers with --cascade: the list as given, then every stage that
/// needs one of its stages (directly or not) and is not in it, as a whole stage, in topological
/// order. Unknown stage names are kept as they are (checked elsewhere).
std::vector<std::string> with_dependents(const StageGraph& graph,
                                         const std::vector<std::string>& targets);

/// The stages with_dependents would add: what a command without --cascade leaves out.
std::vector<std::string> left_out_dependents(const StageGraph& graph,
                                             const std::vector<std::string>& targets);

/// "adguard, traefik and rancher".
std::string join_names(const std::vector<std::string>& names);

/// The one-line note a command without --cascade prints when `left_out` is not empty: which
/// stages it did not include and how to include them. `verb` is "--force" or "reset", `targets`
/// its STAGE[/STEP] names as given: "--force metallb does not include the stages that need
/// metallb: adguard and traefik (add --cascade to include them)".
std::string cascade_hint(const std::string& verb, const std::vector<std::string>& targets,
                         const std::vector<std::string>& left_out);

/// What plan and apply do with --force (`force`, as given: the note names it so) and `cascade`:
/// with Cascade::Yes every stage needing a forced one joins the force set and, when the selection
/// names targets, the targets (so that it runs); with Cascade::No nothing changes. Returns the note
/// to show: with Cascade::No the stages left out and how to include them (cascade_hint), with
/// Cascade::Yes which were added; empty when there are none.
std::string cascade_selection(const StageGraph& graph, Cascade cascade,
                              const std::vector<std::string>& force, Selection& sel);

}  // namespace gw
