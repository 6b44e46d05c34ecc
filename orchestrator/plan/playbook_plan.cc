#include "plan/playbook_plan.h"

#include <algorithm>

#include "model/names.h"

namespace gw {

Result<ParamValues> resolve_params(const Playbook& pb, const std::vector<std::string>& given,
                                   const RenderScope& base) {
  ParamValues out;
  std::vector<std::string> names;
  for (const auto& p : pb.params) names.push_back(p.name);
  auto find = [&](const std::string& n) -> const Param* {
    for (const auto& p : pb.params)
      if (p.name == n) return &p;
    return nullptr;
  };
  for (const auto& kv : given) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return Error{"--param '" + kv + "': expected NAME=VALUE"};
    std::string name = kv.substr(0, eq);
    const Param* p = find(name);
    if (!p) {
      std::string msg =
          "--param " + name + ": playbook '" + pb.name + "' has no param '" + name + "'";
      if (auto m = closest_match(name, names))
        msg += " (did you mean '" + *m + "'?)";
      else if (!names.empty()) {
        msg += " (it has:";
        for (const auto& n : names) msg += " " + n;
        msg += ")";
      }
      return Error{msg};
    }
    if (!p->secret.empty())
      return Error{"--param " + name + ": param '" + name + "' of playbook '" + pb.name +
                   "' is secret '" + p->secret +
                   "': it comes from the inventory's secrets, never from the command line"};
    out.values[name] = kv.substr(eq + 1);
  }
  for (const auto& p : pb.params) {
    if (!p.secret.empty()) {
      // Checked here, for the playbook being run, not when loading: an inventory need not define
      // the secrets of shipped playbooks it never runs.
      if (base.inventory && !base.inventory->secrets.count(p.secret))
        return Error{"param '" + p.name + "' of playbook '" + pb.name + "' is secret '" + p.secret +
                         "', which inventory '" + base.inventory->name +
                         "' does not define: add it to spec.secrets (e.g. " + p.secret +
                         ": {env: VAR}, {file: PATH} or {command: [...]})",
                     p.loc};
      out.secrets[p.name] = p.secret;
      continue;
    }
    if (p.required && !out.values.count(p.name))
      return Error{"playbook '" + pb.name + "' needs --param " + p.name + "=VALUE" +
                   (p.description.empty() ? "" : " (" + p.description + ")")};
  }
  // Defaults may use other params, in any order: render those whose references are known, until
  // none is left (or none makes progress: a cycle, or a param used before it has a value).
  std::vector<const Param*> pending;
  for (const auto& p : pb.params)
    if (p.secret.empty() && !out.values.count(p.name) && p.default_value) pending.push_back(&p);
  while (!pending.empty()) {
    std::vector<const Param*> left;
    std::optional<Error> last;
    for (const Param* p : pending) {
      RenderScope scope = base;
      scope.params = &out.values;
      scope.param_secrets = &out.secrets;
      scope.secret_mode = SecretMode::Placeholder;
      auto v = render_template(p->default_value->raw, scope);
      if (v) {
        out.values[p->name] = *v;
      } else {
        left.push_back(p);
        last = v.error();
      }
    }
    if (left.size() == pending.size())
      return Error{"param '" + left.front()->name + "' of playbook '" + pb.name +
                       "': its default cannot be rendered: " + last->message,
                   left.front()->default_value->loc};
    pending = std::move(left);
  }
  for (const auto& p : pb.params)
    if (p.secret.empty() && !out.values.count(p.name)) out.values[p.name] = "";
  return out;
}

Result<std::vector<std::string>> split_playbook_force(const Playbook& pb,
                                                      const std::vector<std::string>& force) {
  std::vector<std::string> stages;
  const std::string prefix = pb.name + ":";
  for (const auto& f : force) {
    if (f.rfind(prefix, 0) != 0) {
      stages.push_back(f);
      continue;
    }
    auto slash = f.find('/');
    std::string phase = f.substr(
        prefix.size(), slash == std::string::npos ? std::string::npos : slash - prefix.size());
    const std::vector<Step>* steps = phase == "steps"     ? &pb.steps
                                     : phase == "verify"  ? &pb.verify
                                     : phase == "cleanup" ? &pb.cleanup
                                                          : nullptr;
    if (!steps) {
      std::string msg = "--force " + f + ": playbook '" + pb.name + "' has no phase '" + phase +
                        "' (expected " + prefix + "steps, " + prefix + "verify or " + prefix +
                        "cleanup)";
      return Error{msg};
    }
    if (slash == std::string::npos) continue;
    std::string step = f.substr(slash + 1);
    std::vector<std::string> names;
    for (const auto& s : *steps) names.push_back(s.name);
    if (std::find(names.begin(), names.end(), step) != names.end()) continue;
    std::string msg = "--force " + f + ": " + prefix + phase + " has no step '" + step + "'";
    if (auto m = closest_match(step, names)) msg += " (did you mean '" + *m + "'?)";
    return Error{msg};
  }
  return stages;
}

