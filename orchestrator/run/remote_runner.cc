#include "run/remote_runner.h"

#include <fcntl.h>
#include <libssh2_sftp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <random>

#include "model/shell.h"
#include "run/command_runner.h"
#include "run/log_sink.h"

namespace gw {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string RemoteResult::describe(Millis timeout) const {
  switch (outcome) {
    case RemoteOutcome::Exited:
      return "exit " + std::to_string(exit_code);
    case RemoteOutcome::Signaled:
      return "killed by signal " + signal;
    case RemoteOutcome::TimedOut:
      return "timed out after " + format_duration(timeout);
    case RemoteOutcome::Interrupted:
      return "interrupted";
    case RemoteOutcome::Failed:
      return error;
  }
  return "?";
}

std::string remote_wrapper(const std::string& command, size_t stdin_bytes) {
  // $1: the command, $2: how many bytes of stdin are its input. `kill -TERM -PGID`, not
  // `kill -s TERM -- -PGID`: dash's kill takes no `--`. fd 3 keeps the channel's stdin
  // for the watchdog (an asynchronous command's stdin is /dev/null without job control). The
  // fifo carries the input without writing it to disk.
  static const std::string kScript =
      "exec 3<&0\n"
      "S=; command -v setsid >/dev/null 2>&1 && S=setsid\n"
      "d=$(mktemp -d) || exit 125\n"
      "mkfifo \"$d/i\" || { rm -rf \"$d\"; exit 125; }\n"
      "$S /bin/sh -c \"$1\" <\"$d/i\" 3<&- &\n"
      "p=$!\n"
      "head -c \"$2\" >\"$d/i\"\n"
      "rm -rf \"$d\"\n"
      "$S /bin/sh -c 'cat >/dev/null; kill -TERM -\"$1\" 2>/dev/null || kill -TERM \"$1\";"
      " sleep 5; kill -KILL -\"$1\" 2>/dev/null' watchdog \"$p\" <&3 >/dev/null 2>&1 &\n"
      "w=$!\n"
      "exec 3<&-\n"
      "wait \"$p\"; rc=$?\n"
      "kill -TERM -\"$w\" 2>/dev/null || kill -TERM \"$w\" 2>/dev/null\n"
      "if [ \"$rc\" -gt 128 ] && [ \"$rc\" -lt 160 ]; then trap - $((rc - 128)); kill -$((rc - "
      "128)) $$;"
      " fi\n"
      "exit \"$rc\"\n";
  return "exec /bin/sh -c " + shell_quote(kScript) + " groundwork " + shell_quote(command) + " " +
         std::to_string(stdin_bytes);
}

std::string sudo_command(const std::string& command) {
  return "sudo -S -p '' -- /bin/sh -c " + shell_quote(command);
}

namespace {

/// Owns a channel; frees it (libssh2_channel_free never blocks on a non-blocking session).
struct Channel {
  explicit Channel(LIBSSH2_CHANNEL* c) : ch(c) {}
  ~Channel() { reset(); }
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  void reset() {
    if (ch) libssh2_channel_free(ch);
    ch = nullptr;
  }
  LIBSSH2_CHANNEL* ch;
};

/// Owns an SFTP session and one open handle.
struct Sftp {
  explicit Sftp(const SshSession& s) : session(s) {}
  const SshSession& session;
  LIBSSH2_SFTP* sftp = nullptr;
  LIBSSH2_SFTP_HANDLE* handle = nullptr;
  ~Sftp() { reset(); }
  Sftp(const Sftp&) = delete;
  Sftp& operator=(const Sftp&) = delete;
  /// Closes the handle and the sftp channel. On a non-blocking session both may answer "again"
  /// (and free nothing until they are called again): repeated for up to 2 s, whatever interrupts.
  void reset() {
    Interrupt none;
    auto deadline = Clock::now() + Millis(2000);
    if (handle) session.call([&] { return libssh2_sftp_close_handle(handle); }, deadline, none);
    if (sftp) session.call([&] { return libssh2_sftp_shutdown(sftp); }, deadline, none);
    handle = nullptr;
    sftp = nullptr;
  }
};

std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (int i = 0; i < 10; ++i) s += kChars[rng() % (sizeof(kChars) - 1)];
  return s;
}

/// The sftp error of the last failed call, as text.
std::string sftp_error(SshSession& s, LIBSSH2_SFTP* sftp) {
  std::string e = s.last_error();
  if (sftp && libssh2_session_last_errno(s.get()) == LIBSSH2_ERROR_SFTP_PROTOCOL) {
    unsigned long code = libssh2_sftp_last_error(sftp);
    switch (code) {
      case LIBSSH2_FX_NO_SUCH_FILE:
        return "no such file";
      case LIBSSH2_FX_PERMISSION_DENIED:
        return "permission denied";
      case LIBSSH2_FX_NO_SUCH_PATH:
        return "no such path";
      default:
        return "sftp error " + std::to_string(code);
    }
  }
  return e;
}

}  // namespace

