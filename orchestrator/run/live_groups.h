#pragma once
/// The process groups a run started, recorded as they start in `runs/<run-id>/groups` so that the
/// next run can find whatever a crashed one left running (run/stale.h). One JSON line per command
/// of a step, appended with one write(2) each; no fsync: what a `kill -9` of groundwork interrupts
/// is in the page cache and seen by the next run, and a machine that crashes took the processes
/// with it. A run that ends normally removes the file (every command of it has ended by then).
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "model/duration.h"
#include "run/command_runner.h"

namespace gw {

/// One command of a step, as recorded when it started.
struct GroupRecord {
  std::string token;  // GROUNDWORK_STEP of it and its descendants
  pid_t pgid = 0;
  pid_t pid = 0;
  uint64_t start_ticks = 0;  // of the command (the group leader)
  std::string boot_id;       // start ticks mean something only within this boot
  int64_t started_ms = 0;    // CLOCK_BOOTTIME when it started
  int64_t timeout_ms = 0;    // the step's timeout
  std::string step;          // "stage.step", as its log file is named
  std::string log;           // the step's log file
};

/// One record as a JSON line (with the newline).
std::string format_group_record(const GroupRecord& r);

/// Every well-formed record of a groups file; torn or foreign lines are skipped.
std::vector<GroupRecord> parse_group_records(std::string_view text);

/// The groups file of one run. Thread-safe.
class LiveGroups {
 public:
  /// `path`: runs/<run-id>/groups. Nothing is written before the first record.
  explicit LiveGroups(std::string path) : path_(std::move(path)) {}
  /// Removes the file: call only when no command of the run is left running.
  ~LiveGroups();
  LiveGroups(const LiveGroups&) = delete;
  LiveGroups& operator=(const LiveGroups&) = delete;

  /// Appends the record of a command that just started. Throws std::runtime_error (naming the
  /// file) when it cannot be written: the runner then stops the command rather than run it
  /// unrecorded.
  void record(const SpawnedGroup& g, const std::string& step, const std::string& log,
              Millis timeout);

  /// A ProcessSpec::on_spawn for the commands of the step whose log is `log`
  /// (runs/<run-id>/logs/<stage>.<step>.log).
  std::function<void(const SpawnedGroup&)> recorder(const std::string& log, Millis timeout);

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::mutex mu_;
  int fd_ = -1;
  bool torn_ = false;  // the last write was short: start the next record on a new line
};

}  // namespace gw
