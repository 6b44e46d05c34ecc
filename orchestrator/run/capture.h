#pragma once
/// What a step's `capture` keeps from the stdout of its command (local or over ssh).
#include <string>
#include <string_view>

#include "model/project.h"
#include "model/result.h"
#include "run/redactor.h"

namespace gw {

/// The value of `step.capture` taken from `out` (the command's stdout as written): group 1 of the
/// capture regex, or the whole output; trimmed and made valid UTF-8. A normal step's value is
/// redacted with `redactor` (may be null), because outputs are journaled and shown; a sensitive
/// step's value is a secret itself and is kept whole (it never leaves memory). Fails when the
/// regex finds no group 1. `step.capture` must be set.
Result<std::string> capture_value(const Step& step, std::string_view out, const Redactor* redactor);

}  // namespace gw
