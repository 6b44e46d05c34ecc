#include "plan/commands.h"

#include <algorithm>

#include "model/duration.h"
#include "model/hash.h"
#include "model/names.h"
#include "model/regex.h"
#include "model/shell.h"

namespace gw {

std::string RenderedBody::get(const std::string& key, const std::string& fallback) const {
  auto it = scalars.find(key);
  return it == scalars.end() ? fallback : it->second;
}

bool RenderedBody::flag(const std::string& key) const {
  std::string v = get(key, "false");
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  return v == "true";
}

namespace {

Result<std::string> render_at(const Text& t, const RenderScope& scope, RenderUse* use) {
  auto r = render_template(t.raw, scope, use);
  if (!r) return Error{r.error().message, t.loc};
  return r;
}

/// Checks a rendered scalar against its declared type.
std::optional<Error> check_type(const FieldSpec& f, const Text& t, const std::string& v) {
  std::string key(f.key);
  std::string from = t.raw == v ? "" : " (rendered from '" + t.raw + "')";
  if (f.type == FieldType::Int &&
      (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos))
    return Error{"'" + key + "' must be a whole number, not '" + v + "'" + from, t.loc};
  if (!f.one_of.empty() && std::find(f.one_of.begin(), f.one_of.end(), v) == f.one_of.end()) {
    std::string allowed;
    for (auto a : f.one_of) allowed += (allowed.empty() ? "" : ", ") + std::string(a);
    return Error{"'" + key + "' must be one of " + allowed + ", not '" + v + "'" + from, t.loc};
  }
  if (f.type == FieldType::Bool) {
    std::string l = v;
    for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (l != "true" && l != "false")
      return Error{"'" + key + "' must be true or false, not '" + v + "'" + from, t.loc};
  }
  if (f.type == FieldType::Regex && t.raw != v)  // a literal pattern was checked when loading
    if (auto re = Regex::compile(v); !re)
      return Error{"'" + key + "': " + re.error().message + from, t.loc};
  return std::nullopt;
}

}  // namespace

Result<RenderedBody> render_gate(const Gate& gate, const RenderScope& scope, RenderUse* use) {
  return render_body(gate.body, gate_schema(gate.kind), scope, use);
}

Result<RenderedBody> render_body(const Body& body, const BodySchema& schema,
                                 const RenderScope& scope, RenderUse* use) {
  RenderedBody out;
  for (const auto& [k, t] : body.scalars) {
    // A remote command is shell code: the values put into it are quoted (model/shell.h).
    bool shell = schema.kind == "ssh" && k == "command";
    auto r = shell ? render_shell_command(t.raw, scope, use) : render_at(t, scope, use);
    if (!r) return Error{r.error().message, t.loc};
    if (const FieldSpec* f = find_field(schema, k))
      if (auto bad = check_type(*f, t, *r)) return *bad;
    out.scalars[k] = std::move(*r);
  }
  for (const auto& [k, list] : body.lists) {
    auto& dst = out.lists[k];
    for (const auto& t : list) {
      auto r = render_at(t, scope, use);
      if (!r) return r.error();
      dst.push_back(std::move(*r));
    }
  }
  for (const auto& [k, m] : body.maps) {
    auto& dst = out.maps[k];
    for (const auto& [mk, t] : m) {
      auto r = render_at(t, scope, use);
      if (!r) return r.error();
      dst[mk] = std::move(*r);
    }
  }
  return out;
}

std::vector<std::string> Invocation::display_argv() const {
  std::vector<std::string> out = argv;
  for (const auto& f : files) out[f.arg] = f.source.str();
  return out;
}

const FileInput* Invocation::file_at(size_t i) const {
  for (const auto& f : files)
    if (f.arg == i) return &f;
  return nullptr;
}

std::string join_argv(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !a.empty() && a.find_first_not_of(
                                   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
                                   "TUVWXYZ0123456789-_./:=@,+%<>") == std::string::npos;
    if (plain) {
      out += a;
    } else {
      out += '\'';
      for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
      out += '\'';
    }
  }
  return out;
}

