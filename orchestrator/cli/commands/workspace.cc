#include "cli/commands/workspace.h"

#include <cstdlib>
#include <ostream>

#include "load/project_loader.h"
#include "model/terminal_text.h"

namespace gw {

void print_diagnostics(const Diagnostics& diags, std::ostream& err, Color color) {
  auto all = diags.sorted();
  for (const auto& d : all) {
    // Messages quote the input, which may hold control characters: shown escaped, never obeyed.
    if (color == Color::On)
      err << terminal_text(d.loc.str()) << ": \033[1;31merror:\033[0m " << terminal_text(d.message)
          << "\n";
    else
      err << terminal_text(d.format()) << "\n";
  }
  err << all.size() << (all.size() == 1 ? " error" : " errors") << "; nothing was run\n";
}

namespace {

void check_playbook_needs(const Project& p, const StageGraph& g, Diagnostics& diags) {
  for (const auto& pb : p.playbooks)
    for (const auto& need : pb.needs)
      if (!g.index(need.name))
        diags.error(need.loc, "playbook '" + pb.name + "' needs unknown stage '" + need.name + "'");
}

}  // namespace

std::optional<Workspace> open_workspace(const GlobalOptions& g, std::ostream& err) {
  Diagnostics diags;
  std::string inventory = g.inventory;
  if (inventory.empty()) {
    if (const char* e = std::getenv("GROUNDWORK_INVENTORY")) inventory = e;
  }
  if (inventory.empty()) {
    err << "groundwork: error: no inventory: pass -i FILE or set GROUNDWORK_INVENTORY\n";
    return std::nullopt;
  }
  LoadOptions lo;
  lo.inventory = inventory;
  lo.stages_dir = g.stages_dir;
  lo.playbooks_dir = g.playbooks_dir;
  lo.stages_dir_explicit = g.stages_dir_explicit;
  lo.playbooks_dir_explicit = g.playbooks_dir_explicit;
  lo.env = process_env();
  Project project = load_project(lo, diags);
  // The graph is checked once every file loaded cleanly: a stage left out for its own errors
  // would otherwise show up again as an "unknown stage" where it is needed.
  std::optional<StageGraph> graph;
  if (diags.empty()) graph = StageGraph::build(project.stages, diags);
  if (graph) check_playbook_needs(project, *graph, diags);
  if (!diags.empty() || !graph) {
    print_diagnostics(diags, err, g.color);
    return std::nullopt;
  }
  return Workspace{std::move(project), std::move(*graph)};
}

std::optional<Plan> plan_or_report(const Workspace& ws, const Selection& sel, const Checkpoints& cp,
                                   const GlobalOptions& g, std::ostream& err) {
  Diagnostics diags;
  auto plan =
      make_plan(ws.project, ws.graph, sel, cp, preview_scope(ws.project, cp, process_env()), diags);
  if (plan) return std::move(*plan);
  if (!diags.empty())
    print_diagnostics(diags, err, g.color);
  else
    err << "groundwork: error: " << terminal_text(plan.error().message) << "\n";
  return std::nullopt;
}

}  // namespace gw
