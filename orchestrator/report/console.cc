#include "report/console.h"

#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "model/json_text.h"
#include "model/terminal_text.h"
#include "report/log.h"
#include "run/journal.h"

namespace gw {

Console::Console(std::ostream& err, LogFormat format, Verbosity verbosity, Color color, bool tty,
                 size_t total)
    : err_(err),
      format_(format),
      verbosity_(verbosity),
      color_(color),
      tty_(tty),
      total_(total),
      start_(std::chrono::steady_clock::now()) {}

std::string Console::prefix() const {
  auto now = std::chrono::steady_clock::now();
  auto elapsed = std::chrono::duration_cast<Millis>(now - start_);
  std::string eta;
  if (end_) {  // counts down between the executor's estimates
    auto left = std::chrono::duration_cast<Millis>(*end_ - now);
    eta = " eta " + format_clock(std::max(Millis(0), left));
  }
  // A repair re-runs a done stage's steps and gates after its probe: more work than planned, so
  // the total grows with it rather than showing [5/4].
  return "[" + std::to_string(finished_) + "/" + std::to_string(std::max(finished_, total_)) + " " +
         format_clock(elapsed) + eta + "] ";
}

void Console::estimate(Millis left) {
  std::lock_guard<std::mutex> lock(mu_);
  end_ = std::chrono::steady_clock::now() + left;
}

void Console::line(const std::string& text) {
  if (tty_ && status_line_open_) err_ << "\r\033[K";
  err_ << text << "\n" << std::flush;
  status_line_open_ = false;
}

void Console::json(const std::string& event, const std::string& unit, const std::string& step,
                   const std::string& status, const std::string& text) {
  if (format_ == LogFormat::Text && !log_has_files()) return;
  nlohmann::json j{{"event", event}};
  if (!unit.empty()) j["stage"] = unit;
  if (!step.empty()) j["step"] = step;
  if (!status.empty()) j["status"] = status;
  if (!text.empty()) j["message"] = text;
  LogLevel level = event == "warning" || status == "FAILED" ? LogLevel::Warning
                   : event == "decided"                     ? LogLevel::Debug
                   : event == "detail"                      ? LogLevel::Trace
                                                            : LogLevel::Info;
  log_event(level, j);  // JSON mode: stderr and the run's debug log; text mode: the debug log
}

void Console::step_started(const std::string& unit, const std::string& step,
                           const std::string& what) {
  std::lock_guard<std::mutex> lock(mu_);
  json("step_started", unit, step, "", what);
  if (format_ == LogFormat::Json || verbosity_ == Verbosity::Quiet) return;
  std::string text = prefix() + unit + "/" + step + "  " + terminal_text(what);
  if (tty_) {
    if (text.size() > 160) text = text.substr(0, 157) + "...";
    err_ << "\r\033[K" << text << std::flush;
    status_line_open_ = true;
  } else {
    line(text);
  }
}

void Console::step_finished(const std::string& unit, const std::string& step, StepStatus status,
                            const std::string& note) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!step.empty()) ++finished_;
  bool failed = status == StepStatus::Failed;
  std::string word = failed ? "FAILED" : to_string(status);  // a failure stands out
  json("step_finished", unit, step, word, note);
  if (format_ == LogFormat::Json) return;
  if (verbosity_ == Verbosity::Quiet && !failed) return;
  bool show = failed || verbosity_ >= Verbosity::Verbose || step.empty() ||
              status == StepStatus::Interrupted;
  if (!show) return;
  if (color_ == Color::On && failed) word = "\033[1;31m" + word + "\033[0m";
  std::string what = step.empty() ? unit : unit + "/" + step;
  line(prefix() + what + " " + word + (note.empty() ? "" : ": " + terminal_text(note)));
}

void Console::decided(const std::string& unit, const std::string& step, const std::string& why) {
  std::lock_guard<std::mutex> lock(mu_);
  json("decided", unit, step, "", why);
  if (format_ == LogFormat::Json || verbosity_ < Verbosity::Verbose) return;
  line("  decided " + (step.empty() ? unit : unit + "/" + step) + ": " + terminal_text(why));
}

void Console::detail(const std::string& unit, const std::string& step, const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  json("detail", unit, step, "", text);
  if (format_ == LogFormat::Json || verbosity_ < Verbosity::Debug) return;
  line("  " + (step.empty() ? unit : unit + "/" + step) + ": " + terminal_text(text));
}

void Console::warning(const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  json("warning", "", "", "", text);
  if (format_ == LogFormat::Json || verbosity_ == Verbosity::Quiet) return;
  line("groundwork: warning: " + terminal_text(text));
}

void Console::info(const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  json("info", "", "", "", text);
  if (format_ == LogFormat::Json || verbosity_ == Verbosity::Quiet) return;
  line(terminal_text(text));
}

void Console::summary(const RunReport& report, Millis elapsed) {
  std::lock_guard<std::mutex> lock(mu_);
  if (format_ == LogFormat::Json) {
    nlohmann::json j{{"event", "summary"}, {"elapsedMs", elapsed.count()}};
    for (const auto& s : report.stages) {
      nlohmann::json js{
          {"name", s.name}, {"status", to_string(s.outcome)}, {"durationMs", s.duration.count()}};
      if (!s.failed_step.empty()) {
        js["failedStep"] = s.failed_step;
        js["message"] = s.failure.message;
        js["log"] = s.failure.log;
        js["tail"] = s.failure.tail;
      }
      j["stages"].push_back(js);
    }
    log_event(report.failed || report.interrupted ? LogLevel::Warning : LogLevel::Info, j);
    return;
  }
  if (tty_ && status_line_open_) err_ << "\r\033[K";
  status_line_open_ = false;
  size_t width = 5;
  for (const auto& s : report.stages) width = std::max(width, s.name.size());
  std::ostringstream out;
  if (verbosity_ != Verbosity::Quiet) {  // quiet: the failures and the final line only
    out << "\n"
        << std::left << std::setw(static_cast<int>(width) + 2) << "STAGE" << std::setw(13)
        << "STATUS"
        << "DURATION\n";
    for (const auto& s : report.stages) {
      out << std::setw(static_cast<int>(width) + 2) << s.name << std::setw(13)
          << to_string(s.outcome) << format_duration(Millis(s.duration.count() / 100 * 100));
      if (s.outcome == StageOutcome::Blocked) out << "  (needs " << s.blocked_by << ")";
      out << "\n";
    }
  }
  for (const auto& s : report.stages) {
    if (s.outcome != StageOutcome::Failed && s.outcome != StageOutcome::Drifted) continue;
    const char* label = s.outcome == StageOutcome::Drifted ? "DRIFTED" : "FAILED";
    out << "\n"
        << (color_ == Color::On ? std::string("\033[1;31m") + label + "\033[0m "
                                : label + std::string(" "))
        << s.name << "/" << s.failed_step << ": " << terminal_text(s.failure.message) << "\n";
    if (!s.failure.tail.empty()) {
      out << "  last output:\n";
      std::istringstream tail(terminal_text(s.failure.tail));
      std::string l;
      while (std::getline(tail, l)) out << "    " << l << "\n";
    }
    if (!s.failure.log.empty()) out << "  log: " << terminal_text(s.failure.log) << "\n";
  }
  out << "\n"
      << (report.interrupted ? "interrupted"
          : report.failed    ? "failed"
                             : "ok")
      << " after " << format_clock(elapsed) << "\n";
  err_ << out.str() << std::flush;
}

}  // namespace gw
