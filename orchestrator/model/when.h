#pragma once
/// Evaluating a `when` (SPEC §3 Templates). Pure: it renders against a scope and compares.
#include "model/project.h"
#include "model/result.h"
#include "model/template.h"

namespace gw {

/// A `when` evaluated against what is known: true, false, or not yet (it uses an output that has
/// not been captured yet; decided the moment it is).
enum class WhenState { True, False, AtRunTime };

/// Evaluates a `when`: "true"/"false" (any case), or `A == B` / `A != B`. The operator is looked
/// for in the template's own text, outside `${…}`, so a substituted value (a base64 string ending
/// in `==`) never splits the comparison. Errors carry the `when`'s location.
Result<WhenState> evaluate_when(const Text& when, const RenderScope& scope);

}  // namespace gw
