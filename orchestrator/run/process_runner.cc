// The only translation unit that includes Boost.Asio / Boost.Process: keep it that way (build
// time).
#define BOOST_PROCESS_USE_STD_FS 1
#define BOOST_PROCESS_V2_SEPARATE_COMPILATION 1
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// Boost 1.81's process/v2/environment.hpp uses boost::optional and type traits without including
// them: they must come first.
// clang-format off
#include <boost/asio.hpp>
#include <boost/optional.hpp>
#include <boost/type_traits.hpp>
#include <boost/process/v2.hpp>
#include <boost/process/v2/src.hpp>  // out-of-line parts of Process v2, compiled once here
// clang-format on
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>

#include "model/terminal_text.h"
#include "run/command_runner.h"
#include "run/containment.h"
#include "run/log_sink.h"
#include "run/proc_table.h"
#include "run/unique_fd.h"

namespace gw {

namespace asio = boost::asio;
namespace bp = boost::process::v2;
using Clock = std::chrono::steady_clock;

std::string ProcessResult::describe(Millis timeout) const {
  switch (outcome) {
    case Outcome::Exited:
      return "exit " + std::to_string(exit_code);
    case Outcome::Signaled:
      return "killed by signal " + std::to_string(signal);
    case Outcome::TimedOut:
      return "timed out after " + format_duration(timeout);
    case Outcome::Interrupted:
      return "interrupted";
    case Outcome::SpawnFailed:
      return "cannot start: " + error;
  }
  return "?";
}

std::string find_program(const std::string& name) {
  if (name.empty()) return "";
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t colon = p.find(':', start);
    std::string dir =
        p.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (dir.empty()) dir = ".";
    std::string cand = dir + "/" + name;
    struct stat st {};
    if (stat(cand.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(cand.c_str(), X_OK) == 0)
      return cand;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return "";
}

namespace {

/// The kernel's struct sigaction, enough of it to read the handler; zeroed it is SIG_DFL with no
/// flags and an empty mask on every layout. The raw system call is used because glibc's
/// sigaction refuses its own internal signals, which a caller (a CI harness) may have ignored.
struct KernelSigaction {
  unsigned long words[4] = {};
};
constexpr int kKernelSigsetBytes = 8;

/// The signals whose action is not the default now: ignored ones survive exec, so whatever
/// groundwork's caller ignored (SIGPIPE from a shell `trap`, real-time signals) would otherwise
/// reach the command. An unreadable one counts as not default.
std::vector<int> signals_not_at_default() {
  std::vector<int> out;
  for (int sig = 1; sig < 65; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    KernelSigaction act;
    if (::syscall(SYS_rt_sigaction, sig, nullptr, &act, kKernelSigsetBytes) != 0 ||
        act.words[0] != 0)
      out.push_back(sig);
  }
  return out;
}

/// Sets the given signals back to their default action (in the vfork child: system calls only).
void reset_signal_dispositions(const std::vector<int>& sigs) {
  static constexpr KernelSigaction kDefault{};
  for (int sig : sigs) ::syscall(SYS_rt_sigaction, sig, &kDefault, nullptr, kKernelSigsetBytes);
}

/// Starts a command with vfork + execve: no shell, its own process group, a clean signal mask,
/// SIGKILL when groundwork itself dies, stdin/stdout/stderr from the given fds. The child does
/// only syscalls between vfork and exec (nothing that allocates or touches shared state), so the
/// parent's memory — which it shares until exec — is left as it was. Returns the pid, or -1 and
/// *error, a whole message naming what failed (the program, or the folder it was to run in).
pid_t spawn_child(const std::string& program, const std::vector<std::string>& args,
                  const std::vector<std::string>& env, const std::string& cwd, int in_fd,
                  int out_fd, int err_fd, const std::vector<int>& reset_signals,
                  std::string* error) {
  std::vector<char*> argv, envp;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    *error = program + ": pipe: " + std::strerror(errno);
    return -1;
  }
  UniqueFd report_read(report[0]), report_write(report[1]);
  // What the child reports when it cannot exec: which step failed, and errno.
  enum class Failed : int { Redirect, Chdir, Exec };
  struct ChildError {
    Failed stage;
    int err;
  };
  sigset_t none;
  sigemptyset(&none);
  pid_t pid = ::vfork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    reset_signal_dispositions(reset_signals);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ChildError e{Failed::Redirect, 0};
    int& err = e.err;
    if (::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) err = errno;
    if (!err && ::chdir(cwd.c_str()) != 0) e = {Failed::Chdir, errno};
    // Nothing but 0-2 and the exec-error pipe (close-on-exec) may reach the command, whatever
    // groundwork itself inherited.
    if (!err) {
      if (report[1] > 3) ::close_range(3, static_cast<unsigned>(report[1]) - 1, 0);
      ::close_range(static_cast<unsigned>(report[1]) + 1, ~0U, 0);
    }
    if (!err) {
      ::execve(program.c_str(), argv.data(), envp.data());
      e = {Failed::Exec, errno};
    }
    ssize_t n = ::write(report[1], &e, sizeof e);
    (void)n;
    ::_exit(127);
  }
  if (pid < 0) {
    *error = program + ": vfork: " + std::strerror(errno);
    return -1;
  }
  report_write.reset();
  ChildError child{};
  ssize_t n = ::read(report_read.get(), &child, sizeof child);
  if (n == static_cast<ssize_t>(sizeof child)) {  // exec failed: reap and report
    int status = 0;
    ::waitpid(pid, &status, 0);
    switch (child.stage) {
      case Failed::Chdir:
        *error = "cwd '" + cwd + "' " +
                 (child.err == ENOENT ? std::string("does not exist")
                  : child.err == ENOTDIR
                      ? std::string("is not a folder")
                      : std::string("cannot be entered: ") + std::strerror(child.err));
        break;
      case Failed::Exec:
        *error = program + ": " +
                 (child.err == ENOENT ? std::string("no such file") : std::strerror(child.err));
        break;
      case Failed::Redirect:
        *error = program + ": cannot set up stdin/stdout/stderr: " + std::strerror(child.err);
        break;
    }
    return -1;
  }
  ::setpgid(pid, pid);  // also from here, so killpg works whatever the child got to
  return pid;
}

/// groundwork's environment without the withheld variables and the ones the spec sets, then the
/// spec's, then the command's token (run/containment.h), which nothing overrides.
std::vector<std::string> child_environment(const ProcessSpec& spec,
                                           const std::set<std::string>& withheld,
                                           const std::string& token) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    std::string key = kv.substr(0, kv.find('='));
    bool dropped = withheld.count(key) > 0 || key == kProcessTokenVar;
    for (const auto& [k, v] : spec.env) dropped = dropped || k == key;
    if (!dropped) env.push_back(std::move(kv));
  }
  for (const auto& [k, v] : spec.env)
    if (k != kProcessTokenVar) env.push_back(k + "=" + v);
  env.push_back(std::string(kProcessTokenVar) + "=" + token);
  return env;
}

