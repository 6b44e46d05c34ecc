#include "load/loops.h"

#include <functional>
#include <map>

#include "model/names.h"
#include "model/template.h"

namespace gw {

const std::vector<LoopSource>& loop_sources() {
  static const std::vector<LoopSource> kSources = {
      {"inventory.talos.nodes", {"name", "address", "role"}},
      {"inventory.talos.endpoints", {}},
      {"inventory.hosts", {"name", "address", "user", "port"}},
  };
  return kSources;
}

std::vector<LoopItem> loop_items(const Inventory& inv, const LoopSource& source) {
  std::vector<LoopItem> out;
  std::string_view s = source.spelled;
  if (s == "inventory.talos.nodes" && inv.talos) {
    for (const auto& n : inv.talos->nodes)
      out.push_back({n.name, {{"name", n.name}, {"address", n.address}, {"role", n.role}}});
  } else if (s == "inventory.talos.endpoints" && inv.talos) {
    for (const auto& e : inv.talos->endpoints) out.push_back({e, {}});
  } else if (s == "inventory.hosts") {
    for (const auto& [name, h] : inv.hosts)
      out.push_back({name,
                     {{"name", name},
                      {"address", h.address},
                      {"user", h.user},
                      {"port", std::to_string(h.port)}}});
  }
  return out;
}

std::string loop_step_name(const std::string& base, const std::string& key) {
  return base + "." + key;
}

namespace {

/// Calls `f` on every user-written string of a step that is rendered per item.
void visit_texts(Step& s, const std::function<void(Text&)>& f) {
  auto body = [&](Body& b) {
    for (auto& [k, t] : b.scalars) f(t);
    for (auto& [k, l] : b.lists)
      for (auto& t : l) f(t);
    for (auto& [k, m] : b.maps)
      for (auto& [mk, t] : m) f(t);
  };
  body(s.body);
  if (s.gate) body(s.gate->body);
  if (s.skip_if) body(s.skip_if->body);
  if (s.when) f(*s.when);
}

std::string join_fields(const LoopSource& src) {
  std::string out;
  for (size_t i = 0; i < src.fields.size(); ++i)
    out += (i == 0 ? "" : i + 1 == src.fields.size() ? " and " : ", ") + src.fields[i];
  return out;
}

/// Why `${item…}` with `field` ("" for `${item}`) cannot be used with `src`, or "".
std::string field_problem(const LoopSource& src, const std::string& field) {
  const std::string list = std::string("${") + src.spelled + "}";
  if (src.fields.empty())
    return field.empty()
               ? ""
               : "'${item." + field + "}': the items of " + list + " are strings: write ${item}";
  if (field.empty())
    return "'${item}': the items of " + list + " have fields " + join_fields(src) +
           ": write ${item." + src.fields[0] + "}";
  for (const auto& f : src.fields)
    if (f == field) return "";
  std::string msg = "unknown item field '${item." + field + "}': the items of " + list + " have " +
                    join_fields(src);
  if (auto m = closest_match(field, src.fields)) msg += " (did you mean 'item." + *m + "'?)";
  return msg;
}

std::string escape_template(const std::string& value) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value.compare(i, 2, "${") == 0) out += '$';
    out += value[i];
  }
  return out;
}

/// Substitutes `${item}` / `${item.FIELD}` in `raw` with `item`'s values, or, when `item` is null,
/// only reports the references `src` cannot satisfy (at `loc`, shifted by the offset). `$${` stays
/// a literal. Returns false when something was reported.
bool substitute(std::string& raw, const SourceLoc& loc, const LoopSource& src, const LoopItem* item,
                Diagnostics& diags) {
  if (raw.find("${item") == std::string::npos) return true;
  std::string out;
  bool ok = true;
  size_t i = 0;
  while (i < raw.size()) {
    if (raw.compare(i, 3, "$${") == 0) {
      out += "$${";
      i += 3;
      continue;
    }
    bool ref = raw.compare(i, 6, "${item") == 0 && i + 6 < raw.size() &&
               (raw[i + 6] == '}' || raw[i + 6] == '.');
    size_t close = ref ? raw.find('}', i) : std::string::npos;
    if (close == std::string::npos) {  // malformed ones are reported by the reference check
      out += raw[i++];
      continue;
    }
    std::string field = raw[i + 6] == '.' ? raw.substr(i + 7, close - i - 7) : "";
    if (!item) {
      if (auto why = field_problem(src, field); !why.empty()) {
        SourceLoc at = loc;
        if (at.line > 0) at.col += static_cast<int>(i);
        diags.error(at, why);
        ok = false;
      }
    } else if (field.empty()) {
      out += escape_template(item->key);
    } else {
      for (const auto& [k, v] : item->fields)
        if (k == field) out += escape_template(v);
    }
    i = close + 1;
  }
  if (item) raw = std::move(out);
  return ok;
}

/// The list a forEach names, or nullptr after reporting what it may name.
const LoopSource* parse_source(const Text& t, Diagnostics& diags) {
  std::string_view raw = t.raw;
  while (!raw.empty() && raw.front() == ' ') raw.remove_prefix(1);
  while (!raw.empty() && raw.back() == ' ') raw.remove_suffix(1);
  std::string inner(raw);
  if (raw.starts_with("${") && raw.ends_with("}")) inner = raw.substr(2, raw.size() - 3);
  std::vector<std::string> names;
  for (const auto& s : loop_sources()) {
    if (inner == s.spelled && raw.starts_with("${")) return &s;
    names.emplace_back(s.spelled);
  }
  std::string msg =
      "forEach takes an inventory list: ${inventory.talos.nodes}, "
      "${inventory.talos.endpoints} or ${inventory.hosts}, not '" +
      t.raw + "'";
  if (auto m = closest_match(inner, names)) msg += " (did you mean '${" + *m + "}'?)";
  diags.error(t.loc, msg);
  return nullptr;
}

