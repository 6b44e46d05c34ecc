#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "cli/commands/commands.h"
#include "cli/commands/exit_codes.h"
#include "cli/commands/preflight.h"
#include "cli/commands/workspace.h"
#include "load/project_loader.h"
#include "report/console.h"
#include "run/executor.h"
#include "run/lock.h"
#include "run/secrets.h"
#include "run/ssh_step.h"
#include "run/state_dir.h"

namespace gw {

namespace fs = std::filesystem;

namespace {

int fail(ExitCode code, const std::string& message) {
  std::cerr << "groundwork: error: " << message << "\n";
  return code;
}

/// --only: the needs of each named stage must be done (or skipped) already.
std::optional<std::string> check_only(const Plan& full, const std::vector<std::string>& only,
                                      const Checkpoints& cp) {
  for (const auto& name : only) {
    const PlannedStage* ps = full.find(name);
    if (!ps) continue;
    for (const auto& need : ps->needs) {
      const PlannedStage* n = full.find(need);
      if (n && n->status == PlanStatus::Skipped) continue;
      auto it = cp.stages.find(need);
      if (it == cp.stages.end() || it->second.status != RecordStatus::Passed)
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
  for (const auto& f : o.force) {
    std::string stage = f.substr(0, f.find('/'));
    if (!project.find_stage(stage))
      return fail(kExitInvalid, "--force " + f + ": unknown stage '" + stage + "'");
  }

  if (auto why = check_selection(project, ws->graph, {o.targets, o.only}))
    return fail(kExitInvalid, *why);  // before anything is written

  StatePaths paths = state_paths(g.state_dir, project.inventory.name);
  if (auto s = ensure_state_dirs(paths); !s) return fail(kExitFailed, s.error().message);
  auto lock = RunLock::acquire(paths.lock(), "apply");
  if (!lock) return fail(kExitLocked, lock.error().message);
  std::vector<std::string> warnings;
  auto journal = Journal::open(paths.journal(), &warnings);
  if (!journal) return fail(kExitFailed, journal.error().message);
  for (const auto& w : warnings) std::cerr << "groundwork: warning: " << w << "\n";
  if (journal->state().records > 20000) {
    if (auto c = journal->compact(); !c)
      std::cerr << "groundwork: warning: " << c.error().message << "\n";
  }
  Checkpoints cp = journal->state().checkpoints;
  if (o.fresh) cp = Checkpoints{};

  auto plan = plan_or_report(*ws, {o.targets, o.only}, cp, g, std::cerr);
  if (!plan) return kExitInvalid;
  if (!o.only.empty()) {
    auto full = plan_or_report(*ws, {}, cp, g, std::cerr);
    if (!full) return kExitInvalid;
    if (auto why = check_only(*full, o.only, cp)) return fail(kExitInvalid, *why);
  }

  ToolResolver tools(project.inventory);
  Needs needs = collect_needs(*plan);
  for (const auto& s : ssh_secret_needs(*plan, project.inventory)) needs.secrets.insert(s);
  auto missing = missing_tools(needs, tools, project.inventory);
  if (!missing.empty()) {
    std::cerr << "groundwork: error: preflight failed; nothing was run. Missing programs:\n";
    for (const auto& m : missing) std::cerr << "  " << m << "\n";
    return kExitPreflight;
  }

  static Interrupt interrupt;  // the signal thread outlives this function
  install_signal_handling(interrupt);
  ProcessRunner runner;
  auto fkey = fingerprint_key(paths);
  if (!fkey) return fail(kExitFailed, fkey.error().message);
  auto secrets = resolve_secrets(project.inventory, needs.secrets, *fkey, runner, tools, interrupt);
  if (!secrets) {
    if (interrupt.stopping())
      return fail(kExitInterrupted, "interrupted while resolving secrets; nothing was run");
    return fail(kExitInvalid, secrets.error().message + "; nothing was run");
  }
  redact_readable_secrets(project.inventory, secrets->redactor);

  std::string run_id = make_run_id();
  std::string log_dir = paths.runs() + "/" + run_id + "/logs";
  fs::create_directories(log_dir);
  size_t total = 0;
  for (const auto& ps : plan->stages)
    if (ps.status != PlanStatus::Skipped) total += ps.steps.size() + ps.stage->gates.size();
  Console console(std::cerr, g.log_format, g.verbosity, g.color, g.color == Color::On && isatty(2),
                  total);
  SshOptions ssh_options;
  ssh_options.secrets = &secrets->values;
  SshRemoteRunner remote(project.inventory, ssh_options);
  GateProber prober(runner, project.inventory, tools, &secrets->redactor, &remote);
  std::mutex journal_mu, outputs_mu;
  std::map<std::string, std::string> outputs =
      o.fresh ? std::map<std::string, std::string>{} : journal->state().checkpoints.outputs;
  RunContext ctx;
  ctx.project = &project;
  ctx.journal = &*journal;
  ctx.journal_mu = &journal_mu;
  ctx.runner = &runner;
  ctx.remote = &remote;
  ctx.prober = &prober;
  ctx.tools = &tools;
  ctx.listener = &console;
  ctx.interrupt = &interrupt;
  ctx.redactor = &secrets->redactor;
  ctx.secrets = &secrets->values;
  ctx.fingerprints = &secrets->fingerprints;
  ctx.log_dir = log_dir;
  ctx.run_id = run_id;
  ctx.policy.fresh = o.fresh;
  ctx.policy.force.insert(o.force.begin(), o.force.end());
  ctx.outputs = &outputs;
  ctx.outputs_mu = &outputs_mu;

  console.info("groundwork: applying " + std::to_string(plan->stages.size()) +
               " stages on inventory '" + project.inventory.name + "' (run " + run_id +
               ", logs in " + log_dir + ")");
  auto started = std::chrono::steady_clock::now();
  ExecOptions eo;
  eo.jobs = o.jobs;
  eo.keep_going = o.keep_going ? KeepGoing::Yes : KeepGoing::No;
  eo.verify = o.verify ? Verify::Yes : Verify::No;
  RunReport report = execute_plan(*plan, ctx, eo);
  console.summary(report,
                  std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started));
  if (report.interrupted) return kExitInterrupted;
  return report.failed ? kExitFailed : kExitOk;
}

}  // namespace gw
