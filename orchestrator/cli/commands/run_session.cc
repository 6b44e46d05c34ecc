#include "cli/commands/run_session.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "cli/commands/exit_codes.h"
#include "model/hash.h"
#include "report/log.h"
#include "run/cluster_version.h"
#include "run/ssh_step.h"

namespace gw {

namespace fs = std::filesystem;

int RunSession::check_kube_versions(const Plan& plan, const Inventory& inv, Console& notices,
                                    const Interrupt& stop) {
  if (!plan_checks_kube_version(plan)) return 0;
  auto server = query_server_version(inv, *tools_, runner_, stop);
  if (!server) {
    // A cluster that a stage of this run brings up (Talos) does not answer yet: not a misfit.
    notices.warning("kubeVersion of the stages not checked: the API server did not answer (" +
                    server.error().message + ")");
    return 0;
  }
  auto misfits = kube_version_misfits(plan, *server);
  if (misfits.empty()) return 0;
  return fail(kExitPreflight,
              "preflight failed; nothing was run. " + describe_misfits(misfits, *server) +
                  "\nPin the cluster's Kubernetes version inside the range (docs/platform.md).");
}

std::variant<std::unique_ptr<RunState>, int> take_state(const StatePaths& paths,
                                                        const std::string& verb) {
  if (auto s = ensure_state_dirs(paths); !s) return fail(kExitFailed, s.error().message);
  LockFailure lock_failure = LockFailure::Held;
  auto lock = RunLock::acquire(paths.lock(), verb, &lock_failure);
  // Exit 4 is only for a lock another run holds; a state folder that cannot be written is 1.
  if (!lock)
    return fail(lock_failure == LockFailure::Held ? kExitLocked : kExitFailed,
                lock.error().message + "; nothing was run");
  // Rendered secret files of dead runs go at once, whatever happens next (those of a run whose
  // processes still live stay until RunSession settles them).
  sweep_dead_runs(paths.runs(), "");
  std::vector<std::string> warnings;
  auto journal = Journal::open(paths.journal(), &warnings);
  if (!journal) return fail(kExitFailed, journal.error().message);
  for (const auto& w : warnings) log_warning(w);
  if (journal->state().records > 20000) {
    if (auto c = journal->compact(); !c) log_warning(c.error().message);
  }
  return std::unique_ptr<RunState>(new RunState{std::move(*lock), std::move(*journal)});
}

Interrupt& RunSession::interrupt() {
  static Interrupt interrupt;  // the signal thread outlives every session
  static bool installed = [] {
    install_signal_handling(interrupt);
    return true;
  }();
  (void)installed;
  return interrupt;
}

std::variant<std::unique_ptr<RunSession>, int> RunSession::start(const Inputs& in) {
  std::unique_ptr<RunSession> s(new RunSession());
  if (int rc = s->prepare(in); rc != 0) return rc;
  return s;
}

int RunSession::prepare(const Inputs& in) {
  const Project& project = in.ws->project;
  const GlobalOptions& g = *in.g;
  const StatePaths& paths = *in.paths;
  tools_ = std::make_unique<ToolResolver>(project.inventory);
  auto missing = missing_tools(in.needs.tools, *tools_);
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += "\n  " + m;
    return fail(kExitPreflight, "preflight failed; nothing was run. Missing programs:" + list);
  }
  Interrupt& stop = interrupt();

  // What a crashed run left: its processes are waited for (or stopped with --kill-stale) before
  // anything starts, then its rendered secret files are deleted (docs/architecture.md, Processes).
  run_id_ = make_run_id();
  StaleOptions so;
  so.action = in.stale;
  Console notices(std::cerr, g.log_format, g.verbosity, g.color, ConsoleMode::Plain, 0);
  auto say = [&notices](const std::string& m) { notices.warning(m); };
  if (auto st = settle_stale_groups(paths.runs(), run_id_, so, stop, say); !st) {
    if (stop.stopping()) return fail(kExitInterrupted, st.error().message + "; nothing was run");
    return fail(kExitPreflight, st.error().message + "; nothing was run");
  }
  sweep_dead_runs(paths.runs(), run_id_);  // now those of the runs just settled

