#pragma once
/// The boundary to the outside world for processes: the scheduler and gates run commands only
/// through CommandRunner, so tests substitute a fake.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "model/duration.h"
#include "model/project.h"
#include "run/interrupt.h"
#include "run/redactor.h"

namespace gw {

/// A command just started: the leader of its own process group, and the token its environment
/// (and that of every descendant) carries as GROUNDWORK_STEP (run/containment.h).
struct SpawnedGroup {
  pid_t pgid = 0;            // the process group, led by the command itself
  pid_t pid = 0;             // the command (== pgid)
  uint64_t start_ticks = 0;  // its start time (/proc/PID/stat field 22): tells a recycled pid apart
  std::string token;
};

/// One process to run: no shell, its own process group.
struct ProcessSpec {
  std::string program;                                   // resolved executable path
  std::vector<std::string> args;                         // argv[1..]
  std::vector<std::pair<std::string, std::string>> env;  // added to the inherited environment
  std::optional<std::string> cwd;
  std::optional<std::string> stdin_data;
  Millis timeout{600000};
  std::string log_path;  // stdout and stderr are appended here; empty: no log
  const Redactor* redactor = nullptr;
  Visibility visibility = Visibility::Normal;  // Sensitive: output stays out of the log
  /// Called once, right after the command started and before anything is read or waited for
  /// (e.g. to record its group so that a later run can find it if this one dies). Must not block.
  std::function<void(const SpawnedGroup&)> on_spawn;
};

enum class Outcome { Exited, Signaled, TimedOut, Interrupted, SpawnFailed };

struct ProcessResult {
  Outcome outcome = Outcome::SpawnFailed;
  int exit_code = -1;
  int signal = 0;
  /// stdout as the command wrote it, up to kCaptureLimit bytes: NOT redacted, so that judges and
  /// captures see the real text. Redact it before it is shown, logged or stored.
  std::string out;
  std::string output_tail;  // the last lines of stdout+stderr, redacted (for failure reports)
  std::string error;        // why it could not start
  std::string log_error;    // why the step log is incomplete (a full disk), or empty
  Millis duration{0};

  bool ok() const { return outcome == Outcome::Exited && exit_code == 0; }
  /// "exit 1", "killed by signal 9", "timed out after 10s", "interrupted", "cannot start: …".
  std::string describe(Millis timeout) const;
};

inline constexpr size_t kCaptureLimit = 8u << 20;

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  /// Runs to completion, timeout or interruption. On timeout or Interrupt::Terminate the process
  /// group gets SIGTERM, then SIGKILL after the grace period; on Interrupt::Kill, SIGKILL at once.
  /// Whatever the outcome, no process of the group is left running when this returns.
  virtual ProcessResult run(const ProcessSpec& spec, const Interrupt& interrupt) = 0;
};

/// The real runner (Boost.Process v2). Whatever a command started is stopped when it ends, also
/// outside its process group (run/containment.h).
class ProcessRunner : public CommandRunner {
 public:
  /// Notes which signals have a disposition other than the default right now (ignored ones
  /// survive exec): each command gets exactly those set back to the default. groundwork sets its
  /// dispositions in main() and takes signals with sigwait (run/interrupt.h), never a handler.
  explicit ProcessRunner(Millis grace = Millis(5000));
  ProcessResult run(const ProcessSpec& spec, const Interrupt& interrupt) override;
  /// Environment variables groundwork has but never passes on to a command (the sources of
  /// secrets: a command gets a secret only where a step puts it, through ProcessSpec::env). Set
  /// before the first run.
  void withhold_env(std::set<std::string> names) { withheld_ = std::move(names); }

 private:
  Millis grace_;
  std::set<std::string> withheld_;
  std::vector<int> reset_signals_;  // not at their default action when the runner was made
};

/// Finds a program: a path containing '/' as is, else each folder of $PATH. Empty if not found.
std::string find_program(const std::string& name);

}  // namespace gw
