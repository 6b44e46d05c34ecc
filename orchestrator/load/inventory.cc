#include <algorithm>
#include <filesystem>

#include "load/documents.h"

namespace gw {

namespace fs = std::filesystem;

namespace {

/// Flattens nested var maps to dotted keys; lists are rejected (vars are scalars).
void flatten_vars(LoadContext& ctx, const yaml::Node& n, const std::string& prefix,
                  Inventory& inv) {
  MapReader r(ctx, n, prefix.empty() ? "'vars'" : "'vars." + prefix + "'");
  if (!r.valid()) return;
  for (const auto& key : r.keys()) {
    yaml::Node v = r.get(key);
    std::string full = prefix.empty() ? key : prefix + "." + key;
    if (ctx.exhausted()) return;
    if (v.IsMap()) {
      flatten_vars(ctx, v, full, inv);
    } else if (v.IsNull()) {
      inv.vars[full] = "";
      inv.var_locs[full] = ctx.loc(v);
    } else if (auto t = read_text(ctx, v, "var '" + full + "'")) {
      inv.vars[full] = std::move(t->raw);
      inv.var_locs[full] = t->loc;
    }
  }
}

void read_secrets(LoadContext& ctx, const yaml::Node& n, const std::string& dir, Inventory& inv) {
  MapReader r(ctx, n, "'secrets'");
  if (!r.valid()) return;
  for (const auto& key : r.keys()) {
    yaml::Node v = r.get(key);
    MapReader s(ctx, v, "secret '" + key + "'");
    if (!s.valid()) continue;
    SecretSource src;
    src.loc = ctx.loc(v);
    int sources = 0;
    if (auto e = s.string("env")) src.kind = SecretSourceKind::Env, src.env = *e, ++sources;
    if (auto f = s.string("file"))
      src.kind = SecretSourceKind::File, src.file = resolve_path(*f, dir), ++sources;
    if (auto c = s.strings("command")) {
      src.kind = SecretSourceKind::Command, src.command = *c, ++sources;
      if (c->empty()) ctx.error(s.get("command"), "'command' of secret '" + key + "' is empty");
    }
    if (sources != 1) {
      std::vector<std::string> present = s.keys();
      std::string msg = "secret '" + key + "' needs exactly one source: env, file or command";
      for (const auto& k : present)
        if (k != "env" && k != "file" && k != "command")
          msg = "secret '" + key + "' has an unknown source '" + k +
                "' (expected env, file or command)";
      ctx.error(v, msg);
      s.finish();
      continue;
    }
    s.finish();
    inv.secrets[key] = std::move(src);
  }
}

void read_talos(LoadContext& ctx, const yaml::Node& n, const std::string& dir, Inventory& inv) {
  MapReader r(ctx, n, "'talos'");
  if (!r.valid()) return;
  TalosConfig t;
  if (auto c = r.string("talosconfig")) t.talosconfig = resolve_path(*c, dir);
  if (auto e = r.strings("endpoints")) t.endpoints = *e;
  if (auto nodes = r.get("nodes"); nodes.IsDefined()) {
    if (!nodes.IsSequence()) {
      ctx.error(nodes, "'nodes' must be a list");
    } else {
      for (const auto& item : nodes.items()) {
        MapReader m(ctx, item, "talos node");
        if (!m.valid()) continue;
        TalosNode node;
        if (auto v = m.string("name", Presence::Required)) node.name = *v;
        if (auto v = m.string("address", Presence::Required)) node.address = *v;
        if (auto v = m.string("role")) {
          if (*v != "controlplane" && *v != "worker")
            ctx.error(m.get("role"), "role must be controlplane or worker, not '" + *v + "'");
          node.role = *v;
        } else {
          node.role = "worker";
        }
        m.finish();
        t.nodes.push_back(std::move(node));
      }
    }
  }
  r.finish();
  inv.talos = std::move(t);
}

/// Reads spec.hosts. Names other parts of the inventory refer to (a passphrase's secret, a
/// proxyJump host) are checked once secrets are read, by check_host_refs.
void read_hosts(LoadContext& ctx, const yaml::Node& n, const std::string& dir, Inventory& inv,
                std::vector<std::pair<std::string, SourceLoc>>& passphrases,
                std::vector<std::pair<std::string, SourceLoc>>& jumps) {
  MapReader r(ctx, n, "'hosts'");
  if (!r.valid()) return;
  for (const auto& key : r.keys()) {
    MapReader m(ctx, r.get(key), "host '" + key + "'");
    if (!m.valid()) continue;
    Host h;
    h.name = key;
    h.loc = m.loc();
    if (auto v = m.string("address", Presence::Required)) h.address = *v;
    if (auto v = m.integer("port")) {
      if (*v < 1 || *v > 65535) ctx.error(m.get("port"), "port must be 1-65535");
      h.port = *v;
    }
    if (auto v = m.string("user", Presence::Required)) h.user = *v;
    if (auto v = m.string("identity")) h.identity = resolve_path(*v, dir);
    if (auto p = m.get("passphrase"); p.IsDefined()) {
      MapReader pm(ctx, p, "'passphrase' of host '" + key + "'");
      if (pm.valid()) {
        if (auto s = pm.string("secret", Presence::Required)) {
          h.passphrase_secret = *s;
          passphrases.emplace_back(key, ctx.loc(pm.get("secret")));
        }
        pm.finish();
      }
    }
    if (auto v = m.string("knownHosts")) h.known_hosts = resolve_path(*v, dir);
    if (auto v = m.string("proxyJump")) {
      h.proxy_jump = *v;
      jumps.emplace_back(key, ctx.loc(m.get("proxyJump")));
    }
    if (auto v = m.string("hostKeyPolicy")) {
      if (*v == "accept-new")
        h.host_key_policy = HostKeyPolicy::AcceptNew;
      else if (*v != "strict")
        ctx.error(m.get("hostKeyPolicy"),
                  "hostKeyPolicy must be strict or accept-new, not '" + *v + "'");
    }
    m.finish();
    inv.hosts[key] = std::move(h);
  }
}

/// A passphrase names a secret of the inventory; a proxyJump names another host, and following
/// proxyJumps never comes back to where it started.
void check_host_refs(LoadContext& ctx, const Inventory& inv,
                     const std::vector<std::pair<std::string, SourceLoc>>& passphrases,
                     const std::vector<std::pair<std::string, SourceLoc>>& jumps) {
  for (const auto& [name, loc] : passphrases) {
    const Host& h = inv.hosts.at(name);
    if (!inv.secrets.count(h.passphrase_secret))
      ctx.error(loc, "host '" + name + "': passphrase secret '" + h.passphrase_secret +
                         "' is not in spec.secrets");
  }
  for (const auto& [name, loc] : jumps) {
    const Host& h = inv.hosts.at(name);
    if (!inv.hosts.count(h.proxy_jump)) {
      std::vector<std::string> names;
      for (const auto& [k, v] : inv.hosts) names.push_back(k);
      std::string msg =
          "host '" + name + "': proxyJump '" + h.proxy_jump + "' is not in spec.hosts";
      if (auto m = closest_match(h.proxy_jump, names)) msg += " (did you mean '" + *m + "'?)";
      ctx.error(loc, msg);
      continue;
    }
    std::string path = name;
    const Host* at = &h;
    for (size_t hops = 0; hops <= inv.hosts.size() && !at->proxy_jump.empty(); ++hops) {
      path += " -> " + at->proxy_jump;
      if (at->proxy_jump == name) {
        ctx.error(loc, "host '" + name + "': proxyJump loops: " + path);
        break;
      }
      auto it = inv.hosts.find(at->proxy_jump);
      if (it == inv.hosts.end()) break;
      at = &it->second;
    }
  }
}

/// spec.limits: {TOOL: N}; TOOL is kubectl, helm, talosctl or a name of spec.tools, N >= 1.
void read_limits(LoadContext& ctx, const yaml::Node& n, Inventory& inv) {
  MapReader lm(ctx, n, "'limits'");
  if (!lm.valid()) return;
  std::vector<std::string> known{"helm", "kubectl", "talosctl"};
  for (const auto& [tool, program] : inv.tools)
    if (std::find(known.begin(), known.end(), tool) == known.end()) known.push_back(tool);
  for (const auto& key : lm.keys()) {
    yaml::Node node = lm.get(key);
    auto v = lm.integer(key);
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string msg = "limits: unknown tool '" + key + "'";
      if (auto m = closest_match(key, known)) msg += " (did you mean '" + *m + "'?)";
      ctx.error(node, msg + "; a limit names kubectl, helm, talosctl or a tool of spec.tools");
      continue;
    }
    if (!v) continue;
    if (*v < 1) {
      ctx.error(node,
                "limits: " + key + ": at least 1 command at once (got " + std::to_string(*v) + ")");
      continue;
    }
    inv.limits[key] = *v;
  }
}

}  // namespace

