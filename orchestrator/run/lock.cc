#include "run/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "run/journal.h"

namespace gw {

Result<RunLock> RunLock::acquire(const std::string& path, const std::string& what,
                                 LockFailure* why) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    if (why) *why = LockFailure::Unusable;
    std::string folder = path.substr(0, path.rfind('/'));
    if (err == EROFS || err == EACCES || err == EPERM)
      return Error{"the state folder " + folder + " is not writable (" + path + ": " +
                   std::strerror(err) + "); pass --state-dir with a writable folder"};
    return Error{path + ": cannot create the lock file: " + std::strerror(err)};
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (int err = errno; err != EWOULDBLOCK) {
      ::close(fd);
      if (why) *why = LockFailure::Unusable;
      return Error{path + ": cannot lock: " + std::strerror(err)};
    }
    if (why) *why = LockFailure::Held;
    std::string holder;
    char buf[512];
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    if (n > 0) holder.assign(buf, static_cast<size_t>(n));
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) holder.pop_back();
    ::close(fd);
    return Error{"another run holds the lock " + path +
                 (holder.empty() ? std::string() : " (" + holder + ")")};
  }
  char host[256] = "?";
  ::gethostname(host, sizeof host - 1);
  std::string info = "pid " + std::to_string(::getpid()) + " on " + host + ", started " +
                     now_rfc3339() + ", " + what + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, info.data(), info.size(), 0) < 0) {
    // The lock itself is held; the holder note is a courtesy.
  }
  return RunLock(fd);
}

LockState RunLock::probe(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return LockState::Free;
  bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // releases the shared lock if it was taken
  return held ? LockState::Held : LockState::Free;
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace gw
