#pragma once
/// Health gates (SPEC §3): one probe of a rendered gate, and polling until pass or timeout.
/// Kube gates go through kubectl (a resource that does not exist yet is "not yet", not an error);
/// http, dns and tcp are probed in-process; command gates run a program.
#include <functional>
#include <string>

#include "model/project.h"
#include "plan/commands.h"
#include "run/command_runner.h"
#include "run/net_probes.h"
#include "run/tools.h"

namespace gw {

class RemoteRunner;  // run/remote_runner.h

/// One probe of a rendered gate: kube gates and command gates through the CommandRunner, http,
/// dns and tcp through the NetProber (both injected, so tests use fakes).
class GateProber {
 public:
  /// `net` null: the real in-process probes.
  GateProber(CommandRunner& runner, const Inventory& inv, const ToolResolver& tools,
             const Redactor* redactor, RemoteRunner* remote = nullptr, NetProber* net = nullptr)
      : runner_(runner),
        inv_(inv),
        tools_(tools),
        redactor_(redactor),
        remote_(remote),
        net_(net ? net : &real_) {}
  virtual ~GateProber() = default;

  /// One probe, taking at most `budget` (a command it runs is stopped then). `log_path`
  /// receives the output of commands the probe runs. The judge sees the real output (a secret
  /// that happens to be "y" or "True" cannot blind it); what it saw comes back redacted.
  virtual Observation probe(GateKind kind, const RenderedBody& body, const Interrupt& interrupt,
                            const std::string& log_path, Millis budget = kProbeBudget);

  /// The longest one probe may take.
  static constexpr Millis kProbeBudget{60000};

 private:
  Observation probe_unredacted(GateKind kind, const RenderedBody& body, const Interrupt& interrupt,
                               const std::string& log_path, Millis budget);
  Observation probe_kube(GateKind kind, const RenderedBody& body, const Interrupt& interrupt,
                         const std::string& log_path, Millis budget);
  Observation probe_command(const RenderedBody& body, const Interrupt& interrupt,
                            const std::string& log_path, Millis budget);
  CommandRunner& runner_;
  const Inventory& inv_;
  const ToolResolver& tools_;
  const Redactor* redactor_;
  RemoteRunner* remote_;  // ssh gates
  NetProber real_;
  NetProber* net_;
};

/// How polling ended.
struct GateResult {
  bool passed = false;
  bool interrupted = false;
  int polls = 0;
  std::string saw;  // the last observation
};

/// Probes every `interval` until a probe passes, `timeout` runs out, or an interruption.
/// `on_poll` (may be empty) sees every observation, for debug logs.
GateResult poll_gate(GateProber& prober, GateKind kind, const RenderedBody& body, Millis interval,
                     Millis timeout, const Interrupt& interrupt, const std::string& log_path,
                     const std::function<void(int poll, const Observation&)>& on_poll = {});

/// Judges `kubectl get … -o json` output of a workload for the rollout gate.
Observation judge_rollout(const std::string& kind, const std::string& json);
/// Judges `kubectl get … -o json` output for a condition gate.
Observation judge_condition(const std::string& condition, const std::string& json);

}  // namespace gw
