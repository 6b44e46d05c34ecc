#pragma once
/// Durations as written in the files: 250ms, 30s, 5m, 1h30m.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace gw {

using Millis = std::chrono::milliseconds;

/// Parses "250ms", "30s", "5m", "1h30m", "2h"; nullopt when malformed or empty.
std::optional<Millis> parse_duration(std::string_view text);

/// The shortest exact spelling: 90000ms -> "1m30s", 250ms -> "250ms", 0 -> "0s".
std::string format_duration(Millis d);

/// A clock-style rendering for progress lines: "0:41", "1:02:03".
std::string format_clock(Millis d);

}  // namespace gw
