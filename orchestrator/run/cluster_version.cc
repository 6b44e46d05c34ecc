#include "run/cluster_version.h"

#include <nlohmann/json.hpp>

namespace gw {

namespace {

/// A stage that this run will work on: not skipped, not already done.
bool will_run(const PlannedStage& ps) {
  return ps.status != PlanStatus::Skipped && ps.status != PlanStatus::Done;
}

/// The last non-empty line: where a failing command says why.
std::string last_line(const std::string& s) {
  size_t end = s.find_last_not_of("\n ");
  if (end == std::string::npos) return "";
  size_t start = s.rfind('\n', end);
  start = start == std::string::npos ? 0 : start + 1;
  return s.substr(start, end + 1 - start);
}

}  // namespace

Result<SemVer> query_server_version(const Inventory& inv, const ToolResolver& tools,
                                    CommandRunner& runner, const Interrupt& interrupt) {
  ProcessSpec spec;
  spec.program = tools.resolve("kubectl");
  if (spec.program.empty()) return Error{"kubectl: " + tools.why_missing("kubectl")};
  if (!inv.kubeconfig.empty()) spec.args = {"--kubeconfig", inv.kubeconfig};
  if (!inv.context.empty()) spec.args.insert(spec.args.end(), {"--context", inv.context});
  spec.args.insert(spec.args.end(), {"version", "-o", "json", "--request-timeout=10s"});
  spec.env = tools.base_env();
  spec.timeout = Millis(20000);
  ProcessResult r = runner.run(spec, interrupt);
  if (!r.ok())
    return Error{r.outcome == Outcome::Exited ? last_line(r.output_tail)
                                              : r.describe(spec.timeout)};
  auto doc = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("serverVersion") || !doc["serverVersion"].is_object() ||
      !doc["serverVersion"].contains("gitVersion") ||
      !doc["serverVersion"]["gitVersion"].is_string())
    return Error{"kubectl version -o json printed no serverVersion.gitVersion"};
  std::string git = doc["serverVersion"]["gitVersion"].get<std::string>();
  auto v = parse_semver(git);
  if (!v) return Error{"the API server's version '" + git + "' is not a version number"};
  return *v;
}

bool plan_checks_kube_version(const Plan& plan) {
  for (const auto& ps : plan.stages)
    if (will_run(ps) && ps.stage->kube_version) return true;
  return false;
}

std::vector<KubeVersionMisfit> kube_version_misfits(const Plan& plan, const SemVer& server) {
  std::vector<KubeVersionMisfit> out;
  for (const auto& ps : plan.stages) {
    if (!will_run(ps) || !ps.stage->kube_version) continue;
    auto c = parse_version_constraint(ps.stage->kube_version->raw);
    if (c && satisfies(*c, server)) continue;  // an unparsable one was refused at load
    out.push_back({ps.stage->name, ps.stage->kube_version->raw, ps.stage->kube_version->loc});
  }
  return out;
}

std::string describe_misfits(const std::vector<KubeVersionMisfit>& misfits, const SemVer& server) {
  std::string out;
  for (const auto& m : misfits)
    out += (out.empty() ? "" : "\n") + std::string("stage '") + m.stage + "' needs Kubernetes " +
           m.constraint + " (kubeVersion at " + m.loc.str() + "); the API server runs " +
           server.text;
  return out;
}

}  // namespace gw
