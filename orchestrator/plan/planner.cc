#include "plan/planner.h"

#include <algorithm>

#include "model/hash.h"
#include "model/names.h"
#include "model/parallel.h"

namespace gw {

const char* to_string(RecordStatus s) {
  switch (s) {
    case RecordStatus::Passed:
      return "passed";
    case RecordStatus::Failed:
      return "failed";
    case RecordStatus::Interrupted:
      return "interrupted";
    case RecordStatus::Running:
      return "running";
  }
  return "?";
}

const char* to_string(PlanStatus s) {
  switch (s) {
    case PlanStatus::Pending:
      return "pending";
    case PlanStatus::Done:
      return "done";
    case PlanStatus::Changed:
      return "changed";
    case PlanStatus::Failed:
      return "failed";
    case PlanStatus::Skipped:
      return "skipped";
  }
  return "?";
}

const PlannedStage* Plan::find(const std::string& name) const {
  for (const auto& s : stages)
    if (s.stage->name == name) return &s;
  return nullptr;
}

namespace {

Result<std::optional<bool>> evaluate_when(const Text& when, const RenderScope& scope) {
  RenderUse use;
  auto r = render_template(when.raw, scope, &use);
  if (!r) return Error{r.error().message, when.loc};
  if (r->find("<output:") != std::string::npos) return std::optional<bool>();
  std::string err;
  auto b = evaluate_condition(*r, &err);
  if (!b) return Error{err, when.loc};
  return std::optional<bool>(*b);
}

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

Result<StepPreview> preview_step(const Step& step, const CommandContext& ctx) {
  StepPreview p;
  KeyMaterial key;
  key.add("kind", to_string(step.kind));
  if (step.when) {
    auto w = evaluate_when(*step.when, ctx.scope);
    if (!w) return w.error();
    p.when = *w;
  } else {
    p.when = true;
  }
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
      auto it = ctx.project->files.find(resolve_path(u->at("src").raw, step.dir));
      if (it != ctx.project->files.end()) key.add("upload", sha256_hex(it->second.content));
    }
  } else {
    auto c = build_step_command(step, ctx, &p.use);
    if (!c) return c.error();
    p.command = std::move(*c);
    const Invocation& inv = *p.command;
    std::vector<std::string> shown;
    for (const auto& [k, v] : inv.env) shown.push_back(k + "=" + v);
    if (!shown.empty()) shown.insert(shown.begin(), "env");
    for (auto& a : inv.display_argv()) shown.push_back(std::move(a));
    p.description = join_argv(shown);
    for (const auto& a : inv.display_argv()) key.add("argv", a);
    for (const auto& [k, v] : inv.env) key.add("env." + k, v);
    if (inv.stdin_data) key.add("stdin", *inv.stdin_data);
    if (inv.cwd) key.add("cwd", *inv.cwd);
    for (const auto& f : inv.files) key.add("file." + f.source, f.hash);
  }
  if (step.capture) {
    key.add("capture", step.capture->name);
    key.add("capture.regex", step.capture->regex.value_or(""));
  }
  p.spec_key = key.hash();
  return p;
}

RenderScope preview_scope(const Project& project, const Checkpoints& checkpoints,
                          std::function<std::optional<std::string>(const std::string&)> env) {
  RenderScope s;
  s.vars = &project.inventory.vars;
  s.outputs = &checkpoints.outputs;
  s.env = std::move(env);
  s.inventory = &project.inventory;
  s.secret_mode = SecretMode::Placeholder;
  s.missing_output = MissingOutput::Placeholder;
  return s;
}

