#include "model/project.h"

#include "model/template.h"

namespace gw {

const Text* Body::scalar(const std::string& key) const {
  auto it = scalars.find(key);
  return it == scalars.end() ? nullptr : &it->second;
}
const TextList* Body::list(const std::string& key) const {
  auto it = lists.find(key);
  return it == lists.end() ? nullptr : &it->second;
}
const TextMap* Body::map(const std::string& key) const {
  auto it = maps.find(key);
  return it == maps.end() ? nullptr : &it->second;
}
bool Body::has(const std::string& key) const {
  return scalars.count(key) || lists.count(key) || maps.count(key);
}

const char* to_string(GateKind k) {
  switch (k) {
    case GateKind::Rollout:
      return "rollout";
    case GateKind::Condition:
      return "condition";
    case GateKind::Exists:
      return "exists";
    case GateKind::JsonPath:
      return "jsonpath";
    case GateKind::Http:
      return "http";
    case GateKind::Dns:
      return "dns";
    case GateKind::Tcp:
      return "tcp";
    case GateKind::Ssh:
      return "ssh";
    case GateKind::Command:
      return "command";
  }
  return "?";
}

const char* to_string(StepKind k) {
  switch (k) {
    case StepKind::Helm:
      return "helm";
    case StepKind::Kubectl:
      return "kubectl";
    case StepKind::Talosctl:
      return "talosctl";
    case StepKind::Ssh:
      return "ssh";
    case StepKind::Run:
      return "run";
    case StepKind::Gate:
      return "gate";
  }
  return "?";
}

const char* to_string(Mode m) {
  return m == Mode::Drill ? "drill" : "restore";
}

std::optional<std::string> inventory_field(const Inventory& inv, std::string_view field) {
  auto set = [](const std::string& v) { return v.empty() ? std::nullopt : std::optional(v); };
  if (field == "name") return inv.name;
  if (field == "kubeconfig") return set(inv.kubeconfig);
  if (field == "context") return set(inv.context);
  if (field == "talosconfig" && inv.talos) return set(inv.talos->talosconfig);
  if (field == "talos.bootstrap" && inv.talos)
    for (const auto& n : inv.talos->nodes)
      if (n.role == "controlplane") return set(n.address);
  return std::nullopt;
}

std::optional<std::string> inventory_default_field(std::string_view raw) {
  std::vector<TemplatePart> parts;
  TemplateError err;
  if (is_plain(raw) || !parse_template(raw, &parts, &err) || parts.size() != 1 || !parts[0].ref ||
      parts[0].ref->ns != TemplateRef::Ns::Inventory)
    return std::nullopt;
  return parts[0].ref->name;
}

const Stage* Project::find_stage(const std::string& name) const {
  for (const auto& s : stages)
    if (s.name == name) return &s;
  return nullptr;
}

const Playbook* Project::find_playbook(const std::string& name) const {
  for (const auto& p : playbooks)
    if (p.name == name) return &p;
  return nullptr;
}

std::set<std::string> sensitive_outputs(const Project& project) {
  std::set<std::string> out;
  for (const auto& st : project.stages)
    for (const auto& step : st.steps)
      if (step.capture && step.visibility == Visibility::Sensitive)
        out.insert(st.name + "." + step.capture->name);
  return out;
}

}  // namespace gw
