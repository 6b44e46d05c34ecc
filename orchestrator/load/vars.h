#pragma once
/// Typed stage vars (SPEC §3 Stage `spec.vars`): the stages' declarations checked against each
/// other and against the inventory's values; defaults and path resolution filled into the
/// inventory's vars, so planning and running see the effective values.
#include <optional>

#include "model/diagnostics.h"
#include "model/project.h"

namespace gw {

/// Whether a `when` renders false from the inventory's vars alone (no outputs, env, secrets or
/// inventory fields): the stage or step is off, so what only it refers to need not be set.
/// False when `when` is null (there is none), when it uses anything else, or when it does not
/// render.
bool off_by_vars(const Text* when, const Inventory& inv);

/// Checks every stage's `spec.vars` and applies them to `p.inventory.vars`:
/// - one var declared by several stages has one type (and enum values, and default);
/// - `within` names an ip, cidr or iprange var;
/// - a default fills a var the inventory lacks (its location: the default's);
/// - each value fits the type of every stage declaring it (error at the value, naming the stage);
/// - an ip with `within` lies inside that var's value;
/// - bools are lower-cased and relative paths made absolute: from the inventory's folder for an
///   inventory value, from the stage file's folder for a default.
/// Vars a stage declares without a default and the inventory lacks are reported by
/// check_references (load/references.h), which knows where they are used.
void apply_var_declarations(Project& p, Diagnostics& diags);

}  // namespace gw