  runner_.withhold_env(secret_env_vars(project.inventory));
  if (int rc = check_kube_versions(*in.plan, project.inventory, notices, stop); rc != 0) return rc;
  auto fkey = fingerprint_key(paths);
  if (!fkey) return fail(kExitFailed, fkey.error().message);
  auto secrets =
      resolve_secrets(project.inventory, in.needs.secrets, *fkey, runner_, *tools_, stop);
  if (!secrets) {
    if (stop.stopping())
      return fail(kExitInterrupted, "interrupted while resolving secrets; nothing was run");
    return fail(kExitPreflight,
                secrets.error().message + (secrets.error().message.find('\n') == std::string::npos
                                               ? "; nothing was run"
                                               : "\nnothing was run"));
  }
  for (const auto& w : secrets->warnings) notices.warning(w);
  secrets_.emplace(std::move(*secrets));
  redact_readable_secrets(project.inventory, secrets_->redactor);

  run_dir_ = paths.runs() + "/" + run_id_;
  log_dir_ = run_dir_ + "/logs";
  if (std::error_code ec; !fs::create_directories(log_dir_, ec) && ec)
    return fail(kExitFailed, log_dir_ + ": cannot create the run's log folder: " + ec.message() +
                                 "; nothing was run");
  if (auto st = add_log_file(run_dir_ + "/debug.log"); !st)
    return fail(kExitFailed, st.error().message);
  log_open_ = true;
  live_groups_.emplace(run_dir_ + "/groups");  // removed when the run ends: nothing is left

  size_t total = 0;
  for (const auto& ps : in.plan->stages)
    if (ps.status != PlanStatus::Skipped) total += ps.steps.size() + ps.stage->gates.size();
  // Live on a terminal (a block of running steps, ticking), plain lines otherwise.
  console_ = std::make_unique<Console>(std::cerr, g.log_format, g.verbosity, g.color,
                                       console_mode(g.log_format, g.verbosity), total);
  ssh_options_.secrets = &secrets_->values;
  remote_ = std::make_unique<SshRemoteRunner>(project.inventory, ssh_options_);
  prober_ = std::make_unique<GateProber>(runner_, project.inventory, *tools_, &secrets_->redactor,
                                         remote_.get());
  store_ = std::make_unique<CheckpointStore>(
      *in.journal, run_id_, Fingerprints{&secrets_->fingerprints, [k = *fkey](std::string_view v) {
                                           return hmac_sha256_hex(k, v);
                                         }});
  outputs_ = std::make_unique<Outputs>(in.outputs == EarlierOutputs::Use
                                           ? in.journal->state().checkpoints.outputs
                                           : std::map<std::string, std::string>{},
                                       in.ws->sensitive_outputs, &secrets_->redactor);
  ctx.project = &project;
  ctx.store = store_.get();
  ctx.outputs = outputs_.get();
  ctx.runner = &runner_;
  ctx.remote = remote_.get();
  ctx.prober = prober_.get();
  ctx.tools = tools_.get();
  if (!project.inventory.limits.empty()) {
    limits_ = std::make_unique<ToolLimits>(project.inventory.limits);
    ctx.limits = limits_.get();
  }
  ctx.listener = console_.get();
  ctx.interrupt = &stop;
  ctx.redactor = &secrets_->redactor;
  ctx.secrets = &secrets_->values;
  ctx.log_dir = log_dir_;
  ctx.rendered_dir = run_dir_ + "/secrets";
  ctx.live_groups = &*live_groups_;
  return 0;
}

RunSession::~RunSession() {
  if (!ctx.rendered_dir.empty()) {
    std::error_code ec;
    fs::remove_all(ctx.rendered_dir, ec);  // every step is over: nothing in it is needed
  }
  if (log_open_) close_log_files();
}

}  // namespace gw
