#include <cstdlib>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "cli/commands/commands.h"
#include "cli/commands/exit_codes.h"
#include "cli/commands/workspace.h"
#include "load/project_loader.h"
#include "model/terminal_text.h"
#include "plan/needs.h"
#include "run/cluster_version.h"
#include "run/command_runner.h"
#include "run/net_probes.h"
#include "run/secrets.h"
#include "run/ssh_session.h"
#include "run/tools.h"

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

/// The oldest version of a tool the shipped stages work with, and why.
struct Minimum {
  const char* tool;
  ToolVersion version;
  const char* why;
};
const Minimum kMinimums[] = {
    {"helm", {3, 2, 0, "3.2.0"}, "helm steps pass --create-namespace, new in Helm 3.2.0"},
};

std::string head_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

/// `gitVersion` of one side of `kubectl version -o json` ("clientVersion", "serverVersion").
std::optional<ToolVersion> kubectl_version(const std::string& json, const char* side) {
  auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains(side) || !doc[side].is_object()) return std::nullopt;
  const auto& git = (*doc.find(side))["gitVersion"];
  return git.is_string() ? find_version(git.get<std::string>()) : std::nullopt;
}

enum class CheckVerdict { Ok, Warn, Fail };

/// Prints one check line per verdict and counts the failures.
class Report {
 public:
  void line(CheckVerdict v, const std::string& what, const std::string& detail) {
    static const char* const kTag[] = {"  ok    ", "  warn  ", "  FAIL  "};
    // `detail` quotes what tools printed: escaped and cut (model/terminal_text.h).
    std::cout << kTag[static_cast<int>(v)] << terminal_text(what)
              << (detail.empty() ? "" : ": " + terminal_text(detail)) << "\n";
    if (v == CheckVerdict::Fail) ++problems_;
  }
  int problems() const { return problems_; }

 private:
  int problems_ = 0;
};

/// Each tool the plan uses: found, answers its version command, new enough. Returns what kubectl
/// said its version is (for the skew check), if it did.
std::optional<ToolVersion> check_tools(const Plan& plan, const ToolResolver& tools,
                                       ProcessRunner& runner, Report& report) {
  std::optional<ToolVersion> kubectl;
  Interrupt never;
  std::cout << "tools\n";
  for (const auto& t : collect_needs(plan).tools) {
    std::string path = tools.resolve(t);
    if (path.empty()) {
      report.line(CheckVerdict::Fail, t, "not found");
      continue;
    }
    auto args = version_args(t);
    if (args.empty()) {
      report.line(CheckVerdict::Ok, t, path);
      continue;
    }
    ProcessSpec spec;
    spec.program = path;
    spec.args = args;
    spec.env = tools.base_env();
    spec.timeout = Millis(15000);
    ProcessResult r = runner.run(spec, never);
    if (!r.ok()) {
      report.line(CheckVerdict::Fail, t, path + "  (" + r.describe(spec.timeout) + ")");
      continue;
    }
    auto v = t == "kubectl" ? kubectl_version(r.out, "clientVersion") : find_version(r.out);
    if (t == "kubectl") kubectl = v;
    std::string shown = path + "  " + (v ? v->text : head_line(r.out));
    CheckVerdict verdict = CheckVerdict::Ok;
    for (const auto& m : kMinimums) {
      if (t == m.tool && v && v->older_than(m.version)) {
        verdict = CheckVerdict::Fail;
        shown += " is older than " + m.version.text + " (" + m.why + ")";
      }
    }
    report.line(verdict, t, shown);
  }
  return kubectl;
}

/// The API server answers; kubectl is within one minor version of it (Kubernetes' skew policy);
/// the stages that will run fit its version (their `kubeVersion`).
void check_cluster(const Plan& plan, const Inventory& inv, const ToolResolver& tools,
                   ProcessRunner& runner, const std::optional<ToolVersion>& client,
                   Report& report) {
  std::cout << "cluster\n";
  std::string what =
      "kubernetes API (context " + (inv.context.empty() ? "current" : inv.context) + ")";
  Interrupt never;
  auto server = query_server_version(inv, tools, runner, never);
  if (!server) {
    report.line(CheckVerdict::Fail, what, server.error().message);
    return;
  }
  report.line(CheckVerdict::Ok, what, "reachable, server " + server->text);
  if (client && client->major == server->major && std::abs(client->minor - server->minor) > 1) {
    report.line(CheckVerdict::Warn, "kubectl " + client->text,
                "more than one minor version from the server's " + server->text +
                    " (Kubernetes supports kubectl within one minor version of the API server)");
  }
  auto misfits = kube_version_misfits(plan, *server);
  for (const auto& m : misfits)
    report.line(CheckVerdict::Fail, "stage " + m.stage + " kubeVersion " + m.constraint,
                "the API server runs " + server->text + " (" + m.loc.str() + ")");
  if (misfits.empty() && plan_checks_kube_version(plan))
    report.line(CheckVerdict::Ok, "kubeVersion", "every stage fits the server's " + server->text);
}

