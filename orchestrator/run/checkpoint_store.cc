#include "run/checkpoint_store.h"

namespace gw {

CheckpointStore::CheckpointStore(Journal& journal, std::string run_id, Fingerprints fingerprints)
    : journal_(journal), run_id_(std::move(run_id)), fingerprints_(std::move(fingerprints)) {}

std::optional<StepRecord> CheckpointStore::step(const std::string& unit,
                                                const std::string& step) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto& steps = journal_.state().checkpoints.steps;
  auto it = steps.find(unit + "/" + step);
  if (it == steps.end()) return std::nullopt;
  return it->second;
}

std::optional<StageRecord> CheckpointStore::stage(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto& stages = journal_.state().checkpoints.stages;
  auto it = stages.find(name);
  if (it == stages.end()) return std::nullopt;
  return it->second;
}

void CheckpointStore::complete_key(StepPreview& p, const RenderScope& scope,
                                   const StepRecord* last) const {
  gw::complete_key(p, scope, fingerprints_, last);
}

Status CheckpointStore::append(nlohmann::json record, Journal::Durability durability) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (broken_) return Error{*broken_};
    record["run"] = run_id_;
    // Written under the lock; a record that must be on disk is synced after it, so that other
    // threads append meanwhile (and may share the fdatasync).
    auto s = journal_.append(std::move(record), Journal::Durability::Deferred);
    if (!s) {
      broken_ = s.error().message;
      return s;
    }
  }
  return durability == Journal::Durability::Sync ? sync() : Status{Ok{}};
}

nlohmann::json CheckpointStore::step_record(const char* type, const std::string& unit,
                                            const std::string& step, const StepPreview& p) const {
  return {{"t", type},      {"stage", unit},
          {"step", step},   {"specKey", p.spec_key},
          {"key", p.key()}, {"parts", parts_json(p.parts)}};
}

Status CheckpointStore::step_started(const std::string& unit, const std::string& step,
                                     const StepPreview& p, Repeat repeat) {
  return append(step_record("step_start", unit, step, p),
                repeat == Repeat::Once ? Journal::Durability::Sync : Journal::Durability::Deferred);
}

Status CheckpointStore::step_finished(const std::string& unit, const std::string& step,
                                      const StepPreview& p, Repeat repeat, const StepEnd& end) {
  auto r = step_record("step_end", unit, step, p);
  r["status"] = to_string(end.status);
  r["attempts"] = end.attempts;
  r["durationMs"] = end.duration.count();
  if (end.maybe_applied) r["maybeApplied"] = true;
  if (!end.outputs.empty()) r["outputs"] = end.outputs;
  // An end lost in a crash only makes an idempotent step run again: group-commit it. A `once`
  // step's end must be durable before anything else happens.
  return append(std::move(r),
                repeat == Repeat::Once ? Journal::Durability::Sync : Journal::Durability::Deferred);
}

Status CheckpointStore::stage_finished(const std::string& name, const std::string& spec_key,
                                       RecordStatus status, Millis duration, StepsRan ran) {
  nlohmann::json r{{"t", "stage_end"},
                   {"stage", name},
                   {"specKey", spec_key},
                   {"status", to_string(status)},
                   {"durationMs", duration.count()}};
  if (ran == StepsRan::None) r["ran"] = false;
  return append(std::move(r), Journal::Durability::Deferred);
}

Status CheckpointStore::restore_started(const std::string& playbook, const std::string& run_id,
                                        Restart restart) {
  return append(restore_start_json(playbook, run_id, restart), Journal::Durability::Sync);
}

Status CheckpointStore::drill_finished(const DrillRecord& record) {
  return append(drill_record_json(record), Journal::Durability::Sync);
}

Status CheckpointStore::sync() {
  if (auto b = broken()) return Error{*b};
  auto s = journal_.sync();  // without the lock: appends go on during the fdatasync
  if (!s) {
    std::lock_guard<std::mutex> lock(mu_);
    broken_ = s.error().message;
  }
  return s;
}

std::optional<std::string> CheckpointStore::broken() const {
  std::lock_guard<std::mutex> lock(mu_);
  return broken_;
}

}  // namespace gw
