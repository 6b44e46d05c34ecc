#include "model/regex.h"

#include <re2/re2.h>

namespace gw {

Result<Regex> Regex::compile(std::string_view pattern) {
  if (pattern.size() > kMaxRegexPatternBytes)
    return Error{"invalid regex: longer than " + std::to_string(kMaxRegexPatternBytes) + " bytes"};
  RE2::Options opts;
  opts.set_log_errors(false);  // the message goes into our own error, not to stderr
  opts.set_max_mem(kMaxRegexMemory);
  // Bytes, as std::regex matched them: output that is not valid UTF-8 matches like any other
  // (in UTF-8 mode `.` would not match an invalid byte). UTF-8 literals still match UTF-8 text.
  opts.set_encoding(RE2::Options::EncodingLatin1);
  auto re = std::make_shared<const RE2>(re2::StringPiece(pattern.data(), pattern.size()), opts);
  if (!re->ok()) {
    std::string why = re->error();
    if (re->error_code() == RE2::ErrorPatternTooLarge)
      why = "pattern too large (its compiled form exceeds the memory limit)";
    return Error{"invalid regex: " + why};
  }
  if (re->ProgramSize() > kMaxRegexProgramSize)
    return Error{"invalid regex: pattern too large (" + std::to_string(re->ProgramSize()) +
                 " instructions; at most " + std::to_string(kMaxRegexProgramSize) + ")"};
  return Regex(std::string(pattern), std::move(re));
}

bool Regex::search(std::string_view text) const {
  return re_->Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), RE2::UNANCHORED,
                    nullptr, 0);
}

std::optional<std::string> Regex::search_group1(std::string_view text) const {
  if (re_->NumberOfCapturingGroups() < 1) return std::nullopt;
  re2::StringPiece groups[2];
  if (!re_->Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), RE2::UNANCHORED,
                  groups, 2))
    return std::nullopt;
  return std::string(groups[1].data() ? groups[1].data() : "", groups[1].size());
}

int Regex::groups() const {
  return re_->NumberOfCapturingGroups();
}

}  // namespace gw