/// Every env and file secret the plan uses can be read (command secrets are not run here).
void check_secrets(const Plan& plan, const Inventory& inv, Report& report) {
  auto bad = unreadable_secrets(plan, inv);
  size_t used = collect_needs(plan).secrets.size();
  if (used == 0) return;
  std::cout << "secrets\n";
  for (const auto& u : bad)
    report.line(CheckVerdict::Fail, "secret " + u.name,
                u.reason + " (used at " + u.first_use.str() + ")");
  if (bad.empty())
    report.line(CheckVerdict::Ok, "secrets",
                std::to_string(used) + " used; every env and file secret can be read");
}

/// Each ssh host: reachable, host key known and matching, authentication works. Read-only: an
/// unknown key is reported, never recorded, whatever the host's hostKeyPolicy.
void check_hosts(const Inventory& inv, const ToolResolver& tools, ProcessRunner& runner,
                 Report& report) {
  std::cout << "ssh hosts\n";
  Interrupt never;
  std::set<std::string> names;
  for (const auto& [name, h] : inv.hosts)
    if (!h.passphrase_secret.empty()) names.insert(h.passphrase_secret);
  std::map<std::string, std::string> values;
  if (!names.empty()) {
    auto secrets = resolve_secrets(inv, names, "doctor", runner, tools, never);
    if (secrets)
      values = secrets->values;
    else
      report.line(CheckVerdict::Fail, "identity passphrases", secrets.error().message);
  }
  SshOptions opt;
  opt.secrets = &values;
  opt.record_keys = RecordKeys::No;
  opt.connect_timeout = Millis(10000);
  for (const auto& [name, h] : inv.hosts) {
    std::string target = h.user + "@" + h.address + ":" + std::to_string(h.port) +
                         (h.proxy_jump.empty() ? "" : " via " + h.proxy_jump);
    SshPhase reached = SshPhase::Connect;
    auto s = SshSession::open(inv, name, opt, never, &reached);
    std::string why = s ? "" : s.error().message;
    bool reachable = s || reached > SshPhase::Handshake;
    report.line(reachable ? CheckVerdict::Ok : CheckVerdict::Fail, name + " reachable",
                reachable ? target : why);
    if (!reachable) continue;
    bool key_ok = s || reached > SshPhase::HostKey;
    report.line(key_ok ? CheckVerdict::Ok : CheckVerdict::Fail, name + " host key",
                key_ok ? "known and matching" : why);
    if (!key_ok) continue;
    report.line(
        s ? CheckVerdict::Ok : CheckVerdict::Fail, name + " auth",
        s ? "as " + h.user + (h.identity.empty() ? " (ssh-agent)" : " with " + h.identity) : why);
  }
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
  runner.withhold_env(secret_env_vars(inv));
  Report report;
  auto kubectl = check_tools(*plan, tools, runner, report);
  if (!inv.kubeconfig.empty() || !inv.context.empty())
    check_cluster(*plan, inv, tools, runner, kubectl, report);
  if (inv.talos) {
    std::cout << "talos\n";
    for (const auto& e : inv.talos->endpoints) {
      Observation o = probe_tcp(e, 50000, Millis(3000));
      report.line(o.passed ? CheckVerdict::Ok : CheckVerdict::Fail,
                  "talos endpoint " + e + ":50000", o.saw);
    }
  }
  check_secrets(*plan, inv, report);
  if (!inv.hosts.empty()) check_hosts(inv, tools, runner, report);
  if (int n = report.problems()) {
    std::cout << n << (n == 1 ? " problem" : " problems") << " found\n";
    return kExitPreflight;
  }
  std::cout << "all checks passed\n";
  return kExitOk;
}

}  // namespace gw
