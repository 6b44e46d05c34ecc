#include "report/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <mutex>

#include "model/json_text.h"
#include "model/terminal_text.h"

namespace gw {

namespace {

struct LogState {
  std::mutex mu;
  LogFormat format = LogFormat::Text;
  std::shared_ptr<spdlog::sinks::stderr_sink_mt> console =
      std::make_shared<spdlog::sinks::stderr_sink_mt>();
  std::shared_ptr<spdlog::logger> logger;

  LogState() {
    logger = std::make_shared<spdlog::logger>("groundwork", console);
    logger->set_level(spdlog::level::trace);  // sinks filter
    logger->set_error_handler([](const std::string& msg) {
      std::fprintf(stderr, "groundwork: warning: the log cannot be written: %s\n", msg.c_str());
    });
    logger->flush_on(spdlog::level::info);  // the console at once; debug lines with the next
    console->set_level(spdlog::level::info);
    console->set_pattern("%v");
  }
};

LogState& state() {
  static LogState s;
  return s;
}

spdlog::level::level_enum to_spd(LogLevel l) {
  switch (l) {
    case LogLevel::Trace:
      return spdlog::level::trace;
    case LogLevel::Debug:
      return spdlog::level::debug;
    case LogLevel::Info:
      return spdlog::level::info;
    case LogLevel::Warning:
      return spdlog::level::warn;
    case LogLevel::Error:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

const char* prefix(LogLevel l) {
  switch (l) {
    case LogLevel::Error:
      return "groundwork: error: ";
    case LogLevel::Warning:
      return "groundwork: warning: ";
    case LogLevel::Debug:
    case LogLevel::Trace:
      return "  ";
    case LogLevel::Info:
      return "";
  }
  return "";
}

const char* event_of(LogLevel l) {
  switch (l) {
    case LogLevel::Error:
      return "error";
    case LogLevel::Warning:
      return "warning";
    case LogLevel::Info:
      return "info";
    case LogLevel::Debug:
    case LogLevel::Trace:
      return "debug";
  }
  return "info";
}

void emit(LogLevel level, std::string_view message) {
  LogState& s = state();
  if (s.format == LogFormat::Json) {
    std::string body = json_dump({{"event", event_of(level)}, {"message", std::string(message)}});
    s.logger->log(to_spd(level), "{}", body.substr(1, body.size() - 2));
  } else {
    s.logger->log(to_spd(level), "{}{}", prefix(level), terminal_text(message));
  }
}

}  // namespace

void init_log(LogFormat format, Verbosity verbosity) {
  LogState& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.format = format;
  s.console->set_level(verbosity == Verbosity::Quiet     ? spdlog::level::err
                       : verbosity == Verbosity::Normal  ? spdlog::level::info
                       : verbosity == Verbosity::Verbose ? spdlog::level::debug
                                                         : spdlog::level::trace);
  if (format == LogFormat::Json)
    s.console->set_formatter(std::make_unique<spdlog::pattern_formatter>(
        "{\"time\":\"%Y-%m-%dT%H:%M:%S.%eZ\",\"level\":\"%l\",%v}",
        spdlog::pattern_time_type::utc));
  else
    s.console->set_pattern("%v");
}

Status add_log_file(const std::string& path) {
  LogState& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  try {
    auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path);
    sink->set_level(spdlog::level::trace);
    sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(
        "%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc));
    s.logger->sinks().push_back(sink);
  } catch (const spdlog::spdlog_ex& e) {
    return Error{path + ": cannot open the debug log: " + e.what()};
  }
  return Ok{};
}

void close_log_files() {
  LogState& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.logger->flush();
  auto& sinks = s.logger->sinks();
  sinks.erase(sinks.begin() + 1, sinks.end());
}

void log_error(std::string_view m) {
  emit(LogLevel::Error, m);
}
void log_warning(std::string_view m) {
  emit(LogLevel::Warning, m);
}
void log_info(std::string_view m) {
  emit(LogLevel::Info, m);
}
void log_debug(std::string_view m) {
  emit(LogLevel::Debug, m);
}
void log_trace(std::string_view m) {
  emit(LogLevel::Trace, m);
}

void log_event(LogLevel level, const nlohmann::json& fields) {
  LogState& s = state();
  if (s.format == LogFormat::Json) {
    std::string body = json_dump(fields);
    s.logger->log(to_spd(level), "{}", body.substr(1, body.size() - 2));
    return;
  }
  // Text mode: the console prints progress itself; the debug log gets one line.
  std::string line = fields.value("event", "");
  for (const char* k : {"stage", "step", "status", "message"})
    if (auto it = fields.find(k); it != fields.end() && it->is_string())
      line += " " + it->get<std::string>();
  auto& sinks = s.logger->sinks();
  for (size_t i = 1; i < sinks.size(); ++i) {
    if (sinks[i]->level() == spdlog::level::off) continue;  // failed before
    try {
      sinks[i]->log(spdlog::details::log_msg("groundwork", to_spd(level), line));
      if (level >= LogLevel::Warning) sinks[i]->flush();  // the rest at the end of the run
    } catch (const spdlog::spdlog_ex& e) {
      sinks[i]->set_level(spdlog::level::off);  // reported once, then left alone
      s.console->log(spdlog::details::log_msg(
          "groundwork", spdlog::level::warn,
          std::string("groundwork: warning: the run's debug log cannot be written: ") + e.what()));
    }
  }
}

LogFormat log_format() {
  return state().format;
}

bool log_has_files() {
  return state().logger->sinks().size() > 1;
}

}  // namespace gw
