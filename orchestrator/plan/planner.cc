#include "plan/planner.h"

#include <algorithm>
#include <set>

#include "model/hash.h"
#include "model/names.h"
#include "model/parallel.h"
#include "plan/schedule.h"

namespace gw {

const PlannedStage* Plan::find(const std::string& name) const {
  for (const auto& s : stages)
    if (s.stage->name == name) return &s;
  return nullptr;
}

std::string StepPreview::shown() const {
  if (!command) return description;
  std::vector<std::string> words;
  for (const auto& [k, v] : command->env) words.push_back(k + "=" + v);
  if (!words.empty()) words.insert(words.begin(), "env");
  for (auto& a : command->display_argv()) words.push_back(std::move(a));
  return join_argv(words);
}

namespace {

/// Accumulates the material of a checkpoint key: length-prefixed fields, so no two different
/// inputs give the same text.
class KeyMaterial {
 public:
  void add(std::string_view tag, std::string_view value) {
    text_.append(tag).append(":").append(std::to_string(value.size())).append(":");
    text_.append(value).append("\n");
  }
  void add(std::string_view tag, const RenderedBody& b) {
    for (const auto& [k, v] : b.scalars) add(std::string(tag) + ".s." + k, v);
    for (const auto& [k, l] : b.lists)
      for (const auto& v : l) add(std::string(tag) + ".l." + k, v);
    for (const auto& [k, m] : b.maps)
      for (const auto& [mk, v] : m) add(std::string(tag) + ".m." + k + "." + mk, v);
  }
  std::string hash() const { return sha256_hex(text_); }

