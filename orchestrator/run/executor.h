#pragma once
/// The scheduler (SPEC §4): runs the stages of a plan in dependency order, up to `jobs` at once,
/// longest remaining path first; a failure blocks what needs it and, without keep-going, stops
/// new starts while running stages finish.
#include <optional>
#include <string>
#include <vector>

#include "plan/planner.h"
#include "run/step_runner.h"

namespace gw {

enum class KeepGoing { No, Yes };

struct ExecOptions {
  int jobs = 4;
  KeepGoing keep_going = KeepGoing::No;
  Verify verify = Verify::No;  // done stages: their gates are probed once; a failure is drift
  Repair repair =
      Repair::No;  // a drifted stage runs its steps again, then its gates (implies verify)
};

/// Drifted: done, but a gate failed its one probe under --verify (and --repair was not given).
enum class StageOutcome {
  Passed,
  AlreadyDone,
  Skipped,
  Failed,
  Drifted,
  Blocked,
  Interrupted,
  NotStarted
};
/// "passed", "done", "skipped", "failed", "drifted", "blocked", "interrupted", "not started".
const char* to_string(StageOutcome o);

struct StageReport {
  std::string name;
  StageOutcome outcome = StageOutcome::NotStarted;
  Millis duration{0};
  std::string failed_step;  // "step" or "gate NAME" (failed or drifted)
  StepResult failure;
  std::string blocked_by;
};

struct RunReport {
  std::vector<StageReport> stages;  // plan order
  bool interrupted = false;
  bool failed = false;
  std::optional<std::string> journal_error;  // the journal could not be written: the run stopped
  std::vector<size_t> start_order;  // positions in Plan::stages, in the order they were started
};

/// Runs every stage of the plan, walking the plan's own graph (need_index/dependent_index). One
/// run at a time per ctx. A journal that cannot be written stops new starts (running stages end)
/// and fails the run. Never throws: what a worker catches fails its stage.
RunReport execute_plan(const Plan& plan, const RunContext& ctx, const ExecOptions& opts);

}  // namespace gw