RemoteResult SshRemoteRunner::exec(const RemoteSpec& spec, const Interrupt& interrupt) {
  RemoteResult res;
  auto deadline = Clock::now() + spec.timeout;
  LogSink log(spec.log_path, spec.redactor, spec.visibility);
  const std::string input = spec.stdin_data.value_or("");
  const std::string wrapped = remote_wrapper(spec.command, input.size());
  auto stopped = [&](int rc) {
    if (rc == kSshInterrupted) return res.outcome = RemoteOutcome::Interrupted, true;
    if (rc == LIBSSH2_ERROR_TIMEOUT) return res.outcome = RemoteOutcome::TimedOut, true;
    return false;
  };
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto lease = pool_.acquire(spec.host, deadline, interrupt);
    if (!lease) {
      res.outcome = interrupt.stopping()       ? RemoteOutcome::Interrupted
                    : Clock::now() >= deadline ? RemoteOutcome::TimedOut
                                               : RemoteOutcome::Failed;
      res.error = lease.error().message;
      return res;
    }
    SshSession& s = *lease->session();
    int rc = 0;
    Channel ch(s.call_ptr<LIBSSH2_CHANNEL>(
        [&] {
          return libssh2_channel_open_ex(s.get(), "session", 7, LIBSSH2_CHANNEL_WINDOW_DEFAULT,
                                         LIBSSH2_CHANNEL_PACKET_DEFAULT, nullptr, 0);
        },
        deadline, interrupt, &rc));
    if (ch.ch)
      rc =
          s.call([&] { return libssh2_channel_exec(ch.ch, wrapped.c_str()); }, deadline, interrupt);
    if (!ch.ch || rc != 0) {
      std::string why = s.last_error();
      std::string label = s.label();
      ch.reset();
      lease->discard();
      if (stopped(rc)) return res;
      // A reused connection that died since its last use: reopened once. Nothing ran yet.
      if (!lease->fresh() && attempt == 0) continue;
      res.outcome = RemoteOutcome::Failed;
      res.error = label + ": cannot start the command: " + why;
      return res;
    }
    // Running. From here on nothing is retried: the command may have taken effect.
    size_t written = 0;
    std::array<char, 32768> buf{};
    bool failed = false;
    std::string why;
    for (;;) {
      bool moved = false;
      if (written < input.size()) {
        ssize_t n = libssh2_channel_write(ch.ch, input.data() + written, input.size() - written);
        if (n > 0) written += static_cast<size_t>(n), moved = true;
        // A command that does not read its input closes the pipe: not an error.
        if (n < 0 && n != LIBSSH2_ERROR_EAGAIN) written = input.size();
      }
      bool drained = true;
      for (int stream = 0; stream < 2; ++stream) {
        ssize_t n = libssh2_channel_read_ex(ch.ch, stream, buf.data(), buf.size());
        if (n > 0) {
          moved = true;
          drained = false;
          std::string_view chunk(buf.data(), static_cast<size_t>(n));
          log.write(stream ? LogSink::Stream::Err : LogSink::Stream::Out, chunk);
          if (stream == 0 && res.out.size() < kCaptureLimit)
            res.out.append(chunk.substr(0, kCaptureLimit - res.out.size()));
        } else if (n == LIBSSH2_ERROR_EAGAIN) {
          drained = false;
        } else if (n < 0) {
          failed = true;
          why = s.last_error();
        }
      }
      if (failed || (drained && libssh2_channel_eof(ch.ch))) break;
      if (moved) continue;
      if (interrupt.stopping() || Clock::now() >= deadline) {
        res.outcome = interrupt.stopping() ? RemoteOutcome::Interrupted : RemoteOutcome::TimedOut;
        // Closing our side makes the remote watchdog stop the command (remote_wrapper).
        auto soon = Clock::now() + Millis(2000);
        Interrupt none;
        s.call([&] { return libssh2_channel_send_eof(ch.ch); }, soon, none);
        ch.reset();
        lease->discard();
        log.flush();
        res.output_tail = log.tail();
        res.log_error = log.error();
        return res;
      }
      if (!s.keepalive()) {
        failed = true;
        why = s.last_error();
        break;
      }
      s.wait(Millis(100));
    }
    log.flush();
    res.output_tail = log.tail();
    res.log_error = log.error();
    if (failed) {
      std::string label = s.label();
      ch.reset();
      lease->discard();
      res.outcome = RemoteOutcome::Failed;
      res.error = label + ": connection lost while the command ran (" + why +
                  "); it may or may not have finished";
      return res;
    }
    // The exit status comes with or after EOF: wait for the server's close (bounded).
    auto soon = Clock::now() + Millis(5000);
    Interrupt none;
    s.call([&] { return libssh2_channel_close(ch.ch); }, soon, none);
    s.call([&] { return libssh2_channel_wait_closed(ch.ch); }, soon, none);
    char* sig = nullptr;
    size_t sig_len = 0;
    libssh2_channel_get_exit_signal(ch.ch, &sig, &sig_len, nullptr, nullptr, nullptr, nullptr);
    if (sig) {
      res.outcome = RemoteOutcome::Signaled;
      res.signal.assign(sig, sig_len);
      libssh2_free(s.get(), sig);
    } else {
      res.outcome = RemoteOutcome::Exited;
      res.exit_code = libssh2_channel_get_exit_status(ch.ch);
    }
    return res;
  }
  res.error = "host '" + spec.host + "': cannot start the command";
  return res;
}

