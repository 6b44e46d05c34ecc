#pragma once
/// The Kubernetes API server's version (`kubectl version -o json`, serverVersion.gitVersion), and
/// the stages whose `kubeVersion` it does not fit. Shared by apply's preflight, doctor and diff.
#include <string>
#include <vector>

#include "model/project.h"
#include "model/result.h"
#include "model/semver.h"
#include "plan/planner.h"
#include "run/command_runner.h"
#include "run/tools.h"

namespace gw {

/// Asks the API server for its version (read-only, 10 s request timeout). The error is what
/// kubectl said last ("The connection to the server … was refused") or why it did not run.
Result<SemVer> query_server_version(const Inventory& inv, const ToolResolver& tools,
                                    CommandRunner& runner, const Interrupt& interrupt);

/// One stage that will run whose `kubeVersion` the server does not fit.
struct KubeVersionMisfit {
  std::string stage;
  std::string constraint;
  SourceLoc loc;  // of the constraint
};

/// The stages of `plan` that will run (not skipped, not done) and declare a `kubeVersion` the
/// server version does not satisfy. Pure.
std::vector<KubeVersionMisfit> kube_version_misfits(const Plan& plan, const SemVer& server);

/// Whether any stage of `plan` that will run declares a `kubeVersion`.
bool plan_checks_kube_version(const Plan& plan);

/// "stage 'rancher' needs Kubernetes <1.34.0-0 (stages/80-rancher.yaml:7:16); the API server runs
/// v1.34.1" lines, one per misfit.
std::string describe_misfits(const std::vector<KubeVersionMisfit>& misfits, const SemVer& server);

}  // namespace gw
