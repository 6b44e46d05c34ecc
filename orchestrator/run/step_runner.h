#pragma once
/// Runs one step (SPEC §3/§4): asks the decision function (plan/decision.h) what to do, then
/// probes `skipIf`, runs the command or gate with retries and backoff, captures, and journals the
/// start and end through the CheckpointStore. Shared by stages and playbook phases.
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "model/project.h"
#include "plan/planner.h"
#include "run/checkpoint_store.h"
#include "run/command_runner.h"
#include "run/gates.h"
#include "run/live_groups.h"
#include "run/outputs.h"
#include "run/rendered_files.h"
#include "run/tool_limits.h"
#include "run/tools.h"

namespace gw {

class RemoteRunner;

/// How a step ended.
/// Drifted: a gate's one probe under --verify failed — what the console and the JSON log say of
/// that gate (the stage's outcome is drifted); step results themselves say Failed.
enum class StepStatus { Passed, AlreadyDone, Skipped, Failed, Interrupted, Drifted };
/// "passed", "done", "skipped", "failed", "interrupted", "drifted" (reports, the console).
const char* to_string(StepStatus s);

/// Receives progress; implemented by the console (report/console.h) and by tests. Called from
/// worker threads: implementations synchronize.
class RunListener {
 public:
  virtual ~RunListener() = default;
  virtual void step_started(const std::string& unit, const std::string& step,
                            const std::string& what) = 0;
  virtual void step_finished(const std::string& unit, const std::string& step, StepStatus status,
                             const std::string& note) = 0;
  virtual void warning(const std::string& text) = 0;
  /// Why something was decided (debug detail: shown with -v).
  virtual void decided(const std::string& unit, const std::string& step, const std::string& why) {
    (void)unit, (void)step, (void)why;
  }
  /// How long the run should still take (plan/schedule.h simulate()), from the executor when
  /// durations were measured in earlier runs; refreshed about every second.
  virtual void estimate(Millis left) { (void)left; }
  /// Detail (shown with -vv): what a gate saw on each poll.
  virtual void detail(const std::string& unit, const std::string& step, const std::string& text) {
    (void)unit, (void)step, (void)text;
  }
};

/// Shared by every step of a run; every pointer outlives the run. The store, the outputs, the
/// listener and the runners are thread-safe.
struct RunContext {
  const Project* project = nullptr;
  CheckpointStore* store = nullptr;
  Outputs* outputs = nullptr;
  CommandRunner* runner = nullptr;
  RemoteRunner* remote = nullptr;  // ssh steps (run/remote_runner.h)
  GateProber* prober = nullptr;
  const ToolResolver* tools = nullptr;
  RunListener* listener = nullptr;
  const Interrupt* interrupt = nullptr;
  const Redactor* redactor = nullptr;
  const std::map<std::string, std::string>* secrets = nullptr;  // revealed values
  std::string log_dir;                                          // runs/<run-id>/logs
  std::string rendered_dir;  // runs/<run-id>/secrets: rendered .tmpl files (run/rendered_files.h)
  LiveGroups* live_groups = nullptr;  // records each command's process group; may be null
  CheckpointPolicy policy;
  std::optional<std::string> mode;  // playbooks
  const std::map<std::string, std::string>* params = nullptr;
  /// Secret params: param name -> inventory secret (RenderScope::param_secrets).
  const std::map<std::string, std::string>* param_secrets = nullptr;
  ToolLimits* limits = nullptr;  // inventory spec.limits; may be null
  /// The clock stage durations are measured with (tests); steady_clock when empty.
  std::function<std::chrono::steady_clock::time_point()> clock;
};

/// The result of one step, with what a person needs when it failed.
struct StepResult {
  StepResult() = default;
  StepResult(StepStatus s, std::string m = {}) : status(s), message(std::move(m)) {}  // NOLINT
  StepStatus status = StepStatus::Passed;
  std::string message;  // failure: what went wrong ("exit 1", "gate timed out: saw …")
  std::string tail;     // failure: last output lines (empty for sensitive steps)
  std::string log;      // log file path
  int attempts = 0;
  Millis duration{0};
  /// Failed in a way that may have left the work done: timed out, killed, connection lost.
  bool maybe_applied = false;
};

/// Runs `step` of `unit` (a stage name, or "playbook:phase"). Journals start and end records. Never
/// throws: what it catches becomes a failed step.
StepResult run_step(const RunContext& ctx, const std::string& unit, const Step& step);

/// How run_gate waits: polls until the gate's timeout, or probes once with a short deadline
/// (`apply --verify` on a done stage: what fails then is drift, and a missing resource is not
/// "not yet").
enum class GateWait { Poll, ProbeOnce };

/// The longest the one probe of GateWait::ProbeOnce may take (less when the gate's timeout is).
inline constexpr Millis kDriftProbeBudget{10000};

/// Polls a gate of a stage (`spec.gates`) or playbook, or probes it once; journals nothing.
StepResult run_gate(const RunContext& ctx, const std::string& unit, const Gate& gate,
                    GateWait wait = GateWait::Poll);

/// The process of an invocation: program resolved through the tools, rendered `.tmpl` files
/// written by `files` (mode 0600) and their paths put into argv, the step's timeout and
/// visibility, output appended to `log` (empty: none), redacted with ctx.redactor. Errors: a
/// program that cannot be found, a file that cannot be written.
Result<ProcessSpec> process_spec(const RunContext& ctx, const Step& step, const Invocation& inv,
                                 RenderedFiles& files, const std::string& log);

/// The render scope for running: secrets revealed, the outputs given, missing outputs are errors.
RenderScope run_scope(const RunContext& ctx, const std::map<std::string, std::string>* outputs);

/// The log file of a step or gate: `<log_dir>/<unit>.<name>.log` with every character other than
/// letters, digits, '-' and '_' percent-encoded, so that no two names share a file.
std::string log_path(const std::string& log_dir, const std::string& unit, const std::string& name);
/// The log file of a gate of `unit`: `<log_dir>/<unit>.<gate>.gate.log`, encoded the same way
/// (an encoded name has no '.', so a gate's log never meets a step's).
std::string gate_log_path(const std::string& log_dir, const std::string& unit,
                          const std::string& gate);

}  // namespace gw
