#pragma once
/// The run lock (SPEC §4): flock on <state>/<inventory>/lock. A second run finds the holder's
/// pid, host and start time in the file and exits 4.
#include <string>

#include "model/result.h"

namespace gw {

/// Whether a run holds the lock now (LockState::Held), as seen by another process.
enum class LockState { Free, Held };
/// Why acquire() failed: another run holds the lock (exit 4), or the lock file cannot be opened
/// or created at all (a read-only or full state folder: not a lock conflict).
enum class LockFailure { Held, Unusable };

class RunLock {
 public:
  /// Takes the lock without waiting. The error message names the holder when it is taken, or the
  /// file and errno when it cannot be opened; *why (when given) says which.
  static Result<RunLock> acquire(const std::string& path, const std::string& what,
                                 LockFailure* why = nullptr);
  /// Looks whether a run holds the lock at `path`, without taking it or creating the file.
  static LockState probe(const std::string& path);
  ~RunLock();
  RunLock(RunLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  RunLock& operator=(RunLock&&) = delete;

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace gw
