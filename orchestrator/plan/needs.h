#pragma once
/// What a plan needs before anything starts: the programs its steps and gates call, and the
/// secrets they use — only of the stages and steps that are not skipped. Pure.
#include <set>
#include <string>

#include "plan/planner.h"

namespace gw {

struct Needs {
  std::set<std::string> tools;    // logical names
  std::set<std::string> secrets;  // names
};

/// Collects the tools and secrets of every stage and step of the plan that is not skipped.
Needs collect_needs(const Plan& plan);

}  // namespace gw
