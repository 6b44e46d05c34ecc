#pragma once
/// The planner: selects stages, computes waves, the critical path and each step's status and
/// exact command. Pure: no I/O, no external command (`plan` runs nothing).
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/project.h"
#include "model/result.h"
#include "plan/checkpoints.h"
#include "plan/commands.h"
#include "plan/decision.h"
#include "plan/graph.h"

namespace gw {

/// What a step will do, rendered with secrets as placeholders.
struct StepPreview {
  Boxed<Invocation> command;  // helm, kubectl, talosctl, run (boxed: gate steps have none)
  /// Gate and ssh steps: what they check or run; empty for command steps (shown() writes their
  /// command line when asked: a plan of 10,000 stages need not keep 10,000 of them).
  std::string description;
  std::string spec_key;  // hash of everything that decides what the step does
  KeyParts parts;        // the pieces of its key (fingerprints: complete_key)
  /// The checkpoint key (complete_key) when it differs from spec_key (it covers fingerprints of
  /// secrets or sensitive outputs), else empty: most steps use none, and a plan of 10,000 stages
  /// need not keep the same hash twice. Read it with key().
  std::string own_key;
  RenderUse use;                     // secrets and outputs it refers to
  WhenState when = WhenState::True;  // its own `when`

  /// The checkpoint key (complete_key).
  const std::string& key() const { return own_key.empty() ? spec_key : own_key; }

  /// What people see for the step: the command line (environment first, shell-quoted, files by
  /// their source path), or the description of a step without a command.
  std::string shown() const;
};

/// Renders a step for preview and keying: everything but the fingerprints (complete_key adds
/// them). Errors name the step's file location. A step whose `when` is false and that does not
/// render (a var of a stage that is off need not be set) gives an unrendered_preview.
Result<StepPreview> preview_step(const Step& step, const CommandContext& ctx);

/// The preview of a step that is off and was not rendered: no command, no key.
StepPreview unrendered_preview(WhenState when);

/// What is known of secret values and how output values are fingerprinted (keyed hashes).
struct Fingerprints {
  const std::map<std::string, std::string>* secrets = nullptr;  // name -> fingerprint, if known
  std::function<std::string(std::string_view)> keyed;           // empty: outputs not fingerprinted
};

/// Adds the fingerprints of the secrets and outputs a preview uses and computes its checkpoint
/// key (plan/checkpoints.h). A secret whose fingerprint is not known (plan does not run secret
/// commands) is taken as unchanged from `last`.
void complete_key(StepPreview& p, const RenderScope& scope, const Fingerprints& fps,
                  const StepRecord* last);

struct PlannedStep {
  const Step* step = nullptr;
  PlanStatus status = PlanStatus::Pending;  // == decision.status
  StepDecision decision;
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
  std::vector<size_t> need_index;       // positions in Plan::stages of the needs in this plan
  std::vector<size_t> dependent_index;  // positions in Plan::stages of the stages needing it
  int wave = 0;
  PlanStatus status = PlanStatus::Pending;  // == decision.status
  StageDecision decision;                   // with the checkpoints plan saw; nothing blocked yet
  WhenState when = WhenState::True;
  std::string spec_key;  // hash of its steps' keys and its gates
  std::vector<PlannedStep> steps;
  std::vector<PlannedGate> gates;
  double weight = 1;     // what it costs this run: expected ms (0 when done or skipped), or steps
  double remaining = 1;  // longest weighted path from here to the end: scheduling priority
  std::optional<double> expected_ms;  // its expected duration when it runs (plan/schedule.h)
};

struct Plan {
  std::string inventory;
  std::vector<PlannedStage> stages;  // needed stages first
  std::vector<std::vector<std::string>> waves;
  std::vector<std::string> critical_path;
  bool weights_measured = false;  // weights come from measured durations
  double critical_ms = 0;         // the critical path's weight (ms when weights_measured)

  const PlannedStage* find(const std::string& name) const;
};

/// Which stages a run covers.
struct Selection {
  std::vector<std::string> targets;  // empty: every stage
  std::vector<std::string> only;     // run just these (their needs must already be done)
  CheckpointPolicy policy;           // --fresh / --force, as apply will use them
};

/// Why the selection cannot be planned (an unknown target or --only stage, with a did-you-mean),
/// or nullopt. make_plan checks the same; this lets a verb refuse before it touches any state.
std::optional<std::string> check_selection(const Project& project, const StageGraph& graph,
                                           const Selection& sel);

/// Why a --force STAGE[/STEP] list cannot be used (an unknown stage or step, with a
/// did-you-mean), or nullopt.
std::optional<std::string> check_force(const Project& project,
                                       const std::vector<std::string>& force);

/// Builds the plan. Unknown targets are an Error; render errors (a `when` that is not a boolean, a
/// rendered number that is not one) go to `diags`, all of them, and the result is then an Error
/// too.
Result<Plan> make_plan(const Project& project, const StageGraph& graph, const Selection& sel,
                       const Checkpoints& checkpoints, const RenderScope& scope, Diagnostics& diags,
                       const Fingerprints& fps = {});

/// The RenderScope for previews of a project: vars, inventory name, env, placeholder secrets,
/// outputs known from checkpoints.
RenderScope preview_scope(const Project& project, const Checkpoints& checkpoints,
                          std::function<std::optional<std::string>(const std::string&)> env,
                          const std::set<std::string>* sensitive_outputs = nullptr);

}  // namespace gw
