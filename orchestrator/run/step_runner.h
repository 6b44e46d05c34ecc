#pragma once
/// Runs one step (SPEC §3/§4): `when`, checkpoint skip, `once`, `skipIf`, retries with backoff,
/// the command or gate, `capture`, and the journal records around it. Shared by stages and
/// playbook phases.
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "model/project.h"
#include "plan/planner.h"
#include "run/command_runner.h"
#include "run/gates.h"
#include "run/journal.h"
#include "run/tools.h"

namespace gw {

class RemoteRunner;

/// How a step ended.
enum class StepStatus { Passed, AlreadyDone, Skipped, Failed, Interrupted };

/// Receives progress; implemented by the console (report/console.h) and by tests.
class RunListener {
 public:
  virtual ~RunListener() = default;
  virtual void step_started(const std::string& unit, const std::string& step,
                            const std::string& what) = 0;
  virtual void step_finished(const std::string& unit, const std::string& step, StepStatus status,
                             const std::string& note) = 0;
  virtual void warning(const std::string& text) = 0;
};

/// What a run may do with checkpoints.
struct CheckpointPolicy {
  bool fresh = false;           // ignore checkpoints
  std::set<std::string> force;  // "stage" or "stage/step": run even if checkpointed
  bool forced(const std::string& unit, const std::string& step) const {
    return fresh || force.count(unit) || force.count(unit + "/" + step);
  }
};

/// Shared by every step of a run. Thread-safe where noted.
struct RunContext {
  const Project* project = nullptr;
  Journal* journal = nullptr;  // appends are serialized by journal_mu
  std::mutex* journal_mu = nullptr;
  CommandRunner* runner = nullptr;
  RemoteRunner* remote = nullptr;  // ssh steps (run/remote_runner.h)
  GateProber* prober = nullptr;
  const ToolResolver* tools = nullptr;
  RunListener* listener = nullptr;
  const Interrupt* interrupt = nullptr;
  const Redactor* redactor = nullptr;
  const std::map<std::string, std::string>* secrets = nullptr;       // revealed values
  const std::map<std::string, std::string>* fingerprints = nullptr;  // keyed hashes
  std::string log_dir;                                               // runs/<run-id>/logs
  std::string run_id;
  CheckpointPolicy policy;
  /// Captured outputs "stage.name" -> value; guarded by outputs_mu.
  std::map<std::string, std::string>* outputs = nullptr;
  std::mutex* outputs_mu = nullptr;
  std::optional<std::string> mode;  // playbooks
  const std::map<std::string, std::string>* params = nullptr;
};

/// The result of one step, with what a person needs when it failed.
struct StepResult {
  StepResult() = default;
  StepResult(StepStatus s, std::string m = {}) : status(s), message(std::move(m)) {}  // NOLINT
  StepStatus status = StepStatus::Passed;
  std::string message;  // failure: what went wrong ("exit 1", "gate timed out: saw …")
  std::string tail;     // failure: last output lines
  std::string log;      // log file path
  int attempts = 0;
  Millis duration{0};
};

/// Runs `step` of `unit` (a stage name, or "playbook:phase"). Journals start and end records.
StepResult run_step(const RunContext& ctx, const std::string& unit, const Step& step);

/// Polls a gate of a stage (`spec.gates`) or playbook; journals nothing.
StepResult run_gate(const RunContext& ctx, const std::string& unit, const Gate& gate);

/// The render scope for running: secrets revealed, outputs so far, missing outputs are errors.
RenderScope run_scope(const RunContext& ctx);

}  // namespace gw
