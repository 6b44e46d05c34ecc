#include "plan/decision.h"

#include <algorithm>
#include <cctype>

namespace gw {

const char* to_string(PlanStatus s) {
  switch (s) {
    case PlanStatus::Pending:
      return "pending";
    case PlanStatus::Done:
      return "done";
    case PlanStatus::Changed:
      return "changed";
    case PlanStatus::Failed:
      return "failed";
    case PlanStatus::Skipped:
      return "skipped";
    case PlanStatus::Drifted:
      return "drifted";
  }
  return "?";
}

const char* to_string(StepAction a) {
  switch (a) {
    case StepAction::Run:
      return "run";
    case StepAction::SkipDone:
      return "skip";
    case StepAction::SkipWhen:
      return "skip (when)";
    case StepAction::AtRunTime:
      return "decided at run time";
    case StepAction::NeedsForce:
      return "needs --force";
  }
  return "?";
}

const char* to_string(StageAction a) {
  switch (a) {
    case StageAction::Run:
      return "run";
    case StageAction::Verify:
      return "verify";
    case StageAction::SkipDone:
      return "skip";
    case StageAction::SkipWhen:
      return "skip (when)";
    case StageAction::AtRunTime:
      return "decided at run time";
    case StageAction::Blocked:
      return "blocked";
  }
  return "?";
}

namespace {

PlanStatus status_of(const StepRecord* last, const std::string& key) {
  if (!last) return PlanStatus::Pending;
  switch (last->status) {
    case RecordStatus::Passed:
      return last->key == key ? PlanStatus::Done : PlanStatus::Changed;
    case RecordStatus::Failed:
      return PlanStatus::Failed;
    case RecordStatus::Interrupted:
    case RecordStatus::Running:
    case RecordStatus::Drifted:  // (stages only)
      return PlanStatus::Pending;
  }
  return PlanStatus::Pending;
}

/// A `once` step whose last run was cut short: it may have taken effect.
bool once_unfinished(const StepFacts& f) {
  if (f.repeat != Repeat::Once || !f.last) return false;
  return f.last->status == RecordStatus::Running || f.last->status == RecordStatus::Interrupted ||
         (f.last->status == RecordStatus::Failed && f.last->maybe_applied);
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

StepDecision decide_step(const StepFacts& f) {
  StepDecision d;
  if (f.when == WhenState::False) {
    d.action = StepAction::SkipWhen;
    d.status = PlanStatus::Skipped;
    d.reason = "when is false";
    return d;
  }
  d.status = status_of(f.last, f.key);
  if (d.status == PlanStatus::Changed)
    d.changed_by = f.parts ? changed_by(f.last->parts, *f.parts) : std::vector<std::string>{"spec"};
  if (f.when == WhenState::AtRunTime) {
    d.action = StepAction::AtRunTime;
    d.reason = "when is decided at run time (it uses an output not captured yet)";
    return d;
  }
  if (f.force == Force::Yes) {
    d.action = StepAction::Run;
    d.reason = "forced";
    return d;
  }
  if (d.status == PlanStatus::Done && f.output_kept == OutputKept::No) {
    d.action = StepAction::Run;
    d.reason = "done, but its captured output is sensitive and never kept between runs";
    return d;
  }
  if (d.status == PlanStatus::Done && f.stage_drift == StageDrift::Yes &&
      f.repeat == Repeat::Idempotent) {
    d.action = StepAction::Run;
    d.reason = "done, but its stage drifted (a gate failed under --verify): runs again to repair";
    return d;
  }
  if (d.status == PlanStatus::Done) {
    d.action = StepAction::SkipDone;
    d.reason = "done under the same key";
    return d;
  }
  if (once_unfinished(f)) {
    d.action = StepAction::NeedsForce;
    d.reason =
        std::string("'once' and its last run (") +
        (f.last->started_at.empty() ? "?" : f.last->started_at) + ") " +
        (f.last->status == RecordStatus::Failed ? "timed out or was killed" : "was interrupted") +
        ": it may have taken effect";
    return d;
  }
  d.action = StepAction::Run;
  switch (d.status) {
    case PlanStatus::Changed:
      d.reason = "changed: " + join(d.changed_by);
      break;
    case PlanStatus::Failed:
      d.reason = "its last run failed";
      break;
    default:
      d.reason = f.last ? "its last run did not finish" : "never ran";
  }
  return d;
}

StageDecision decide_stage(const StageFacts& f) {
  StageDecision d;
  if (f.when == WhenState::False) {
    d.action = StageAction::SkipWhen;
    d.status = PlanStatus::Skipped;
    d.reason = "when is false";
    return d;
  }
  if (f.last) {
    if (f.last->status == RecordStatus::Passed)
      d.status = f.last->spec_key == f.spec_key ? PlanStatus::Done : PlanStatus::Changed;
    else if (f.last->status == RecordStatus::Failed)
      d.status = PlanStatus::Failed;
    else if (f.last->status == RecordStatus::Drifted)
      d.status = PlanStatus::Drifted;
  }
  bool steps_done = true;
  if (f.steps)
    for (const auto& s : *f.steps) {
      if (s.status == PlanStatus::Changed && d.status == PlanStatus::Done)
        d.status = PlanStatus::Changed;
      if (s.action != StepAction::SkipDone && s.action != StepAction::SkipWhen) steps_done = false;
    }
  if (!f.blocked_by.empty()) {
    d.action = StageAction::Blocked;
    d.reason = "needs '" + f.blocked_by + "', which did not succeed";
    return d;
  }
  if (f.when == WhenState::AtRunTime) {
    d.action = StageAction::AtRunTime;
    d.reason = "when is decided at run time (it uses an output not captured yet)";
    return d;
  }
  if (steps_done && d.status == PlanStatus::Done) {
    d.action = f.verify == Verify::Yes ? StageAction::Verify : StageAction::SkipDone;
    d.reason = f.verify == Verify::Yes ? "done; gates probed once for drift (--verify)" : "done";
    return d;
  }
  d.action = StageAction::Run;
  d.reason = d.status == PlanStatus::Drifted
                 ? "drifted (a gate failed under --verify): its steps run again"
             : steps_done ? "its gates have not passed under this key"
                          : "some step runs";
  return d;
}

StageDrift stage_drift(const StageRecord* last) {
  return last && last->status == RecordStatus::Drifted ? StageDrift::Yes : StageDrift::No;
}

}  // namespace gw
