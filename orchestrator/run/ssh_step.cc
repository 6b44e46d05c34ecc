#include "run/ssh_step.h"

#include <fcntl.h>
#include <unistd.h>

#include "load/file_reader.h"
#include "model/names.h"
#include "model/regex.h"
#include "model/strings.h"
#include "model/template.h"
#include "run/capture.h"
#include "run/log_sink.h"

namespace gw {

/// The largest file a `push` sends (it is read into memory: an etcd snapshot fits).
constexpr size_t kMaxPushBytes = size_t{2} << 30;

namespace {

/// The ssh step's own lines in its log (what it transfers); the log's own failures are reported
/// by the command runner's sink.
void append_log(const std::string& path, const std::string& line) {
  if (!path.empty()) (void)append_log_line(path, line);
}

std::vector<std::string> hosts_of(const RenderedBody& b) {
  if (auto l = b.lists.find("hosts"); l != b.lists.end()) return l->second;
  return {b.get("host")};
}

/// "0640" -> 0640; nullopt unless 1-4 octal digits.
std::optional<unsigned> parse_mode(const std::string& s) {
  if (s.empty() || s.size() > 4 || s.find_first_not_of("01234567") != std::string::npos)
    return std::nullopt;
  return static_cast<unsigned>(std::stoul(s, nullptr, 8));
}

/// The content of an upload's source: rendered (secrets revealed) when it is a .tmpl file.
Result<std::string> upload_content(const RunContext& ctx, const Step& step,
                                   const std::string& raw_src, const RenderScope& scope) {
  std::string abs = resolve_path(raw_src, step.dir);
  auto it = ctx.project->files.find(abs);
  if (it == ctx.project->files.end()) return Error{"input file not loaded: " + abs};
  if (!it->second.templated) return it->second.content;
  auto r = render_template(it->second.content, scope);
  if (!r) return Error{abs + ": " + r.error().message};
  return r;
}

}  // namespace

StepResult run_ssh_step(const RunContext& ctx, const Step& step, const RenderScope& scope,
                        const std::string& log, std::optional<std::string>* captured) {
  if (!ctx.remote) return {StepStatus::Failed, "ssh steps need a remote runner (internal)"};
  auto body = render_body(step.body, step_schema(step.kind), scope, nullptr);
  if (!body) return {StepStatus::Failed, body.error().message};
  const RenderedBody& b = *body;
  std::string out;
  for (const auto& host : hosts_of(b)) {
    if (!ctx.project->inventory.hosts.count(host))
      return {StepStatus::Failed, "unknown host '" + host + "' (spec.hosts)"};
    if (b.scalars.count("command")) {
      RemoteSpec spec;
      spec.host = host;
      spec.command = b.flag("sudo") ? sudo_command(b.get("command")) : b.get("command");
      if (b.scalars.count("stdin")) spec.stdin_data = b.get("stdin");
      spec.timeout = step.timeout;
      spec.log_path = log;
      spec.redactor = ctx.redactor;
      spec.visibility = step.visibility;
      append_log(log,
                 "--- ssh " + host + ": " +
                     (step.visibility == Visibility::Sensitive ? std::string("(command hidden)")
                                                               : spec.command) +
                     "\n");
      RemoteResult r = ctx.remote->exec(spec, *ctx.interrupt);
      if (!r.log_error.empty())
        ctx.listener->warning(step.name + ": its log is incomplete: " + r.log_error);
      if (r.outcome == RemoteOutcome::Interrupted) return {StepStatus::Interrupted, "interrupted"};
      if (!r.ok()) {
        // A failure to connect or a lost connection already names the host.
        StepResult f{StepStatus::Failed,
                     (r.outcome == RemoteOutcome::Failed ? "" : "host '" + host + "': ") +
                         r.describe(step.timeout)};
        if (step.visibility == Visibility::Normal) f.tail = r.output_tail;
        // Timed out, killed or cut off: the command may have done its work (`once` steps).
        f.maybe_applied = r.outcome != RemoteOutcome::Exited;
        return f;
      }
      out += r.out;
    } else if (auto u = b.maps.find("upload"); u != b.maps.end()) {
      const auto& m = u->second;
      unsigned mode = 0644;
      if (m.count("mode")) {
        auto parsed = parse_mode(m.at("mode"));
        if (!parsed)
          return {StepStatus::Failed,
                  "upload mode '" + m.at("mode") + "' is not an octal mode like \"0640\""};
        mode = *parsed;
      }
      auto content = upload_content(ctx, step, step.body.map("upload")->at("src").raw, scope);
      if (!content) return {StepStatus::Failed, content.error().message};
      append_log(log, "--- ssh upload " + m.at("src") + " -> " + host + ":" + m.at("dest") + "\n");
      auto st =
          ctx.remote->upload(host, *content, m.at("dest"), mode, step.timeout, *ctx.interrupt);
      if (!st) {
        if (ctx.interrupt->stopping()) return {StepStatus::Interrupted, "interrupted"};
        return {StepStatus::Failed, st.error().message};
      }
    } else if (auto p = b.maps.find("push"); p != b.maps.end()) {
      // A file this run produced (a download, a command's output): read now, not at load time.
      const auto& m = p->second;
      unsigned mode = 0644;
      if (m.count("mode")) {
        auto parsed = parse_mode(m.at("mode"));
        if (!parsed)
          return {StepStatus::Failed,
                  "push mode '" + m.at("mode") + "' is not an octal mode like \"0640\""};
        mode = *parsed;
      }
      std::string src = resolve_path(m.at("src"), step.dir);
      auto content = read_regular_file(src, kMaxPushBytes);
      if (!content) return {StepStatus::Failed, "push: " + src + ": " + content.error().message};
      append_log(log, "--- ssh push " + src + " -> " + host + ":" + m.at("dest") + "\n");
      auto st =
          ctx.remote->upload(host, *content, m.at("dest"), mode, step.timeout, *ctx.interrupt);
      if (!st) {
        if (ctx.interrupt->stopping()) return {StepStatus::Interrupted, "interrupted"};
        return {StepStatus::Failed, st.error().message};
      }
    } else if (auto d = b.maps.find("download"); d != b.maps.end()) {
      const auto& m = d->second;
      std::string dest = resolve_path(m.at("dest"), step.dir);
      // Several hosts: one file each, the host's name appended.
      if (hosts_of(b).size() > 1) dest += "." + host;
      append_log(log, "--- ssh download " + host + ":" + m.at("src") + " -> " + dest + "\n");
      auto st = ctx.remote->download(host, m.at("src"), dest, step.timeout, *ctx.interrupt);
      if (!st) {
        if (ctx.interrupt->stopping()) return {StepStatus::Interrupted, "interrupted"};
        return {StepStatus::Failed, st.error().message};
      }
    }
  }
  if (step.capture) {
    auto value = capture_value(step, out, ctx.redactor);
    if (!value) return {StepStatus::Failed, value.error().message};
    *captured = std::move(*value);
  }
  return {StepStatus::Passed};
}

Observation probe_ssh_gate(RemoteRunner* remote, const RenderedBody& body,
                           const Interrupt& interrupt, const std::string& log_path,
                           const Redactor* redactor) {
  if (!remote) return {false, "ssh gates need a remote runner (internal)"};
  RemoteSpec spec;
  spec.host = body.get("host");
  spec.command = body.get("command");
  spec.timeout = Millis(60000);
  spec.log_path = log_path;
  spec.redactor = redactor;
  RemoteResult r = remote->exec(spec, interrupt);
  std::string line = first_line(r.output_tail);
  if (r.ok()) return {true, "exit 0" + (line.empty() ? "" : ": " + line)};
  if (r.outcome == RemoteOutcome::Failed) return {false, r.error};
  return {false, "host '" + spec.host + "': " + r.describe(spec.timeout) +
                     (line.empty() ? "" : ": " + line)};
}

std::set<std::string> ssh_secret_needs(const Plan& plan, const Inventory& inv) {
  std::set<std::string> hosts;
  auto add_gate = [&](const Gate& g) {
    if (g.kind != GateKind::Ssh) return;
    if (const Text* h = g.body.scalar("host")) hosts.insert(h->raw);
  };
  for (const auto& ps : plan.stages) {
    if (ps.status == PlanStatus::Skipped) continue;
    for (const auto& st : ps.steps) {
      if (st.status == PlanStatus::Skipped) continue;
      const Step& s = *st.step;
      if (s.kind == StepKind::Ssh) {
        if (const Text* h = s.body.scalar("host")) hosts.insert(h->raw);
        if (const TextList* l = s.body.list("hosts"))
          for (const auto& t : *l) hosts.insert(t.raw);
      }
      if (s.gate) add_gate(*s.gate);
      if (s.skip_if) add_gate(*s.skip_if);
    }
    for (const auto& g : ps.stage->gates) add_gate(g);
  }
  std::set<std::string> out;
  // A host named through a template is only known at run time: count every host then.
  bool all = false;
  for (const auto& h : hosts) all = all || !is_plain(h);
  std::set<std::string> seen;
  for (const auto& [name, h] : inv.hosts) {
    if (!all && !hosts.count(name)) continue;
    for (const Host* at = &h; at && !seen.count(at->name);) {
      seen.insert(at->name);
      if (!at->passphrase_secret.empty()) out.insert(at->passphrase_secret);
      auto next = inv.hosts.find(at->proxy_jump);
      at = next == inv.hosts.end() ? nullptr : &next->second;
    }
  }
  return out;
}

}  // namespace gw