namespace {

class ArgvBuilder {
 public:
  explicit ArgvBuilder(Invocation& inv) : inv_(inv) {}
  void add(std::string s) { inv_.argv.push_back(std::move(s)); }
  void add_all(const std::vector<std::string>& v) {
    for (const auto& s : v) add(s);
  }
  Result<Ok> add_file(const std::string& raw, const std::string& dir, const CommandContext& ctx,
                      RenderUse* use) {
    std::string abs = resolve_path(raw, dir);
    auto it = ctx.project->files.find(abs);
    if (it == ctx.project->files.end()) return Error{"input file not loaded: " + abs};
    RenderedFile rf;
    if (auto c = ctx.cache ? ctx.cache->find(abs) : RenderCache::iterator{};
        ctx.cache && c != ctx.cache->end()) {
      rf = c->second;
    } else {
      if (it->second.templated) {
        auto r = render_template(it->second.content, ctx.scope, &rf.use);
        if (!r)
          return Error{r.error().message, SourceLoc{abs, r.error().loc.line, r.error().loc.col}};
        rf.content = std::make_shared<const std::string>(std::move(*r));
      } else {
        rf.content = std::make_shared<const std::string>(it->second.content);
      }
      rf.hash = std::make_shared<const std::string>(sha256_hex(*rf.content));
      if (ctx.cache) (*ctx.cache)[abs] = rf;
    }
    if (use) {
      use->secrets.insert(rf.use.secrets.begin(), rf.use.secrets.end());
      use->outputs.insert(rf.use.outputs.begin(), rf.use.outputs.end());
    }
    inv_.files.push_back(
        FileInput{abs, rf.content, rf.hash, it->second.templated, inv_.argv.size()});
    inv_.argv.emplace_back();
    return Ok{};
  }

 private:
  Invocation& inv_;
};

void kube_globals(ArgvBuilder& b, const Inventory& inv) {
  if (!inv.kubeconfig.empty()) b.add("--kubeconfig"), b.add(inv.kubeconfig);
  if (!inv.context.empty()) b.add("--context"), b.add(inv.context);
}

std::string join(const std::vector<std::string>& v, char sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : std::string(1, sep)) + s;
  return out;
}

/// `RELEASE CHART [--repo R] [--version V] [--namespace N]`: the chart a helm step installs.
void helm_chart_args(ArgvBuilder& a, const RenderedBody& b) {
  a.add(b.get("release"));
  a.add(b.get("chart"));
  if (auto r = b.get("repo"); !r.empty()) a.add("--repo"), a.add(r);
  if (auto v = b.get("version"); !v.empty()) a.add("--version"), a.add(v);
  if (auto n = b.get("namespace"); !n.empty()) a.add("--namespace"), a.add(n);
}

/// `-f FILE` for each values file of a helm step.
Result<Ok> helm_values_args(ArgvBuilder& a, const Step& step, const RenderedBody& b,
                            const CommandContext& ctx, RenderUse* use) {
  if (auto it = b.lists.find("values"); it != b.lists.end()) {
    for (const auto& f : it->second) {
      a.add("-f");
      if (auto r = a.add_file(f, step.dir, ctx, use); !r) return r.error();
    }
  }
  return Ok{};
}

void helm_kube_args(ArgvBuilder& a, const Inventory& i) {
  if (!i.context.empty()) a.add("--kube-context"), a.add(i.context);
  if (!i.kubeconfig.empty()) a.add("--kubeconfig"), a.add(i.kubeconfig);
}

Result<Invocation> helm_command(const Step& step, const RenderedBody& b, const CommandContext& ctx,
                                RenderUse* use) {
  Invocation inv;
  inv.tool = "helm";
  ArgvBuilder a(inv);
  a.add("helm");
  a.add("upgrade");
  a.add("--install");
  helm_chart_args(a, b);
  if (b.flag("createNamespace")) a.add("--create-namespace");
  if (auto r = helm_values_args(a, step, b, ctx, use); !r) return r.error();
  if (b.flag("wait")) a.add("--wait");
  a.add("--timeout");
  a.add(format_duration(step.timeout));
  helm_kube_args(a, ctx.project->inventory);
  return inv;
}

