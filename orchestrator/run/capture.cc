#include "run/capture.h"

#include <cctype>

#include "model/json_text.h"
#include "model/regex.h"

namespace gw {

namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  return std::string(s);
}

}  // namespace

Result<std::string> capture_value(const Step& step, std::string_view out,
                                  const Redactor* redactor) {
  const auto& cap = *step.capture;
  std::string value(out);
  if (cap.regex) {
    auto re = Regex::compile(*cap.regex);  // checked when loading
    auto group = re ? re->search_group1(value) : std::nullopt;
    if (!group)
      return Error{"capture '" + cap.name + "': /" + *cap.regex +
                   "/ found no group 1 in the output"};
    value = std::move(*group);
  }
  value = valid_utf8(trim(value));
  if (redactor && step.visibility == Visibility::Normal) value = redactor->redact(value);
  return value;
}

}  // namespace gw
