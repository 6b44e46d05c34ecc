#pragma once
/// The verbs. Each returns a process exit code (cli/commands/exit_codes.h); data goes to stdout,
/// diagnostics and progress to stderr.
#include "cli/commands/options.h"
#include "model/project.h"

namespace gw {

int cmd_validate(const GlobalOptions& g);
int cmd_plan(const GlobalOptions& g, const PlanOptions& o);
int cmd_apply(const GlobalOptions& g, const RunOptions& o);
int cmd_status(const GlobalOptions& g, const StatusOptions& o);
int cmd_reset(const GlobalOptions& g, const ResetOptions& o);
/// `render [STAGE[/STEP]…]`: every selected step's argv, env, stdin and rendered files, secrets
/// as placeholders; read-only.
int cmd_render(const GlobalOptions& g, const RenderOptions& o);
/// `diff [TARGET…]`: the rendered manifests and helm releases of the selected steps against the
/// live cluster (`kubectl diff`); read-only. 0 same, 1 differs, 3 cluster or tool missing or a
/// comparison failed, 2 bad input.
int cmd_diff(const GlobalOptions& g, const DiffOptions& o);
int cmd_doctor(const GlobalOptions& g);
/// `drill PLAYBOOK` (mode Drill) and `restore PLAYBOOK` (mode Restore): o.targets holds the name.
int cmd_drill(const GlobalOptions& g, const RunOptions& o, Mode mode);

}  // namespace gw