Result<Invocation> kubectl_command(const Step& step, const RenderedBody& b,
                                   const CommandContext& ctx, RenderUse* use) {
  Invocation inv;
  inv.tool = "kubectl";
  ArgvBuilder a(inv);
  a.add("kubectl");
  kube_globals(a, ctx.project->inventory);
  if (auto n = b.get("namespace"); !n.empty()) a.add("--namespace"), a.add(n);
  if (auto it = b.lists.find("args"); it != b.lists.end()) {
    a.add_all(it->second);
    return inv;
  }
  bool apply = b.lists.count("apply") > 0;
  a.add(apply ? "apply" : "delete");
  if (apply && b.flag("serverSide")) a.add("--server-side");
  if (!apply) a.add("--ignore-not-found");
  for (const auto& f : b.lists.at(apply ? "apply" : "delete")) {
    a.add("-f");
    if (auto r = a.add_file(f, step.dir, ctx, use); !r) return r.error();
  }
  return inv;
}

Invocation talosctl_command(const RenderedBody& b, const Inventory& i) {
  Invocation inv;
  inv.tool = "talosctl";
  ArgvBuilder a(inv);
  a.add("talosctl");
  if (i.talos && !i.talos->talosconfig.empty()) a.add("--talosconfig"), a.add(i.talos->talosconfig);
  if (i.talos && !i.talos->endpoints.empty())
    a.add("--endpoints"), a.add(join(i.talos->endpoints, ','));
  if (auto it = b.lists.find("nodes"); it != b.lists.end() && !it->second.empty()) {
    std::vector<std::string> addrs;
    for (const auto& n : it->second) {
      std::string addr = n;
      if (i.talos)
        for (const auto& tn : i.talos->nodes)
          if (tn.name == n) addr = tn.address;
      addrs.push_back(addr);
    }
    a.add("--nodes");
    a.add(join(addrs, ','));
  }
  a.add_all(b.lists.at("args"));
  return inv;
}

Invocation run_command(const RenderedBody& b) {
  Invocation inv;
  const auto& argv = b.lists.at("argv");
  inv.tool = argv.empty() ? "" : argv[0];
  ArgvBuilder a(inv);
  a.add_all(argv);
  if (auto it = b.maps.find("env"); it != b.maps.end())
    for (const auto& [k, v] : it->second) inv.env.emplace_back(k, v);
  if (auto c = b.scalars.find("cwd"); c != b.scalars.end()) inv.cwd = c->second;
  if (auto s = b.scalars.find("stdin"); s != b.scalars.end()) inv.stdin_data = s->second;
  return inv;
}

/// `kubectl --kubeconfig … --context … [--namespace NS] diff`: the start of every diff command.
void kubectl_diff_head(Invocation& inv, ArgvBuilder& a, const RenderedBody& b,
                       const CommandContext& ctx) {
  inv.tool = "kubectl";
  a.add("kubectl");
  kube_globals(a, ctx.project->inventory);
  if (auto n = b.get("namespace"); !n.empty()) a.add("--namespace"), a.add(n);
  a.add("diff");
}

/// `kubectl diff [--server-side] -f FILE…` of a kubectl apply step (upstream:
/// kubernetes/kubectl pkg/cmd/diff; exit 0 same, 1 differs, >1 error).
Result<Invocation> kubectl_diff(const Step& step, const RenderedBody& b, const CommandContext& ctx,
                                RenderUse* use) {
  Invocation inv;
  ArgvBuilder a(inv);
  kubectl_diff_head(inv, a, b, ctx);
  if (b.flag("serverSide")) a.add("--server-side");
  for (const auto& f : b.lists.at("apply")) {
    a.add("-f");
    if (auto r = a.add_file(f, step.dir, ctx, use); !r) return r.error();
  }
  return inv;
}

