#pragma once
/// User-supplied regular expressions (capture.regex, jsonpath `matches`, command `expectOutput`):
/// RE2 syntax, matched in time linear in the input, with a bounded compiled size and memory, so
/// no pattern and no output (however large) can overflow the stack or run for ever. Matching is
/// on bytes (`.` is one byte), so output that is not valid UTF-8 is matched like any other.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "model/result.h"

namespace re2 {
class RE2;
}

namespace gw {

/// The largest compiled program a user regex may have (RE2 instructions, ~ pattern complexity).
inline constexpr int kMaxRegexProgramSize = 20'000;
/// The memory one compiled regex may use, DFA caches included (RE2 falls back to a slower linear
/// matcher when the cache is full; it never fails a match for it).
inline constexpr int64_t kMaxRegexMemory = 16 << 20;
/// The longest pattern accepted, in bytes.
inline constexpr size_t kMaxRegexPatternBytes = 4096;

/// A compiled RE2 pattern. Cheap to copy (shares the compiled program); matching is thread-safe.
class Regex {
 public:
  /// Compiles `pattern` (RE2 syntax; no backreferences or lookaround). The error message says
  /// what is wrong ("invalid regex: missing ): (a"), or that the pattern is too large.
  static Result<Regex> compile(std::string_view pattern);

  /// Whether the pattern matches anywhere in `text` (unanchored, like std::regex_search).
  bool search(std::string_view text) const;
  /// Group 1 of the first match in `text`; nullopt when there is no match or the pattern has no
  /// group 1. A group 1 that did not take part in the match is the empty string.
  std::optional<std::string> search_group1(std::string_view text) const;

  /// The number of capturing groups.
  int groups() const;
  /// The pattern as written.
  const std::string& pattern() const { return pattern_; }

 private:
  Regex(std::string pattern, std::shared_ptr<const re2::RE2> re)
      : pattern_(std::move(pattern)), re_(std::move(re)) {}
  std::string pattern_;
  std::shared_ptr<const re2::RE2> re_;
};

}  // namespace gw
