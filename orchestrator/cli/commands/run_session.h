#pragma once
/// What apply, drill and restore set up between planning and their first step, the same way and
/// in the same order: the programs the plan calls must exist (else exit 3); signals are handled;
/// a crashed run's processes are settled (waited for, or stopped with --kill-stale) and dead runs'
/// rendered files swept; secrets are resolved (their source variables withheld from commands);
/// the run folder gets its logs, debug log and groups file; and the runners, gate prober,
/// checkpoint store and outputs are wired into a RunContext.
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "cli/commands/options.h"
#include "cli/commands/workspace.h"
#include "plan/needs.h"
#include "report/console.h"
#include "run/checkpoint_store.h"
#include "run/command_runner.h"
#include "run/gates.h"
#include "run/live_groups.h"
#include "run/lock.h"
#include "run/outputs.h"
#include "run/remote_runner.h"
#include "run/secrets.h"
#include "run/stale.h"
#include "run/state_dir.h"
#include "run/step_runner.h"
#include "run/tool_limits.h"
#include "run/tools.h"

namespace gw {

/// A run's hold on its state folder: the lock (held while this lives) and the journal.
struct RunState {
  RunLock lock;
  Journal journal;
};

/// Creates the state folder, takes the lock (exit 4 when another run holds it, 1 when the folder
/// cannot be used), deletes dead runs' rendered files, opens the journal (warning of a torn
/// tail) and compacts it when it has grown. The state, or the exit code after saying why.
std::variant<std::unique_ptr<RunState>, int> take_state(const StatePaths& paths,
                                                        const std::string& verb);

/// Whether captured outputs of earlier runs are used (not with --fresh).
enum class EarlierOutputs { Use, Ignore };

class RunSession {
 public:
  struct Inputs {
    const Workspace* ws = nullptr;
    const GlobalOptions* g = nullptr;
    const StatePaths* paths = nullptr;
    Journal* journal = nullptr;
    const Plan* plan = nullptr;  // for the [done/total] counter
    Needs needs;                 // programs to check, secrets to resolve
    StaleAction stale = StaleAction::Wait;
    EarlierOutputs outputs = EarlierOutputs::Use;
  };

  /// The session, or the exit code after saying why (nothing was run).
  static std::variant<std::unique_ptr<RunSession>, int> start(const Inputs& in);
  /// Removes the run's rendered files (every step is over) and closes its debug log.
  ~RunSession();
  RunSession(const RunSession&) = delete;
  RunSession& operator=(const RunSession&) = delete;

  /// Wired to everything above; the caller sets policy, mode and params.
  RunContext ctx;
  Console& console() { return *console_; }
  const std::string& run_id() const { return run_id_; }
  const std::string& log_dir() const { return log_dir_; }
  const ResolvedSecrets& secrets() const { return *secrets_; }
  Interrupt& interrupt();

 private:
  RunSession() = default;
  int prepare(const Inputs& in);  // 0 or an exit code
  /// The stages that will run fit the API server's version (`kubeVersion`): 0, or exit 3 after
  /// naming each stage that does not and its constraint. An API server that does not answer is
  /// a warning (a Talos cluster is brought up by the run itself).
  int check_kube_versions(const Plan& plan, const Inventory& inv, Console& notices,
                          const Interrupt& stop);

  std::unique_ptr<ToolResolver> tools_;
  std::unique_ptr<ToolLimits> limits_;
  ProcessRunner runner_;
  std::optional<ResolvedSecrets> secrets_;
  std::string run_id_, run_dir_, log_dir_;
  bool log_open_ = false;
  std::optional<LiveGroups> live_groups_;
  std::unique_ptr<Console> console_;
  SshOptions ssh_options_;
  std::unique_ptr<SshRemoteRunner> remote_;
  std::unique_ptr<GateProber> prober_;
  std::unique_ptr<CheckpointStore> store_;
  std::unique_ptr<Outputs> outputs_;
};

}  // namespace gw
