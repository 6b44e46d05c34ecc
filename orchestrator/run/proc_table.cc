#include "run/proc_table.h"

#include <dirent.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

namespace gw {

namespace {

/// Reads a whole (small, /proc) file; nullopt when it cannot be opened or read.
std::optional<std::string> slurp(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

template <class T>
bool parse_number(std::string_view s, T* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::optional<ProcInfo> parse_proc_stat(pid_t pid, std::string_view text) {
  // "PID (comm) S PPID PGRP SESSION TTY TPGID FLAGS MINFLT CMINFLT MAJFLT CMAJFLT UTIME STIME
  //  CUTIME CSTIME PRIORITY NICE THREADS ITREALVALUE STARTTIME …": fields after the last ')'.
  size_t close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::vector<std::string_view> f;  // f[0] is field 3 (state)
  size_t i = close + 1;
  while (i < text.size() && f.size() < 20) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n')) ++i;
    size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\n') ++i;
    if (i > start) f.push_back(text.substr(start, i - start));
  }
  if (f.size() < 20 || f[0].size() != 1) return std::nullopt;
  ProcInfo p;
  p.pid = pid;
  p.state = f[0][0];
  if (!parse_number(f[1], &p.ppid) || !parse_number(f[2], &p.pgid) || !parse_number(f[3], &p.sid) ||
      !parse_number(f[19], &p.start_ticks))
    return std::nullopt;
  return p;
}

std::optional<ProcInfo> read_proc(pid_t pid) {
  auto text = slurp("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return std::nullopt;
  return parse_proc_stat(pid, *text);
}

bool process_alive(pid_t pid, uint64_t start_ticks) {
  if (pid <= 0) return false;
  auto p = read_proc(pid);
  return p && !p->dead() && p->start_ticks == start_ticks;
}

uint64_t own_start_ticks() {
  static const uint64_t ticks = [] {
    auto me = read_proc(::getpid());
    return me ? me->start_ticks : 0;
  }();
  return ticks;
}

uint64_t pid_namespace_id() {
  char buf[64];
  ssize_t n = ::readlink("/proc/self/ns/pid", buf, sizeof buf);
  if (n <= 0) return 0;
  std::string_view link(buf, static_cast<size_t>(n));  // "pid:[4026531836]"
  size_t open = link.find('['), close = link.rfind(']');
  uint64_t id = 0;
  if (open == std::string_view::npos || close == std::string_view::npos || close <= open + 1 ||
      !parse_number(link.substr(open + 1, close - open - 1), &id))
    return 0;
  return id;
}

std::vector<ProcInfo> process_table() {
  std::vector<ProcInfo> out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    pid_t pid = 0;
    std::string_view name(e->d_name);
    if (!parse_number(name, &pid) || pid <= 0) continue;
    if (auto p = read_proc(pid)) out.push_back(*p);
  }
  ::closedir(d);
  return out;
}

std::vector<ProcInfo> processes_since(pid_t first_pid) {
  pid_t last = 0;
  if (first_pid > 0)
    if (auto text = slurp("/proc/sys/kernel/ns_last_pid")) {
      std::string_view t(*text);
      while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.remove_suffix(1);
      if (!parse_number(t, &last)) last = 0;
    }
  if (first_pid <= 0 || last < first_pid) return process_table();  // unknown, or wrapped
  std::vector<ProcInfo> out;
  DIR* d = ::opendir("/proc");
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    pid_t pid = 0;
    if (!parse_number(std::string_view(e->d_name), &pid) || pid < first_pid) continue;
    if (auto p = read_proc(pid)) out.push_back(*p);  // above `last`: started since we looked
  }
  ::closedir(d);
  return out;
}

std::vector<ProcInfo> own_children() {
  std::vector<ProcInfo> out;
  DIR* d = ::opendir("/proc/self/task");
  if (!d) return out;
  bool have_files = false;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    auto text = slurp(std::string("/proc/self/task/") + e->d_name + "/children");
    if (!text) continue;
    have_files = true;
    std::string_view t(*text);
    while (!t.empty()) {
      size_t sp = t.find(' ');
      std::string_view word = t.substr(0, sp);
      pid_t pid = 0;
      if (parse_number(word, &pid) && pid > 0)
        if (auto p = read_proc(pid)) out.push_back(*p);
      if (sp == std::string_view::npos) break;
      t.remove_prefix(sp + 1);
    }
  }
  ::closedir(d);
  if (have_files) return out;
  pid_t self = ::getpid();  // no children files (CONFIG_PROC_CHILDREN off): scan
  for (const auto& p : process_table())
    if (p.ppid == self) out.push_back(p);
  return out;
}

bool environ_has(std::string_view block, std::string_view entry) {
  size_t start = 0;
  while (start < block.size()) {
    size_t end = block.find('\0', start);
    if (end == std::string_view::npos) end = block.size();
    if (block.substr(start, end - start) == entry) return true;
    start = end + 1;
  }
  return false;
}

std::optional<std::string> environ_value(std::string_view block, std::string_view name) {
  size_t start = 0;
  while (start < block.size()) {
    size_t end = block.find('\0', start);
    if (end == std::string_view::npos) end = block.size();
    std::string_view entry = block.substr(start, end - start);
    if (entry.size() > name.size() && entry[name.size()] == '=' &&
        entry.substr(0, name.size()) == name)
      return std::string(entry.substr(name.size() + 1));
    start = end + 1;
  }
  return std::nullopt;
}

std::optional<std::string> process_environ_value(pid_t pid, std::string_view name) {
  auto block = slurp("/proc/" + std::to_string(pid) + "/environ");
  if (!block) return std::nullopt;
  return environ_value(*block, name);
}

EnvironMatch process_environ_has(pid_t pid, const std::string& entry) {
  auto block = slurp("/proc/" + std::to_string(pid) + "/environ");
  if (!block) return EnvironMatch::Unreadable;
  return environ_has(*block, entry) ? EnvironMatch::Has : EnvironMatch::Lacks;
}

std::string boot_id() {
  auto id = slurp("/proc/sys/kernel/random/boot_id");
  if (!id) return "";
  while (!id->empty() && (id->back() == '\n' || id->back() == ' ')) id->pop_back();
  return *id;
}

int64_t boottime_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

int64_t ticks_to_ms(uint64_t ticks) {
  static const long hz = ::sysconf(_SC_CLK_TCK) > 0 ? ::sysconf(_SC_CLK_TCK) : 100;
  return static_cast<int64_t>(ticks * 1000 / static_cast<uint64_t>(hz));
}

}  // namespace gw
