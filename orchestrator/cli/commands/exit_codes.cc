#include "cli/commands/exit_codes.h"

#include "report/log.h"

namespace gw {

int fail(ExitCode code, const std::string& message) {
  log_error(message);
  return code;
}

}  // namespace gw