namespace {

PlanStatus step_status(const std::string& id, const std::string& spec_key, const Checkpoints& cp) {
  auto it = cp.steps.find(id);
  if (it == cp.steps.end()) return PlanStatus::Pending;
  const StepRecord& r = it->second;
  if (r.status == RecordStatus::Passed)
    return r.spec_key == spec_key ? PlanStatus::Done : PlanStatus::Changed;
  if (r.status == RecordStatus::Failed) return PlanStatus::Failed;
  return PlanStatus::Pending;
}

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

/// Renders one stage: its `when`, every step's preview and status, its gates, its key.
PlannedStage plan_stage(const Stage& st, size_t v, const StageGraph& g, const Checkpoints& cp,
                        const CommandContext& ctx, Diagnostics& diags) {
  const RenderScope& scope = ctx.scope;
  auto report = [&](const Error& e, const SourceLoc& fallback) {
    diags.error(e.loc.file.empty() ? fallback : e.loc, e.message);
  };
  PlannedStage ps;
  ps.stage = &st;
  ps.vertex = v;
  for (size_t w : g.needs(v)) ps.needs.push_back(g.name(w));
  if (st.when) {
    auto w = evaluate_when(*st.when, scope);
    if (!w)
      report(w.error(), st.loc);
    else if (*w && !**w)
      ps.status = PlanStatus::Skipped;
  }
  KeyMaterial stage_key;
  for (const auto& step : st.steps) {
    auto p = preview_step(step, ctx);
    if (!p) {
      report(p.error(), step.loc);
      continue;
    }
    PlannedStep pstep{&step, PlanStatus::Pending, std::move(*p)};
    std::string id = st.name + "/" + step.name;
    if (ps.status == PlanStatus::Skipped || (pstep.preview.when && !*pstep.preview.when))
      pstep.status = PlanStatus::Skipped;
    else
      pstep.status = step_status(id, pstep.preview.spec_key, cp);
    stage_key.add("step", pstep.preview.spec_key);
    ps.steps.push_back(std::move(pstep));
  }
  for (const auto& gate : st.gates) {
    auto b = render_gate(gate, scope, nullptr);
    if (!b) {
      report(b.error(), gate.loc);
      continue;
    }
    PlannedGate pg{gate.name, describe_gate(gate.kind, *b)};
    stage_key.add("gate." + pg.name, pg.description);
    ps.gates.push_back(std::move(pg));
  }
  ps.spec_key = stage_key.hash();
  if (ps.status != PlanStatus::Skipped) {
    auto it = cp.stages.find(st.name);
    if (it != cp.stages.end()) {
      if (it->second.status == RecordStatus::Passed)
        ps.status = it->second.spec_key == ps.spec_key ? PlanStatus::Done : PlanStatus::Changed;
      else if (it->second.status == RecordStatus::Failed)
        ps.status = PlanStatus::Failed;
    }
  }
  return ps;
}

}  // namespace

Result<Plan> make_plan(const Project& project, const StageGraph& g, const Selection& sel,
                       const Checkpoints& cp, const RenderScope& scope, Diagnostics& diags) {
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
    plan.stages[i] =
        plan_stage(project.stages[(*order)[i]], (*order)[i], g, cp, ctx, worker_diags[w]);
  });
  for (const auto& d : worker_diags) diags.append(d);
  std::vector<int> pos(g.size(), -1);
  for (size_t i = 0; i < plan.stages.size(); ++i) pos[plan.stages[i].vertex] = static_cast<int>(i);
  if (diags.size() != errors_before) return Error{"the plan could not be rendered"};

  // Weights: measured stage durations; unmeasured stages estimated from the measured time per
  // step, or one unit per step and gate when nothing was measured yet.
  double measured_ms = 0, measured_steps = 0;
  for (const auto& ps : plan.stages) {
    auto it = cp.stages.find(ps.stage->name);
    if (it != cp.stages.end() && it->second.status == RecordStatus::Passed) {
      measured_ms += static_cast<double>(it->second.duration_ms);
      measured_steps += static_cast<double>(ps.steps.size() + ps.gates.size());
    }
  }
  double per_step = measured_steps > 0 ? std::max(1.0, measured_ms / measured_steps) : 1.0;
  plan.weights_measured = measured_steps > 0;
  for (auto& ps : plan.stages) {
    auto it = cp.stages.find(ps.stage->name);
    double units = static_cast<double>(std::max<size_t>(1, ps.steps.size() + ps.gates.size()));
    if (ps.status == PlanStatus::Skipped)
      ps.weight = 0;
    else if (it != cp.stages.end() && it->second.status == RecordStatus::Passed)
      ps.weight = std::max(1.0, static_cast<double>(it->second.duration_ms));
    else
      ps.weight = units * per_step;
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

  // Longest remaining path (scheduling priority) and the critical path.
  std::vector<int> next(plan.stages.size(), -1);
  for (size_t i = plan.stages.size(); i-- > 0;) {
    auto& ps = plan.stages[i];
    double best = 0;
    for (size_t d : g.dependents(ps.vertex)) {
      int j = pos[d];
      if (j >= 0 && plan.stages[j].remaining > best) best = plan.stages[j].remaining, next[i] = j;
    }
    ps.remaining = ps.weight + best;
  }
  int start = -1;
  for (size_t i = 0; i < plan.stages.size(); ++i)
    if (plan.stages[i].needs.empty() ||
        std::none_of(g.needs(plan.stages[i].vertex).begin(), g.needs(plan.stages[i].vertex).end(),
                     [&](size_t n) { return pos[n] >= 0; }))
      if (start < 0 || plan.stages[i].remaining > plan.stages[start].remaining)
        start = static_cast<int>(i);
  for (int i = start; i >= 0; i = next[i]) plan.critical_path.push_back(plan.stages[i].stage->name);
  return plan;
}

std::optional<std::string> check_selection(const Project& project, const StageGraph& graph,
                                           const Selection& sel) {
  std::vector<bool> in;
  auto roots = select(project, graph, sel, &in);
  if (!roots) return roots.error().message;
  return std::nullopt;
}

}  // namespace gw