/// `helm template RELEASE CHART … -f VALUES…` piped into `kubectl diff -f -`, or with the
/// helm-diff plugin `helm diff upgrade … --allow-unreleased --detailed-exitcode` (exit 2: differs;
/// upstream: databus23/helm-diff cmd/upgrade.go).
Result<DiffCommand> helm_diff(const Step& step, const RenderedBody& b, const CommandContext& ctx,
                              HelmDiff how, RenderUse* use) {
  DiffCommand d;
  Invocation helm;
  helm.tool = "helm";
  ArgvBuilder a(helm);
  a.add("helm");
  if (how == HelmDiff::Plugin) a.add("diff");
  a.add(how == HelmDiff::Plugin ? "upgrade" : "template");
  helm_chart_args(a, b);
  if (auto r = helm_values_args(a, step, b, ctx, use); !r) return r.error();
  if (how == HelmDiff::Plugin) {
    a.add("--allow-unreleased");
    a.add("--detailed-exitcode");
    a.add("--no-color");
    helm_kube_args(a, ctx.project->inventory);
    d.differs_exit = 2;
    d.pipeline.push_back(std::move(helm));
    return d;
  }
  d.pipeline.push_back(std::move(helm));
  Invocation kubectl;
  ArgvBuilder k(kubectl);
  kubectl_diff_head(kubectl, k, b, ctx);
  k.add("-f");
  k.add("-");
  d.pipeline.push_back(std::move(kubectl));
  return d;
}

}  // namespace

Result<std::optional<Invocation>> build_step_command(const Step& step, const CommandContext& ctx,
                                                     RenderUse* use) {
  if (step.kind == StepKind::Gate || step.kind == StepKind::Ssh) return std::optional<Invocation>();
  auto body = render_body(step.body, step_schema(step.kind), ctx.scope, use);
  if (!body) return body.error();
  Result<Invocation> inv = Error{""};
  switch (step.kind) {
    case StepKind::Helm:
      inv = helm_command(step, *body, ctx, use);
      break;
    case StepKind::Kubectl:
      inv = kubectl_command(step, *body, ctx, use);
      break;
    case StepKind::Talosctl:
      inv = talosctl_command(*body, ctx.project->inventory);
      break;
    case StepKind::Run:
      inv = run_command(*body);
      break;
    default:
      break;
  }
  if (!inv) return inv.error();
  // A relative program path ("./scripts/hello.sh") names a file beside the stage, as the cwd does:
  // resolved once here, so preflight and the run look at the same file wherever groundwork runs.
  if (step.kind == StepKind::Run && inv->tool.find('/') != std::string::npos)
    inv->tool = resolve_path(inv->tool, step.dir);
  if (step.kind == StepKind::Run && !inv->cwd) inv->cwd = step.dir.str();
  if (inv->cwd) inv->cwd = resolve_path(*inv->cwd, step.dir);
  // Kept in the plan for every step: no spare capacity (a helm command has ~20 arguments).
  inv->argv.shrink_to_fit();
  inv->files.shrink_to_fit();
  return std::optional<Invocation>(std::move(*inv));
}

Invocation build_gate_query(GateKind kind, const RenderedBody& b, const Inventory& i) {
  Invocation inv;
  inv.tool = "kubectl";
  ArgvBuilder a(inv);
  a.add("kubectl");
  kube_globals(a, i);
  a.add("get");
  if (kind == GateKind::Rollout) {
    a.add(b.get("kind"));
    a.add(b.get("name"));
  } else {
    a.add(b.get("resource"));
  }
  if (auto ns = b.get("namespace"); !ns.empty()) a.add("--namespace"), a.add(ns);
  if (kind == GateKind::Exists) {
    a.add("-o");
    a.add("name");
  } else if (kind == GateKind::JsonPath) {
    a.add("-o");
    a.add("jsonpath=" + b.get("path"));
  } else {
    a.add("-o");
    a.add("json");
  }
  return inv;
}

