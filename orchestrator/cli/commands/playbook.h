#pragma once
/// What `drill`, `restore` and `plan --playbook` share: finding the playbook, checking the mode
/// and the params, and planning the stages it needs and its phases.
#include <optional>
#include <string>
#include <vector>

#include "cli/commands/workspace.h"
#include "plan/playbook_plan.h"

namespace gw {

/// A playbook ready to plan or run.
struct PlaybookSetup {
  const Playbook* playbook = nullptr;
  Mode mode = Mode::Drill;
  ParamValues params;
  std::vector<std::string> needs;  // the stages it needs, by name
};

/// Finds the playbook (did you mean), parses the mode ("" = drill when the playbook has it, else
/// restore), checks it is declared and resolves the params. Logs the problem and returns nullopt
/// (the caller exits 2) before anything is written.
std::optional<PlaybookSetup> setup_playbook(const Workspace& ws, const std::string& name,
                                            const std::string& mode,
                                            const std::vector<std::string>& params);

/// Plans the stages the playbook needs (an empty plan when none) and its phases; logs every
/// problem and returns nullopt (exit 2).
std::optional<Plan> plan_needs(const Workspace& ws, const PlaybookSetup& s, const Checkpoints& cp,
                               const GlobalOptions& g, const Fingerprints& fps,
                               const CheckpointPolicy& policy);
/// `policy` is the run's (--fresh, --force); the phases get phase_policy(policy, mode, last).
std::optional<PlaybookPlan> plan_playbook(const Workspace& ws, const PlaybookSetup& s,
                                          Plan needs_plan, const Checkpoints& cp,
                                          const GlobalOptions& g, const Fingerprints& fps,
                                          const CheckpointPolicy& policy, LastRestore last);

}  // namespace gw
