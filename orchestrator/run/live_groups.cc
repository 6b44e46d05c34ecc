#include "run/live_groups.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "run/proc_table.h"

namespace gw {

namespace fs = std::filesystem;

std::string format_group_record(const GroupRecord& r) {
  nlohmann::json j{{"token", r.token},          {"pgid", r.pgid},    {"pid", r.pid},
                   {"start", r.start_ticks},    {"boot", r.boot_id}, {"startedMs", r.started_ms},
                   {"timeoutMs", r.timeout_ms}, {"step", r.step},    {"log", r.log}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::vector<GroupRecord> parse_group_records(std::string_view text) {
  std::vector<GroupRecord> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) break;  // a torn last line
    auto j = nlohmann::json::parse(text.substr(start, nl - start), nullptr, false);
    start = nl + 1;
    if (j.is_discarded() || !j.is_object()) continue;
    try {
      GroupRecord r;
      r.token = j.at("token").get<std::string>();
      r.pgid = j.at("pgid").get<pid_t>();
      r.pid = j.at("pid").get<pid_t>();
      r.start_ticks = j.at("start").get<uint64_t>();
      r.boot_id = j.at("boot").get<std::string>();
      r.started_ms = j.at("startedMs").get<int64_t>();
      r.timeout_ms = j.at("timeoutMs").get<int64_t>();
      r.step = j.value("step", "");
      r.log = j.value("log", "");
      if (r.token.empty() || r.pgid <= 0) continue;
      out.push_back(std::move(r));
    } catch (const nlohmann::json::exception&) {  // a field missing or of the wrong type
    }
  }
  return out;
}

LiveGroups::~LiveGroups() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
}

void LiveGroups::record(const SpawnedGroup& g, const std::string& step, const std::string& log,
                        Millis timeout) {
  static const std::string boot = boot_id();
  GroupRecord r;
  r.token = g.token;
  r.pgid = g.pgid;
  r.pid = g.pid;
  r.start_ticks = g.start_ticks;
  r.boot_id = boot;
  r.started_ms = boottime_ms();
  r.timeout_ms = timeout.count();
  r.step = step;
  r.log = log;
  std::string line = format_group_record(r);
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd_ < 0)
      throw std::runtime_error(path_ +
                               ": cannot record the process group: " + std::strerror(errno));
  }
  if (torn_) line = std::string(1, '\n') + line;       // after a short write: never merge
  ssize_t n = ::write(fd_, line.data(), line.size());  // one write: never interleaved
  torn_ = n > 0 && n != static_cast<ssize_t>(line.size());
  if (n != static_cast<ssize_t>(line.size()))
    throw std::runtime_error(path_ + ": cannot record the process group: " +
                             (n < 0 ? std::strerror(errno) : "short write"));
}

std::function<void(const SpawnedGroup&)> LiveGroups::recorder(const std::string& log,
                                                              Millis timeout) {
  std::string step = fs::path(log).filename().string();
  if (step.size() > 4 && step.compare(step.size() - 4, 4, ".log") == 0)
    step.resize(step.size() - 4);
  return [this, step, log, timeout](const SpawnedGroup& g) { record(g, step, log, timeout); };
}

}  // namespace gw
