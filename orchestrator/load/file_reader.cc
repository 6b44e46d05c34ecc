#include "load/file_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

namespace gw {

namespace {

/// An fd closed when the object goes.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

const char* file_type(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "a special file";
}

/// Why open() failed, in words about the path.
std::string open_error(const std::string& path, int err) {
  struct stat lst {};
  if (err == ENOENT && ::lstat(path.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode)) {
    char target[4096];
    ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
    std::string to = n > 0 ? std::string(target, static_cast<size_t>(n)) : "?";
    return "a dangling symbolic link (to '" + to + "', which does not exist)";
  }
  if (err == ENOENT) return std::string(kNoSuchFile);
  if (err == ELOOP) return "a symbolic link loop (too many levels of symbolic links)";
  if (err == ENOTDIR) return std::string(kNoSuchFile) + " (a folder on its path is a file)";
  return std::strerror(err);
}

}  // namespace

std::string format_size_limit(size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

Result<std::string> read_regular_file(const std::string& path, size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO for reading must not wait for a writer (it is refused just below);
  // O_NOCTTY: a terminal device never becomes our controlling terminal.
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) return Error{open_error(path, errno)};
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return Error{std::string("cannot stat: ") + std::strerror(errno)};
  if (!S_ISREG(st.st_mode))
    return Error{std::string(file_type(st.st_mode)) + ", not a regular file"};
  if (static_cast<uint64_t>(st.st_size) > max_bytes)
    return Error{"larger than " + format_size_limit(max_bytes) + " (" + std::to_string(st.st_size) +
                 " bytes)"};
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t off = 0;
  auto read_some = [&](char* buf, size_t len) -> ssize_t {
    for (;;) {
      ssize_t n = ::read(fd.get(), buf, len);
      if (n >= 0 || errno != EINTR) return n;
    }
  };
  while (off < text.size()) {
    ssize_t n = read_some(text.data() + off, text.size() - off);
    if (n < 0) return Error{std::string("cannot read: ") + std::strerror(errno)};
    if (n == 0) break;  // shorter than fstat said
    off += static_cast<size_t>(n);
  }
  text.resize(off);
  // Longer than fstat said (appended to meanwhile, or a /proc file of size 0): read on, within
  // the limit.
  char more[4096];
  for (;;) {
    ssize_t n = read_some(more, sizeof more);
    if (n < 0) return Error{std::string("cannot read: ") + std::strerror(errno)};
    if (n == 0) break;
    if (text.size() + static_cast<size_t>(n) > max_bytes)
      return Error{"larger than " + format_size_limit(max_bytes)};
    text.append(more, static_cast<size_t>(n));
  }
  return text;
}

}  // namespace gw
