#pragma once
/// Renders a Plan for people (text) and machines (json per SPEC §6, Graphviz dot, Mermaid).
#include <ostream>
#include <string>

#include "plan/planner.h"
#include "report/style.h"

namespace gw {

enum class PlanFormat { Text, Json, Dot, Mermaid };

/// Parses "text", "json", "dot", "mermaid".
std::optional<PlanFormat> parse_plan_format(const std::string& s);

/// Colour use in text output.

void write_plan(std::ostream& out, const Plan& plan, PlanFormat format, Color color);

}  // namespace gw
