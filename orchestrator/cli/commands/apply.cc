#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "cli/commands/commands.h"
#include "cli/commands/exit_codes.h"
#include "cli/commands/workspace.h"
#include "load/project_loader.h"
#include "model/hash.h"
#include "model/names.h"
#include "model/terminal_text.h"
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

int fail(ExitCode code, const std::string& message) {
  log_error(message);
  return code;
}

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

int cmd_apply(const GlobalOptions& g, const RunOptions& o) {
  if (o.jobs < 1) return fail(kExitInvalid, "--jobs must be at least 1");
  auto ws = open_workspace(g, std::cerr);
  if (!ws) return kExitInvalid;
  const Project& project = ws->project;
  if (auto why = check_force(project, o.force)) return fail(kExitInvalid, *why);

  if (auto why = check_selection(project, ws->graph, {o.targets, o.only, {}}))
    return fail(kExitInvalid, *why);  // before anything is written

  StatePaths paths = workspace_state(*ws, g);
  if (auto s = ensure_state_dirs(paths); !s) return fail(kExitFailed, s.error().message);
  LockFailure lock_failure = LockFailure::Held;
  auto lock = RunLock::acquire(paths.lock(), "apply", &lock_failure);
  // Exit 4 is only for a lock another run holds; a state folder that cannot be written is 1.
  if (!lock)
    return fail(lock_failure == LockFailure::Held ? kExitLocked : kExitFailed,
                lock.error().message + "; nothing was run");
  // Rendered secret files of dead runs go at once, whatever happens next (those of a run whose
  // processes still live stay until they are settled below).
  sweep_dead_runs(paths.runs(), "");
  std::vector<std::string> warnings;
  auto journal = Journal::open(paths.journal(), &warnings);
  if (!journal) return fail(kExitFailed, journal.error().message);
  for (const auto& w : warnings) log_warning(w);
  if (journal->state().records > 20000) {
    if (auto c = journal->compact(); !c) log_warning(c.error().message);
  }
  Checkpoints cp = journal->state().checkpoints;
  if (o.fresh) cp = Checkpoints{};

  Selection sel{o.targets, o.only, {}};
  sel.policy.fresh = o.fresh;
  sel.policy.force.insert(o.force.begin(), o.force.end());
  auto plan = plan_or_report(*ws, sel, cp, g, std::cerr);
  if (!plan) return kExitInvalid;
  if (!o.only.empty()) {
    auto full = plan_or_report(*ws, {}, cp, g, std::cerr);
    if (!full) return kExitInvalid;
    if (auto why = check_only(*full, o.only)) return fail(kExitInvalid, *why);
  }

  ToolResolver tools(project.inventory);
  Needs needs = collect_needs(*plan);
  for (const auto& s : ssh_secret_needs(*plan, project.inventory)) needs.secrets.insert(s);
  auto missing = missing_tools(needs.tools, tools);
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += "\n  " + m;
    log_error("preflight failed; nothing was run. Missing programs:" + list);
    return kExitPreflight;
  }

  static Interrupt interrupt;  // the signal thread outlives this function
  install_signal_handling(interrupt);

  // What a crashed run left: its processes are waited for (or stopped with --kill-stale) before
  // anything starts, then its rendered secret files are deleted (docs/architecture.md, Processes).
  std::string run_id = make_run_id();
  StaleOptions so;
  so.action = o.kill_stale ? StaleAction::Kill : StaleAction::Wait;
  Console notices(std::cerr, g.log_format, g.verbosity, g.color, false, 0);
  auto say = [&notices](const std::string& m) { notices.warning(m); };
  if (auto s = settle_stale_groups(paths.runs(), run_id, so, interrupt, say); !s) {
    if (interrupt.stopping())
      return fail(kExitInterrupted, s.error().message + "; nothing was run");
    return fail(kExitPreflight, s.error().message + "; nothing was run");
  }
  sweep_dead_runs(paths.runs(), run_id);  // now those of the runs just settled

  ProcessRunner runner;
  runner.withhold_env(secret_env_vars(project.inventory));
  auto fkey = fingerprint_key(paths);
  if (!fkey) return fail(kExitFailed, fkey.error().message);
  auto secrets = resolve_secrets(project.inventory, needs.secrets, *fkey, runner, tools, interrupt);
  if (!secrets) {
    if (interrupt.stopping())
      return fail(kExitInterrupted, "interrupted while resolving secrets; nothing was run");
    return fail(kExitInvalid, secrets.error().message + "; nothing was run");
  }
  redact_readable_secrets(project.inventory, secrets->redactor);

  std::string run_dir = paths.runs() + "/" + run_id;
  std::string log_dir = run_dir + "/logs";
  if (std::error_code ec; !fs::create_directories(log_dir, ec) && ec)
    return fail(kExitFailed, log_dir + ": cannot create the run's log folder: " + ec.message() +
                                 "; nothing was run");
  if (auto s = add_log_file(run_dir + "/debug.log"); !s)
    return fail(kExitFailed, s.error().message);
  struct CloseLog {
    ~CloseLog() { close_log_files(); }
  } close_log;
  LiveGroups live_groups(run_dir + "/groups");  // removed when the run ends: nothing is left
  size_t total = 0;
  for (const auto& ps : plan->stages)
    if (ps.status != PlanStatus::Skipped) total += ps.steps.size() + ps.stage->gates.size();
  Console console(std::cerr, g.log_format, g.verbosity, g.color, g.color == Color::On && isatty(2),
                  total);
  SshOptions ssh_options;
  ssh_options.secrets = &secrets->values;
  SshRemoteRunner remote(project.inventory, ssh_options);
  GateProber prober(runner, project.inventory, tools, &secrets->redactor, &remote);
  CheckpointStore store(*journal, run_id, {&secrets->fingerprints, [k = *fkey](std::string_view v) {
                                             return hmac_sha256_hex(k, v);
                                           }});
  Outputs outputs(
      o.fresh ? std::map<std::string, std::string>{} : journal->state().checkpoints.outputs,
      ws->sensitive_outputs, &secrets->redactor);
  RunContext ctx;
  ctx.project = &project;
  ctx.store = &store;
  ctx.outputs = &outputs;
  ctx.runner = &runner;
  ctx.remote = &remote;
  ctx.prober = &prober;
  ctx.tools = &tools;
  ctx.listener = &console;
  ctx.interrupt = &interrupt;
  ctx.redactor = &secrets->redactor;
  ctx.secrets = &secrets->values;
  ctx.log_dir = log_dir;
  ctx.rendered_dir = run_dir + "/secrets";
  ctx.live_groups = &live_groups;
  ctx.policy.fresh = o.fresh;
  ctx.policy.force.insert(o.force.begin(), o.force.end());

  console.info("groundwork: applying " + std::to_string(plan->stages.size()) +
               " stages on inventory '" + project.inventory.name + "' (run " + run_id +
               ", logs in " + log_dir + ")");
  auto started = std::chrono::steady_clock::now();
  ExecOptions eo;
  eo.jobs = o.jobs;
  eo.keep_going = o.keep_going ? KeepGoing::Yes : KeepGoing::No;
  eo.verify = o.verify ? Verify::Yes : Verify::No;
  RunReport report = execute_plan(*plan, ctx, eo);
  std::error_code ec;
  fs::remove_all(ctx.rendered_dir, ec);  // every step is over: nothing in it is needed
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
