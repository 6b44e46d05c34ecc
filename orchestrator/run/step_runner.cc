#include "run/step_runner.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <regex>

#include "model/hash.h"
#include "run/ssh_step.h"

namespace gw {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

/// A private folder for rendered input files (mode 0700, files 0600), removed with its contents.
class RenderedFiles {
 public:
  RenderedFiles() = default;
  ~RenderedFiles() {
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }
  RenderedFiles(const RenderedFiles&) = delete;
  RenderedFiles& operator=(const RenderedFiles&) = delete;

  /// Writes the file and returns its path.
  Result<std::string> write(const FileInput& f, size_t index) {
    if (dir_.empty()) {
      const char* tmp = std::getenv("TMPDIR");
      std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/groundwork-XXXXXX";
      if (!::mkdtemp(tmpl.data())) return Error{"cannot create a private temp folder"};
      dir_ = tmpl;
    }
    std::string name = std::to_string(index) + "-" + fs::path(f.source).filename().string();
    std::string path = dir_ + "/" + name;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return Error{path + ": cannot write rendered file"};
    size_t off = 0;
    const std::string& content = *f.content;
    while (off < content.size()) {
      ssize_t n = ::write(fd, content.data() + off, content.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::close(fd);
    if (off != content.size()) return Error{path + ": short write"};
    return path;
  }

 private:
  std::string dir_;
};

void append_log(const std::string& path, const std::string& line) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return;
  ssize_t n = ::write(fd, line.data(), line.size());
  (void)n;
  ::close(fd);
}

std::string log_path(const RunContext& ctx, const std::string& unit, const std::string& step) {
  std::string u = unit;
  for (auto& c : u)
    if (c == '/' || c == ':') c = '.';
  return ctx.log_dir + "/" + u + "." + step + ".log";
}

std::string checkpoint_key(const RunContext& ctx, const StepPreview& p) {
  if (p.use.secrets.empty()) return p.spec_key;
  std::string material = p.spec_key;
  for (const auto& name : p.use.secrets) {
    auto it = ctx.fingerprints->find(name);
    material += "|" + name + "=" + (it == ctx.fingerprints->end() ? "" : it->second);
  }
  return sha256_hex(material);
}

void journal(const RunContext& ctx, nlohmann::json record,
             Journal::Durability durability = Journal::Durability::Sync) {
  std::lock_guard<std::mutex> lock(*ctx.journal_mu);
  record["run"] = ctx.run_id;
  if (auto s = ctx.journal->append(std::move(record), durability); !s)
    ctx.listener->warning("journal: " + s.error().message);
}

std::optional<StepRecord> last_record(const RunContext& ctx, const std::string& id) {
  std::lock_guard<std::mutex> lock(*ctx.journal_mu);
  const auto& steps = ctx.journal->state().checkpoints.steps;
  auto it = steps.find(id);
  if (it == steps.end()) return std::nullopt;
  return it->second;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

/// One attempt of a command step.
StepResult attempt_command(const RunContext& ctx, const Step& step, const RenderScope& scope,
                           const std::string& log, std::optional<std::string>* captured) {
  StepResult r;
  CommandContext cc{ctx.project, scope, nullptr};
  auto built = build_step_command(step, cc, nullptr);
  if (!built) return {StepStatus::Failed, built.error().message};
  const Invocation& inv = **built;
  RenderedFiles files;
  ProcessSpec spec;
  spec.program = ctx.tools->resolve(inv.tool);
  if (spec.program.empty())
    return {StepStatus::Failed, "program '" + inv.tool + "' not found (spec.tools or PATH)"};
  for (size_t i = 1; i < inv.argv.size(); ++i) {
    const Arg& a = inv.argv[i];
    if (a.file < 0) {
      spec.args.push_back(a.text);
      continue;
    }
    const FileInput& f = inv.files[static_cast<size_t>(a.file)];
    if (!f.rendered) {
      spec.args.push_back(f.source);
      continue;
    }
    auto path = files.write(f, static_cast<size_t>(a.file));
    if (!path) return {StepStatus::Failed, path.error().message};
    spec.args.push_back(*path);
  }
  spec.env = ctx.tools->base_env();
  for (const auto& kv : inv.env) spec.env.push_back(kv);
  spec.cwd = inv.cwd;
  spec.stdin_data = inv.stdin_data;
  spec.timeout = step.timeout;
  spec.log_path = log;
  spec.redactor = ctx.redactor;
  spec.visibility = step.visibility;
  ProcessResult pr = ctx.runner->run(spec, *ctx.interrupt);
  r.tail = pr.output_tail;
  if (pr.outcome == Outcome::Interrupted) return {StepStatus::Interrupted, "interrupted"};
  if (!pr.ok()) {
    r.status = StepStatus::Failed;
    r.message = pr.describe(step.timeout);
    return r;
  }
  if (step.capture) {
    std::string value = pr.out;
    if (step.capture->regex) {
      std::smatch m;
      if (!std::regex_search(pr.out, m, std::regex(*step.capture->regex)) || m.size() < 2) {
        r.status = StepStatus::Failed;
        r.message = "capture '" + step.capture->name + "': /" + *step.capture->regex +
                    "/ found no group 1 in the output";
        return r;
      }
      value = m[1].str();
    }
    *captured = trim(value);
  }
  r.status = StepStatus::Passed;
  return r;
}

StepResult attempt_gate(const RunContext& ctx, const Gate& gate, Millis timeout,
                        const RenderScope& scope, const std::string& log) {
  auto body = render_gate(gate, scope, nullptr);
  if (!body) return {StepStatus::Failed, body.error().message};
  GateResult g =
      poll_gate(*ctx.prober, gate.kind, *body, gate.interval, timeout, *ctx.interrupt, log);
  if (g.interrupted) return {StepStatus::Interrupted, "interrupted"};
  if (!g.passed)
    return {StepStatus::Failed, "gate " + describe_gate(gate.kind, *body) + " not passed after " +
                                    format_duration(timeout) + "; last saw: " + g.saw};
  return {StepStatus::Passed, g.saw};
}

/// A single probe of a skipIf gate.
bool skip_if_passes(const RunContext& ctx, const Gate& gate, const RenderScope& scope,
                    const std::string& log) {
  auto body = render_gate(gate, scope, nullptr);
  if (!body) return false;
  return ctx.prober->probe(gate.kind, *body, *ctx.interrupt, log).passed;
}

}  // namespace

RenderScope run_scope(const RunContext& ctx) {
  RenderScope s;
  s.vars = &ctx.project->inventory.vars;
  s.secrets = ctx.secrets;
  s.secret_mode = SecretMode::Reveal;
  s.missing_output = MissingOutput::Error;
  s.inventory = &ctx.project->inventory;
  s.mode = ctx.mode;
  s.params = ctx.params;
  s.env = [](const std::string& n) -> std::optional<std::string> {
    const char* v = std::getenv(n.c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  return s;
}

StepResult run_step(const RunContext& ctx, const std::string& unit, const Step& step) {
  auto started = Clock::now();
  std::string id = unit + "/" + step.name;
  std::string log = log_path(ctx, unit, step.name);
  std::map<std::string, std::string> outputs;
  {
    std::lock_guard<std::mutex> lock(*ctx.outputs_mu);
    outputs = *ctx.outputs;
  }
  RenderScope scope = run_scope(ctx);
  scope.outputs = &outputs;
  RenderScope placeholders = scope;
  placeholders.secret_mode = SecretMode::Placeholder;

  auto finish = [&](StepResult r, const std::string& note) {
    r.duration = std::chrono::duration_cast<Millis>(Clock::now() - started);
    r.log = log;
    ctx.listener->step_finished(unit, step.name, r.status, note.empty() ? r.message : note);
    return r;
  };

  auto preview = preview_step(step, {ctx.project, placeholders, nullptr});
  if (!preview) return finish({StepStatus::Failed, preview.error().message}, "");
  if (preview->when && !*preview->when) return finish({StepStatus::Skipped}, "when is false");
  if (!preview->when) {  // depends on a captured output: decide now
    auto w = render_template(step.when->raw, scope);
    std::string err;
    auto b = w ? evaluate_condition(*w, &err) : std::nullopt;
    if (!b)
      return finish(
          {StepStatus::Failed, step.when->loc.str() + ": " + (w ? err : w.error().message)}, "");
    if (!*b) return finish({StepStatus::Skipped}, "when is false");
  }
  std::string key = checkpoint_key(ctx, *preview);
  auto record = last_record(ctx, id);
  bool forced = ctx.policy.forced(unit, step.name);
  if (!forced && record && record->status == RecordStatus::Passed && record->key == key)
    return finish({StepStatus::AlreadyDone}, "");

  nlohmann::json end{{"t", "step_end"},
                     {"stage", unit},
                     {"step", step.name},
                     {"specKey", preview->spec_key},
                     {"key", key}};
  bool unfinished_once =
      step.repeat == Repeat::Once && record &&
      (record->status == RecordStatus::Running || record->status == RecordStatus::Interrupted);
  if (step.skip_if && skip_if_passes(ctx, *step.skip_if, scope, log)) {
    end["status"] = "passed";
    end["attempts"] = 0;
    end["durationMs"] = 0;
    journal(ctx, end);
    return finish({StepStatus::Passed}, "skipIf passed: not run");
  }
  if (unfinished_once && !forced)
    return finish(
        {StepStatus::Failed,
         "step is 'once' and its last run (" + record->started_at +
             ") was interrupted; it may have taken effect. Check by hand, then rerun with "
             "--force " +
             id},
        "");

  ctx.listener->step_started(unit, step.name, preview->description);
  // The start of a `once` step must be on disk before it runs (a crash must not let it run
  // again blindly); the start of any other step rides with the next synced record.
  journal(ctx,
          {{"t", "step_start"},
           {"stage", unit},
           {"step", step.name},
           {"specKey", preview->spec_key},
           {"key", key}},
          step.repeat == Repeat::Once ? Journal::Durability::Sync : Journal::Durability::Deferred);
  StepResult r;
  std::optional<std::string> captured;
  Millis delay = step.retry.delay;
  int attempt = 0;
  for (attempt = 1; attempt <= step.retry.attempts; ++attempt) {
    append_log(log, "--- " + now_rfc3339() + " " + id + " attempt " + std::to_string(attempt) +
                        " of " + std::to_string(step.retry.attempts) + "\n");
    if (step.gate) {
      r = attempt_gate(ctx, *step.gate, step.timeout, scope, log);
    } else if (step.kind == StepKind::Ssh) {
      r = run_ssh_step(ctx, step, scope, log, &captured);
    } else {
      r = attempt_command(ctx, step, scope, log, &captured);
    }
    if (r.status != StepStatus::Failed || attempt == step.retry.attempts) break;
    ctx.listener->warning(id + ": attempt " + std::to_string(attempt) + " failed (" + r.message +
                          "); retrying in " + format_duration(delay));
    if (!ctx.interrupt->sleep_for(delay)) {
      r = {StepStatus::Interrupted, "interrupted"};
      break;
    }
    delay = Millis(static_cast<int64_t>(static_cast<double>(delay.count()) * step.retry.backoff));
  }
  r.attempts = std::min(attempt, step.retry.attempts);
  end["status"] = r.status == StepStatus::Passed        ? "passed"
                  : r.status == StepStatus::Interrupted ? "interrupted"
                                                        : "failed";
  end["attempts"] = r.attempts;
  end["durationMs"] = std::chrono::duration_cast<Millis>(Clock::now() - started).count();
  if (captured && r.status == StepStatus::Passed) {
    end["outputs"] = {{step.capture->name, *captured}};
    std::lock_guard<std::mutex> lock(*ctx.outputs_mu);
    (*ctx.outputs)[unit + "." + step.capture->name] = *captured;
  }
  // An end record lost in a crash only makes an idempotent step run again: group-commit it. A once
  // step's end must be durable before anything else happens.
  journal(ctx, end,
          step.repeat == Repeat::Once ? Journal::Durability::Sync : Journal::Durability::Deferred);
  return finish(r, "");
}

StepResult run_gate(const RunContext& ctx, const std::string& unit, const Gate& gate) {
  auto started = Clock::now();
  std::map<std::string, std::string> outputs;
  {
    std::lock_guard<std::mutex> lock(*ctx.outputs_mu);
    outputs = *ctx.outputs;
  }
  RenderScope scope = run_scope(ctx);
  scope.outputs = &outputs;
  std::string log = log_path(ctx, unit, "gate." + gate.name);
  auto shown = render_gate(gate, scope, nullptr);
  ctx.listener->step_started(unit, "gate " + gate.name,
                             shown ? describe_gate(gate.kind, *shown) : gate.name);
  StepResult r = attempt_gate(ctx, gate, gate.timeout, scope, log);
  r.duration = std::chrono::duration_cast<Millis>(Clock::now() - started);
  r.log = log;
  ctx.listener->step_finished(unit, "gate " + gate.name, r.status,
                              r.status == StepStatus::Passed ? "" : r.message);
  return r;
}

}  // namespace gw
