#include <iostream>

#include "cli/commands/commands.h"
#include "cli/commands/exit_codes.h"
#include "cli/commands/preflight.h"
#include "cli/commands/workspace.h"
#include "load/project_loader.h"
#include "run/command_runner.h"
#include "run/net_probes.h"

namespace gw {

namespace {

/// The read-only command that prints a tool's version, or empty for unknown tools.
std::vector<std::string> version_args(const std::string& tool) {
  if (tool == "kubectl") return {"version", "--client", "-o", "json"};
  if (tool == "helm") return {"version", "--short"};
  if (tool == "talosctl") return {"version", "--client"};
  if (tool == "velero") return {"version", "--client-only"};
  if (tool == "flux") return {"version", "--client"};
  return {};
}

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

}  // namespace

int cmd_doctor(const GlobalOptions& g) {
  auto ws = open_workspace(g, std::cerr);
  if (!ws) return kExitInvalid;
  const Inventory& inv = ws->project.inventory;
  auto plan = plan_or_report(*ws, {}, {}, g, std::cerr);
  if (!plan) return kExitInvalid;
  ToolResolver tools(inv);
  ProcessRunner runner(Millis(1000));
  Interrupt interrupt;
  int problems = 0;
  auto report = [&](bool ok, const std::string& what, const std::string& detail) {
    std::cout << (ok ? "  ok    " : "  FAIL  ") << what << (detail.empty() ? "" : ": " + detail)
              << "\n";
    if (!ok) ++problems;
  };
  std::cout << "tools\n";
  for (const auto& t : collect_needs(*plan).tools) {
    std::string path = tools.resolve(t);
    if (path.empty()) {
      report(false, t, "not found");
      continue;
    }
    auto args = version_args(t);
    if (args.empty()) {
      report(true, t, path);
      continue;
    }
    ProcessSpec spec;
    spec.program = path;
    spec.args = args;
    spec.env = tools.base_env();
    spec.timeout = Millis(15000);
    ProcessResult r = runner.run(spec, interrupt);
    report(r.ok(), t,
           path + (r.ok() ? "  " + first_line(r.out) : "  (" + r.describe(spec.timeout) + ")"));
  }
  if (!inv.kubeconfig.empty() || !inv.context.empty()) {
    std::cout << "cluster\n";
    std::string kubectl = tools.resolve("kubectl");
    if (kubectl.empty()) {
      report(false, "kubernetes API", "kubectl not found");
    } else {
      ProcessSpec spec;
      spec.program = kubectl;
      if (!inv.kubeconfig.empty()) spec.args = {"--kubeconfig", inv.kubeconfig};
      if (!inv.context.empty()) spec.args.insert(spec.args.end(), {"--context", inv.context});
      spec.args.insert(spec.args.end(), {"version", "-o", "json", "--request-timeout=10s"});
      spec.timeout = Millis(20000);
      ProcessResult r = runner.run(spec, interrupt);
      report(r.ok(),
             "kubernetes API (context " + (inv.context.empty() ? "current" : inv.context) + ")",
             r.ok() ? "reachable" : first_line(r.output_tail));
    }
  }
  if (inv.talos) {
    std::cout << "talos\n";
    for (const auto& e : inv.talos->endpoints) {
      Observation o = probe_tcp(e, 50000, Millis(3000));
      report(o.passed, "talos endpoint " + e + ":50000", o.saw);
    }
  }
  if (!inv.hosts.empty()) {
    std::cout << "ssh hosts\n";
    for (const auto& [name, h] : inv.hosts) {
      Observation o = probe_tcp(h.address, h.port, Millis(3000));
      report(o.passed, name, o.saw);
    }
  }
  if (problems) {
    std::cout << problems << (problems == 1 ? " problem" : " problems") << " found\n";
    return kExitPreflight;
  }
  std::cout << "all checks passed\n";
  return kExitOk;
}

}  // namespace gw
