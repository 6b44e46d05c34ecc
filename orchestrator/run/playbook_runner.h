#pragma once
/// Runs a playbook's phases (SPEC §5): `steps`, then `verify`, then — in drill mode — `cleanup`,
/// each step through run_step (so every step kind, gate, retry, timeout, capture and `once` works
/// as in stages). The stages a playbook needs are applied before this, by the executor.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "model/project.h"
#include "run/interrupt.h"
#include "run/step_runner.h"

namespace gw {

enum class Phase { Steps, Verify, Cleanup };
/// "steps", "verify", "cleanup".
const char* to_string(Phase p);

/// The journal unit of a phase: "<playbook>:steps", "<playbook>:verify", "<playbook>:cleanup".
std::string phase_unit(const std::string& playbook, Phase phase);

/// One step of a playbook as it ran, with its wall-clock start and end.
struct PhaseStepResult {
  Phase phase = Phase::Steps;
  std::string name;
  StepResult result;
  std::chrono::system_clock::time_point started;
  std::chrono::system_clock::time_point ended;
};

/// How the procedure (steps and verify) ended.
enum class ProcedureOutcome { Passed, Failed, Interrupted };

struct PlaybookResult {
  std::vector<PhaseStepResult> steps;  // in the order they ran (not-run ones left out)
  ProcedureOutcome outcome = ProcedureOutcome::Passed;
  std::string failure;          // "steps/restore: exit 1"
  bool cleanup_failed = false;  // a cleanup step failed (drill mode)
  std::optional<std::string> journal_error;
};

/// RTO (SPEC §5): from the start of the first step to the end of the last passing verify step
/// (the last passing step when there is no verify step). nullopt when the procedure did not pass
/// or nothing ran. Pure.
std::optional<Millis> measure_rto(const std::vector<PhaseStepResult>& steps);

/// RTO of a run that applied stages the playbook needs before its steps: from `needs_started`
/// (those stages are part of the recovery: a rebuild from bare nodes counts the whole rebuild) to
/// the same end as measure_rto(steps). nullopt when measure_rto(steps) is. Pure.
std::optional<Millis> measure_rto(const std::vector<PhaseStepResult>& steps,
                                  std::chrono::system_clock::time_point needs_started);

/// Runs the playbook in `ctx.mode` (required), its steps decided under `ctx.policy` (the caller
/// sets it from phase_policy: a drill starts from the beginning). Drill mode: cleanup always runs
/// — after a failure, a timeout or an interrupt — with
/// `cleanup_interrupt` as its interrupt (raise it only for a second, killing, signal); a failing
/// cleanup step does not stop the next. Restore mode: no cleanup. Never throws.
PlaybookResult run_playbook(const Playbook& pb, const RunContext& ctx,
                            const Interrupt& cleanup_interrupt);

/// Parses an RFC 3339 timestamp (`2026-12-01T10:00:00Z`, `…T10:00:00.123+01:00`) into a
/// system-clock time; nullopt when it is not one.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

/// Formats a time as RFC 3339 UTC with seconds: `2026-12-01T10:00:00Z`.
std::string format_rfc3339(std::chrono::system_clock::time_point t);

}  // namespace gw