Status SshRemoteRunner::upload(const std::string& host, const std::string& content,
                               const std::string& dest, unsigned mode, Millis timeout,
                               const Interrupt& interrupt) {
  auto deadline = Clock::now() + timeout;
  std::string tmp = dest + ".groundwork-" + random_suffix();
  std::string where = "host '" + host + "': upload to " + dest;
  Status result = Ok{};
  {  // the connection is held for the copy only: the rename below runs a command on it
    auto lease = pool_.acquire(host, deadline, interrupt);
    if (!lease) return lease.error();
    SshSession& s = *lease->session();
    where = s.label() + ": upload to " + dest;
    Sftp f(s);
    int rc = 0;
    f.sftp = s.call_ptr<LIBSSH2_SFTP>([&] { return libssh2_sftp_init(s.get()); }, deadline,
                                      interrupt, &rc);
    if (!f.sftp) {
      std::string why = s.last_error();
      lease->discard();
      return Error{where + ": cannot start sftp: " + why};
    }
    f.handle = s.call_ptr<LIBSSH2_SFTP_HANDLE>(
        [&] {
          return libssh2_sftp_open_ex(f.sftp, tmp.c_str(), static_cast<unsigned>(tmp.size()),
                                      LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_EXCL,
                                      0600, LIBSSH2_SFTP_OPENFILE);
        },
        deadline, interrupt, &rc);
    if (!f.handle) return Error{where + ": cannot create " + tmp + ": " + sftp_error(s, f.sftp)};
    size_t off = 0;
    while (off < content.size() && rc >= 0) {
      rc = s.call(
          [&] {
            return static_cast<int>(libssh2_sftp_write(
                f.handle, content.data() + off, std::min<size_t>(content.size() - off, 1u << 20)));
          },
          deadline, interrupt);
      if (rc > 0) off += static_cast<size_t>(rc);
    }
    if (rc >= 0) s.call([&] { return libssh2_sftp_fsync(f.handle); }, deadline, interrupt);
    LIBSSH2_SFTP_ATTRIBUTES attrs{};
    attrs.flags = LIBSSH2_SFTP_ATTR_PERMISSIONS;
    attrs.permissions = mode & 07777;
    int st = rc < 0 ? rc
                    : s.call([&] { return libssh2_sftp_fsetstat(f.handle, &attrs); }, deadline,
                             interrupt);
    int close_rc = s.call([&] { return libssh2_sftp_close_handle(f.handle); }, deadline, interrupt);
    f.handle = nullptr;
    if (rc < 0 || st < 0 || close_rc < 0) {
      result = Error{where + ": writing " + tmp + " failed: " +
                     (rc == LIBSSH2_ERROR_TIMEOUT ? "timed out" : sftp_error(s, f.sftp))};
      s.call(
          [&] {
            return libssh2_sftp_unlink_ex(f.sftp, tmp.c_str(), static_cast<unsigned>(tmp.size()));
          },
          Clock::now() + Millis(5000), Interrupt{});
    }
  }
  if (!result) return result;
  // OpenSSH's SFTP v3 rename refuses an existing target, and libssh2 1.10 has no
  // posix-rename@openssh.com: rename(2) through the shell replaces it atomically.
  RemoteSpec mv;
  mv.host = host;
  mv.command = "mv -f -- " + shell_quote(tmp) + " " + shell_quote(dest);
  mv.timeout = std::max(Millis(1000), std::chrono::duration_cast<Millis>(deadline - Clock::now()));
  RemoteResult r = exec(mv, interrupt);
  if (!r.ok()) {
    RemoteSpec rm = mv;
    rm.command = "rm -f -- " + shell_quote(tmp);
    rm.timeout = Millis(10000);
    (void)exec(rm, interrupt);
    return Error{where + ": renaming " + tmp + " failed: " + r.describe(mv.timeout) +
                 (r.output_tail.empty() ? "" : ": " + r.output_tail)};
  }
  return Ok{};
}

