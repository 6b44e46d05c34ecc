#include "load/references.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "load/body_reader.h"
#include "load/vars.h"
#include "load/yaml_reader.h"
#include "model/names.h"
#include "model/parallel.h"
#include "model/schema.h"
#include "model/template.h"

namespace gw {

namespace {

/// What the text being checked may refer to.
struct RefContext {
  const Project* project = nullptr;
  const EnvLookup* env = nullptr;
  const std::map<std::string, const Stage*>* by_name = nullptr;
  const std::vector<NameRef>* needs = nullptr;  // roots of the stages whose outputs may be used
  std::string self;                             // the stage itself, if any
  mutable std::optional<std::set<std::string>> visible;  // computed on first use
  const std::vector<Param>* params = nullptr;            // inside a playbook
  std::string where;                                     // "stage 'x'" / "playbook 'y'"
  /// The vars the stage declares (`spec.vars`); nullptr when it has no such block.
  const std::set<std::string>* declared = nullptr;
  /// The text is in a stage or step whose `when` is false from vars alone: what it refers to in
  /// the inventory (vars, secrets, env, inventory fields, hosts) need not exist.
  bool off = false;
  /// Vars referred to where the text is on, and anywhere (filled while checking a stage).
  std::set<std::string>* used_on = nullptr;
  std::set<std::string>* used_any = nullptr;
};

std::set<std::string> needs_closure(const std::map<std::string, const Stage*>& by_name,
                                    const std::vector<NameRef>& roots) {
  std::set<std::string> seen;
  std::vector<std::string> todo;
  todo.reserve(roots.size());
  for (const auto& r : roots) todo.push_back(r.name);
  while (!todo.empty()) {
    std::string n = todo.back();
    todo.pop_back();
    if (!seen.insert(n).second) continue;
    auto it = by_name.find(n);
    if (it == by_name.end()) continue;
    for (const auto& need : it->second->needs) todo.push_back(need.name);
  }
  return seen;
}

/// The step of `s` that captures `output`, or nullptr.
const Step* capturing_step(const Stage& s, const std::string& output) {
  for (const auto& st : s.steps)
    if (st.capture && st.capture->name == output) return &st;
  return nullptr;
}

/// Why `${inventory.FIELD}` has no value, after "inventory 'NAME' ".
std::string inventory_field_missing(const std::string& field) {
  if (field == "talos.bootstrap")
    return "has no controlplane node in spec.talos.nodes (the first one is the bootstrap node)";
  const char* key = field == "talosconfig" ? "spec.talos.talosconfig"
                    : field == "context"   ? "spec.kubernetes.context"
                                           : "spec.kubernetes.kubeconfig";
  return std::string("sets no ") + key;
}

std::optional<std::string> check_ref(const TemplateRef& ref, const RefContext& c,
                                     SecretUse secrets) {
  using Ns = TemplateRef::Ns;
  const Inventory& inv = c.project->inventory;
  switch (ref.ns) {
    case Ns::Vars: {
      if (c.declared && !c.declared->count(ref.name)) {
        std::string msg = "'${vars." + ref.name + "}' is not declared in the spec.vars of " +
                          c.where + " (declare every var the stage uses)";
        std::vector<std::string> names(c.declared->begin(), c.declared->end());
        if (auto m = closest_match(ref.name, names)) msg += " (did you mean 'vars." + *m + "'?)";
        return msg;
      }
      if (c.used_any) c.used_any->insert(ref.name);
      if (c.off) return std::nullopt;
      if (c.used_on) c.used_on->insert(ref.name);
      if (inv.vars.count(ref.name)) return std::nullopt;
      if (c.declared) return std::nullopt;  // declared, no value: reported once, at the inventory
      std::vector<std::string> names;
      for (const auto& [k, v] : inv.vars) names.push_back(k);
      std::string msg = "unknown variable '${vars." + ref.name + "}': inventory '" + inv.name +
                        "' does not define it";
      if (auto m = closest_match(ref.name, names)) msg += " (did you mean 'vars." + *m + "'?)";
      return msg;
    }
    case Ns::Secrets:
      if (!inv.secrets.count(ref.name) && !c.off)
        return "unknown secret '${secrets." + ref.name + "}': inventory '" + inv.name +
               "' does not define it";
      if (secrets == SecretUse::Forbidden)
        return "secret '${secrets." + ref.name +
               "}' would reach a command line; use it in a .tmpl file, run.env, run.stdin or "
               "ssh.stdin";
      return std::nullopt;
    case Ns::Env:
      if (c.off || (c.env && (*c.env)(ref.name))) return std::nullopt;
      return "environment variable '" + ref.name + "' (in '${env." + ref.name + "}') is not set";
    case Ns::Params:
      if (!c.params) return "'${params." + ref.name + "}' is only defined inside playbooks";
      for (const auto& p : *c.params) {
        if (p.name != ref.name) continue;
        if (!p.secret.empty() && secrets == SecretUse::Forbidden)
          return "'${params." + ref.name + "}' is secret '" + p.secret +
                 "' and would reach a command line (or a when); use it in a .tmpl file, run.env, "
                 "run.stdin or ssh.stdin";
        return std::nullopt;
      }
      return "unknown parameter '${params." + ref.name + "}' in " + c.where;
    case Ns::Mode:
      if (!c.params) return "'${mode}' is only defined inside playbooks";
      return std::nullopt;
    case Ns::Item:  // a forEach step's own strings had theirs substituted (load/loops.h)
      return "'${" + ref.spelled() +
             "}' is only defined in the strings of a step with forEach (not in other steps, "
             "gates or files)";
    case Ns::Inventory: {
      if (c.off || inventory_field(inv, ref.name)) return std::nullopt;
      // Every playbook is loaded, but one runs only when asked: an inventory without Kubernetes
      // (an etcd-only drill) must not fail on the shipped Kubernetes playbooks. drill, restore and
      // plan --playbook render the chosen playbook before anything runs and report it there.
      if (c.params) return std::nullopt;
      return "'${inventory." + ref.name + "}': inventory '" + inv.name + "' " +
             inventory_field_missing(ref.name);
    }
    case Ns::Outputs: {
      auto found = c.by_name->find(ref.stage);
      if (found == c.by_name->end())
        return "unknown stage '" + ref.stage + "' in '${" + ref.spelled() + "}'";
      const Stage* s = found->second;
      if (!c.visible) {
        c.visible = needs_closure(*c.by_name, *c.needs);
        if (!c.self.empty()) c.visible->insert(c.self);
      }
      if (!c.visible->count(ref.stage))
        return "'${" + ref.spelled() + "}': " + c.where + " does not need stage '" + ref.stage +
               "', so its outputs may not exist yet (add it to needs)";
      const Step* producer = capturing_step(*s, ref.name);
      if (!producer)
        return "'${" + ref.spelled() + "}': stage '" + ref.stage + "' captures no output '" +
               ref.name + "'";
      if (producer->visibility == Visibility::Sensitive && secrets == SecretUse::Forbidden)
        return "'${" + ref.spelled() + "}' is captured by sensitive step '" + ref.stage + "/" +
               producer->name +
               "', so it is a secret and would reach a command line (or a when); use it in a "
               ".tmpl file, run.env or run.stdin";
      return std::nullopt;
    }
  }
  return std::nullopt;
}

/// Checks one text: `base` locates offset 0 (single-line scalar); multi-line files map offsets.
void check_raw(std::string_view raw, const SourceLoc& base, bool multiline, const RefContext& c,
               SecretUse secrets, Diagnostics& diags) {
  if (is_plain(raw)) return;
  auto at = [&](size_t offset) {
    SourceLoc loc = base;
    if (multiline) {
      auto [l, col] = offset_to_line_col(raw, offset);
      loc.line = l, loc.col = col;
    } else if (loc.line > 0) {
      loc.col += static_cast<int>(offset);
    }
    return loc;
  };
  std::vector<TemplatePart> parts;
  TemplateError err;
  if (!parse_template(raw, &parts, &err)) {
    diags.error(at(err.offset), err.message);
    return;
  }
  for (const auto& p : parts)
    if (p.ref)
      if (auto msg = check_ref(*p.ref, c, secrets)) diags.error(at(p.ref->offset), *msg);
}

void check_text(const Text& t, const RefContext& c, SecretUse secrets, Diagnostics& diags) {
  check_raw(t.raw, t.loc, false, c, secrets, diags);
}

void check_file(const Text& path_text, const std::string& dir, const RefContext& c,
                Diagnostics& diags) {
  if (!is_plain(path_text.raw)) return;
  auto it = c.project->files.find(resolve_path(path_text.raw, dir));
  if (it == c.project->files.end() || !it->second.templated) return;
  // Named like the stage files are (relative to the working folder), not by the absolute key.
  const std::string cwd = std::filesystem::current_path().string();
  check_raw(it->second.content, {display_path(it->first, cwd), 1, 1}, true, c, SecretUse::Allowed,
            diags);
}

void check_body(const Body& b, const BodySchema& schema, const std::string& dir,
                const RefContext& c, Diagnostics& diags) {
  for (const auto& f : schema.fields) {
    std::string key(f.key);
    if (auto t = b.scalar(key)) {
      check_text(*t, c, f.secrets, diags);
      if (f.path == PathUse::InputFile) check_file(*t, dir, c, diags);
    }
    if (auto l = b.list(key)) {
      for (const auto& t : *l) {
        check_text(t, c, f.secrets, diags);
        if (f.path == PathUse::InputFile) check_file(t, dir, c, diags);
      }
    }
    if (auto m = b.map(key)) {
      for (const auto& [k, t] : *m) {
        const FieldSpec* sub = nullptr;
        for (const auto& of : f.object_fields)
          if (of.key == k) sub = &of;
        check_text(t, c, sub ? sub->secrets : f.secrets, diags);
        if (sub && sub->path == PathUse::InputFile) check_file(t, dir, c, diags);
      }
    }
  }
}

/// A host name written in an ssh step or gate is a key of the inventory's hosts.
void check_one_host(const Text* host, const RefContext& c, Diagnostics& diags) {
  if (!host || !is_plain(host->raw) || c.off) return;
  const auto& hosts = c.project->inventory.hosts;
  if (hosts.count(host->raw)) return;
  std::vector<std::string> names;
  names.reserve(hosts.size());
  for (const auto& [k, v] : hosts) names.push_back(k);
  std::string msg = "unknown host '" + host->raw + "': inventory '" + c.project->inventory.name +
                    "' has no spec.hosts." + host->raw;
  if (auto m = closest_match(host->raw, names)) msg += " (did you mean '" + *m + "'?)";
  diags.error(host->loc, msg);
}

/// An ssh step or gate must name hosts of the inventory (`host`, or each of `hosts`).
void check_ssh_host(const Body& b, const RefContext& c, Diagnostics& diags) {
  check_one_host(b.scalar("host"), c, diags);
  if (const TextList* l = b.list("hosts"))
    for (const auto& t : *l) check_one_host(&t, c, diags);
}

void check_gate(const Gate& g, const std::string& dir, const RefContext& c, Diagnostics& diags) {
  check_body(g.body, gate_schema(g.kind), dir, c, diags);
  if (g.kind == GateKind::Ssh) check_ssh_host(g.body, c, diags);
}

void check_step(const Step& s, const RefContext& stage_ctx, Diagnostics& diags) {
  RefContext off_ctx;
  if (!stage_ctx.off && off_by_vars(s.when.get(), stage_ctx.project->inventory)) {
    off_ctx = stage_ctx;
    off_ctx.off = true;
  }
  const RefContext& c = off_ctx.project ? off_ctx : stage_ctx;
  if (s.repeat == Repeat::Once && s.capture && s.visibility == Visibility::Sensitive)
    diags.error(s.loc,
                "step '" + s.name +
                    "' is 'once' and captures a sensitive output, which is never kept between "
                    "runs: a later run could neither repeat the step nor recover the value");
  if (s.when) check_text(*s.when, c, SecretUse::Forbidden, diags);
  if (s.skip_if) check_gate(*s.skip_if, s.dir, c, diags);
  if (s.gate)
    check_gate(*s.gate, s.dir, c, diags);
  else
    check_body(s.body, step_schema(s.kind), s.dir, c, diags);
  if (s.kind == StepKind::Ssh) check_ssh_host(s.body, c, diags);
}

/// A var some stage that is on declares without a default, and the inventory lacks.
struct MissingVar {
  const VarDecl* decl;
  const Stage* stage;
};

/// Checks one stage's references; collects the declared vars it needs that have no value.
void check_stage(const Stage& st, RefContext c, std::vector<MissingVar>& missing,
                 Diagnostics& out) {
  const Inventory& inv = c.project->inventory;
  std::set<std::string> declared, used_on, used_anywhere;
  if (st.vars) {
    for (const auto& d : *st.vars) declared.insert(d.name);
    c.declared = &declared;
  }
  c.off = off_by_vars(st.when.get(), inv);
  c.used_on = &used_on;
  c.used_any = &used_anywhere;
  if (st.when) check_text(*st.when, c, SecretUse::Forbidden, out);
  for (const auto& s : st.steps) check_step(s, c, out);
  for (const auto& g : st.gates) check_gate(g, st.dir, c, out);
  if (!st.vars || c.off) return;
  // Needed: used where the stage is on, or declared and used nowhere (nothing says it is optional).
  for (const auto& d : *st.vars)
    if (!inv.vars.count(d.name) && (used_on.count(d.name) || !used_anywhere.count(d.name)))
      missing.push_back({&d, &st});
}

/// One error per missing var, at the inventory's spec.vars, naming every stage that needs it.
void report_missing(const Inventory& inv, const std::vector<MissingVar>& missing,
                    Diagnostics& diags) {
  std::map<std::string, std::vector<const MissingVar*>> by_var;
  for (const auto& m : missing) by_var[m.decl->name].push_back(&m);
  for (const auto& [name, list] : by_var) {
    const VarDecl& d = *list.front()->decl;
    std::string msg = "var '" + name + "' is not set: ";
    if (auto field =
            d.default_value ? inventory_default_field(d.default_value->raw) : std::nullopt) {
      msg += "its default '" + d.default_value->raw + "' (stage " + list.front()->stage->name +
             ", " + d.default_value->loc.str() + ") has no value: inventory '" + inv.name + "' " +
             inventory_field_missing(*field);
      diags.error(inv.vars_loc, msg + "; or set the var in its spec.vars");
      continue;
    }
    for (size_t i = 0; i < list.size(); ++i)
      msg += std::string(i ? "; " : "") + "stage " + list[i]->stage->name +
             " declares it without a default (" + list[i]->decl->loc.str() + ")";
    msg += "; set it in inventory '" + inv.name + "' spec.vars (" +
           describe_var_type(d.type, d.values) +
           (d.description.empty() ? "" : ": " + d.description) + ")";
    diags.error(inv.vars_loc, msg);
  }
}

}  // namespace

void check_references(const Project& project, const EnvLookup& env, Diagnostics& diags) {
  std::map<std::string, const Stage*> by_name;
  for (const auto& s : project.stages) by_name[s.name] = &s;
  // Stages are checked independently (read-only): on every core.
  size_t workers = worker_count(project.stages.size());
  std::vector<Diagnostics> worker_diags(workers);
  std::vector<std::vector<MissingVar>> worker_missing(workers);
  parallel_for(project.stages.size(), workers, [&](size_t w, size_t i) {
    const Stage& st = project.stages[i];
    RefContext c;
    c.project = &project;
    c.env = &env;
    c.by_name = &by_name;
    c.needs = &st.needs;
    c.self = st.name;
    c.where = "stage '" + st.name + "'";
    check_stage(st, std::move(c), worker_missing[w], worker_diags[w]);
  });
  for (const auto& d : worker_diags) diags.append(d);
  std::vector<MissingVar> missing;
  for (auto& m : worker_missing) missing.insert(missing.end(), m.begin(), m.end());
  std::sort(missing.begin(), missing.end(),
            [](const MissingVar& a, const MissingVar& b) { return a.stage < b.stage; });
  report_missing(project.inventory, missing, diags);
  for (const auto& pb : project.playbooks) {
    RefContext c;
    c.project = &project;
    c.env = &env;
    c.by_name = &by_name;
    c.needs = &pb.needs;
    c.params = &pb.params;
    c.where = "playbook '" + pb.name + "'";
    // A secret param's inventory secret is checked when the playbook runs (resolve_params):
    // an inventory need not define the secrets of playbooks it never runs.
    for (const auto& p : pb.params)
      if (p.default_value) check_text(*p.default_value, c, SecretUse::Forbidden, diags);
    for (const auto* list : {&pb.steps, &pb.verify, &pb.cleanup})
      for (const auto& s : *list) check_step(s, c, diags);
  }
}

}  // namespace gw
