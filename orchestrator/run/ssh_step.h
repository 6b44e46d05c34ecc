#pragma once
/// ssh steps and gates (SPEC §3): what a rendered ssh body runs on each host, through the run's
/// RemoteRunner. The only ssh code step_runner.cc and gates.cc call.
#include <optional>
#include <set>
#include <string>

#include "plan/commands.h"
#include "plan/planner.h"
#include "run/net_probes.h"
#include "run/remote_runner.h"
#include "run/step_runner.h"

namespace gw {

/// One attempt of an ssh step: on each of its hosts in order, the command (through sudo when
/// asked, `stdin` on its standard input), the upload or the download. Fails at the first host
/// that fails, naming it. `captured` gets the stdout of every host, joined, when the step
/// captures.
StepResult run_ssh_step(const RunContext& ctx, const Step& step, const RenderScope& scope,
                        const std::string& log, std::optional<std::string>* captured);

/// One probe of an ssh gate: passes when the command exits 0. Says the exit and the first line
/// of output otherwise.
Observation probe_ssh_gate(RemoteRunner* remote, const RenderedBody& body,
                           const Interrupt& interrupt, const std::string& log_path,
                           const Redactor* redactor);

/// The passphrase secrets a run needs: those of the hosts its ssh steps and gates use, and of
/// the proxyJump hosts on their way. Empty when the plan uses no ssh.
std::set<std::string> ssh_secret_needs(const Plan& plan, const Inventory& inv);

}  // namespace gw
