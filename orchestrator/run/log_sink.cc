#include "run/log_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gw {

bool append_log_line(const std::string& path, const std::string& line) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  ssize_t n = ::write(fd, line.data(), line.size());
  ::close(fd);
  return n == static_cast<ssize_t>(line.size());
}

LogSink::LogSink(const std::string& path, const Redactor* r, Visibility v)
    : redactor_(r), visibility_(v) {
  if (path.empty()) return;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) error_ = path + ": " + std::strerror(errno);
  path_ = path;
  if (fd_ >= 0 && v == Visibility::Sensitive) put("(output hidden: sensitive step)\n");
}

LogSink::~LogSink() {
  flush();
  if (fd_ >= 0) ::close(fd_);
}

void LogSink::write(Stream s, std::string_view chunk) {
  std::string& pending = pending_[static_cast<int>(s)];
  pending.append(chunk);
  size_t nl = pending.rfind('\n');
  if (nl != std::string::npos) {
    emit(pending.substr(0, nl + 1));
    pending.erase(0, nl + 1);
  }
  if (pending.size() > 65536) {
    // A very long line: write most of it, keeping back what could be the start of a secret.
    size_t keep = redactor_ ? redactor_->longest() : 0;
    size_t cut = pending.size() > keep ? pending.size() - keep : 0;
    emit(pending.substr(0, cut), Piece::LineGoesOn);
    pending.erase(0, cut);
  }
}

void LogSink::flush() {
  for (auto& pending : pending_) {
    if (!pending.empty()) emit(pending + "\n");
    pending.clear();
  }
}

void LogSink::emit(const std::string& text, Piece piece) {
  std::string clean = redactor_ ? redactor_->redact(text) : text;
  tail_.append(clean);
  if (piece == Piece::LineGoesOn) clean += "\n";
  if (visibility_ == Visibility::Normal) put(clean);
}

void LogSink::put(const std::string& s) {
  if (fd_ < 0) return;
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd_, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (error_.empty()) error_ = path_ + ": " + std::strerror(n < 0 ? errno : ENOSPC);
      return;
    }
    off += static_cast<size_t>(n);
  }
}

}  // namespace gw
