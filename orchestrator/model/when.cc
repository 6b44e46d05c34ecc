#include "model/when.h"

#include <algorithm>
#include <cctype>

#include "model/strings.h"

namespace gw {

namespace {

/// Where the comparison operator is in the raw text, outside every `${…}`; npos when none.
size_t find_operator(std::string_view raw, const std::vector<TemplatePart>& parts) {
  std::vector<std::pair<size_t, size_t>> refs;  // [begin, end) of each reference
  for (const auto& p : parts)
    if (p.ref) {
      size_t close = raw.find('}', p.ref->offset);
      refs.emplace_back(p.ref->offset, close == std::string_view::npos ? raw.size() : close + 1);
    }
  auto inside_ref = [&](size_t pos) {
    return std::any_of(refs.begin(), refs.end(),
                       [&](const auto& r) { return pos >= r.first && pos < r.second; });
  };
  for (size_t i = 0; i + 1 < raw.size(); ++i)
    if ((raw[i] == '=' || raw[i] == '!') && raw[i + 1] == '=' && !inside_ref(i)) return i;
  return std::string_view::npos;
}

/// True when the render used an output the scope does not have yet.
bool uses_unknown_output(const RenderUse& use, const RenderScope& scope) {
  for (const auto& key : use.outputs)
    if (!scope.outputs || !scope.outputs->count(key)) return true;
  return false;
}

}  // namespace

Result<WhenState> evaluate_when(const Text& when, const RenderScope& scope) {
  std::vector<TemplatePart> parts;
  TemplateError perr;
  if (!parse_template(when.raw, &parts, &perr)) return Error{perr.message, when.loc};
  std::string_view raw = when.raw;
  size_t op = find_operator(raw, parts);
  RenderUse use;
  if (op != std::string_view::npos) {
    auto left = render_template(raw.substr(0, op), scope, &use);
    if (!left) return Error{left.error().message, when.loc};
    auto right = render_template(raw.substr(op + 2), scope, &use);
    if (!right) return Error{right.error().message, when.loc};
    if (uses_unknown_output(use, scope)) return WhenState::AtRunTime;
    bool same = trim_space(*left) == trim_space(*right);
    return (raw[op] == '=') == same ? WhenState::True : WhenState::False;
  }
  auto r = render_template(raw, scope, &use);
  if (!r) return Error{r.error().message, when.loc};
  if (uses_unknown_output(use, scope)) return WhenState::AtRunTime;
  std::string l(trim_space(*r));
  for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "true") return WhenState::True;
  if (l == "false" || l.empty()) return WhenState::False;
  return Error{"'when' must render to true, false or a comparison 'A == B' / 'A != B', not '" +
                   std::string(trim_space(*r)) + "'",
               when.loc};
}

}  // namespace gw
