#pragma once
/// The verbs. Each returns a process exit code (cli/commands/exit_codes.h); data goes to stdout,
/// diagnostics and progress to stderr.
#include "cli/commands/options.h"

namespace gw {

int cmd_validate(const GlobalOptions& g);
int cmd_plan(const GlobalOptions& g, const PlanOptions& o);

}  // namespace gw
