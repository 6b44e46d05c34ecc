#include "model/duration.h"

#include <cctype>
#include <cstdint>
#include <cstdio>

namespace gw {

namespace {

/// The longest duration accepted: 100000h (11 years). A longer one would overflow a steady_clock
/// time point (nanoseconds) when a deadline is computed, and its format_duration spelling could
/// need a number over the per-number limit, so it would not parse back.
constexpr int64_t kMaxDurationMs = 100'000LL * 3'600'000;

}  // namespace

std::optional<Millis> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t total = 0;
  size_t i = 0;
  int last_rank = 100;  // units must appear largest first, each at most once
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    int64_t n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      n = n * 10 + (text[i] - '0');
      if (n > 1'000'000'000) return std::nullopt;
      ++i;
    }
    std::string_view rest = text.substr(i);
    int64_t unit = 0;
    int rank = 0;
    size_t len = 0;
    if (rest.starts_with("ms")) {
      unit = 1, rank = 0, len = 2;
    } else if (rest.starts_with("h")) {
      unit = 3'600'000, rank = 3, len = 1;
    } else if (rest.starts_with("m")) {
      unit = 60'000, rank = 2, len = 1;
    } else if (rest.starts_with("s")) {
      unit = 1'000, rank = 1, len = 1;
    } else {
      return std::nullopt;
    }
    if (rank >= last_rank) return std::nullopt;
    last_rank = rank;
    total += n * unit;
    if (total > kMaxDurationMs) return std::nullopt;
    i += len;
  }
  return Millis(total);
}

std::string format_duration(Millis d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  if (ms % 1000 != 0 && ms < 60'000) return std::to_string(ms) + "ms";
  std::string out;
  int64_t h = ms / 3'600'000, m = ms / 60'000 % 60, s = ms / 1000 % 60, rest = ms % 1000;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (s) out += std::to_string(s) + "s";
  if (rest) out += std::to_string(rest) + "ms";
  return out;
}

std::string format_clock(Millis d) {
  int64_t total = d.count() / 1000;
  int64_t h = total / 3600, m = total / 60 % 60, s = total % 60;
  char buf[32];
  if (h) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(h),
                  static_cast<long long>(m), static_cast<long long>(s));
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(m),
                  static_cast<long long>(s));
  }
  return buf;
}

}  // namespace gw
