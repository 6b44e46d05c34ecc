#pragma once
/// The process-wide log, through spdlog: every verb's errors, warnings, notes and debug lines. On
/// stderr in the chosen --log-format (text: "groundwork: error: …"; json: one object per line with
/// time, level, event and message), filtered by --quiet / -v / -vv; a run adds a debug log file
/// that gets every level whatever the console shows.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "model/result.h"
#include "report/style.h"

namespace gw {

/// Sets the stderr sink's format and level (Quiet: errors; Normal: + warnings, info; Verbose:
/// + debug; Debug: + trace). Before it is called: text, Normal.
void init_log(LogFormat format, Verbosity verbosity);

/// Adds a file that receives every level, as text with UTC timestamps (a run's debug log).
[[nodiscard]] Status add_log_file(const std::string& path);

/// Removes the files added by add_log_file (flushing them).
void close_log_files();

void log_error(std::string_view message);
void log_warning(std::string_view message);
/// A note for people ("applying 9 stages …"): info level.
void log_info(std::string_view message);
/// Why something was decided: shown with -v, always in the run's debug log.
void log_debug(std::string_view message);
/// Detail: shown with -vv, always in the run's debug log.
void log_trace(std::string_view message);

enum class LogLevel { Trace, Debug, Info, Warning, Error };
/// A structured event (the console's progress in JSON mode): `fields` spliced after time and level
/// on stderr in JSON mode; its "message" (or the event name) in text in the debug log.
void log_event(LogLevel level, const nlohmann::json& fields);

/// Whether a debug log file is open (text-mode events are only worth building then).
bool log_has_files();

/// The current format of stderr.
LogFormat log_format();

}  // namespace gw
