#pragma once
/// The planner: selects stages, computes waves, the critical path and each step's status and
/// exact command. Pure: no I/O, no external command (`plan` runs nothing).
#include <optional>
#include <string>
#include <vector>

#include "model/project.h"
#include "model/result.h"
#include "plan/checkpoints.h"
#include "plan/commands.h"
#include "plan/graph.h"

namespace gw {

enum class PlanStatus { Pending, Done, Changed, Failed, Skipped };
/// SPEC §6 spelling: "pending", "done", "changed", "failed", "skipped".
const char* to_string(PlanStatus s);

/// What a step will do, rendered with secrets as placeholders.
struct StepPreview {
  std::optional<Invocation> command;  // helm, kubectl, talosctl, run
  std::string description;            // gate and ssh steps: what they check or run
  std::string spec_key;               // hash of everything that decides what the step does
  RenderUse use;                      // secrets and outputs it refers to
  std::optional<bool> when;           // nullopt: decided at run time (depends on an output)
};

/// Renders a step for preview and keying. Errors name the step's file location.
Result<StepPreview> preview_step(const Step& step, const CommandContext& ctx);

struct PlannedStep {
  const Step* step = nullptr;
  PlanStatus status = PlanStatus::Pending;
  StepPreview preview;
};

struct PlannedGate {
  std::string name;
  std::string description;
};

struct PlannedStage {
  const Stage* stage = nullptr;
  size_t vertex = 0;
  std::vector<std::string> needs;
  int wave = 0;
  PlanStatus status = PlanStatus::Pending;
  std::string spec_key;  // hash of its steps' keys and its gates
  std::vector<PlannedStep> steps;
  std::vector<PlannedGate> gates;
  double weight = 1;     // measured ms, or an estimate in the same unit
  double remaining = 1;  // longest weighted path from here to the end: scheduling priority
};

struct Plan {
  std::string inventory;
  std::vector<PlannedStage> stages;  // needed stages first
  std::vector<std::vector<std::string>> waves;
  std::vector<std::string> critical_path;
  bool weights_measured = false;  // weights come from measured durations

  const PlannedStage* find(const std::string& name) const;
};

/// Which stages a run covers.
struct Selection {
  std::vector<std::string> targets;  // empty: every stage
  std::vector<std::string> only;     // run just these (their needs must already be done)
};

/// Why the selection cannot be planned (an unknown target or --only stage, with a did-you-mean),
/// or nullopt. make_plan checks the same; this lets a verb refuse before it touches any state.
std::optional<std::string> check_selection(const Project& project, const StageGraph& graph,
                                           const Selection& sel);

/// Builds the plan. Unknown targets are an Error; render errors (a `when` that is not a boolean, a
/// rendered number that is not one) go to `diags`, all of them, and the result is then an Error
/// too.
Result<Plan> make_plan(const Project& project, const StageGraph& graph, const Selection& sel,
                       const Checkpoints& checkpoints, const RenderScope& scope,
                       Diagnostics& diags);

/// The RenderScope for previews of a project: vars, inventory name, env, placeholder secrets,
/// outputs known from checkpoints.
RenderScope preview_scope(const Project& project, const Checkpoints& checkpoints,
                          std::function<std::optional<std::string>(const std::string&)> env);

}  // namespace gw
