#include "run/state_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace gw {

namespace fs = std::filesystem;

StatePaths state_paths(const std::string& state_dir, const std::string& inventory) {
  return {(fs::absolute(state_dir) / inventory).lexically_normal().string()};
}

Status ensure_state_dirs(const StatePaths& p) {
  for (const auto& d : {p.root, p.runs(), p.reports()}) {
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec) return Error{d + ": cannot create state folder: " + ec.message()};
    ::chmod(d.c_str(), 0700);
  }
  return Ok{};
}

std::optional<std::string> read_fingerprint_key(const StatePaths& p) {
  std::ifstream in(p.fingerprint_key(), std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (ss.str().size() < 32) return std::nullopt;
  return ss.str();
}

Result<std::string> fingerprint_key(const StatePaths& p) {
  std::string path = p.fingerprint_key();
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::ostringstream ss;
    ss << in.rdbuf();
    if (ss.str().size() >= 32) return ss.str();
  }
  std::string key(32, '\0');
  std::random_device rd;
  for (auto& c : key) c = static_cast<char>(rd() & 0xff);
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Error{tmp + ": " + std::strerror(errno)};
  bool ok =
      ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) return Error{path + ": cannot write key"};
  return key;
}

std::string make_run_id() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return std::string(buf) + "-" + std::to_string(::getpid());
}

}  // namespace gw
