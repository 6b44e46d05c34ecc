#include "load/documents.h"

#include "model/semver.h"
#include "model/template.h"

namespace gw {

namespace {

constexpr const char* kApiVersion = "groundwork/v1";

}  // namespace

std::optional<Header> read_header(LoadContext& ctx, const yaml::Node& root,
                                  const std::string& expected_kind) {
  MapReader r(ctx, root, "document");
  if (!r.valid()) return std::nullopt;
  Header h;
  bool ok = true;
  if (auto api = r.string("apiVersion", Presence::Required); api && *api != kApiVersion) {
    ctx.error(r.get("apiVersion"),
              "unsupported apiVersion '" + *api + "' (expected '" + kApiVersion + "')");
    ok = false;
  } else if (!api) {
    ok = false;
  }
  if (auto kind = r.string("kind", Presence::Required); kind && *kind != expected_kind) {
    ctx.error(r.get("kind"),
              "unsupported kind '" + *kind + "' here (expected '" + expected_kind + "')");
    ok = false;
  } else if (!kind) {
    ok = false;
  }
  if (auto meta = r.get("metadata", Presence::Required); meta.IsDefined()) {
    MapReader m(ctx, meta, "metadata");
    if (m.valid()) {
      if (auto n = m.string("name", Presence::Required)) {
        h.name = *n;
        h.name_loc = ctx.loc(m.get("name"));
        if (!valid_name(*n)) {
          ctx.error(m.get("name"), "invalid name '" + *n +
                                       "' (letters, digits, '-', '_', '.'; starting with a "
                                       "letter or digit)");
          ok = false;
        }
      } else {
        ok = false;
      }
      if (auto d = m.string("description")) h.description = *d;
      m.get("labels");
      m.finish();
    } else {
      ok = false;
    }
  } else {
    ok = false;
  }
  h.spec = r.get("spec", Presence::Required);
  if (!h.spec.IsDefined()) ok = false;
  r.finish();
  if (!ok) return std::nullopt;
  return h;
}

namespace {

std::vector<NameRef> read_name_refs(LoadContext& ctx, MapReader& r, const char* key) {
  std::vector<NameRef> out;
  yaml::Node n = r.get(key);
  auto texts = read_texts(ctx, n, std::string("'") + key + "'");
  if (!texts) return out;
  out.reserve(texts->size());
  for (auto& t : *texts) out.push_back({std::move(t.raw), t.loc});
  return out;
}

std::vector<Gate> read_gates(LoadContext& ctx, const yaml::Node& n, const std::string& dir,
                             FileTable& files) {
  std::vector<Gate> out;
  if (!n.IsDefined() || n.IsNull()) return out;
  if (!n.IsSequence()) {
    ctx.error(n, "'gates' must be a list");
    return out;
  }
  std::map<std::string, SourceLoc> seen;
  for (const auto& item : n.items()) {
    auto g = read_gate(ctx, item, GateForm::Named, dir, files);
    if (!g) continue;
    if (auto [it, fresh] = seen.emplace(g->name, g->loc); !fresh) {
      ctx.error(g->loc,
                "duplicate gate name '" + g->name + "' (first at " + it->second.str() + ")");
      continue;
    }
    out.push_back(std::move(*g));
  }
  return out;
}

std::vector<std::string> var_type_names() {
  return {std::begin(kVarTypeNames), std::end(kVarTypeNames)};
}

/// Why a var's default may not be used as written: it holds a reference other than exactly one
/// `${inventory.FIELD}` (defaults are literal otherwise), or a malformed one. Nullopt when fine.
std::optional<std::string> default_reference_problem(const std::string& raw) {
  if (is_plain(raw) || inventory_default_field(raw)) return std::nullopt;
  std::vector<TemplatePart> parts;
  TemplateError err;
  if (!parse_template(raw, &parts, &err)) return err.message;
  for (const auto& p : parts)
    if (p.ref)
      return "a default is literal text, or exactly one ${inventory.FIELD} (the inventory's "
             "field when the inventory does not set the var)";
  return std::nullopt;
}

/// One `spec.vars` entry: `NAME: {type, default, description, values, within}`.
std::optional<VarDecl> read_var_decl(LoadContext& ctx, MapReader& vars, const std::string& key) {
  VarDecl d;
  d.name = key;
  yaml::Node node = vars.get(key);
  d.loc = vars.key_loc(key);
  std::string what = "var '" + key + "'";
  MapReader r(ctx, node, what);
  if (!r.valid()) return std::nullopt;
  bool ok = true;
  if (auto t = r.text("type", Presence::Required)) {
    if (auto type = parse_var_type(t->raw)) {
      d.type = *type;
    } else {
      std::string msg = what + ": unknown type '" + t->raw + "'";
      if (auto m = closest_match(t->raw, var_type_names())) msg += " (did you mean '" + *m + "'?)";
      std::string all;
      for (auto n : kVarTypeNames) all += (all.empty() ? "" : ", ") + std::string(n);
      ctx.error(t->loc, msg + "; types: " + all);
      ok = false;
    }
  } else {
    ok = false;
  }
  d.default_value = r.text("default");
  if (d.default_value)
    if (auto why = default_reference_problem(d.default_value->raw)) {
      ctx.error(d.default_value->loc, what + ": default '" + d.default_value->raw + "': " + *why);
      ok = false;
    }
  if (auto desc = r.string("description")) d.description = *desc;
  if (auto v = r.texts("values")) {
    for (const auto& t : *v) d.values.push_back(t.raw);
    if (ok && d.type != VarType::Enum)
      ctx.error(r.get("values"), what + ": 'values' is only for type enum"), ok = false;
  }
  if (ok && d.type == VarType::Enum && d.values.empty())
    ctx.error(d.loc, what + ": type enum needs 'values' (the values allowed)"), ok = false;
  d.within = r.text("within");
  if (d.within && ok && d.type != VarType::Ip)
    ctx.error(d.within->loc, what + ": 'within' is only for type ip"), ok = false;
  r.finish();
  // A default taken from the inventory (`${inventory.FIELD}`) is checked once it is filled in.
  if (ok && d.default_value && !inventory_default_field(d.default_value->raw)) {
    if (auto why = check_var_value(d.type, d.default_value->raw, d.values); !why.empty()) {
      ctx.error(d.default_value->loc, what + ": default '" + d.default_value->raw + "' " + why);
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return d;
}

/// `spec.vars`: the vars the stage uses; nullopt when the block is absent.
std::optional<std::vector<VarDecl>> read_var_decls(LoadContext& ctx, const yaml::Node& n) {
  if (!n.IsDefined()) return std::nullopt;
  std::vector<VarDecl> out;
  if (n.IsNull()) return out;
  MapReader r(ctx, n, "'vars'");
  if (!r.valid()) return out;
  for (const auto& key : r.keys())
    if (auto d = read_var_decl(ctx, r, key)) out.push_back(std::move(*d));
  return out;
}

}  // namespace

std::string document_kind(const yaml::Node& root) {
  auto k = root["kind"];
  return k.IsScalar() ? k.Scalar() : "";
}

std::optional<Stage> read_stage(const DocumentPlace& place, const yaml::Node& root,
                                Diagnostics& diags, FileTable& files) {
  const std::string& path = place.shown;
  LoadContext ctx(path, diags);
  size_t before = diags.size();
  auto h = read_header(ctx, root, "Stage");
  if (!h) return std::nullopt;
  Stage st;
  st.name = h->name;
  st.description = h->description;
  st.loc = h->name_loc;
  st.file = path;
  const std::string& dir = place.dir;
  MapReader r(ctx, h->spec, "spec");
  if (!r.valid()) return std::nullopt;
  st.needs = read_name_refs(ctx, r, "needs");
  if (auto t = r.strings("tools")) st.tools = std::move(*t);
  st.when = r.text("when");
  st.kube_version = r.text("kubeVersion");
  if (st.kube_version)
    if (auto c = parse_version_constraint(st.kube_version->raw); !c)
      ctx.error(st.kube_version->loc, "kubeVersion: " + c.error().message);
  st.dir = dir;
  st.vars = read_var_decls(ctx, r.get("vars"));
  st.steps = read_steps(ctx, r.get("steps"), "stage '" + st.name + "'", dir, files);
  st.gates = read_gates(ctx, r.get("gates"), dir, files);
  r.finish();
  if (diags.size() != before) return std::nullopt;
  return st;
}

std::optional<Playbook> read_playbook(const DocumentPlace& place, const yaml::Node& root,
                                      Diagnostics& diags, FileTable& files) {
  const std::string& path = place.shown;
  LoadContext ctx(path, diags);
  size_t before = diags.size();
  auto h = read_header(ctx, root, "Playbook");
  if (!h) return std::nullopt;
  Playbook pb;
  pb.name = h->name;
  pb.description = h->description;
  pb.loc = h->name_loc;
  pb.file = path;
  const std::string& dir = place.dir;
  MapReader r(ctx, h->spec, "spec");
  if (!r.valid()) return std::nullopt;
  if (auto modes = r.texts("modes")) {
    for (const auto& m : *modes) {
      if (m.raw == "drill")
        pb.modes.push_back(Mode::Drill);
      else if (m.raw == "restore")
        pb.modes.push_back(Mode::Restore);
      else
        ctx.error(m.loc, "unknown mode '" + m.raw + "' (expected drill or restore)");
    }
  } else {
    pb.modes = {Mode::Drill, Mode::Restore};
  }
  pb.needs = read_name_refs(ctx, r, "needs");
  if (auto n = r.get("params"); n.IsDefined() && !n.IsNull()) {
    MapReader pr(ctx, n, "'params'");
    if (pr.valid()) {
      for (const auto& key : pr.keys()) {
        Param p;
        p.name = key;
        yaml::Node v = pr.get(key);
        p.loc = ctx.loc(v);
        if (v.IsNull()) {
          pb.params.push_back(p);
          continue;
        }
        MapReader one(ctx, v, "param '" + key + "'");
        if (!one.valid()) continue;
        if (auto req = one.boolean("required")) p.required = *req;
        p.default_value = one.text("default");
        if (auto d = one.string("description")) p.description = *d;
        if (auto s = one.string("secret")) {
          p.secret = *s;
          if (!valid_name(*s))
            ctx.error(one.get("secret"), "param '" + key +
                                             "': 'secret' names a secret of the inventory, not '" +
                                             *s + "'");
          if (p.required || p.default_value)
            ctx.error(one.get("secret"), "param '" + key +
                                             "' takes its value from secret '" + *s +
                                             "': it has no 'required' or 'default'");
        }
        one.finish();
        pb.params.push_back(std::move(p));
      }
    }
  }
  if (auto n = r.get("objectives"); n.IsDefined()) {
    MapReader o(ctx, n, "'objectives'");
    if (o.valid()) {
      pb.rto = o.duration("rto");
      pb.rpo = o.duration("rpo");
      if (auto e = o.boolean("enforce")) pb.enforce = *e ? Enforce::Yes : Enforce::No;
      o.finish();
    }
  }
  pb.steps = read_steps(ctx, r.get("steps"), "playbook '" + pb.name + "' steps", dir, files);
  pb.verify = read_steps(ctx, r.get("verify"), "playbook '" + pb.name + "' verify", dir, files,
                         GateShorthand::Accepted);
  pb.cleanup = read_steps(ctx, r.get("cleanup"), "playbook '" + pb.name + "' cleanup", dir, files);
  r.finish();
  if (diags.size() != before) return std::nullopt;
  return pb;
}

}  // namespace gw
