#include "model/shell.h"

#include <vector>

namespace gw {

std::string shell_quote(std::string_view s) {
  constexpr std::string_view kSafe =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+%";
  if (!s.empty() && s.find_first_not_of(kSafe) == std::string_view::npos) return std::string(s);
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

Result<std::string> render_shell_command(std::string_view raw, const RenderScope& scope,
                                         RenderUse* use) {
  std::vector<TemplatePart> parts;
  TemplateError err;
  if (!parse_template(raw, &parts, &err)) return render_template(raw, scope, use);  // its error
  std::string out;
  for (const auto& p : parts) {
    if (!p.ref) {
      out += p.literal;
      continue;
    }
    auto v = render_template("${" + p.ref->spelled() + "}", scope, use);
    if (!v) return v.error();
    out += shell_quote(*v);
  }
  return out;
}

}  // namespace gw