 private:
  std::string text_;
};

}  // namespace

namespace {

/// The key material of a step: everything (spec_key) and everything but file contents (the
/// `spec` part of the key).
struct Material {
  KeyMaterial all;
  KeyMaterial spec;
  void add(std::string_view tag, std::string_view value) {
    all.add(tag, value);
    spec.add(tag, value);
  }
  void add(std::string_view tag, const RenderedBody& b) {
    all.add(tag, b);
    spec.add(tag, b);
  }
};

/// Renders the step's body or command: its description, what it uses, its key material.
Result<Material> render_step(const Step& step, const CommandContext& ctx, StepPreview& p) {
  Material key;
  key.add("kind", to_string(step.kind));
  if (step.gate) {
    auto b = render_gate(*step.gate, ctx.scope, &p.use);
    if (!b) return b.error();
    p.description = describe_gate(step.gate->kind, *b);
    key.add("gate", to_string(step.gate->kind));
    key.add("gate", *b);
  } else if (step.kind == StepKind::Ssh) {
    auto b = render_body(step.body, step_schema(step.kind), ctx.scope, &p.use);
    if (!b) return b.error();
    p.description = describe_ssh(*b, ctx.project->inventory);
    key.add("ssh", *b);
    if (auto u = step.body.map("upload")) {
      std::string path = resolve_path(u->at("src").raw, step.dir);
      auto it = ctx.project->files.find(path);
      if (it != ctx.project->files.end()) {
        std::string h = sha256_hex(it->second.content);
        key.all.add("upload", h);
        p.parts.files[path] = h;
      }
    }
  } else {
    auto c = build_step_command(step, ctx, &p.use);
    if (!c) return c.error();
    p.command = std::move(*c);
    const Invocation& inv = *p.command;
    for (const auto& a : inv.display_argv()) key.add("argv", a);
    for (const auto& [k, v] : inv.env) key.add("env." + k, v);
    if (inv.stdin_data) key.add("stdin", *inv.stdin_data);
    if (inv.cwd) key.add("cwd", *inv.cwd);
    for (const auto& f : inv.files) {
      key.all.add("file." + f.source.str(), *f.hash);
      p.parts.files[f.source.str()] = *f.hash;
    }
  }
  if (step.capture) {
    key.add("capture", step.capture->name);
    key.add("capture.regex", step.capture->regex.value_or(""));
  }
  return key;
}

}  // namespace

StepPreview unrendered_preview(WhenState when) {
  StepPreview p;
  p.when = when;
  p.description = "(not rendered: its when is false, and what it refers to need not be set)";
  return p;
}

Result<StepPreview> preview_step(const Step& step, const CommandContext& ctx) {
  StepPreview p;
  if (step.when) {
    auto w = evaluate_when(*step.when, ctx.scope);
    if (!w) return w.error();
    p.when = *w;
  }
  auto key = render_step(step, ctx, p);
  if (!key && p.when == WhenState::False) return unrendered_preview(WhenState::False);
  if (!key) return key.error();
  p.spec_key = key->all.hash();
  if (p.use.outputs.empty()) {
    p.parts.spec = key->spec.hash();
  } else {  // the spec part must not move with output values: render again with placeholders
    CommandContext placeholders{ctx.project, ctx.scope, nullptr};
    placeholders.scope.output_mode = OutputMode::Placeholder;
    StepPreview scratch;
    auto again = render_step(step, placeholders, scratch);
    if (!again) return again.error();
    p.parts.spec = again->spec.hash();
  }
  return p;
}

void complete_key(StepPreview& p, const RenderScope& scope, const Fingerprints& fps,
                  const StepRecord* last) {
  for (const auto& name : p.use.secrets) {
    std::string fp;
    if (fps.secrets)
      if (auto it = fps.secrets->find(name); it != fps.secrets->end()) fp = it->second;
    if (fp.empty() && last)
      if (auto it = last->parts.secrets.find(name); it != last->parts.secrets.end())
        fp = it->second;
    p.parts.secrets[name] = fp;
  }
  std::vector<std::string> sensitive;
  for (const auto& key : p.use.outputs) {
    std::string fp;
    if (scope.outputs && fps.keyed)
      if (auto it = scope.outputs->find(key); it != scope.outputs->end())
        fp = fps.keyed(it->second);
    p.parts.outputs[key] = fp;
    if (scope.sensitive_outputs && scope.sensitive_outputs->count(key)) sensitive.push_back(key);
  }
  std::string key = checkpoint_key(p.spec_key, p.parts, sensitive);
  p.own_key = key == p.spec_key ? std::string() : std::move(key);
}

RenderScope preview_scope(const Project& project, const Checkpoints& checkpoints,
                          std::function<std::optional<std::string>(const std::string&)> env,
                          const std::set<std::string>* sensitive_outputs) {
  RenderScope s;
  s.sensitive_outputs = sensitive_outputs;
  s.vars = &project.inventory.vars;
  s.outputs = &checkpoints.outputs;
  s.env = std::move(env);
  s.inventory = &project.inventory;
  s.secret_mode = SecretMode::Placeholder;
  s.missing_output = MissingOutput::Placeholder;
  return s;
}

namespace {

Result<std::vector<size_t>> select(const Project& project, const StageGraph& g,
                                   const Selection& sel, std::vector<bool>* in) {
  auto lookup = [&](const std::string& name) -> Result<size_t> {
    auto v = g.index(name);
    if (!v) {
      std::string msg = "unknown stage '" + name + "'";
      std::vector<std::string> names;
      for (const auto& s : project.stages) names.push_back(s.name);
      if (auto m = closest_match(name, names)) msg += " (did you mean '" + *m + "'?)";
      return Error{msg};
    }
    return *v;
  };
  std::vector<size_t> roots;
  if (!sel.only.empty() && !sel.targets.empty()) {
    // `--only a b` takes one value: b would silently become a target that --only then ignores.
    std::string only;
    for (const auto& n : sel.only) only += " --only " + n;
    for (const auto& n : sel.targets) only += " --only " + n;
    return Error{"targets and --only do not go together ('" + sel.targets.front() +
                 "' is a target here); to run just these stages write" + only};
  }
  if (!sel.only.empty()) {
    in->assign(g.size(), false);
    for (const auto& n : sel.only) {
      auto v = lookup(n);
      if (!v) return v.error();
      (*in)[*v] = true;
    }
  } else if (!sel.targets.empty()) {
    for (const auto& n : sel.targets) {
      auto v = lookup(n);
      if (!v) return v.error();
      roots.push_back(*v);
    }
    *in = g.closure(roots);
  } else {
    in->assign(g.size(), true);
  }
  std::vector<size_t> order;
  for (size_t v : g.topo_order())
    if ((*in)[v]) order.push_back(v);
  return order;
}

/// Renders one stage: its `when`, every step's preview and decision, its gates, its key.
PlannedStage plan_stage(const Stage& st, size_t v, const StageGraph& g, const Checkpoints& cp,
                        const CommandContext& ctx, const Fingerprints& fps,
                        const CheckpointPolicy& policy, Diagnostics& diags) {
  const RenderScope& scope = ctx.scope;
  auto report = [&](const Error& e, const SourceLoc& fallback) {
    diags.error(e.loc.file.empty() ? fallback : e.loc, e.message);
  };
  PlannedStage ps;
  ps.stage = &st;
  ps.vertex = v;
  ps.needs.reserve(g.needs(v).size());
  for (size_t w : g.needs(v)) ps.needs.push_back(g.name(w));
  if (st.when) {
    auto w = evaluate_when(*st.when, scope);
    if (!w)
      report(w.error(), st.loc);
    else
      ps.when = *w;
  }
  KeyMaterial stage_key;
  std::vector<StepDecision> decisions;
  decisions.reserve(st.steps.size());
  ps.steps.reserve(st.steps.size());
  auto stage_rec = cp.stages.find(st.name);
  const StageRecord* stage_last = stage_rec == cp.stages.end() ? nullptr : &stage_rec->second;
  for (const auto& step : st.steps) {
    auto p = preview_step(step, ctx);
    if (!p && ps.when == WhenState::False) p = unrendered_preview(WhenState::False);
    if (!p) {
      report(p.error(), step.loc);
      continue;
    }
    PlannedStep pstep{&step, PlanStatus::Pending, {}, std::move(*p)};
    auto rec = cp.steps.find(st.name + "/" + step.name);
    const StepRecord* last = rec == cp.steps.end() ? nullptr : &rec->second;
    complete_key(pstep.preview, scope, fps, last);
    StepFacts facts;
    facts.when = ps.when == WhenState::False ? WhenState::False : pstep.preview.when;
    facts.last = last;
    facts.key = pstep.preview.key();
    facts.parts = &pstep.preview.parts;
    facts.repeat = step.repeat;
    facts.force = policy.forced(st.name, step.name);
    facts.output_kept =
        step.capture && step.visibility == Visibility::Sensitive ? OutputKept::No : OutputKept::Yes;
    facts.stage_drift = stage_drift(stage_last);
    pstep.decision = decide_step(facts);
    pstep.status = pstep.decision.status;
    decisions.push_back(pstep.decision);
    stage_key.add("step", pstep.preview.spec_key);
    ps.steps.push_back(std::move(pstep));
  }
  for (const auto& gate : st.gates) {
    auto b = render_gate(gate, scope, nullptr);
    if (!b && ps.when == WhenState::False) {  // off: its vars need not be set
      ps.gates.push_back({gate.name, "(not rendered: the stage's when is false)"});
      continue;
    }
    if (!b) {
      report(b.error(), gate.loc);
      continue;
    }
    PlannedGate pg{gate.name, describe_gate(gate.kind, *b)};
    stage_key.add("gate." + pg.name, pg.description);
    ps.gates.push_back(std::move(pg));
  }
  ps.spec_key = stage_key.hash();
  StageFacts facts;
  facts.when = ps.when;
  facts.steps = &decisions;
  facts.last = stage_last;
  facts.spec_key = ps.spec_key;
  ps.decision = decide_stage(facts);
  ps.status = ps.decision.status;
  return ps;
}

/// The outputs ("stage.name") a `when` refers to.
std::set<std::string> output_refs(const Text* when) {
  std::set<std::string> out;
  if (!when) return out;
  std::vector<TemplatePart> parts;
  TemplateError err;
  if (!parse_template(when->raw, &parts, &err)) return out;
  for (const auto& p : parts)
    if (p.ref && p.ref->ns == TemplateRef::Ns::Outputs)
      out.insert(p.ref->stage + "." + p.ref->name);
  return out;
}

template <class Set>  // std::set or FlatSet of names
bool meets(const Set& a, const std::set<std::string>& b) {
  return std::any_of(a.begin(), a.end(), [&](const std::string& x) { return b.count(x) != 0; });
}

/// Whether a stage refers to any of `outputs` (in its `when`, a step's `when` or a step's body).
bool uses_any(const PlannedStage& ps, const std::set<std::string>& outputs) {
  if (outputs.empty()) return false;
  if (meets(output_refs(ps.stage->when.get()), outputs)) return true;
  for (const auto& pst : ps.steps)
    if (meets(pst.preview.use.outputs, outputs) ||
        meets(output_refs(pst.step->when.get()), outputs))
      return true;
  return false;
}

/// Marks the steps that use `stale` outputs as decided at run time, and the stage with them.
void defer_steps(PlannedStage& ps, const std::set<std::string>& stale) {
  bool deferred = false;
  for (auto& pst : ps.steps) {
    StepDecision& d = pst.decision;
    if (d.action == StepAction::SkipWhen) continue;
    if (meets(pst.preview.use.outputs, stale) || meets(output_refs(pst.step->when.get()), stale)) {
      d.action = StepAction::AtRunTime;
      d.reason = "it uses an output that is captured again in this run";
      deferred = true;
    }
  }
  if (deferred && ps.decision.action == StageAction::SkipDone) {
    ps.decision.action = StageAction::Run;
    ps.decision.reason = "some step is decided at run time";
  }
}

}  // namespace

Result<Plan> make_plan(const Project& project, const StageGraph& g, const Selection& sel,
                       const Checkpoints& cp, const RenderScope& scope, Diagnostics& diags,
                       const Fingerprints& fps) {
  size_t errors_before = diags.size();
  std::vector<bool> in;
  auto order = select(project, g, sel, &in);
  if (!order) return order.error();
  Plan plan;
  plan.inventory = project.inventory.name;
  // Each stage renders independently (pure): on every core, one render cache per worker.
  size_t workers = worker_count(order->size());
  std::vector<RenderCache> caches(workers);
  std::vector<Diagnostics> worker_diags(workers);
  plan.stages.resize(order->size());
  parallel_for(order->size(), workers, [&](size_t w, size_t i) {
    CommandContext ctx{&project, scope, &caches[w]};
    plan.stages[i] = plan_stage(project.stages[(*order)[i]], (*order)[i], g, cp, ctx, fps,
                                sel.policy, worker_diags[w]);
  });
  for (const auto& d : worker_diags) diags.append(d);
  std::vector<int> pos(g.size(), -1);
  for (size_t i = 0; i < plan.stages.size(); ++i) pos[plan.stages[i].vertex] = static_cast<int>(i);
  if (diags.size() != errors_before) return Error{"the plan could not be rendered"};

  // An output captured by a step that runs in this run is not known until it has: what uses it
  // (a `when`, an argument, a file) is decided at run time, as apply will decide it. In
  // needs-first order, so that it carries down chains of stages.
  std::set<std::string> stale;
  std::map<std::string, std::string> known =
      scope.outputs ? *scope.outputs : std::map<std::string, std::string>{};
  for (auto& ps : plan.stages) {
    if (uses_any(ps, stale)) {
      for (const auto& o : stale) known.erase(o);
      CommandContext ctx{&project, scope, nullptr};
      ctx.scope.outputs = &known;
      Diagnostics again;  // the same render errors as the first pass, already reported
      ps = plan_stage(*ps.stage, ps.vertex, g, cp, ctx, fps, sel.policy, again);
      defer_steps(ps, stale);
    }
    for (const auto& pst : ps.steps) {
      auto a = pst.decision.action;
      if (pst.step->capture &&
          (a == StepAction::Run || a == StepAction::AtRunTime || a == StepAction::NeedsForce))
        stale.insert(ps.stage->name + "." + pst.step->capture->name);
    }
  }
  for (auto& ps : plan.stages) {
    ps.need_index.reserve(g.needs(ps.vertex).size());
    ps.dependent_index.reserve(g.dependents(ps.vertex).size());
  }
  for (size_t i = 0; i < plan.stages.size(); ++i)
    for (size_t need : g.needs(plan.stages[i].vertex))
      if (pos[need] >= 0) {
        plan.stages[i].need_index.push_back(static_cast<size_t>(pos[need]));
        plan.stages[static_cast<size_t>(pos[need])].dependent_index.push_back(i);
      }

  // Waves: longest path from the roots, in needs-first order.
  int max_wave = -1;
  for (auto& ps : plan.stages) {
    int w = 0;
    for (size_t need : g.needs(ps.vertex))
      if (pos[need] >= 0) w = std::max(w, plan.stages[pos[need]].wave + 1);
    ps.wave = w;
    max_wave = std::max(max_wave, w);
  }
  plan.waves.assign(max_wave < 0 ? 0 : static_cast<size_t>(max_wave) + 1, {});
  for (const auto& ps : plan.stages) plan.waves[ps.wave].push_back(ps.stage->name);

  // Expected durations, scheduling priorities and the critical path (plan/schedule.h).
  weigh_plan(plan, cp);
  return plan;
}

std::optional<std::string> check_selection(const Project& project, const StageGraph& graph,
                                           const Selection& sel) {
  std::vector<bool> in;
  auto roots = select(project, graph, sel, &in);
  if (!roots) return roots.error().message;
  return std::nullopt;
}

std::optional<std::string> check_force(const Project& project,
                                       const std::vector<std::string>& force) {
  for (const auto& f : force) {
    auto slash = f.find('/');
    std::string stage_name = f.substr(0, slash);
    const Stage* stage = project.find_stage(stage_name);
    if (!stage) {
      std::vector<std::string> names;
      for (const auto& s : project.stages) names.push_back(s.name);
      std::string msg = "--force " + f + ": unknown stage '" + stage_name + "'";
      if (auto m = closest_match(stage_name, names)) msg += " (did you mean '" + *m + "'?)";
      return msg;
    }
    if (slash == std::string::npos) continue;
    std::string step = f.substr(slash + 1);
    std::vector<std::string> names;
    for (const auto& s : stage->steps) names.push_back(s.name);
    if (std::find(names.begin(), names.end(), step) != names.end()) continue;
    std::string msg = "--force " + f + ": stage '" + stage_name + "' has no step '" + step + "'";
    if (auto m = closest_match(step, names)) msg += " (did you mean '" + *m + "'?)";
    return msg;
  }
  return std::nullopt;
}

}  // namespace gw
