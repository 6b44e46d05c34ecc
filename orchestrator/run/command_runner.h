#pragma once
/// The boundary to the outside world for processes: the scheduler and gates run commands only
/// through CommandRunner, so tests substitute a fake.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/duration.h"
#include "model/project.h"
#include "run/interrupt.h"
#include "run/redactor.h"

namespace gw {

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
};

enum class Outcome { Exited, Signaled, TimedOut, Interrupted, SpawnFailed };

struct ProcessResult {
  Outcome outcome = Outcome::SpawnFailed;
  int exit_code = -1;
  int signal = 0;
  std::string out;          // stdout, redacted, up to kCaptureLimit bytes
  std::string output_tail;  // the last lines of stdout+stderr, redacted (for failure reports)
  std::string error;        // why it could not start
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

/// The real runner (Boost.Process v2).
class ProcessRunner : public CommandRunner {
 public:
  explicit ProcessRunner(Millis grace = Millis(5000)) : grace_(grace) {}
  ProcessResult run(const ProcessSpec& spec, const Interrupt& interrupt) override;

 private:
  Millis grace_;
};

/// Finds a program: a path containing '/' as is, else each folder of $PATH. Empty if not found.
std::string find_program(const std::string& name);

}  // namespace gw
