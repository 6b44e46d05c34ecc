#pragma once
/// The run console: a ninja-like status line per step on stderr ("[5/23 0:41] traefik/chart  helm
/// upgrade --install traefik …"), warnings, and the summary at the end. In JSON mode every event
/// is one JSON object per line (for machines).
#include <chrono>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>

#include "report/style.h"
#include "run/executor.h"

namespace gw {

class Console : public RunListener {
 public:
  /// `total`: the number of steps and gates the run may execute, for the [done/total] counter.
  Console(std::ostream& err, LogFormat format, Verbosity verbosity, Color color, bool tty,
          size_t total);

  void step_started(const std::string& unit, const std::string& step,
                    const std::string& what) override;
  void step_finished(const std::string& unit, const std::string& step, StepStatus status,
                     const std::string& note) override;
  void warning(const std::string& text) override;
  /// With -v: why each step and stage runs or is skipped.
  void decided(const std::string& unit, const std::string& step, const std::string& why) override;
  /// With -vv: what each gate poll saw.
  void detail(const std::string& unit, const std::string& step, const std::string& text) override;
  void info(const std::string& text);
  /// The executor's estimate of the time left: shown as "eta M:SS" in the status prefix.
  void estimate(Millis left) override;

  /// The table of stages and, for each failure, its last output lines, what it saw, its log.
  void summary(const RunReport& report, Millis elapsed);

 private:
  std::string prefix() const;
  void line(const std::string& text);
  void json(const std::string& event, const std::string& unit, const std::string& step,
            const std::string& status, const std::string& text);

  std::ostream& err_;
  LogFormat format_;
  Verbosity verbosity_;
  Color color_;
  bool tty_;
  size_t total_;
  size_t finished_ = 0;
  bool status_line_open_ = false;
  std::chrono::steady_clock::time_point start_;
  std::optional<std::chrono::steady_clock::time_point> end_;  // estimated end of the run
  std::mutex mu_;
};

}  // namespace gw
