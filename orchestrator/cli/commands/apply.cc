#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "cli/commands/commands.h"
#include "cli/commands/exit_codes.h"
#include "cli/commands/run_session.h"
#include "cli/commands/workspace.h"
#include "load/loops.h"
#include "load/project_loader.h"
#include "model/hash.h"
#include "model/names.h"
#include "model/terminal_text.h"
#include "plan/cascade.h"
#include "plan/needs.h"
#include "report/console.h"
#include "report/log.h"
#include "run/checkpoint_store.h"
#include "run/executor.h"
#include "run/live_groups.h"
#include "run/lock.h"
#include "run/secrets.h"
#include "run/ssh_step.h"
#include "run/stale.h"
#include "run/state_dir.h"

namespace gw {

namespace fs = std::filesystem;

namespace {

/// --only: the needs of each named stage must be done (or skipped) already.
std::optional<std::string> check_only(const Plan& full, const std::vector<std::string>& only) {
  for (const auto& name : only) {
    const PlannedStage* ps = full.find(name);
    if (!ps) continue;
    for (const auto& need : ps->needs) {
      const PlannedStage* n = full.find(need);
      if (!n || n->status == PlanStatus::Skipped || n->status == PlanStatus::Done ||
          n->status == PlanStatus::Changed)
        continue;
      return "--only " + name + ": it needs '" + need +
             "', which is not done; run it first or drop --only";
    }
  }
  return std::nullopt;
}

}  // namespace

int cmd_apply(const GlobalOptions& g, const RunOptions& given) {
  if (given.jobs < 1) return fail(kExitInvalid, "--jobs must be at least 1");
  auto ws = open_workspace(g, std::cerr);
  if (!ws) return kExitInvalid;
  const Project& project = ws->project;
  RunOptions o = given;  // a forEach step named as written: each of its items
  o.force = expand_loop_targets(project, given.force);
  if (auto why = check_force(project, o.force)) return fail(kExitInvalid, *why);
  if (o.cascade && o.force.empty())
    return fail(kExitInvalid, "--cascade goes with --force STAGE (or reset STAGE --cascade)");

  if (auto why = check_selection(project, ws->graph, {o.targets, o.only, {}}))
    return fail(kExitInvalid, *why);  // before anything is written

  StatePaths paths = workspace_state(*ws, g);
  auto taken = take_state(paths, "apply");
  if (auto* rc = std::get_if<int>(&taken)) return *rc;
  Journal* journal = &std::get<std::unique_ptr<RunState>>(taken)->journal;
  Checkpoints cp = journal->state().checkpoints;
  if (o.fresh) {
    cp = Checkpoints{};
    cp.durations = journal->state().checkpoints.durations;  // measured durations still weigh
  }

  Selection sel{o.targets, o.only, {}};
  sel.policy.fresh = o.fresh;
  sel.policy.force.insert(o.force.begin(), o.force.end());
  if (auto note =
          cascade_selection(ws->graph, o.cascade ? Cascade::Yes : Cascade::No, given.force, sel);
      !note.empty())
    log_info(note);
  auto plan = plan_or_report(*ws, sel, cp, g, std::cerr);
  if (!plan) return kExitInvalid;
  if (!o.only.empty()) {
    auto full = plan_or_report(*ws, {}, cp, g, std::cerr);
    if (!full) return kExitInvalid;
    if (auto why = check_only(*full, o.only)) return fail(kExitInvalid, *why);
  }

  RunSession::Inputs in;
  in.ws = &*ws;
  in.g = &g;
  in.paths = &paths;
  in.journal = &*journal;
  in.plan = &*plan;
  in.needs = collect_needs(*plan);
  for (const auto& s : ssh_secret_needs(*plan, project.inventory)) in.needs.secrets.insert(s);
  in.stale = o.kill_stale ? StaleAction::Kill : StaleAction::Wait;
  in.outputs = o.fresh ? EarlierOutputs::Ignore : EarlierOutputs::Use;
  auto started_session = RunSession::start(in);
  if (auto* rc = std::get_if<int>(&started_session)) return *rc;
  RunSession& session = *std::get<std::unique_ptr<RunSession>>(started_session);
  RunContext& ctx = session.ctx;
  Console& console = session.console();
  ctx.policy = sel.policy;  // with --cascade's stages

  console.info("groundwork: applying " + std::to_string(plan->stages.size()) +
               " stages on inventory '" + project.inventory.name + "' (run " + session.run_id() +
               ", logs in " + session.log_dir() + ")");
  auto started = std::chrono::steady_clock::now();
  ExecOptions eo;
  eo.jobs = o.jobs;
  eo.keep_going = o.keep_going ? KeepGoing::Yes : KeepGoing::No;
  eo.verify = o.verify || o.repair ? Verify::Yes : Verify::No;
  eo.repair = o.repair ? Repair::Yes : Repair::No;
  RunReport report = execute_plan(*plan, ctx, eo);
  console.summary(report,
                  std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started));
  if (report.journal_error) {
    log_error("the journal could not be written (" + *report.journal_error +
              "); the run stopped. Free space or fix the state folder, then run again.");
    return kExitFailed;
  }
  if (report.interrupted) return kExitInterrupted;
  return report.failed ? kExitFailed : kExitOk;
}

}  // namespace gw
