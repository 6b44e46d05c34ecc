#pragma once
/// What a run needs before anything starts: the programs its steps and gates call, and the secrets
/// they use (only of steps that will run).
#include <set>
#include <string>

#include "plan/planner.h"
#include "run/tools.h"

namespace gw {

struct Needs {
  std::set<std::string> tools;    // logical names
  std::set<std::string> secrets;  // names
};

/// Collects the tools and secrets of every stage of the plan that is not skipped.
Needs collect_needs(const Plan& plan);

/// Lists missing programs with why ("kubectl (spec.tools: /x/kubectl: no such file)", "helm (not
/// on PATH)"); empty when all are present.
std::vector<std::string> missing_tools(const Needs& needs, const ToolResolver& tools);

}  // namespace gw