/// Reads a pipe until EOF into the sink (and, for stdout, the capture buffer); calls `closed`
/// at EOF.
void read_loop(asio::readable_pipe& pipe, std::array<char, 16384>& buf, LogSink& sink,
               LogSink::Stream stream, std::string* capture, const std::function<void()>& closed) {
  pipe.async_read_some(asio::buffer(buf), [&pipe, &buf, &sink, stream, capture, &closed](
                                              bp::error_code ec, size_t n) {
    if (n > 0) {
      sink.write(stream, std::string_view(buf.data(), n));
      if (capture && capture->size() < kCaptureLimit)
        capture->append(buf.data(), std::min(n, kCaptureLimit - capture->size()));
    }
    if (ec) {
      closed();
      return;
    }
    read_loop(pipe, buf, sink, stream, capture, closed);
  });
}

}  // namespace

ProcessRunner::ProcessRunner(Millis grace) : grace_(grace), reset_signals_(signals_not_at_default()) {}

ProcessResult ProcessRunner::run(const ProcessSpec& spec, const Interrupt& interrupt) {
  ProcessResult res;
  auto start = Clock::now();
  LogSink sink(spec.log_path, spec.redactor, spec.visibility);
  if (interrupt.stopping()) {
    res.outcome = Outcome::Interrupted;
    return res;
  }
  // A fresh event loop per command, declared before everything registered with it. Never reuse
  // one: run() may return with a reactor event still queued for the last command's pidfd, and
  // asio hands that descriptor slot to the next registration, so the next command's wait would
  // complete while it still runs and block in waitpid, starving the watchdog (seen on kernel 6.18,
  // where a pidfd also signals when its process is reaped).
  asio::io_context ctx(1);
  int in_fds[2], out_fds[2], err_fds[2];
  if (::pipe2(in_fds, O_CLOEXEC) != 0) {
    res.error = std::string("pipe: ") + std::strerror(errno);
    return res;
  }
  UniqueFd in_child(in_fds[0]), in_parent(in_fds[1]);
  if (::pipe2(out_fds, O_CLOEXEC) != 0) {
    res.error = std::string("pipe: ") + std::strerror(errno);
    return res;
  }
  UniqueFd out_child(out_fds[1]), out_parent(out_fds[0]);
  if (::pipe2(err_fds, O_CLOEXEC) != 0) {
    res.error = std::string("pipe: ") + std::strerror(errno);
    return res;
  }
  UniqueFd err_child(err_fds[1]), err_parent(err_fds[0]);
  const std::string token = new_process_token();
  std::vector<std::string> env = child_environment(spec, withheld_, token);
  std::string cwd = spec.cwd ? *spec.cwd : std::filesystem::current_path().string();
  std::string spawn_error;
  pid_t pgid = spawn_registered([&] {
    return spawn_child(spec.program, spec.args, env, cwd, in_child.get(), out_child.get(),
                       err_child.get(), reset_signals_, &spawn_error);
  });
  if (pgid < 0) {
    res.outcome = Outcome::SpawnFailed;
    res.error = spawn_error;
    return res;
  }
  in_child.reset();
  out_child.reset();
  err_child.reset();
  // Descendants started at or after the command: older processes are never its leftovers.
  auto started = read_proc(pgid);
  const uint64_t start_ticks = started ? started->start_ticks : 0;
  // Whatever happens below, the command's leftovers are stopped when this returns, wherever they
  // went (another process group, a new session), and the child is unregistered once reaped.
  struct Leftovers {
    pid_t pgid;
    const std::string& token;
    uint64_t since;
    bool reaped = false;  // the command's exit was seen on this thread (its wait completed)
    bool clean = false;   // ... and then nothing it started was alive: nothing can be later
    ~Leftovers() {
      unregister_child(pgid);
      if (!reaped || !clean) stop_leftovers(token, since, std::chrono::milliseconds(5000), pgid);
    }
  } leftovers{pgid, token, start_ticks};
  auto kill_now = [&] {
    ::killpg(pgid, SIGKILL);
    int status = 0;
    ::waitpid(pgid, &status, 0);
  };
  if (spec.on_spawn) {
    try {
      spec.on_spawn(SpawnedGroup{pgid, pgid, start_ticks, token});
    } catch (const std::exception& e) {  // never run a command that could not be recorded
      kill_now();
      res.outcome = Outcome::SpawnFailed;
      res.error = spec.program + ": " + e.what();
      return res;
    }
  }
  // Boost.Process waits for it (pidfd) on the same event loop as its pipes.
  std::optional<bp::process> proc;
  try {
    proc.emplace(ctx.get_executor(), pgid);
  } catch (const std::exception& e) {  // no pidfd (old kernel, seccomp): do not leave it running
    kill_now();
    res.outcome = Outcome::SpawnFailed;
    res.error = spec.program + ": cannot wait for the process: " + e.what();
    return res;
  }
  asio::readable_pipe out_pipe(ctx, out_parent.release()), err_pipe(ctx, err_parent.release());
  asio::writable_pipe in_pipe(ctx, in_parent.release());

  std::string stdin_data = spec.stdin_data.value_or("");
  asio::async_write(in_pipe, asio::buffer(stdin_data),
                    [&](bp::error_code, size_t) { in_pipe.close(); });
  std::array<char, 16384> out_buf{}, err_buf{};
  bool out_done = false, err_done = false, exited = false;
  int native_status = 0;
  asio::steady_timer tick(ctx);
  // Done when the child has exited and both pipes reached EOF: stop the watchdog at once.
  auto maybe_done = [&] {
    if (exited && out_done && err_done) tick.cancel();
  };
  std::function<void()> out_closed = [&] { out_done = true, maybe_done(); };
  std::function<void()> err_closed = [&] { err_done = true, maybe_done(); };
  read_loop(out_pipe, out_buf, sink, LogSink::Stream::Out, &res.out, out_closed);
  read_loop(err_pipe, err_buf, sink, LogSink::Stream::Err, nullptr, err_closed);
  proc->async_wait([&](bp::error_code, int) {  // the int is already decoded; keep the raw status
    exited = true;
    leftovers.reaped = true;
    native_status = proc->native_exit_code();
    ::killpg(pgid, SIGKILL);  // grandchildren left in the group go too
    // ... and those that left it (setsid, setpgid): they would hold the pipes open.
    leftovers.clean = !descendants_may_remain();
    if (!leftovers.clean) signal_marked(token, start_ticks, SIGKILL, pgid, pgid);
    maybe_done();
  });

  // A watchdog tick: timeout, interruption, and leftovers after the child exits.
  auto deadline = start + spec.timeout;
  std::optional<Clock::time_point> kill_at;
  std::optional<Clock::time_point> drain_until;
  bool timed_out = false, interrupted = false;
  bool killed = false;  // SIGKILL sent to the marked processes outside the group
  int ticks = 0;
  std::function<void()> arm = [&] {
    tick.expires_after(std::chrono::milliseconds(20));
    tick.async_wait([&](bp::error_code ec) {
      if (ec == asio::error::operation_aborted) return;
      auto now = Clock::now();
      if (exited) {
        if (!drain_until) drain_until = now + std::chrono::milliseconds(1000);
        if ((out_done && err_done) || now > *drain_until) {
          out_pipe.close();
          err_pipe.close();
          return;
        }
      } else {
        if (!kill_at && interrupt.stopping()) interrupted = true;
        if (!kill_at && now >= deadline) timed_out = true;
        bool kill = interrupt.level() == StopLevel::Kill;
        if (!kill_at && (timed_out || interrupted)) {
          ::killpg(pgid, SIGTERM);
          signal_marked(token, start_ticks, SIGTERM, pgid, pgid);
          kill_at = now + grace_;
        }
        if (kill_at && now >= *kill_at) kill = true;
        if (kill) {
          ::killpg(pgid, SIGKILL);
          if (!killed) signal_marked(token, start_ticks, SIGKILL, pgid, pgid);
          killed = true;
        }
        // Orphans that exited while the command runs: reaped about once a second.
        if (++ticks % 50 == 0) reap_orphans();
      }
      arm();
    });
  };
  arm();
  ctx.run();

  res.duration = std::chrono::duration_cast<Millis>(Clock::now() - start);
  sink.flush();
  res.output_tail = sink.tail();
  res.log_error = sink.error();
  if (timed_out) {
    res.outcome = Outcome::TimedOut;
  } else if (interrupted) {
    res.outcome = Outcome::Interrupted;
  } else if (WIFSIGNALED(native_status)) {
    res.outcome = Outcome::Signaled;
    res.signal = WTERMSIG(native_status);
  } else {
    res.outcome = Outcome::Exited;
    res.exit_code = WEXITSTATUS(native_status);
  }
  return res;
}

}  // namespace gw
