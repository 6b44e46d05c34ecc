#include "plan/cascade.h"

#include <algorithm>
#include <set>

namespace gw {

namespace {

std::string stage_of(const std::string& target) {
  return target.substr(0, target.find('/'));
}

}  // namespace

std::vector<std::string> left_out_dependents(const StageGraph& graph,
                                             const std::vector<std::string>& targets) {
  std::vector<size_t> roots;
  std::set<std::string> named;
  for (const auto& t : targets) {
    named.insert(stage_of(t));
    if (auto v = graph.index(stage_of(t))) roots.push_back(*v);
  }
  auto in = graph.dependents_closure(roots);
  std::vector<std::string> out;
  for (size_t v : graph.topo_order())
    if (in[v] && !named.count(graph.name(v))) out.push_back(graph.name(v));
  return out;
}

std::vector<std::string> with_dependents(const StageGraph& graph,
                                         const std::vector<std::string>& targets) {
  std::vector<std::string> out = targets;
  for (auto& s : left_out_dependents(graph, targets)) out.push_back(std::move(s));
  return out;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i)
    out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return out;
}

std::string cascade_hint(const std::string& verb, const std::vector<std::string>& targets,
                         const std::vector<std::string>& left_out) {
  if (left_out.empty()) return "";
  std::vector<std::string> stages;
  for (const auto& t : targets)
    if (std::find(stages.begin(), stages.end(), stage_of(t)) == stages.end())
      stages.push_back(stage_of(t));
  bool one = left_out.size() == 1;
  return verb + " " + join_names(targets) + " does not include the stage" + (one ? "" : "s") +
         " that need" + (one ? "s " : " ") + join_names(stages) + ": " + join_names(left_out) +
         " (add --cascade to include " + (one ? "it" : "them") + ")";
}

std::string cascade_selection(const StageGraph& graph, Cascade cascade,
                              const std::vector<std::string>& force, Selection& sel) {
  auto added = left_out_dependents(graph, force);
  if (cascade == Cascade::No) return cascade_hint("--force", force, added);
  for (const auto& s : added) {
    sel.policy.force.insert(s);
    if (!sel.targets.empty()) sel.targets.push_back(s);
  }
  if (added.empty()) return "";
  return "--force " + join_names(force) + " --cascade also forces the stage" +
         (added.size() == 1 ? "" : "s") + " that need" + (added.size() == 1 ? "s" : "") +
         " it: " + join_names(added);
}

}  // namespace gw