namespace {

PlannedStage plan_phase(const Stage& st, const Checkpoints& cp, const CommandContext& ctx,
                        const Fingerprints& fps, const CheckpointPolicy& policy,
                        Diagnostics& diags) {
  PlannedStage ps;
  ps.stage = &st;
  ps.vertex = static_cast<size_t>(-1);
  std::vector<StepDecision> decisions;
  for (const auto& step : st.steps) {
    auto p = preview_step(step, ctx);
    if (!p) {
      diags.error(p.error().loc.file.empty() ? step.loc : p.error().loc, p.error().message);
      continue;
    }
    PlannedStep pstep{&step, PlanStatus::Pending, {}, std::move(*p)};
    auto rec = cp.steps.find(st.name + "/" + step.name);
    const StepRecord* last = rec == cp.steps.end() ? nullptr : &rec->second;
    complete_key(pstep.preview, ctx.scope, fps, last);
    StepFacts facts;
    facts.when = pstep.preview.when;
    facts.last = last;
    facts.key = pstep.preview.key();
    facts.parts = &pstep.preview.parts;
    facts.repeat = step.repeat;
    facts.force = policy.forced(st.name, step.name);
    facts.output_kept =
        step.capture && step.visibility == Visibility::Sensitive ? OutputKept::No : OutputKept::Yes;
    pstep.decision = decide_step(facts);
    pstep.status = pstep.decision.status;
    decisions.push_back(pstep.decision);
    ps.steps.push_back(std::move(pstep));
  }
  StageFacts facts;
  facts.steps = &decisions;
  ps.decision = decide_stage(facts);
  ps.status = ps.decision.status;
  return ps;
}

}  // namespace

CheckpointPolicy phase_policy(CheckpointPolicy base, Mode mode, LastRestore last) {
  if (mode == Mode::Drill || last == LastRestore::Finished) base.fresh = true;
  return base;
}

Result<PlaybookPlan> make_playbook_plan(const Project& project, const Playbook& pb, Mode mode,
                                        Plan needs_plan, const Checkpoints& cp,
                                        const RenderScope& scope, Diagnostics& diags,
                                        const Fingerprints& fps, CheckpointPolicy policy) {
  PlaybookPlan out;
  out.plan = std::move(needs_plan);
  out.plan.inventory = project.inventory.name;
  size_t errors_before = diags.size();
  struct PhaseList {
    const char* phase;
    const std::vector<Step>* steps;
  };
  std::vector<PhaseList> phases{{"steps", &pb.steps}, {"verify", &pb.verify}};
  if (mode == Mode::Drill) phases.push_back({"cleanup", &pb.cleanup});
  std::vector<std::string> last_names;  // what the next phase waits for
  std::vector<size_t> last_index;
  for (size_t i = 0; i < out.plan.stages.size(); ++i) {
    bool needed = false;
    for (const auto& other : out.plan.stages)
      for (const auto& n : other.needs) needed = needed || n == out.plan.stages[i].stage->name;
    if (!needed) {
      last_names.push_back(out.plan.stages[i].stage->name);
      last_index.push_back(i);
    }
  }
  int wave = static_cast<int>(out.plan.waves.size());
  for (const auto& [phase, steps] : phases) {
    Stage st;
    st.name = pb.name + ":" + phase;
    st.description = std::string("playbook '") + pb.name + "', " + phase;
    st.loc = pb.loc;
    st.file = pb.file;
    st.steps = *steps;
    out.phases.push_back(std::move(st));
    CommandContext ctx{&project, scope, nullptr};
    PlannedStage ps = plan_phase(out.phases.back(), cp, ctx, fps, policy, diags);
    ps.needs = last_names;
    ps.need_index = last_index;
    ps.wave = wave++;
    size_t index = out.plan.stages.size();
    for (size_t n : last_index) out.plan.stages[n].dependent_index.push_back(index);
    ps.weight = ps.remaining = static_cast<double>(std::max<size_t>(1, ps.steps.size()));
    out.plan.stages.push_back(std::move(ps));
    out.plan.waves.push_back({out.phases.back().name});
    out.plan.critical_path.push_back(out.phases.back().name);
    last_names = {out.phases.back().name};
    last_index = {index};
  }
  if (diags.size() != errors_before) return Error{"the playbook could not be rendered"};
  return out;
}

}  // namespace gw
