#pragma once
/// Loading shared by the verbs: inventory, stages, playbooks, graph; diagnostics to stderr.
#include <iosfwd>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "cli/commands/options.h"
#include "model/project.h"
#include "plan/graph.h"
#include "plan/planner.h"
#include "run/state_dir.h"

namespace gw {

struct Workspace {
  Project project;
  StageGraph graph;
  std::set<std::string> sensitive_outputs;  // sensitive_outputs(project)
};

/// Warns (once per verb, from open_workspace) when another state folder with a journal exists for
/// the same inventory — beside the inventory or under the current directory — than the one this
/// run uses: two journals for one cluster disagree about what is done.
void warn_other_state_dirs(const Workspace& ws, const GlobalOptions& g);

/// What read-only verbs know of fingerprints without running anything: the key, if a run made
/// one, and the fingerprints of env and file secrets.
struct KnownFingerprints {
  std::string key;
  std::map<std::string, std::string> secrets;
  /// A view for the planner (points into this object).
  Fingerprints view() const;
};
KnownFingerprints known_fingerprints(const Workspace& ws, const GlobalOptions& g);

/// Loads and checks everything. On any problem prints every diagnostic and a count to `err` and
/// returns nullopt: the caller exits 2 having touched nothing.
std::optional<Workspace> open_workspace(const GlobalOptions& g, std::ostream& err);

/// Plans, or prints why not (every render error, or the selection error) and returns nullopt:
/// the caller exits 2.
std::optional<Plan> plan_or_report(const Workspace& ws, const Selection& sel, const Checkpoints& cp,
                                   const GlobalOptions& g, std::ostream& err,
                                   const Fingerprints& fps = {});

/// The state of the workspace's inventory (SPEC §2): `<--state-dir>/<inventory>/`, by default
/// `.groundwork/<inventory>/` in the inventory file's folder — never the current directory.
StatePaths workspace_state(const Workspace& ws, const GlobalOptions& g);

/// Prints diagnostics sorted by location, then "N error(s)".
void print_diagnostics(const Diagnostics& diags, std::ostream& err, Color color);

}  // namespace gw
