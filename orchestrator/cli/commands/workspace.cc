#include "cli/commands/workspace.h"

#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <set>
#include <system_error>

#include "load/project_loader.h"
#include "model/hash.h"
#include "model/terminal_text.h"
#include "report/log.h"
#include "run/secrets.h"
#include "run/state_dir.h"

namespace gw {

void print_diagnostics(const Diagnostics& diags, std::ostream& err, Color color) {
  auto all = diags.sorted();
  if (log_format() == LogFormat::Json) {
    for (const auto& d : all)
      log_event(LogLevel::Error, {{"event", "diagnostic"},
                                  {"file", d.loc.file},
                                  {"line", d.loc.line},
                                  {"col", d.loc.col},
                                  {"message", d.message}});
    log_error(std::to_string(all.size()) + (all.size() == 1 ? " error" : " errors") +
              "; nothing was run");
    return;
  }
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

std::optional<Workspace> open_workspace(const GlobalOptions& g, std::ostream& err) {
  Diagnostics diags;
  std::string inventory = g.inventory;
  if (inventory.empty()) {
    if (const char* e = std::getenv("GROUNDWORK_INVENTORY")) inventory = e;
  }
  if (inventory.empty()) {
    log_error("no inventory: pass -i FILE or set GROUNDWORK_INVENTORY");
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
  // A playbook's needs are checked when it runs (drill, restore, plan --playbook: check_selection),
  // not here: every playbook is loaded, and an inventory without the shipped platform stages (an
  // etcd-only drill) must not fail on the playbooks that need them (docs/format.md, Playbook).
  if (!diags.empty() || !graph) {
    print_diagnostics(diags, err, g.color);
    return std::nullopt;
  }
  std::set<std::string> sensitive = sensitive_outputs(project);
  Workspace ws{std::move(project), std::move(*graph), std::move(sensitive)};
  warn_other_state_dirs(ws, g);
  return ws;
}

void warn_other_state_dirs(const Workspace& ws, const GlobalOptions& g) {
  namespace fs = std::filesystem;
  const Inventory& inv = ws.project.inventory;
  std::error_code ec;
  fs::path used = fs::weakly_canonical(workspace_state(ws, g).root, ec);
  // The default beside the inventory, and ./.groundwork (the default of groundwork before 0.1,
  // and what a --state-dir .groundwork given from another folder makes).
  // A set: run from the inventory's folder, both are one folder and warn once.
  std::set<fs::path> others;
  for (const fs::path& base :
       {fs::path(inv.dir) / ".groundwork", fs::current_path(ec) / ".groundwork"})
    if (auto other = fs::weakly_canonical(base / inv.name, ec); !ec) others.insert(other);
  for (const fs::path& other : others) {
    if (other == used || !fs::exists(other / "journal.jsonl", ec)) continue;
    log_warning("a second state folder exists for inventory '" + inv.name + "': " + other.string() +
                " (with a journal); this run uses " + used.string() +
                ". Use one of them: pass --state-dir " + other.parent_path().string() +
                " to use the other, or remove the one you do not need");
  }
}

Fingerprints KnownFingerprints::view() const {
  Fingerprints f;
  f.secrets = &secrets;
  if (!key.empty()) f.keyed = [k = key](std::string_view v) { return hmac_sha256_hex(k, v); };
  return f;
}

StatePaths workspace_state(const Workspace& ws, const GlobalOptions& g) {
  const Inventory& inv = ws.project.inventory;
  std::string dir = g.state_dir.empty() ? inv.dir + "/.groundwork" : g.state_dir;
  return state_paths(dir, inv.name);
}

KnownFingerprints known_fingerprints(const Workspace& ws, const GlobalOptions& g) {
  KnownFingerprints k;
  auto key = read_fingerprint_key(workspace_state(ws, g));
  if (!key) return k;  // no run made a key yet: nothing was checkpointed with fingerprints
  k.key = *key;
  k.secrets = readable_fingerprints(ws.project.inventory, k.key);
  return k;
}

std::optional<Plan> plan_or_report(const Workspace& ws, const Selection& sel, const Checkpoints& cp,
                                   const GlobalOptions& g, std::ostream& err,
                                   const Fingerprints& fps) {
  Diagnostics diags;
  auto plan =
      make_plan(ws.project, ws.graph, sel, cp,
                preview_scope(ws.project, cp, process_env(), &ws.sensitive_outputs), diags, fps);
  if (plan) return std::move(*plan);
  if (!diags.empty())
    print_diagnostics(diags, err, g.color);
  else
    log_error(plan.error().message);
  return std::nullopt;
}

}  // namespace gw
