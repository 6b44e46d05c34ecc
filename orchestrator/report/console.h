#pragma once
/// The run console on stderr. Two modes (console_mode() picks one):
/// - Live, on a terminal (ninja/docker-buildx style): a block at the bottom of the screen with a
///   header ("[5/23 0:41 eta 1:10] 2 running") and one line per running step with its own
///   elapsed time, redrawn by a ticker thread (at most 10 times a second, at least every
///   half second); a finished step scrolls up as one permanent line above the block, and so do
///   warnings and failures. Lines are cut to the terminal's width (read before every redraw).
/// - Plain (not a terminal, --quiet, CI=true, TERM=dumb, --log-format json): one line per start
///   ("[5/23 0:41] traefik/chart  helm upgrade --install traefik …") and per stage end, failures
///   and warnings; in JSON mode every event is one JSON object per line (for machines).
/// Both end with the summary.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "report/style.h"
#include "run/executor.h"

namespace gw {

/// How the console shows progress (see above).
enum class ConsoleMode { Plain, Live };

/// Live when stderr is a terminal, TERM is set and not "dumb", CI is not "true", the verbosity
/// is not quiet and the log format is text; else Plain.
ConsoleMode console_mode(LogFormat format, Verbosity verbosity);

class Console : public RunListener {
 public:
  /// `total`: the number of steps and gates the run may execute, for the [done/total] counter.
  /// Live mode writes to `err` as the terminal on file descriptor 2 (its width is read there)
  /// and starts the ticker thread.
  Console(std::ostream& err, LogFormat format, Verbosity verbosity, Color color, ConsoleMode mode,
          size_t total);
  /// Stops and joins the ticker and removes the live block.
  ~Console() override;
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

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

  /// Ends the live block, then prints the table of stages and, for each failure, its last
  /// output lines, what it saw, its log.
  void summary(const RunReport& report, Millis elapsed);

 private:
  using Clock = std::chrono::steady_clock;
  /// A step or gate running now (live mode).
  struct Running {
    std::string id;  // "unit/step"
    std::string what;
    Clock::time_point since;
  };

  std::string prefix() const;
  void line(const std::string& text);
  void json(const std::string& event, const std::string& unit, const std::string& step,
            const std::string& status, const std::string& text);
  std::string paint(const std::string& s, const char* code) const;
  void tick() noexcept;  // the ticker thread's loop
  void stop_ticker();    // joins it; idempotent
  void draw_block();     // mu_ held; emits
  void clear_block();    // mu_ held; appends to pending_
  void emit();           // writes pending_ in one go; mu_ held
  std::vector<std::string> block_lines(size_t width, size_t rows) const;

  std::ostream& err_;
  LogFormat format_;
  Verbosity verbosity_;
  Color color_;
  ConsoleMode mode_;
  size_t total_;
  size_t finished_ = 0;
  Clock::time_point start_;
  std::optional<Clock::time_point> end_;  // estimated end of the run
  std::vector<Running> running_;          // live mode, in start order
  std::string pending_;                   // what the next emit() writes
  size_t drawn_ = 0;                      // lines of the live block on the screen now
  bool block_on_ = false;                 // from the first start to the summary
  bool dirty_ = false;                    // the block is to be redrawn at the next tick
  bool stopping_ = false;                 // the ticker is to end
  Clock::time_point last_draw_;
  std::mutex mu_;
  std::condition_variable tick_cv_;
  std::thread ticker_;  // live mode only
};

}  // namespace gw
