#pragma once
/// What earlier runs left behind, as the planner sees it: the last record per step and per stage,
/// and the captured outputs. Filled by run/journal from the journal; plain data here.
#include <cstdint>
#include <map>
#include <string>

namespace gw {

enum class RecordStatus { Passed, Failed, Interrupted, Running };

/// "passed", "failed", "interrupted", "running".
const char* to_string(RecordStatus s);

struct StepRecord {
  std::string spec_key;  // hash of what the step does, secrets as placeholders
  std::string key;       // spec_key plus secret fingerprints: the checkpoint key
  RecordStatus status = RecordStatus::Running;
  int64_t duration_ms = 0;
  int attempts = 0;
  std::string started_at;   // RFC 3339 UTC
  std::string finished_at;  // RFC 3339 UTC
};

struct StageRecord {
  std::string spec_key;
  RecordStatus status = RecordStatus::Running;
  int64_t duration_ms = 0;
  std::string finished_at;
};

struct Checkpoints {
  std::map<std::string, StepRecord> steps;     // key "stage/step"
  std::map<std::string, StageRecord> stages;   // key "stage"
  std::map<std::string, std::string> outputs;  // key "stage.output"
};

}  // namespace gw
