#pragma once
/// The run's checkpoints (SPEC §4): owns the journal's lock, the records of this run, and the key
/// computation (plan/checkpoints.h, with this run's secret fingerprints). Every write returns a
/// Status the caller must handle: a record that is not on disk is a failure, never a warning. Once
/// a write failed the store is broken and the run starts nothing new.
#include <mutex>
#include <optional>
#include <string>

#include "model/duration.h"
#include "plan/planner.h"
#include "run/journal.h"

namespace gw {

/// How a step ended, as journaled.
struct StepEnd {
  RecordStatus status = RecordStatus::Failed;
  bool maybe_applied = false;  // a `once` step that timed out or was killed
  int attempts = 0;
  Millis duration{0};
  std::map<std::string, std::string> outputs;  // captured, non-sensitive only
};

class CheckpointStore {
 public:
  /// `journal` must outlive the store; the store is its only writer during the run.
  CheckpointStore(Journal& journal, std::string run_id, Fingerprints fingerprints);

  const std::string& run_id() const { return run_id_; }
  std::optional<StepRecord> step(const std::string& unit, const std::string& step) const;
  std::optional<StageRecord> stage(const std::string& name) const;

  /// Adds this run's fingerprints to a preview and computes its checkpoint key.
  void complete_key(StepPreview& p, const RenderScope& scope, const StepRecord* last) const;

  /// Journals a step's start. For `once` steps the record is synced before this returns: the
  /// step must not start unless it returned Ok. Other starts ride on the next sync.
  [[nodiscard]] Status step_started(const std::string& unit, const std::string& step,
                                    const StepPreview& p, Repeat repeat);
  [[nodiscard]] Status step_finished(const std::string& unit, const std::string& step,
                                     const StepPreview& p, Repeat repeat, const StepEnd& end);
  /// Whether a step of a finished stage ran: only such durations weigh it for scheduling.
  enum class StepsRan { Some, None };
  [[nodiscard]] Status stage_finished(const std::string& name, const std::string& spec_key,
                                      RecordStatus status, Millis duration,
                                      StepsRan ran = StepsRan::Some);
  /// Journals that a restore of `playbook` starts (it is resumed until its end record), synced;
  /// Restart::Fresh forgets its phases' earlier checkpoints.
  [[nodiscard]] Status restore_started(const std::string& playbook, const std::string& run_id,
                                       Restart restart);
  /// Journals the end of a drill or restore (for `status` and the trend), synced.
  [[nodiscard]] Status drill_finished(const DrillRecord& record);
  /// Makes everything written so far durable.
  [[nodiscard]] Status sync();

  /// Why the journal can no longer be written, or nullopt while it can.
  std::optional<std::string> broken() const;

 private:
  Status append(nlohmann::json record, Journal::Durability durability);
  nlohmann::json step_record(const char* type, const std::string& unit, const std::string& step,
                             const StepPreview& p) const;

  Journal& journal_;
  const std::string run_id_;
  const Fingerprints fingerprints_;
  mutable std::mutex mu_;
  std::optional<std::string> broken_;
};

}  // namespace gw
