#pragma once
/// Process exit codes (SPEC §2).
namespace gw {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,     // a step, gate or drill failed
  kExitInvalid = 2,    // invalid input or usage; nothing was run
  kExitPreflight = 3,  // missing tool, unreachable cluster; nothing was run
  kExitLocked = 4,     // another run holds the lock
  kExitInterrupted = 130,
};

}  // namespace gw
