#pragma once
/// The one decision of what a step or a stage does now (run, skip because done, skip because its
/// `when` is false, wait for run time, blocked, needs --force). Pure: it reads the plan's facts,
/// the checkpoint records and the outputs known so far. `plan`, `apply`, `status` and the drill
/// engine all decide through these functions, so what plan says is what apply does.
#include <set>
#include <string>
#include <vector>

#include "model/project.h"
#include "model/result.h"
#include "model/template.h"
#include "model/when.h"
#include "plan/checkpoints.h"

namespace gw {

/// How plan and status show a step or stage (SPEC §6 spelling via to_string). Drifted is for
/// stages: done, but a gate failed under `apply --verify`; its steps run again.
enum class PlanStatus { Pending, Done, Changed, Failed, Skipped, Drifted };
/// "pending", "done", "changed", "failed", "skipped", "drifted".
const char* to_string(PlanStatus s);

/// Whether the operator asked for this step or stage to run regardless of checkpoints.
enum class Force { No, Yes };

/// What a run may do with checkpoints (apply's --fresh and --force, which plan previews too).
struct CheckpointPolicy {
  bool fresh = false;           // ignore checkpoints
  std::set<std::string> force;  // "stage" or "stage/step": run even if checkpointed
  Force forced(const std::string& unit, const std::string& step) const {
    return fresh || force.count(unit) || force.count(unit + "/" + step) ? Force::Yes : Force::No;
  }
};

/// How the last restore of a playbook ended, from the journal: a finished one means the next
/// restore is for a new disaster; an unfinished one (failed, interrupted, killed) is resumed.
enum class LastRestore { None, Unfinished, Finished };

enum class StepAction {
  Run,         // it runs (its skipIf, if any, is probed first)
  SkipDone,    // checkpointed as passed under the same key
  SkipWhen,    // its `when` (or its stage's) is false
  AtRunTime,   // its `when` uses an output that does not exist yet
  NeedsForce,  // `once`, and its last run may have taken effect: its skipIf decides, else --force
};
/// "run", "skip", "skip (when)", "decided at run time", "needs --force".
const char* to_string(StepAction a);

/// Whether what a step captures survives the run: a `sensitive` step's output is a secret and no
/// journal keeps it, so a later run needing it must run the step again.
enum class OutputKept { Yes, No };

/// Whether the step's stage is recorded as drifted (its gates failed under --verify): its done
/// steps run again to repair it.
enum class StageDrift { No, Yes };

/// Everything decide_step looks at.
struct StepFacts {
  WhenState when =
      WhenState::True;  // the step's own `when`; a false stage `when` is passed here too
  const StepRecord* last = nullptr;  // its last journal record, if any
  std::string key;                   // its checkpoint key now
  const KeyParts* parts = nullptr;   // the parts of that key (for changedBy)
  Repeat repeat = Repeat::Idempotent;
  Force force = Force::No;
  OutputKept output_kept = OutputKept::Yes;
  StageDrift stage_drift = StageDrift::No;  // a done idempotent step of a drifted stage runs
};

struct StepDecision {
  StepAction action = StepAction::Run;
  PlanStatus status = PlanStatus::Pending;
  std::vector<std::string> changed_by;  // status Changed: what changed (SPEC §6)
  std::string reason;                   // one line for people and debug logs
};

StepDecision decide_step(const StepFacts& facts);

/// Whether done stages re-probe their gates (--verify).
enum class Verify { No, Yes };
/// Whether a stage found drifted under --verify runs its steps again in the same run (--repair).
enum class Repair { No, Yes };

enum class StageAction {
  Run,        // some step runs, or its gates must be checked
  Verify,     // every step done: its gates are probed once, a failing one is drift (--verify)
  SkipDone,   // every step done, gates passed under the same stage key
  SkipWhen,   // its `when` is false
  AtRunTime,  // its `when` uses an output that does not exist yet
  Blocked,    // a stage it needs did not succeed
};
/// "run", "verify", "skip", "skip (when)", "decided at run time", "blocked".
const char* to_string(StageAction a);

struct StageFacts {
  WhenState when = WhenState::True;
  const std::vector<StepDecision>* steps = nullptr;  // decisions of its steps (may be partial)
  const StageRecord* last = nullptr;
  std::string spec_key;
  Verify verify = Verify::No;
  std::string blocked_by;  // a needed stage that failed or is blocked; empty when none
};

struct StageDecision {
  StageAction action = StageAction::Run;
  PlanStatus status = PlanStatus::Pending;
  std::string reason;
};

/// A stage whose `when` is false is skipped, before anything else: never blocked, even when a stage
/// it needs failed. A stage recorded as drifted runs (its steps decide with StageDrift::Yes).
StageDecision decide_stage(const StageFacts& facts);

/// The StageDrift of a stage from its last record (nullptr: none).
StageDrift stage_drift(const StageRecord* last);

}  // namespace gw
