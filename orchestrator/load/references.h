#pragma once
/// Resolves every `${…}` reference of a loaded project at validate time (SPEC §3): unknown
/// references are errors at their location; run-time values (secrets, captured outputs) are
/// checked for existence only.
#include <functional>
#include <optional>
#include <string>

#include "model/project.h"

namespace gw {

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

/// Reports every unknown or misplaced reference in stages, playbooks and the .tmpl files they use.
void check_references(const Project& project, const EnvLookup& env, Diagnostics& diags);

}  // namespace gw
