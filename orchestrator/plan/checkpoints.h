#pragma once
/// What earlier runs left behind, as the planner sees it: the last record per step and per stage,
/// and the captured outputs. Filled by run/journal from the journal; plain data here. Also the one
/// definition of a step's checkpoint key (SPEC §4), shared by `plan` and the run layer.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/flat_map.h"

namespace gw {

/// How a step or stage ended. Drifted is for stages only: done, but `apply --verify` found one of
/// its gates failing; its steps run again on the next apply (or in the same one with --repair).
enum class RecordStatus { Passed, Failed, Interrupted, Running, Drifted };

/// "passed", "failed", "interrupted", "running", "drifted".
const char* to_string(RecordStatus s);
/// The inverse of to_string; anything unknown reads as Running (a start without an end).
RecordStatus parse_record_status(const std::string& s);

/// The pieces a checkpoint key is made of, kept apart so that a changed key can say what changed
/// (SPEC §6 `changedBy`). Hashes and keyed fingerprints only, never values.
struct KeyParts {
  std::string spec;  // the step rendered with secrets and outputs as placeholders, files by path
  // Flat maps (model/flat_map.h): every step of a plan keeps its parts.
  FlatMap<std::string> files;    // absolute path -> hash of its rendered content
  FlatMap<std::string> outputs;  // "stage.name" -> keyed fingerprint of the value
  FlatMap<std::string> secrets;  // secret name -> keyed fingerprint

  bool empty() const { return spec.empty(); }
};

struct StepRecord {
  std::string spec_key;  // hash of what the step does, secrets as placeholders
  std::string key;       // spec_key plus secret fingerprints: the checkpoint key
  KeyParts parts;        // empty in journals written before parts were recorded
  RecordStatus status = RecordStatus::Running;
  /// A `once` step whose last attempt timed out or was killed: it may have taken effect.
  bool maybe_applied = false;
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

/// How long earlier passed runs took, in ms, oldest first (the last few; plan/schedule.h): what
/// the scheduler weighs stages with. Timing knowledge, not checkpoints: a reset keeps it.
struct Durations {
  std::map<std::string, std::vector<int64_t>> stages;  // key "stage"; runs where a step ran
  std::map<std::string, std::vector<int64_t>> steps;   // key "stage/step"
};

struct Checkpoints {
  std::map<std::string, StepRecord> steps;     // key "stage/step"
  std::map<std::string, StageRecord> stages;   // key "stage"
  std::map<std::string, std::string> outputs;  // key "stage.output"
  Durations durations;
};

/// The checkpoint key: `spec_key` (which covers the rendered spec, file contents and ordinary
/// output values) extended by the fingerprints of the secrets and sensitive outputs the step uses.
/// The one definition used by plan, apply, status and drills.
std::string checkpoint_key(const std::string& spec_key, const KeyParts& parts,
                           const std::vector<std::string>& sensitive_outputs);

/// What differs between the parts a step was checkpointed under and its parts now, in SPEC §6
/// spelling: "spec", "file:PATH", "output:NAME", "secret:NAME". A record without parts (an older
/// journal) differs by "spec".
std::vector<std::string> changed_by(const KeyParts& before, const KeyParts& now);

}  // namespace gw
