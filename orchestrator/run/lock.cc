#include "run/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "run/journal.h"

namespace gw {

Result<RunLock> RunLock::acquire(const std::string& path, const std::string& what) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Error{path + ": cannot open lock: " + std::strerror(errno)};
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
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

bool run_in_progress(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace gw
