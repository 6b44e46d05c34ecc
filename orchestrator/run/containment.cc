#include "run/containment.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "run/proc_table.h"

namespace gw {

namespace {

std::atomic<bool> g_subreaper{false};

/// The children spawned by command runners and not reaped by their waiters yet (pid -> count: a
/// reaped pid may be handed out again before its first holder is unregistered).
struct Registry {
  std::mutex mu;
  std::map<pid_t, int> children;
};

Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: worker threads may outlive statics
  return *r;
}

/// A pidfd, closed when the object goes; -1 when the process is gone.
struct PidFd {
  int fd = -1;
  explicit PidFd(pid_t pid) : fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))) {}
  ~PidFd() {
    if (fd >= 0) ::close(fd);
  }
  PidFd(const PidFd&) = delete;
  PidFd& operator=(const PidFd&) = delete;
  bool send(int sig) const {
    return fd >= 0 && ::syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0) == 0;
  }
};

/// Kills the live children of groundwork that no runner registered (orphans without a token),
/// when no command runs at all. Called with the registry locked.
size_t stop_unattributed_locked(Registry& r) {
  if (!g_subreaper.load() || !r.children.empty()) return 0;
  size_t n = 0;
  for (const auto& p : own_children())
    if (!p.dead() && signal_process(p.pid, p.start_ticks, SIGKILL)) ++n;
  return n;
}

void reap_locked(Registry& r) {
  for (const auto& p : own_children()) {
    if (r.children.count(p.pid)) continue;
    int status = 0;
    while (::waitpid(p.pid, &status, WNOHANG) < 0 && errno == EINTR) {
    }
  }
}

}  // namespace

std::string new_process_token() {
  static std::atomic<uint64_t> counter{0};
  return std::to_string(::getpid()) + "." + std::to_string(own_start_ticks()) + "." +
         std::to_string(++counter);
}

Status enable_child_subreaper() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
    return Error{std::string("cannot become a child subreaper: ") + std::strerror(errno)};
  g_subreaper = true;
  return Ok{};
}

bool child_subreaper_enabled() {
  return g_subreaper.load();
}

pid_t spawn_registered(const std::function<pid_t()>& spawn) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  pid_t pid = spawn();
  if (pid > 0) ++r.children[pid];
  return pid;
}

void unregister_child(pid_t pid) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  auto it = r.children.find(pid);
  if (it != r.children.end() && --it->second <= 0) r.children.erase(it);
}

void reap_orphans() {
  if (!g_subreaper.load()) return;
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  reap_locked(r);
}

bool descendants_may_remain() {
  if (!g_subreaper.load()) return true;
  // No child at all (live or exited, registered or not): nothing to scan. One system call, where
  // the scan reads a children file per thread; the common case when commands run one at a time.
  siginfo_t info{};
  if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 && errno == ECHILD) return false;
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  bool live = false;
  for (const auto& p : own_children()) {
    if (r.children.count(p.pid)) continue;
    if (!p.dead()) {
      live = true;
      continue;
    }
    int status = 0;  // an exited orphan: reaped here, as reap_orphans would
    while (::waitpid(p.pid, &status, WNOHANG) < 0 && errno == EINTR) {
    }
  }
  return live;
}

bool signal_process(pid_t pid, uint64_t start_ticks, int sig) {
  if (pid <= 0 || pid == ::getpid()) return false;
  PidFd pfd(pid);  // first the handle, then the identity check: a recycled pid fails one of them
  if (pfd.fd < 0) return false;
  if (!process_alive(pid, start_ticks)) return false;
  return pfd.send(sig);
}

size_t signal_marked(const std::string& token, uint64_t since_ticks, int sig, pid_t first_pid,
                     pid_t skip_group) {
  if (token.empty()) return 0;
  std::string entry = std::string(kProcessTokenVar) + "=" + token;
  size_t n = 0;
  pid_t self = ::getpid();
  for (const auto& p : processes_since(first_pid)) {
    if (p.pid == self || p.dead() || p.start_ticks < since_ticks) continue;
    if (skip_group > 0 && p.pgid == skip_group) continue;
    PidFd pfd(p.pid);  // pinned before its environment is read
    if (pfd.fd < 0) continue;
    if (process_environ_has(p.pid, entry) != EnvironMatch::Has) continue;
    auto again = read_proc(p.pid);
    if (!again || again->start_ticks != p.start_ticks) continue;
    if (pfd.send(sig)) ++n;
  }
  return n;
}

size_t stop_leftovers(const std::string& token, uint64_t since_ticks, Millis limit,
                      pid_t first_pid) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  size_t stopped = 0;
  for (;;) {
    size_t n = signal_marked(token, since_ticks, SIGKILL, first_pid);
    stopped += n;
    reap_orphans();
    if (n == 0 || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (g_subreaper.load()) {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    size_t n = stop_unattributed_locked(r);
    stopped += n;
    for (int round = 0; n > 0 && round < 200; ++round) {  // reap what was just killed
      reap_locked(r);
      bool left = false;
      for (const auto& p : own_children()) left = left || !p.dead();
      if (!left) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    reap_locked(r);
  }
  return stopped;
}

}  // namespace gw
