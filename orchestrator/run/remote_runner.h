#pragma once
/// The boundary to remote hosts, like CommandRunner for local processes: ssh steps and gates run
/// remote commands and copy files only through RemoteRunner, so tests can substitute a fake.
/// SshRemoteRunner is the libssh2 implementation, one connection per host per run (SshPool).
#include <optional>
#include <string>

#include "model/duration.h"
#include "model/project.h"
#include "model/result.h"
#include "run/interrupt.h"
#include "run/redactor.h"
#include "run/ssh_pool.h"

namespace gw {

/// One remote command: a shell command line run by the host's login shell.
struct RemoteSpec {
  std::string host;     // a key of the inventory's hosts
  std::string command;  // shell code; its template values already quoted
  std::optional<std::string> stdin_data;
  Millis timeout{600000};
  std::string log_path;  // stdout and stderr are appended here, redacted; empty: no log
  const Redactor* redactor = nullptr;
  Visibility visibility = Visibility::Normal;  // Sensitive: output stays out of the log
};

enum class RemoteOutcome { Exited, Signaled, TimedOut, Interrupted, Failed };

struct RemoteResult {
  RemoteOutcome outcome = RemoteOutcome::Failed;
  int exit_code = -1;
  std::string signal;  // Signaled: the signal's name without SIG ("KILL")
  /// stdout as the command wrote it, up to kCaptureLimit bytes: NOT redacted, so that judges and
  /// captures see the real text. Redact it before it is shown, logged or stored.
  std::string out;
  std::string output_tail;  // the last lines of stdout+stderr, redacted
  std::string error;        // Failed: why (names the host)
  std::string log_error;    // why the step log is incomplete (a full disk), or empty

  bool ok() const { return outcome == RemoteOutcome::Exited && exit_code == 0; }
  /// "exit 3", "killed by signal KILL", "timed out after 5s", "interrupted", or the error.
  std::string describe(Millis timeout) const;
};

class RemoteRunner {
 public:
  virtual ~RemoteRunner() = default;
  /// Runs to completion, timeout or interruption. On timeout or interruption the channel is
  /// closed, and the remote command's process group gets SIGTERM, then SIGKILL 5s later (see
  /// remote_wrapper). A connection lost mid-command is Failed, never retried.
  virtual RemoteResult exec(const RemoteSpec& spec, const Interrupt& interrupt) = 0;
  /// Writes `content` to `dest` on the host with permission bits `mode`: into a temporary name
  /// next to it, then renamed, so a half-copied file never has the final name.
  virtual Status upload(const std::string& host, const std::string& content,
                        const std::string& dest, unsigned mode, Millis timeout,
                        const Interrupt& interrupt) = 0;
  /// Copies the host's `src` to the local `dest` (temporary name, then rename), with the remote
  /// file's permission bits.
  virtual Status download(const std::string& host, const std::string& src, const std::string& dest,
                          Millis timeout, const Interrupt& interrupt) = 0;
};

/// The command line sent to the server for `command`: a POSIX sh wrapper that starts `command`
/// in a session of its own (setsid) with the first `stdin_bytes` bytes of the channel as its
/// standard input, then watches the rest of the channel's input: when the channel closes (we gave
/// up, or the connection died) the command's process group gets SIGTERM, then SIGKILL after 5s.
/// A command killed by a signal makes the wrapper die of the same signal, so the server reports
/// it (`exit-signal`); an exit status above 128 therefore reads as a signal, as in shells.
std::string remote_wrapper(const std::string& command, size_t stdin_bytes);

/// `command` run through `sudo -S` (the password, when sudo asks, is the first line of stdin).
std::string sudo_command(const std::string& command);

/// The libssh2 implementation.
class SshRemoteRunner : public RemoteRunner {
 public:
  SshRemoteRunner(const Inventory& inv, SshOptions opt) : pool_(inv, opt) {}
  RemoteResult exec(const RemoteSpec& spec, const Interrupt& interrupt) override;
  Status upload(const std::string& host, const std::string& content, const std::string& dest,
                unsigned mode, Millis timeout, const Interrupt& interrupt) override;
  Status download(const std::string& host, const std::string& src, const std::string& dest,
                  Millis timeout, const Interrupt& interrupt) override;

 private:
  SshPool pool_;
};

}  // namespace gw
