#pragma once
/// Names read from the project for the shell completions, and where installed content is found.
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "cli/commands/options.h"

namespace gw {

/// What `groundwork __complete KIND` lists from the project, one name per line.
enum class ProjectNames { Stages, Steps, Playbooks, PlaybookSteps };

/// Parses "stages", "steps", "playbooks" or "playbook-steps".
std::optional<ProjectNames> parse_project_names(std::string_view kind);

/// Prints the stage names, `STAGE/STEP` names (after every stage name), playbook names, or the
/// phase steps of playbooks as `drill`/`restore`/`plan --playbook` take them after --force
/// (`PLAYBOOK:PHASE`, then `PLAYBOOK:PHASE/STEP` for each step, for each phase with steps) of the
/// project that `g` names (-i or $GROUNDWORK_INVENTORY, --stages, --playbooks). `playbook`: for
/// PlaybookSteps, only that playbook's (empty: every playbook's). Never fails: a missing inventory
/// or files with errors give what could be read (perhaps nothing), silently.
void print_project_names(const GlobalOptions& g, ProjectNames kind, std::string_view playbook,
                         std::ostream& out);

/// `<folder of the running binary>/../share/groundwork/<kind>` ("stages", "playbooks") when that
/// folder exists: the content an installed groundwork ships (cmake --install, the .deb).
std::optional<std::string> shipped_dir(std::string_view kind);

/// Points g's stages and playbooks folders at the shipped ones when they were not given on the
/// command line and ./stages (./playbooks) does not exist. The inventory's spec.stages and
/// spec.playbooks still win over both (load/project_loader.h).
void use_shipped_dirs(GlobalOptions& g);

}  // namespace gw
