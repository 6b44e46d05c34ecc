#include "report/console.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "model/json_text.h"
#include "model/terminal_text.h"
#include "report/log.h"
#include "run/journal.h"

namespace gw {

namespace {

/// The least time between two redraws of the live block (at most 10 a second).
constexpr std::chrono::milliseconds kMinRedraw(100);

/// Window size of the terminal on stderr; 80x24 when it cannot be read.
std::pair<size_t, size_t> terminal_size() {
  winsize ws{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0)
    return {ws.ws_col, ws.ws_row};
  return {80, 24};
}

/// `s` on one line (newlines and tabs become spaces) and at most `columns` characters (counted
/// as UTF-8 code points), ending in "…" when cut.
std::string fit(const std::string& s, size_t columns) {
  std::string out;
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    bool lead = (c & 0xC0) != 0x80;
    if (lead && ++n > columns) {
      // Room for the ellipsis: drop the last character kept.
      while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80)
        out.pop_back();
      if (!out.empty()) out.pop_back();
      return out + "\u2026";
    }
    out += c == '\n' || c == '\t' ? ' ' : s[i];
  }
  return out;
}

/// How long a finished step took, as people read it: "0.4s", "12.1s", "3:05".
std::string took_text(Millis d) {
  if (d.count() >= 60'000) return format_clock(d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

}  // namespace

ConsoleMode console_mode(LogFormat format, Verbosity verbosity) {
  if (format != LogFormat::Text || verbosity == Verbosity::Quiet) return ConsoleMode::Plain;
  if (!::isatty(STDERR_FILENO)) return ConsoleMode::Plain;
  const char* term = std::getenv("TERM");
  if (!term || !*term || std::string(term) == "dumb") return ConsoleMode::Plain;
  const char* ci = std::getenv("CI");
  if (ci && std::string(ci) == "true") return ConsoleMode::Plain;
  return ConsoleMode::Live;
}

Console::Console(std::ostream& err, LogFormat format, Verbosity verbosity, Color color,
                 ConsoleMode mode, size_t total)
    : err_(err),
      format_(format),
      verbosity_(verbosity),
      color_(color),
      mode_(mode),
      total_(total),
      start_(Clock::now()) {
  if (mode_ == ConsoleMode::Live) ticker_ = std::thread([this] { tick(); });
}

Console::~Console() {
  stop_ticker();
  std::lock_guard<std::mutex> lock(mu_);
  clear_block();
  emit();
}

void Console::stop_ticker() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  tick_cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

void Console::tick() noexcept {
  try {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      tick_cv_.wait_for(lock, kMinRedraw);
      if (stopping_) break;
      // Elapsed times are shown to the second: redrawing twice a second keeps them ticking.
      auto since = Clock::now() - last_draw_;
      if ((dirty_ && since >= kMinRedraw) || since >= std::chrono::milliseconds(500)) draw_block();
    }
  } catch (...) {  // a console that cannot draw must not end the run
  }
}

std::string Console::paint(const std::string& s, const char* code) const {
  return color_ == Color::On ? std::string("\033[") + code + "m" + s + "\033[0m" : s;
}

