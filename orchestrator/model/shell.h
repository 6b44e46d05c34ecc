#pragma once
/// POSIX shell quoting for remote commands (an ssh command is a shell string by nature): every
/// template value substituted into one is quoted, so a value can never add words or commands.
#include <string>
#include <string_view>

#include "model/result.h"
#include "model/template.h"

namespace gw {

/// `s` as one POSIX shell word: unchanged when it only has characters no shell treats specially,
/// else in single quotes (a `'` inside becomes `'\''`). The empty string is `''`.
std::string shell_quote(std::string_view s);

/// Renders a remote command line: literal text stays as written (it is the user's shell code),
/// every `${…}` value is shell-quoted. Errors as render_template's.
Result<std::string> render_shell_command(std::string_view raw, const RenderScope& scope,
                                         RenderUse* use);

}  // namespace gw