std::string describe_gate(GateKind kind, const RenderedBody& b) {
  auto ns = [&] {
    auto n = b.get("namespace");
    return n.empty() ? std::string() : " -n " + n;
  };
  switch (kind) {
    case GateKind::Rollout:
      return "rollout " + b.get("kind") + "/" + b.get("name") + ns();
    case GateKind::Condition:
      return "condition " + b.get("resource") + ns() + " " + b.get("condition") + "=True";
    case GateKind::Exists:
      return "exists " + b.get("resource") + ns();
    case GateKind::JsonPath: {
      std::string want = b.scalars.count("equals")    ? "== '" + b.get("equals") + "'"
                         : b.scalars.count("matches") ? "=~ /" + b.get("matches") + "/"
                                                      : "non-empty";
      return "jsonpath " + b.get("resource") + ns() + " " + b.get("path") + " " + want;
    }
    case GateKind::Http: {
      std::string s = "http GET " + b.get("url") + " -> " + b.get("status", "200");
      if (b.scalars.count("contains")) s += " containing '" + b.get("contains") + "'";
      if (b.scalars.count("resolve")) s += " (resolve " + b.get("resolve") + ")";
      return s;
    }
    case GateKind::Dns: {
      std::string s = "dns " + b.get("type", "A") + " " + b.get("name") + " @" + b.get("server");
      if (b.scalars.count("expect")) s += " == " + b.get("expect");
      return s;
    }
    case GateKind::Tcp:
      return "tcp " + b.get("host") + ":" + b.get("port");
    case GateKind::Ssh:
      return "ssh " + b.get("host") + " " + shell_quote(b.get("command"));
    case GateKind::Command: {
      auto it = b.lists.find("argv");
      std::string s = "command " + (it == b.lists.end() ? "" : join_argv(it->second));
      s += " (exit " + b.get("expectExit", "0");
      if (b.scalars.count("expectOutput")) s += ", output ~ /" + b.get("expectOutput") + "/";
      return s + ")";
    }
  }
  return "?";
}

std::string describe_ssh(const RenderedBody& b, const Inventory& inv) {
  auto target = [&](const std::string& host) {
    auto it = inv.hosts.find(host);
    if (it == inv.hosts.end()) return host;
    return it->second.user + "@" + it->second.address + ":" + std::to_string(it->second.port);
  };
  std::vector<std::string> hosts;
  if (b.scalars.count("host")) hosts.push_back(b.get("host"));
  if (auto l = b.lists.find("hosts"); l != b.lists.end()) hosts = l->second;
  std::string out;
  for (const auto& h : hosts) {
    std::string t = target(h);
    std::string one;
    if (b.scalars.count("command"))
      one = "ssh " + t + " " + shell_quote(b.get("command")) + (b.flag("sudo") ? " (sudo)" : "");
    else if (auto u = b.maps.find("upload"); u != b.maps.end())
      one = "ssh upload " + u->second.at("src") + " -> " + t + ":" + u->second.at("dest") +
            (u->second.count("mode") ? " (mode " + u->second.at("mode") + ")" : "");
    else if (auto p = b.maps.find("push"); p != b.maps.end())
      one = "ssh push " + p->second.at("src") + " -> " + t + ":" + p->second.at("dest") +
            (p->second.count("mode") ? " (mode " + p->second.at("mode") + ")" : "");
    else if (auto d = b.maps.find("download"); d != b.maps.end())
      one = "ssh download " + t + ":" + d->second.at("src") + " -> " + d->second.at("dest");
    else
      one = "ssh " + t;
    out += (out.empty() ? "" : "; ") + one;
  }
  return out;
}

}  // namespace gw

namespace gw {

Result<DiffCommand> build_diff_command(const Step& step, const CommandContext& ctx, HelmDiff helm,
                                       RenderUse* use) {
  DiffCommand none;
  switch (step.kind) {
    case StepKind::Helm:
    case StepKind::Kubectl:
      break;
    default:
      none.not_diffable = to_string(step.kind);
      return none;
  }
  auto body = render_body(step.body, step_schema(step.kind), ctx.scope, use);
  if (!body) return body.error();
  if (step.kind == StepKind::Helm) return helm_diff(step, *body, ctx, helm, use);
  if (body->lists.count("args")) {
    none.not_diffable = "kubectl args";
    return none;
  }
  if (!body->lists.count("apply")) {
    none.not_diffable = "kubectl delete";
    return none;
  }
  auto inv = kubectl_diff(step, *body, ctx, use);
  if (!inv) return inv.error();
  DiffCommand d;
  d.pipeline.push_back(std::move(*inv));
  return d;
}

}  // namespace gw
