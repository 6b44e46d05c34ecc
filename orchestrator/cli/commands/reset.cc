#include <iostream>

#include "cli/commands/commands.h"
#include "cli/commands/exit_codes.h"
#include "cli/commands/workspace.h"
#include "load/loops.h"
#include "plan/cascade.h"
#include "report/log.h"
#include "run/journal.h"
#include "run/lock.h"
#include "run/stale.h"
#include "run/state_dir.h"

namespace gw {

int cmd_reset(const GlobalOptions& g, const ResetOptions& given) {
  if (given.all == !given.targets.empty()) {
    log_error("reset takes STAGE[/STEP]… or --all");
    return kExitInvalid;
  }
  if (given.all && given.cascade) {
    log_error("reset --all forgets every stage already: --cascade goes with STAGE[/STEP]");
    return kExitInvalid;
  }
  auto ws = open_workspace(g, std::cerr);
  if (!ws) return kExitInvalid;
  ResetOptions o = given;  // a forEach step named as written: each of its items
  o.targets = expand_loop_targets(ws->project, given.targets);
  for (const auto& t : o.targets) {
    auto slash = t.find('/');
    const Stage* s = ws->project.find_stage(t.substr(0, slash));
    if (!s) {
      log_error("reset " + t + ": unknown stage '" + t.substr(0, slash) + "'");
      return kExitInvalid;
    }
    if (slash != std::string::npos) {
      std::string step = t.substr(slash + 1);
      bool found = false;
      for (const auto& st : s->steps) found = found || st.name == step;
      if (!found) {
        log_error("reset " + t + ": stage '" + s->name + "' has no step '" + step + "'");
        return kExitInvalid;
      }
    }
  }
  StatePaths paths = workspace_state(*ws, g);
  if (auto s = ensure_state_dirs(paths); !s) {
    log_error(s.error().message);
    return kExitFailed;
  }
  LockFailure lock_failure = LockFailure::Held;
  auto lock = RunLock::acquire(paths.lock(), "reset", &lock_failure);
  if (!lock) {
    log_error(lock.error().message);
    return lock_failure == LockFailure::Held ? kExitLocked : kExitFailed;
  }
  // Rendered secret files left by crashed runs go now (those whose processes still run stay).
  sweep_dead_runs(paths.runs(), "");
  std::vector<std::string> warnings;
  auto journal = Journal::open(paths.journal(), &warnings);
  if (!journal) {
    log_error(journal.error().message);
    return kExitFailed;
  }
  for (const auto& w : warnings) log_warning(w);
  auto append = [&](nlohmann::json r) {
    if (auto s = journal->append(std::move(r)); !s) {
      log_error(s.error().message);
      return false;
    }
    return true;
  };
  if (o.all) {
    if (!append({{"t", "reset"}, {"stage", ""}})) return kExitFailed;
    std::cout << "forgot every checkpoint of inventory '" << ws->project.inventory.name << "'\n";
    return kExitOk;
  }
  auto left_out = left_out_dependents(ws->graph, o.targets);
  std::vector<std::string> targets = o.targets;
  if (o.cascade) targets.insert(targets.end(), left_out.begin(), left_out.end());
  for (const auto& t : targets) {
    auto slash = t.find('/');
    nlohmann::json r{{"t", "reset"}, {"stage", t.substr(0, slash)}};
    if (slash != std::string::npos) r["step"] = t.substr(slash + 1);
    if (!append(r)) return kExitFailed;
    std::cout << "forgot " << t << "\n";
  }
  if (!o.cascade && !left_out.empty())
    std::cout << "note: " << cascade_hint("reset", given.targets, left_out) << "\n";
  return kExitOk;
}

}  // namespace gw
