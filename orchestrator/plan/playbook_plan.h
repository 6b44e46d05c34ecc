#pragma once
/// The plan of a playbook run (SPEC §5): the stages it needs, then its phases — `steps`, `verify`
/// and, in drill mode, `cleanup` — as one stage-like unit each ("<playbook>:steps"), so that plan
/// writers, tool and secret checks treat them like stages. Pure.
#include <deque>
#include <map>
#include <string>

#include "plan/planner.h"

namespace gw {

struct PlaybookPlan {
  std::deque<Stage> phases;  // the phases as stages (the plan points into them: never resized)
  Plan plan;                 // the needed stages first, then the phases in order
};

/// The values of a playbook's params for one run: plain values and secret params (name -> the
/// inventory secret).
struct ParamValues {
  std::map<std::string, std::string> values;
  std::map<std::string, std::string> secrets;
};

/// Checks `--param K=V` against the playbook and resolves defaults (templates over the other
/// params, in any order): an unknown param (did you mean), a secret param given on the command
/// line, a malformed K=V, a missing required param or a default that cannot render is an Error
/// naming it. Params neither given nor defaulted are empty.
Result<ParamValues> resolve_params(const Playbook& pb, const std::vector<std::string>& given,
                                   const RenderScope& base);

/// Checks the `--force` entries that name the playbook's phases (`<playbook>:steps`,
/// `<playbook>:verify/STEP`, …: an unknown phase or step is an Error with a did-you-mean) and
/// returns the others, which name stages (check_force).
Result<std::vector<std::string>> split_playbook_force(const Playbook& pb,
                                                      const std::vector<std::string>& force);

/// The checkpoint policy of a playbook's phases: `base` (--fresh, --force), made fresh for a drill
/// (an experiment, always from its first step) and for a restore after a finished one. plan and
/// the run both take it from here.
CheckpointPolicy phase_policy(CheckpointPolicy base, Mode mode, LastRestore last);

/// Plans a playbook in `mode`: `needs_plan` (the plan of its needed stages, may be empty) followed
/// by its phases, each step decided by decide_step with `policy` (from phase_policy).
/// Render errors go to `diags`, and the result is then an Error.
Result<PlaybookPlan> make_playbook_plan(const Project& project, const Playbook& pb, Mode mode,
                                        Plan needs_plan, const Checkpoints& cp,
                                        const RenderScope& scope, Diagnostics& diags,
                                        const Fingerprints& fps, CheckpointPolicy policy);

}  // namespace gw
