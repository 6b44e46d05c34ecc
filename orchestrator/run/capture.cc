#include "run/capture.h"

#include <cctype>

#include "model/json_text.h"
#include "model/regex.h"
#include "model/strings.h"

namespace gw {

namespace {}  // namespace

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
  value = valid_utf8(trim_space(value));
  if (redactor && step.visibility == Visibility::Normal) value = redactor->redact(value);
  return value;
}

}  // namespace gw
