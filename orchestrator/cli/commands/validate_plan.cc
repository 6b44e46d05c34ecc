#include <iostream>

#include "cli/commands/commands.h"
#include "cli/commands/exit_codes.h"
#include "cli/commands/playbook.h"
#include "cli/commands/workspace.h"
#include "load/loops.h"
#include "load/project_loader.h"
#include "plan/cascade.h"
#include "plan/planner.h"
#include "report/log.h"
#include "report/plan_writer.h"
#include "run/journal.h"
#include "run/lock.h"
#include "run/secrets.h"
#include "run/state_dir.h"

namespace gw {

int cmd_validate(const GlobalOptions& g) {
  auto ws = open_workspace(g, std::cerr);
  if (!ws) return kExitInvalid;
  // Rendering every step once proves each `when` and every typed field renders.
  auto plan = plan_or_report(*ws, {}, {}, g, std::cerr);
  if (!plan) return kExitInvalid;
  // A secret that cannot be read is no error in the files, but apply would refuse: say so now,
  // where it is used, all of them at once.
  for (const auto& u : unreadable_secrets(*plan, ws->project.inventory))
    log_warning(
        u.first_use.str() + ": " + u.reason +
        (u.uses > 1 ? " (used here and by " + std::to_string(u.uses - 1) + " more steps)" : "") +
        "; apply will not start without it");
  size_t steps = 0, gates = 0;
  for (const auto& s : ws->project.stages) steps += s.steps.size(), gates += s.gates.size();
  std::cout << "inventory '" << ws->project.inventory.name << "' (" << ws->project.inventory.file
            << "): " << ws->project.stages.size() << " stages, " << steps << " steps, " << gates
            << " gates, " << ws->project.playbooks.size() << " playbooks: valid\n";
  return kExitOk;
}

int cmd_plan(const GlobalOptions& g, const PlanOptions& o) {
  auto format = parse_plan_format(o.format);
  if (!format) {
    log_error("unknown plan format '" + o.format + "' (expected text, json, dot, mermaid or svg)");
    return kExitInvalid;
  }
  auto ws = open_workspace(g, std::cerr);
  if (!ws) return kExitInvalid;
  // Read-only: plan takes no lock and writes nothing.
  std::vector<std::string> warnings;
  StatePaths paths = workspace_state(*ws, g);
  auto journal = read_journal(
      paths.journal(), &warnings,
      RunLock::probe(paths.lock()) == LockState::Held ? JournalTail::Growing : JournalTail::Final);
  for (const auto& w : warnings) log_warning(w);
  // A forEach step named as written (`talos/apply-config-worker`): each of its items.
  const std::vector<std::string> force = expand_loop_targets(ws->project, o.force);
  std::vector<std::string> stage_force = force;
  if (!o.playbook.empty()) {
    if (const Playbook* pb = ws->project.find_playbook(o.playbook)) {
      auto split = split_playbook_force(*pb, force);
      if (!split) {
        log_error(split.error().message);
        return kExitInvalid;
      }
      stage_force = std::move(*split);
    }
  }
  if (auto why = check_force(ws->project, stage_force)) {
    log_error(*why);
    return kExitInvalid;
  }
  Checkpoints checkpoints = journal && !o.fresh ? journal->checkpoints : Checkpoints{};
  if (journal && o.fresh) checkpoints.durations = journal->checkpoints.durations;
  Selection sel{o.targets, o.only, {}};
  sel.policy.fresh = o.fresh;
  sel.policy.force.insert(force.begin(), force.end());
  if (o.cascade && (force.empty() || !o.playbook.empty())) {
    log_error("--cascade goes with --force STAGE (and not with --playbook)");
    return kExitInvalid;
  }
  if (o.playbook.empty())
    if (auto note =
            cascade_selection(ws->graph, o.cascade ? Cascade::Yes : Cascade::No, o.force, sel);
        !note.empty())
      log_info(note);
  KnownFingerprints fps = known_fingerprints(*ws, g);
  if (!o.playbook.empty()) {
    if (!o.targets.empty() || !o.only.empty()) {
      log_error("plan --playbook takes no stage targets or --only");
      return kExitInvalid;
    }
    auto setup = setup_playbook(*ws, o.playbook, o.mode, o.params);
    if (!setup) return kExitInvalid;
    auto needs = plan_needs(*ws, *setup, checkpoints, g, fps.view(), sel.policy);
    if (!needs) return kExitInvalid;
    LastRestore last = journal ? last_restore(*journal, setup->playbook->name) : LastRestore::None;
    auto pplan =
        plan_playbook(*ws, *setup, std::move(*needs), checkpoints, g, fps.view(), sel.policy, last);
    if (!pplan) return kExitInvalid;
    write_plan(std::cout, pplan->plan, *format, *format == PlanFormat::Text ? g.color : Color::Off);
    return kExitOk;
  }
  if (!o.mode.empty() || !o.params.empty()) {
    log_error("--mode and --param go with --playbook");
    return kExitInvalid;
  }
  auto plan = plan_or_report(*ws, sel, checkpoints, g, std::cerr, fps.view());
  if (!plan) return kExitInvalid;
  write_plan(std::cout, *plan, *format, *format == PlanFormat::Text ? g.color : Color::Off);
  return kExitOk;
}

}  // namespace gw