Status SshRemoteRunner::download(const std::string& host, const std::string& src,
                                 const std::string& dest, Millis timeout,
                                 const Interrupt& interrupt) {
  auto deadline = Clock::now() + timeout;
  auto lease = pool_.acquire(host, deadline, interrupt);
  if (!lease) return lease.error();
  SshSession& s = *lease->session();
  std::string where = s.label() + ": download of " + src;
  Sftp f(s);
  int rc = 0;
  f.sftp = s.call_ptr<LIBSSH2_SFTP>([&] { return libssh2_sftp_init(s.get()); }, deadline, interrupt,
                                    &rc);
  if (!f.sftp) {
    std::string why = s.last_error();
    lease->discard();
    return Error{where + ": cannot start sftp: " + why};
  }
  f.handle = s.call_ptr<LIBSSH2_SFTP_HANDLE>(
      [&] {
        return libssh2_sftp_open_ex(f.sftp, src.c_str(), static_cast<unsigned>(src.size()),
                                    LIBSSH2_FXF_READ, 0, LIBSSH2_SFTP_OPENFILE);
      },
      deadline, interrupt, &rc);
  if (!f.handle) return Error{where + ": " + sftp_error(s, f.sftp)};
  LIBSSH2_SFTP_ATTRIBUTES attrs{};
  rc = s.call([&] { return libssh2_sftp_fstat_ex(f.handle, &attrs, 0); }, deadline, interrupt);
  unsigned mode = rc == 0 && (attrs.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS)
                      ? static_cast<unsigned>(attrs.permissions & 07777)
                      : 0600u;
  fs::path target(dest);
  std::error_code ec;
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), ec);
  std::string tmp = dest + ".groundwork-" + random_suffix();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Error{where + ": cannot create " + tmp + ": " + std::strerror(errno)};
  std::array<char, 65536> buf{};
  bool ok = true;
  std::string why;
  for (;;) {
    ssize_t n = s.call(
        [&] { return static_cast<int>(libssh2_sftp_read(f.handle, buf.data(), buf.size())); },
        deadline, interrupt);
    if (n == 0) break;
    if (n < 0) {
      ok = false;
      why = n == LIBSSH2_ERROR_TIMEOUT ? "timed out"
            : n == kSshInterrupted     ? "interrupted"
                                       : sftp_error(s, f.sftp);
      break;
    }
    if (::write(fd, buf.data(), static_cast<size_t>(n)) != n) {
      ok = false;
      why = std::string("write: ") + std::strerror(errno);
      break;
    }
  }
  if (ok && (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0)) {
    ok = false;
    why = std::strerror(errno);
  }
  ::close(fd);
  if (ok && ::rename(tmp.c_str(), dest.c_str()) != 0) {
    ok = false;
    why = std::string("rename: ") + std::strerror(errno);
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    if (why == "timed out" || why == "interrupted") {
      f.reset();  // the SFTP handles go before the session they belong to
      lease->discard();
    }
    return Error{where + " to " + dest + " failed: " + why};
  }
  return Ok{};
}

}  // namespace gw
