#pragma once
/// The run lock (SPEC §4): flock on <state>/<inventory>/lock. A second run finds the holder's
/// pid, host and start time in the file and exits 4.
#include <string>

#include "model/result.h"

namespace gw {

class RunLock {
 public:
  /// Takes the lock without waiting. Error message names the holder when it is taken.
  static Result<RunLock> acquire(const std::string& path, const std::string& what);
  ~RunLock();
  RunLock(RunLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  RunLock& operator=(RunLock&&) = delete;

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

/// Whether a run holds the lock at `path` right now (read-only: never creates the file).
bool run_in_progress(const std::string& path);

}  // namespace gw
