#pragma once
/// Renders a Plan for people (text, an SVG picture) and machines (json per SPEC §6, Graphviz dot,
/// Mermaid).
#include <ostream>
#include <string>

#include "plan/planner.h"
#include "report/style.h"
#include "report/svg_writer.h"

namespace gw {

enum class PlanFormat { Text, Json, Dot, Mermaid, Svg };

/// Parses "text", "json", "dot", "mermaid", "svg".
std::optional<PlanFormat> parse_plan_format(const std::string& s);

/// The plan as a picture (report/svg_writer.h): a box per stage in its wave's column, coloured by
/// its status, with its expected duration when durations were measured; the critical path.
SvgPicture plan_picture(const Plan& plan);

/// `color`: colour use in text output.
void write_plan(std::ostream& out, const Plan& plan, PlanFormat format, Color color);

}  // namespace gw
