#pragma once
/// Loading shared by the verbs: inventory, stages, playbooks, graph; diagnostics to stderr.
#include <iosfwd>
#include <optional>

#include "cli/commands/options.h"
#include "model/project.h"
#include "plan/graph.h"
#include "plan/planner.h"

namespace gw {

struct Workspace {
  Project project;
  StageGraph graph;
};

/// Loads and checks everything. On any problem prints every diagnostic and a count to `err` and
/// returns nullopt: the caller exits 2 having touched nothing.
std::optional<Workspace> open_workspace(const GlobalOptions& g, std::ostream& err);

/// Plans, or prints why not (every render error, or the selection error) and returns nullopt:
/// the caller exits 2.
std::optional<Plan> plan_or_report(const Workspace& ws, const Selection& sel, const Checkpoints& cp,
                                   const GlobalOptions& g, std::ostream& err);

/// Prints diagnostics sorted by location, then "N error(s)".
void print_diagnostics(const Diagnostics& diags, std::ostream& err, Color color);

}  // namespace gw
