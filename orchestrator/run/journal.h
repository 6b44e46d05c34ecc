#pragma once
/// The checkpoint journal (SPEC §4): append-only JSON lines, one fsync'd record per event, the
/// last record for a step winning. A torn last line (crash mid-write) is dropped with a warning.
/// Modeled on ninja's build log: recover on open, compact by rewriting to a temp file + rename.
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "model/result.h"
#include "plan/checkpoints.h"
#include "plan/decision.h"

namespace gw {

inline constexpr int kJournalVersion = 1;
/// How long the background flusher lets deferred records gather before its fdatasync (a record
/// is on disk within two such pauses).
inline constexpr std::chrono::milliseconds kFlushDelay{5};

/// Drill results remembered for `status` and trends.
struct DrillRecord {
  std::string playbook;
  std::string mode;
  std::string status;
  std::string at;
  std::optional<int64_t> rto_ms;  // measured RTO; none when the procedure did not pass
  std::string run_id;
  std::optional<int64_t> rpo_ms;  // the restored backup's age, when the playbook captured it
};

/// The record of a drill's end, as journaled (`drill_end`).
nlohmann::json drill_record_json(const DrillRecord& d);

/// Everything the journal says, last record winning.
struct JournalState {
  Checkpoints checkpoints;
  std::vector<DrillRecord> drills;
  std::set<std::string> open_restores;  // playbooks whose restore started and has no end record
  size_t records = 0;
};

/// How the last restore of `playbook` ended: Unfinished while one started without an end record
/// (killed) or ended failed, Finished when it passed, None when none ever started.
LastRestore last_restore(const JournalState& state, const std::string& playbook);

/// Whether a restore starts over (its phases' earlier checkpoints are forgotten) or resumes.
enum class Restart { Resume, Fresh };

/// The record of a restore's start (`restore_start`): until its end record, a restore is resumed.
/// Restart::Fresh also forgets the checkpoints of the playbook's phases (`<playbook>:…`).
nlohmann::json restore_start_json(const std::string& playbook, const std::string& run_id,
                                  Restart restart);

/// A key's parts as journaled: {"spec", "files", "outputs", "secrets"} (hashes only).
nlohmann::json parts_json(const KeyParts& parts);

/// Applies one record to a state (shared by reading and appending).
void apply_record(const nlohmann::json& record, JournalState& state);

/// Whether a journal being read may be growing: a run holding the lock appends to it right now,
/// so a last line without its newline is a record being written, not the trace of a crash.
enum class JournalTail { Final, Growing };

/// Reads a journal without changing it. Missing file: empty state. Torn or corrupt lines are
/// skipped and described in *warnings (a torn last line of a Growing journal silently).
Result<JournalState> read_journal(const std::string& path, std::vector<std::string>* warnings,
                                  JournalTail tail = JournalTail::Final);

/// An open journal for appending; holds the fd (RAII). Only one run appends at a time (the lock).
class Journal {
 public:
  /// Opens (creating with a version header), recovers a torn tail by truncating it, loads state.
  static Result<Journal> open(const std::string& path, std::vector<std::string>* warnings);
  ~Journal();
  Journal(Journal&& other) noexcept;
  Journal& operator=(Journal&&) = delete;
  Journal(const Journal&) = delete;

  const JournalState& state() const { return state_; }
  /// When a record must be on disk: before append returns (Sync), or soon after, by a background
  /// fdatasync that covers every record written so far (Deferred: group commit, for records whose
  /// loss in a crash only means an idempotent step runs again).
  enum class Durability { Sync, Deferred };
  /// Writes one record; the in-memory state follows only when it was written. A failed or short
  /// write is cut back off the file (a torn record never merges with the next one); when even
  /// that fails, or an fdatasync failed, the journal refuses every later append. Appends come one
  /// at a time (the caller serializes them: CheckpointStore).
  [[nodiscard]] Status append(nlohmann::json record, Durability durability = Durability::Sync);
  /// Returns once every record written before the call is on disk (fdatasync), or the reason it
  /// is not. May run on any thread, also while another appends: concurrent callers share one
  /// fdatasync when it covers their records (group commit), and none holds up appends meanwhile.
  [[nodiscard]] Status sync();
  /// Rewrites the journal to its last-wins state via a temp file and rename.
  Status compact();
  /// The background flusher's pause (kFlushDelay); set before the first deferred append.
  void set_flush_delay(std::chrono::milliseconds d) { flush_delay_ = d; }
  /// How many fdatasyncs the background flusher made (for tests and benchmarks).
  uint64_t background_syncs() {
    std::lock_guard<std::mutex> lock(flush_mu_);
    return background_syncs_;
  }

 private:
  Journal(std::string path, int fd, JournalState state)
      : path_(std::move(path)), fd_(fd), state_(std::move(state)) {}
  /// The background fdatasync of deferred records (started on the first one).
  void flush_loop();
  /// One fdatasync covering every record written so far (flush_mu_ held, released meanwhile).
  void flush_locked(std::unique_lock<std::mutex>& lock);
  void stop_flusher();
  std::string path_;
  int fd_ = -1;
  JournalState state_;
  std::unique_ptr<std::thread> flusher_;
  std::mutex flush_mu_;
  std::condition_variable flush_cv_;   // the flusher waits here
  // Guarded by flush_mu_: records count from the journal's opening.
  std::condition_variable synced_cv_;  // sync() waits here for an fdatasync under way
  uint64_t written_ = 0;               // records written (whole) so far
  uint64_t durable_ = 0;               // records an fdatasync covered
  bool flushing_ = false;              // an fdatasync is under way (the flusher's or a sync()'s)
  bool flusher_idle_ = false;          // the flusher waits for a record (not in a pause)
  uint64_t background_syncs_ = 0;      // the flusher's fdatasyncs
  std::chrono::milliseconds flush_delay_ = kFlushDelay;
  bool stopping_ = false;
  off_t size_ = 0;           // the file's length after the last whole record
  std::string flush_error_;  // why an fdatasync failed (guarded by flush_mu_)
  std::string broken_;       // why the journal refuses appends
};

/// Current UTC time as RFC 3339 with milliseconds: 2026-11-22T01:19:10.123Z.
std::string now_rfc3339();

}  // namespace gw