/// Whether the item passes the step's `where` (rendered with vars and the inventory).
std::optional<bool> passes_where(const Text& where, const LoopSource& src, const LoopItem& item,
                                 const Inventory& inv, Diagnostics& diags) {
  std::string raw = where.raw;
  substitute(raw, where.loc, src, &item, diags);
  std::vector<TemplatePart> parts;
  TemplateError perr;
  if (!parse_template(raw, &parts, &perr)) {
    diags.error(where.loc, "'where': " + perr.message);
    return std::nullopt;
  }
  for (const auto& p : parts) {
    if (p.ref && p.ref->ns != TemplateRef::Ns::Vars && p.ref->ns != TemplateRef::Ns::Inventory) {
      diags.error(where.loc,
                  "'where' is decided when the files are loaded: it may use ${item…}, "
                  "${vars.X} and ${inventory.X}, not '${" +
                      p.ref->spelled() + "}' (use 'when' for that)");
      return std::nullopt;
    }
  }
  RenderScope scope;
  scope.vars = &inv.vars;
  scope.inventory = &inv;
  auto rendered = render_template(raw, scope);
  if (!rendered) {
    diags.error(where.loc, "'where': " + rendered.error().message);
    return std::nullopt;
  }
  std::string why;
  auto v = evaluate_condition(*rendered, &why);
  if (!v) {
    diags.error(where.loc, "'where' for item '" + item.key + "': " + why);
    return std::nullopt;
  }
  return v;
}

/// The steps one forEach step expands to (none after reporting a problem).
std::vector<Step> expand_one(const Step& step, const Inventory& inv, Diagnostics& diags) {
  const LoopSource* src = parse_source(*step.for_each, diags);
  if (!src) return {};
  bool ok = true;
  Step probe = step;
  visit_texts(probe, [&](Text& t) { ok = substitute(t.raw, t.loc, *src, nullptr, diags) && ok; });
  if (step.where) {
    std::string raw = step.where->raw;
    ok = substitute(raw, step.where->loc, *src, nullptr, diags) && ok;
  }
  if (step.capture) {
    diags.error(step.for_each->loc, "step '" + step.name +
                                        "' has forEach and capture: every item would capture "
                                        "the same output; capture in a step without forEach");
    ok = false;
  }
  if (!ok) return {};
  std::vector<Step> out;
  for (const auto& item : loop_items(inv, *src)) {
    if (step.where) {
      auto pass = passes_where(*step.where, *src, item, inv, diags);
      if (!pass) return {};
      if (!*pass) continue;
    }
    Step s = step;
    s.for_each.reset();
    s.where.reset();
    s.loop = step.name;
    s.name = loop_step_name(step.name, item.key);
    if (!valid_name(s.name)) {
      diags.error(step.for_each->loc, "item '" + item.key + "' of ${" + src->spelled +
                                          "} makes step name '" + s.name +
                                          "' invalid (letters, digits, '-', '_', '.')");
      return {};
    }
    visit_texts(s, [&](Text& t) { substitute(t.raw, t.loc, *src, &item, diags); });
    if (s.gate) s.gate->name = s.name;
    if (s.skip_if && s.skip_if->name == step.name + "-skipif") s.skip_if->name = s.name + "-skipif";
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

void expand_loops(std::vector<Step>& steps, const Inventory& inv, Diagnostics& diags) {
  bool any = false;
  for (const auto& s : steps) any = any || s.for_each;
  if (!any) return;
  std::vector<Step> out;
  std::map<std::string, SourceLoc> seen;
  for (auto& s : steps) {
    std::vector<Step> expanded;
    if (s.for_each)
      expanded = expand_one(s, inv, diags);
    else
      expanded.push_back(std::move(s));
    for (auto& e : expanded) {
      if (auto [it, fresh] = seen.emplace(e.name, e.loc); !fresh) {
        diags.error(e.loc, "step name '" + e.name + "' (from forEach) is used twice (first at " +
                               it->second.str() + ")");
        continue;
      }
      out.push_back(std::move(e));
    }
  }
  steps = std::move(out);
}

std::vector<std::string> expand_loop_targets(const Project& project,
                                             const std::vector<std::string>& targets) {
  std::vector<std::string> out;
  for (const auto& t : targets) {
    auto slash = t.find('/');
    const Stage* s = slash == std::string::npos ? nullptr : project.find_stage(t.substr(0, slash));
    size_t before = out.size();
    if (s) {
      std::string step = t.substr(slash + 1);
      bool literal = false;
      for (const auto& st : s->steps) literal = literal || st.name == step;
      if (!literal)
        for (const auto& st : s->steps)
          if (st.loop == step) out.push_back(s->name + "/" + st.name);
    }
    if (out.size() == before) out.push_back(t);
  }
  return out;
}

void expand_project_loops(Project& project, Diagnostics& diags) {
  for (auto& st : project.stages) expand_loops(st.steps, project.inventory, diags);
  for (auto& pb : project.playbooks)
    for (auto* list : {&pb.steps, &pb.verify, &pb.cleanup})
      expand_loops(*list, project.inventory, diags);
}

}  // namespace gw
