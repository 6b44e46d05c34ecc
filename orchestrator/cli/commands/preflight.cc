#include "cli/commands/preflight.h"

namespace gw {

namespace {

void gate_tools(const Gate& g, Needs& n) {
  switch (g.kind) {
    case GateKind::Rollout:
    case GateKind::Condition:
    case GateKind::Exists:
    case GateKind::JsonPath:
      n.tools.insert("kubectl");
      break;
    case GateKind::Command:
      if (auto argv = g.body.list("argv"); argv && !argv->empty()) n.tools.insert((*argv)[0].raw);
      break;
    default:
      break;
  }
}

}  // namespace

Needs collect_needs(const Plan& plan) {
  Needs n;
  for (const auto& ps : plan.stages) {
    if (ps.status == PlanStatus::Skipped) continue;
    for (const auto& t : ps.stage->tools) n.tools.insert(t);
    for (const auto& st : ps.steps) {
      if (st.status == PlanStatus::Skipped) continue;
      if (st.preview.command) n.tools.insert(st.preview.command->tool);
      if (st.step->gate) gate_tools(*st.step->gate, n);
      if (st.step->skip_if) gate_tools(*st.step->skip_if, n);
      for (const auto& s : st.preview.use.secrets) n.secrets.insert(s);
    }
    for (const auto& g : ps.stage->gates) gate_tools(g, n);
  }
  return n;
}

std::vector<std::string> missing_tools(const Needs& needs, const ToolResolver& tools) {
  std::vector<std::string> out;
  for (const auto& t : needs.tools) {
    if (!tools.resolve(t).empty()) continue;
    out.push_back(t + " (" + tools.why_missing(t) + ")");
  }
  return out;
}

}  // namespace gw