std::optional<Inventory> read_inventory(const std::string& path, Diagnostics& diags) {
  size_t before = diags.size();
  auto root = parse_yaml_file(path, diags);
  if (!root) return std::nullopt;
  LoadContext ctx(path, diags);
  auto h = read_header(ctx, root->root(), "Inventory");
  if (!h) return std::nullopt;
  Inventory inv;
  inv.name = h->name;
  inv.loc = h->name_loc;
  inv.file = path;
  inv.dir = fs::absolute(path).parent_path().lexically_normal().string();
  std::vector<std::pair<std::string, SourceLoc>> passphrases, jumps;
  {
    MapReader spec(ctx, h->spec, "spec");
    if (spec.valid()) {
      if (auto k = spec.get("kubernetes"); k.IsDefined()) {
        MapReader km(ctx, k, "'kubernetes'");
        if (km.valid()) {
          if (auto v = km.string("kubeconfig")) inv.kubeconfig = resolve_path(*v, inv.dir);
          if (auto v = km.string("context")) inv.context = *v;
          km.finish();
        }
      }
      if (auto t = spec.get("talos"); t.IsDefined()) read_talos(ctx, t, inv.dir, inv);
      if (auto h = spec.get("hosts"); h.IsDefined())
        read_hosts(ctx, h, inv.dir, inv, passphrases, jumps);
      if (auto t = spec.get("tools"); t.IsDefined()) {
        MapReader tm(ctx, t, "'tools'");
        if (tm.valid()) {
          for (const auto& key : tm.keys()) {
            auto v = tm.string(key);
            if (!v) continue;
            inv.tools[key] = v->find('/') == std::string::npos ? *v : resolve_path(*v, inv.dir);
          }
        }
      }
      if (auto l = spec.get("limits"); l.IsDefined()) read_limits(ctx, l, inv);
      if (auto v = spec.strings("stages"))
        for (const auto& d : *v) inv.stage_dirs.push_back(resolve_path(d, inv.dir));
      if (auto v = spec.strings("playbooks"))
        for (const auto& d : *v) inv.playbook_dirs.push_back(resolve_path(d, inv.dir));
      inv.vars_loc = inv.loc;
      if (auto v = spec.get("vars"); v.IsDefined() && !v.IsNull()) {
        inv.vars_loc = ctx.loc(v);
        flatten_vars(ctx, v, "", inv);
      }
      if (auto s = spec.get("secrets"); s.IsDefined() && !s.IsNull())
        read_secrets(ctx, s, inv.dir, inv);
      spec.finish();
    }
  }
  check_host_refs(ctx, inv, passphrases, jumps);
  if (diags.size() != before) return std::nullopt;
  return inv;
}

}  // namespace gw
