#pragma once
/// Process exit codes (SPEC §2).
#include <string>

namespace gw {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,     // a step, gate or drill failed
  kExitInvalid = 2,    // invalid input or usage; nothing was run
  kExitPreflight = 3,  // missing tool, unreachable cluster; nothing was run
  kExitLocked = 4,     // another run holds the lock
  kExitInterrupted = 130,
};

/// Logs `message` as an error and returns `code`: `return fail(kExitInvalid, "…");` in a verb.
int fail(ExitCode code, const std::string& message);

}  // namespace gw
