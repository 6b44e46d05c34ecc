#pragma once
/// Drill and restore reports (SPEC §5): JSON, Markdown (with a trend table and an SVG chart of
/// RTO against its objective) and JUnit XML, plus node_exporter textfile metrics. The writers are
/// pure (text in, text out); write_file_atomic puts a text in place through a temp file + rename.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/result.h"

namespace gw {

/// One step of the report.
struct ReportStep {
  std::string phase;  // steps, verify, cleanup
  std::string name;
  std::string status;  // passed, done, skipped, failed, interrupted
  int attempts = 0;
  int64_t duration_ms = 0;
  std::string message;  // a failure: what it saw last (already redacted)
  /// A passed step's `capture` (not of a `sensitive` step): its name and value (redacted), so
  /// that what a verify step found (e.g. the files that differ) is in the report.
  std::string output_name = {};
  std::string output = {};
};

/// A measured value against its objective.
struct Objective {
  std::optional<int64_t> measured_ms;
  std::optional<int64_t> objective_ms;
  /// Met when measured and within the objective (or there is no objective); not met when it was
  /// not measured but has an objective.
  bool met() const;
};

/// One earlier (or this) drill in the trend.
struct TrendPoint {
  std::string at;
  std::string status;
  std::optional<int64_t> rto_ms;
  std::optional<int64_t> rpo_ms;
};

struct DrillReport {
  std::string inventory;
  std::string playbook;
  std::string mode;  // drill, restore
  std::string run_id;
  std::string started_at;   // RFC 3339
  std::string finished_at;  // RFC 3339
  std::string status;       // passed, failed
  std::string reason;       // why it failed, if it did
  bool interrupted = false;
  std::vector<std::pair<std::string, std::string>> params;  // secret ones already `<secret:NAME>`
  std::vector<ReportStep> steps;
  Objective rto;
  std::optional<Objective> rpo;  // when the playbook captured backupTime
  std::string backup_time;
  std::vector<TrendPoint> trend;  // oldest first, this run last
};

nlohmann::json drill_report_json(const DrillReport& r);
std::string drill_report_markdown(const DrillReport& r);
/// JUnit XML: one testsuite, one testcase per step (a <failure> for a failed one) and one per
/// objective.
std::string drill_report_junit(const DrillReport& r);
/// node_exporter textfile metrics: groundwork_drill_success, _rto_seconds, _rpo_seconds,
/// _last_run_timestamp_seconds, labelled {inventory, playbook}. `now_s`: the run's end.
std::string drill_metrics(const DrillReport& r, int64_t now_s);

/// Writes `content` to `path` through `path.tmp-PID` + fsync + rename: readers see the old file
/// or the new one, never half of one.
Status write_file_atomic(const std::string& path, const std::string& content);

}  // namespace gw