std::string Console::prefix() const {
  auto now = Clock::now();
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

std::vector<std::string> Console::block_lines(size_t width, size_t rows) const {
  std::vector<std::string> out;
  size_t cols = width > 1 ? width - 1 : 1;  // the last column stays free: no automatic wrap
  std::string head = prefix() + std::to_string(running_.size()) + " running";
  out.push_back(paint(fit(head, cols), "1"));
  // The block keeps two rows of the screen for what scrolls above it.
  size_t room = rows > 4 ? rows - 3 : 1;
  auto now = Clock::now();
  for (size_t i = 0; i < running_.size(); ++i) {
    if (i + 1 == room && running_.size() > room) {
      out.push_back(fit("  … and " + std::to_string(running_.size() - i) + " more", cols));
      break;
    }
    const Running& r = running_[i];
    std::string clock = format_clock(std::chrono::duration_cast<Millis>(now - r.since));
    std::string rest = " " + r.id + "  " + r.what;
    size_t used = 2 + clock.size();
    out.push_back("  " + paint(clock, "36") + (cols > used ? fit(rest, cols - used) : ""));
  }
  return out;
}

void Console::emit() {
  if (pending_.empty()) return;
  err_ << pending_ << std::flush;  // one write: the terminal never shows half a redraw
  pending_.clear();
}

void Console::draw_block() {
  if (mode_ == ConsoleMode::Live && !stopping_ && !block_on_) clear_block();
  if (mode_ != ConsoleMode::Live || stopping_ || !block_on_) return emit();
  auto [width, rows] = terminal_size();
  std::vector<std::string> lines = block_lines(width, rows);
  if (drawn_ > 0) pending_ += "\033[" + std::to_string(drawn_) + "A";
  for (const auto& l : lines) pending_ += "\r" + l + "\033[K\n";  // in place: no flicker
  if (lines.size() < drawn_) pending_ += "\033[J";
  emit();
  drawn_ = lines.size();
  dirty_ = false;
  last_draw_ = Clock::now();
}

void Console::clear_block() {
  if (drawn_ == 0) return;
  pending_ += "\033[" + std::to_string(drawn_) + "A\r\033[J";  // goes out with what follows
  drawn_ = 0;
}

void Console::estimate(Millis left) {
  std::lock_guard<std::mutex> lock(mu_);
  end_ = Clock::now() + left;
}

void Console::line(const std::string& text) {
  clear_block();  // printed above the block, which is drawn again below it in the same write
  pending_ += text + "\n";
  // At most 10 redraws a second: in a burst of lines the next tick draws the block again.
  if (Clock::now() - last_draw_ >= kMinRedraw) return draw_block();
  dirty_ = true;
  emit();
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
  running_.push_back({unit + "/" + step, terminal_text(what), Clock::now()});
  if (mode_ == ConsoleMode::Live) {
    block_on_ = true;
    dirty_ = true;
    return;
  }
  line(prefix() + unit + "/" + step + "  " + terminal_text(what));
}

void Console::step_finished(const std::string& unit, const std::string& step, StepStatus status,
                            const std::string& note) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!step.empty()) ++finished_;
  bool failed = status == StepStatus::Failed || status == StepStatus::Drifted;
  std::string word = status == StepStatus::Failed    ? "FAILED"  // a failure stands out
                     : status == StepStatus::Drifted ? "DRIFTED"
                                                     : to_string(status);
  json("step_finished", unit, step, word, note);
  if (format_ == LogFormat::Json) return;
  std::string what = step.empty() ? unit : unit + "/" + step;
  std::optional<Millis> took;
  for (auto it = running_.begin(); it != running_.end(); ++it)
    if (it->id == what) {
      took = std::chrono::duration_cast<Millis>(Clock::now() - it->since);
      running_.erase(it);
      break;
    }
  if (mode_ == ConsoleMode::Live) dirty_ = true;
  if (verbosity_ == Verbosity::Quiet && !failed) return;
  // Every step that ran ends with one line (live: it scrolls up), with how long it took; stages'
  // own outcomes (skipped, blocked) and failures too.
  bool show = failed || verbosity_ >= Verbosity::Verbose || step.empty() ||
              status == StepStatus::Interrupted || took;
  if (!show) return;
  if (failed || mode_ == ConsoleMode::Live)  // plain lines colour only a failure
    word = paint(word, failed ? "1;31" : status == StepStatus::Passed ? "32" : "2");
  if (took) word += " " + took_text(*took);
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
  block_on_ = false;  // until a step starts again (drill runs its playbook after its stages)
  clear_block();
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
  pending_ += out.str();
  emit();
}

}  // namespace gw
