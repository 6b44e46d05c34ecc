#include "load/vars.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "model/names.h"
#include "model/when.h"

namespace gw {

bool off_by_vars(const Text* when, const Inventory& inv) {
  if (!when) return false;
  RenderScope scope;  // vars only: any other reference fails to render, and the `when` counts as on
  scope.vars = &inv.vars;
  scope.missing_output = MissingOutput::Error;
  auto w = evaluate_when(*when, scope);
  return w && *w == WhenState::False;
}

namespace {

/// A declaration and the stage that made it.
struct Declared {
  const VarDecl* decl;
  const Stage* stage;
};

std::string declared_by(const Declared& d) {
  return "stage " + d.stage->name + ", " + d.decl->loc.str();
}

/// The first declaration of each var; later ones must agree with it.
std::map<std::string, std::vector<Declared>> merge_declarations(const Project& p,
                                                                Diagnostics& diags) {
  std::map<std::string, std::vector<Declared>> out;
  for (const auto& st : p.stages) {
    if (!st.vars) continue;
    for (const auto& d : *st.vars) {
      auto& list = out[d.name];
      if (!list.empty()) {
        const Declared& first = list.front();
        std::string where = " stage " + first.stage->name + " (" + first.decl->loc.str() + ")";
        if (first.decl->type != d.type) {
          diags.error(d.loc, "var '" + d.name + "' is declared as " + to_string(d.type) +
                                 " here but as " + to_string(first.decl->type) + " by" + where);
          continue;
        }
        if (first.decl->values != d.values) {
          diags.error(d.loc, "var '" + d.name + "': its enum values differ from those of" + where);
          continue;
        }
        auto dflt = [](const VarDecl& v) { return v.default_value ? v.default_value->raw : ""; };
        if (first.decl->default_value && d.default_value && dflt(*first.decl) != dflt(d)) {
          diags.error(d.default_value->loc, "var '" + d.name + "': default '" + dflt(d) +
                                                "' differs from '" + dflt(*first.decl) + "' of" +
                                                where);
          continue;
        }
      }
      list.push_back({&d, &st});
    }
  }
  return out;
}

/// `within` names a declared ip, cidr or iprange var.
void check_within_targets(const std::map<std::string, std::vector<Declared>>& decls,
                          Diagnostics& diags) {
  std::vector<std::string> ranges;
  for (const auto& [name, list] : decls) {
    VarType t = list.front().decl->type;
    if (t == VarType::Ip || t == VarType::Cidr || t == VarType::IpRange) ranges.push_back(name);
  }
  for (const auto& [name, list] : decls)
    for (const auto& d : list) {
      if (!d.decl->within) continue;
      const Text& w = *d.decl->within;
      if (std::find(ranges.begin(), ranges.end(), w.raw) != ranges.end()) continue;
      std::string msg = "var '" + name + "': 'within' names '" + w.raw +
                        "', which no stage declares as ip, cidr or iprange";
      if (auto m = closest_match(w.raw, ranges)) msg += " (did you mean '" + *m + "'?)";
      diags.error(w.loc, msg);
    }
}

/// The inventory's value of a var, or the first default: filled in, located. A default
/// `${inventory.FIELD}` is the inventory's field, checked against the type here (the value a
/// stage gets must fit it as an inventory value would); one the inventory does not have leaves the
/// var unset (check_references reports it where the var is needed).
void fill_default(Inventory& inv, const std::string& name, const std::vector<Declared>& list,
                  Diagnostics& diags) {
  if (inv.vars.count(name)) return;
  for (const auto& d : list) {
    if (!d.decl->default_value) continue;
    const Text& dflt = *d.decl->default_value;
    std::string value = dflt.raw;
    if (auto field = inventory_default_field(dflt.raw)) {
      auto v = inventory_field(inv, *field);
      if (!v) return;
      if (auto why = check_var_value(d.decl->type, *v, d.decl->values); !why.empty()) {
        diags.error(dflt.loc, "var '" + name + "': default '" + dflt.raw + "' = '" + *v + "' " +
                                  why + " (inventory '" + inv.name + "', " + inv.file + ")");
        return;
      }
      value = d.decl->type == VarType::Path ? resolve_path(*v, inv.dir)
                                            : canonical_var_value(d.decl->type, *v);
    } else if (d.decl->type == VarType::Path) {
      value = resolve_path(dflt.raw, d.stage->dir);
    }
    inv.vars[name] = value;
    inv.var_locs[name] = dflt.loc;
    return;
  }
}

}  // namespace

void apply_var_declarations(Project& p, Diagnostics& diags) {
  Inventory& inv = p.inventory;
  // A stage left out for errors of its own takes its declarations with it: `within` is checked
  // only when every file loaded.
  bool all_loaded = diags.empty();
  auto decls = merge_declarations(p, diags);
  if (all_loaded) check_within_targets(decls, diags);
  // Inventory values are checked, then made canonical; defaults were checked when read.
  for (const auto& [name, list] : decls) {
    auto it = inv.vars.find(name);
    if (it == inv.vars.end()) continue;
    const SourceLoc& at = inv.var_locs[name];
    bool ok = true;
    for (const auto& d : list) {
      std::string why = check_var_value(d.decl->type, it->second, d.decl->values);
      if (why.empty()) continue;
      diags.error(at, "var '" + name + "' = '" + it->second + "' " + why + " (declared by " +
                          declared_by(d) + ")");
      ok = false;
      break;
    }
    if (!ok) continue;
    VarType t = list.front().decl->type;
    it->second =
        t == VarType::Path ? resolve_path(it->second, inv.dir) : canonical_var_value(t, it->second);
  }
  for (const auto& [name, list] : decls) fill_default(inv, name, list, diags);
  for (const auto& [name, list] : decls)
    for (const auto& d : list) {
      if (!d.decl->within) continue;
      const std::string& range_var = d.decl->within->raw;
      auto ip = inv.vars.find(name), range = inv.vars.find(range_var);
      if (ip == inv.vars.end() || range == inv.vars.end()) continue;
      auto inside = ip_within(ip->second, range->second);
      if (!inside || *inside) continue;  // a value that does not parse is reported above
      diags.error(inv.var_locs[name], "var '" + name + "' = '" + ip->second + "' is not inside '" +
                                          range_var + "' (" + range->second + ", " +
                                          inv.var_locs[range_var].str() + ") (declared by " +
                                          declared_by(d) + ")");
      break;
    }
}

}  // namespace gw
