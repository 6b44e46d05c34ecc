#include "run/step_runner.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "model/hash.h"
#include "model/json_text.h"
#include "model/regex.h"
#include "run/capture.h"
#include "run/log_sink.h"
#include "run/rendered_files.h"
#include "run/ssh_step.h"

namespace gw {

const char* to_string(StepStatus s) {
  switch (s) {
    case StepStatus::Passed:
      return "passed";
    case StepStatus::AlreadyDone:
      return "done";
    case StepStatus::Skipped:
      return "skipped";
    case StepStatus::Failed:
      return "failed";
    case StepStatus::Interrupted:
      return "interrupted";
    case StepStatus::Drifted:
      return "drifted";
  }
  return "unknown";
}

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

/// What one attempt left behind beyond its status.
struct Attempt {
  Attempt() = default;
  Attempt(StepResult r) : result(std::move(r)) {}  // NOLINT: a plain result converts
  StepResult result;
  std::optional<std::string> captured;
  bool maybe_applied = false;  // timed out or killed: the command may have done its work
};

Attempt attempt_command(const RunContext& ctx, const Step& step, const RenderScope& scope,
                        const std::string& log) {
  Attempt a;
  CommandContext cc{ctx.project, scope, nullptr};
  auto built = build_step_command(step, cc, nullptr);
  if (!built) return Attempt({StepStatus::Failed, built.error().message});
  RenderedFiles files(ctx.rendered_dir);
  auto spec = process_spec(ctx, step, **built, files, log);
  if (!spec) return Attempt({StepStatus::Failed, spec.error().message});
  // Per-tool limit (inventory spec.limits): held while the command runs.
  auto tool_slot = ctx.limits ? ctx.limits->acquire((*built)->tool, *ctx.interrupt)
                              : std::optional<ToolLimits::Slot>(std::in_place);
  if (!tool_slot) return Attempt({StepStatus::Interrupted, "interrupted"});
  ProcessResult pr = ctx.runner->run(*spec, *ctx.interrupt);
  if (!pr.log_error.empty())
    ctx.listener->warning(step.name + ": its log is incomplete: " + pr.log_error);
  a.result.tail = pr.output_tail;
  a.maybe_applied = pr.outcome == Outcome::TimedOut || pr.outcome == Outcome::Signaled ||
                    pr.outcome == Outcome::Interrupted;
  if (pr.outcome == Outcome::Interrupted) {
    a.result.status = StepStatus::Interrupted;
    a.result.message = "interrupted";
    return a;
  }
  if (!pr.ok()) {
    a.result.status = StepStatus::Failed;
    a.result.message = pr.describe(step.timeout);
    return a;
  }
  if (step.capture) {
    auto value = capture_value(step, pr.out, ctx.redactor);
    if (!value) {
      a.result.status = StepStatus::Failed;
      a.result.message = value.error().message;
      return a;
    }
    a.captured = std::move(*value);
  }
  a.result.status = StepStatus::Passed;
  return a;
}

StepResult attempt_gate(const RunContext& ctx, const std::string& unit, const std::string& what,
                        const Gate& gate, Millis timeout, const RenderScope& scope,
                        const std::string& log) {
  auto body = render_gate(gate, scope, nullptr);
  if (!body) return {StepStatus::Failed, body.error().message};
  // Every poll's observation goes to the gate's log too: an http, dns or tcp probe runs no
  // command, and the log a failure report points to must exist and say what was seen.
  bool log_warned = false;
  auto on_poll = [&](int poll, const Observation& o) {
    std::string line = "poll " + std::to_string(poll) + (o.passed ? " passed: " : ": ") +
                       ctx.redactor->redact(o.saw);
    ctx.listener->detail(unit, what, line);
    if (!append_log_line(log, "--- " + now_rfc3339() + " " + line + "\n") && !log_warned) {
      log_warned = true;
      ctx.listener->warning(unit + "/" + what + ": cannot write its log " + log + ": " +
                            std::strerror(errno));
    }
  };
  GateResult g = poll_gate(*ctx.prober, gate.kind, *body, gate.interval, timeout, *ctx.interrupt,
                           log, on_poll);
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

/// One step being run: what every phase of it shares.
class StepRun {
 public:
  StepRun(const RunContext& ctx, const std::string& unit, const Step& step)
      : ctx_(ctx),
        unit_(unit),
        step_(step),
        id_(unit + "/" + step.name),
        log_(log_path(ctx.log_dir, unit, step.name)),
        started_(Clock::now()),
        outputs_(ctx.outputs->snapshot()),
        scope_(run_scope(ctx, &outputs_)) {}

  StepResult run();

 private:
  StepResult finish(StepResult r, const std::string& note = "");
  StepResult journal_failure(const Error& e);
  StepResult passed_by_skip_if();
  StepResult execute();
  Attempt attempts();
  Attempt attempt_ssh();
  std::optional<StepResult> journal_end(const Attempt& a);

  const RunContext& ctx_;
  const std::string& unit_;
  const Step& step_;
  const std::string id_;
  const std::string log_;
  const Clock::time_point started_;
  std::map<std::string, std::string> outputs_;
  RenderScope scope_;
  StepPreview preview_;
};

StepResult StepRun::finish(StepResult r, const std::string& note) {
  r.duration = std::chrono::duration_cast<Millis>(Clock::now() - started_);
  r.log = log_;
  if (step_.visibility == Visibility::Sensitive) r.tail.clear();  // never shown
  ctx_.listener->step_finished(unit_, step_.name, r.status, note.empty() ? r.message : note);
  return r;
}

StepResult StepRun::journal_failure(const Error& e) {
  return finish({StepStatus::Failed, "cannot write the journal: " + e.message});
}

StepResult StepRun::run() {
  RenderScope placeholders = scope_;
  placeholders.secret_mode = SecretMode::Placeholder;
  auto preview = preview_step(step_, {ctx_.project, placeholders, nullptr});
  if (!preview) return finish({StepStatus::Failed, preview.error().located()});
  preview_ = std::move(*preview);
  if (step_.when) {  // decided on the real values: a sensitive output shows only as a placeholder
    auto w = evaluate_when(*step_.when, scope_);
    if (!w) return finish({StepStatus::Failed, w.error().located()});
    preview_.when = *w;
  }
  auto last = ctx_.store->step(unit_, step_.name);
  ctx_.store->complete_key(preview_, scope_, last ? &*last : nullptr);
  StepFacts facts;
  facts.when = preview_.when;
  facts.last = last ? &*last : nullptr;
  facts.key = preview_.key();
  facts.parts = &preview_.parts;
  facts.repeat = step_.repeat;
  facts.force = ctx_.policy.forced(unit_, step_.name);
  facts.output_kept =
      step_.capture && step_.visibility == Visibility::Sensitive ? OutputKept::No : OutputKept::Yes;
  auto stage_last = ctx_.store->stage(unit_);
  facts.stage_drift = stage_drift(stage_last ? &*stage_last : nullptr);
  StepDecision d = decide_step(facts);
  ctx_.listener->decided(unit_, step_.name, std::string(to_string(d.action)) + ": " + d.reason);
  switch (d.action) {
    case StepAction::SkipWhen:
      return finish({StepStatus::Skipped}, "when is false");
    case StepAction::SkipDone:
      return finish({StepStatus::AlreadyDone});
    case StepAction::AtRunTime:  // cannot happen: run scopes know every captured output
      return finish({StepStatus::Failed, "its when could not be decided"});
    case StepAction::NeedsForce:
      if (step_.skip_if && skip_if_passes(ctx_, *step_.skip_if, scope_, log_))
        return passed_by_skip_if();
      return finish({StepStatus::Failed,
                     "step is " + d.reason + ". Check by hand, then rerun with --force " + id_});
    case StepAction::Run:
      break;
  }
  if (step_.skip_if && skip_if_passes(ctx_, *step_.skip_if, scope_, log_))
    return passed_by_skip_if();
  return execute();
}

StepResult StepRun::passed_by_skip_if() {
  StepEnd end;
  end.status = RecordStatus::Passed;
  if (auto s = ctx_.store->step_finished(unit_, step_.name, preview_, step_.repeat, end); !s)
    return journal_failure(s.error());
  return finish({StepStatus::Passed}, "skipIf passed: not run");
}

StepResult StepRun::execute() {
  ctx_.listener->step_started(unit_, step_.name, preview_.shown());
  // A `once` step starts only when its start record is on disk; any step only when it is written.
  if (auto s = ctx_.store->step_started(unit_, step_.name, preview_, step_.repeat); !s)
    return journal_failure(s.error());
  Attempt a = attempts();
  if (auto failed = journal_end(a)) return *failed;
  return finish(a.result);
}

Attempt StepRun::attempt_ssh() {
  Attempt a;
  a.result = run_ssh_step(ctx_, step_, scope_, log_, &a.captured);
  a.maybe_applied = a.result.maybe_applied;
  if (a.captured) a.captured = valid_utf8(*a.captured);
  return a;
}

Attempt StepRun::attempts() {
  Attempt a;
  Millis delay = step_.retry.delay;
  int n = 1;
  for (;; ++n) {
    if (!append_log_line(log_, "--- " + now_rfc3339() + " " + id_ + " attempt " +
                                   std::to_string(n) + " of " +
                                   std::to_string(step_.retry.attempts) + "\n"))
      ctx_.listener->warning(id_ + ": cannot write its log " + log_ + ": " + std::strerror(errno));
    if (step_.gate)
      a = Attempt(attempt_gate(ctx_, unit_, step_.name, *step_.gate, step_.timeout, scope_, log_));
    else if (step_.kind == StepKind::Ssh)
      a = attempt_ssh();
    else
      a = attempt_command(ctx_, step_, scope_, log_);
    if (a.result.status != StepStatus::Failed || n >= step_.retry.attempts) break;
    // A `once` step that timed out or was killed may have taken effect: never again by itself.
    if (step_.repeat == Repeat::Once && a.maybe_applied) break;
    ctx_.listener->warning(id_ + ": attempt " + std::to_string(n) + " failed (" + a.result.message +
                           "); retrying in " + format_duration(delay));
    if (!ctx_.interrupt->sleep_for(delay)) {
      a = Attempt({StepStatus::Interrupted, "interrupted"});
      break;
    }
    // Grows by `backoff` (1 to 100, checked when loading), up to an hour (or the delay itself).
    delay = Millis(static_cast<int64_t>(
        std::min(static_cast<double>(delay.count()) * step_.retry.backoff,
                 std::max(static_cast<double>(step_.retry.delay.count()), 3'600'000.0))));
  }
  a.result.attempts = n;
  if (a.result.status == StepStatus::Failed && n > 1)
    a.result.message = "failed after " + std::to_string(n) + " attempts, last: " + a.result.message;
  return a;
}

std::optional<StepResult> StepRun::journal_end(const Attempt& a) {
  StepEnd end;
  end.status = a.result.status == StepStatus::Passed        ? RecordStatus::Passed
               : a.result.status == StepStatus::Interrupted ? RecordStatus::Interrupted
                                                            : RecordStatus::Failed;
  end.maybe_applied = step_.repeat == Repeat::Once && a.maybe_applied;
  end.attempts = a.result.attempts;
  end.duration = std::chrono::duration_cast<Millis>(Clock::now() - started_);
  bool sensitive = a.captured && ctx_.outputs->is_sensitive(unit_, step_.capture->name);
  if (a.captured && a.result.status == StepStatus::Passed) {
    ctx_.outputs->set(unit_, step_.capture->name, *a.captured);  // redacted from now on
    if (!sensitive) end.outputs[step_.capture->name] = *a.captured;
  }
  if (auto s = ctx_.store->step_finished(unit_, step_.name, preview_, step_.repeat, end); !s)
    return journal_failure(s.error());
  return std::nullopt;
}

}  // namespace

namespace {

/// Letters, digits, '-' and '_' as they are; every other byte as %XX.
std::string encode_name(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string log_path(const std::string& log_dir, const std::string& unit, const std::string& name) {
  return log_dir + "/" + encode_name(unit) + "." + encode_name(name) + ".log";
}

std::string gate_log_path(const std::string& log_dir, const std::string& unit,
                          const std::string& gate) {
  return log_dir + "/" + encode_name(unit) + "." + encode_name(gate) + ".gate.log";
}

Result<ProcessSpec> process_spec(const RunContext& ctx, const Step& step, const Invocation& inv,
                                 RenderedFiles& files, const std::string& log) {
  ProcessSpec spec;
  spec.program = ctx.tools->resolve(inv.tool);
  if (spec.program.empty())
    return Error{"program '" + inv.tool + "': " + ctx.tools->why_missing(inv.tool)};
  for (size_t i = 1; i < inv.argv.size(); ++i) {
    const FileInput* file = inv.file_at(i);
    if (!file) {
      spec.args.push_back(inv.argv[i]);
      continue;
    }
    const FileInput& f = *file;
    if (!f.rendered) {
      spec.args.push_back(f.source);
      continue;
    }
    auto path = files.write(f, static_cast<size_t>(file - inv.files.data()));
    if (!path) return path.error();
    spec.args.push_back(*path);
  }
  spec.env = ctx.tools->base_env();
  for (const auto& kv : inv.env) spec.env.push_back(kv);
  spec.cwd = inv.cwd.to_optional();
  spec.stdin_data = inv.stdin_data.to_optional();
  spec.timeout = step.timeout;
  spec.log_path = log;
  spec.redactor = ctx.redactor;
  spec.visibility = step.visibility;
  // Record the command's process group, so that a later run finds it if this one dies.
  if (ctx.live_groups) spec.on_spawn = ctx.live_groups->recorder(log, step.timeout);
  return spec;
}

RenderScope run_scope(const RunContext& ctx, const std::map<std::string, std::string>* outputs) {
  RenderScope s;
  s.vars = &ctx.project->inventory.vars;
  s.secrets = ctx.secrets;
  s.secret_mode = SecretMode::Reveal;
  s.missing_output = MissingOutput::Error;
  s.inventory = &ctx.project->inventory;
  s.mode = ctx.mode;
  s.params = ctx.params;
  s.param_secrets = ctx.param_secrets;
  s.outputs = outputs;
  s.sensitive_outputs = &ctx.outputs->sensitive();
  s.env = [](const std::string& n) -> std::optional<std::string> {
    const char* v = std::getenv(n.c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  return s;
}

StepResult run_step(const RunContext& ctx, const std::string& unit, const Step& step) {
  try {
    return StepRun(ctx, unit, step).run();
  } catch (const std::exception& e) {
    StepResult r{StepStatus::Failed, std::string("internal error: ") + e.what()};
    ctx.listener->step_finished(unit, step.name, r.status, r.message);
    return r;
  }
}

namespace {

/// The one probe of a gate under --verify: a failure is drift, a missing resource says so.
StepResult probe_gate_once(const RunContext& ctx, const std::string& unit, const Gate& gate,
                           const RenderScope& scope, const std::string& log) {
  auto body = render_gate(gate, scope, nullptr);
  if (!body) return {StepStatus::Failed, body.error().message};
  Millis budget = std::clamp(gate.timeout, Millis(1000), kDriftProbeBudget);
  Observation o = ctx.prober->probe(gate.kind, *body, *ctx.interrupt, log, budget);
  std::string saw = ctx.redactor->redact(o.saw);
  ctx.listener->detail(unit, "gate " + gate.name,
                       std::string("drift probe") + (o.passed ? " passed: " : ": ") + saw);
  (void)append_log_line(
      log, "--- " + now_rfc3339() + " drift probe" + (o.passed ? " passed: " : ": ") + saw + "\n");
  if (ctx.interrupt->stopping()) return {StepStatus::Interrupted, "interrupted"};
  if (o.passed) return {StepStatus::Passed, saw};
  const std::string not_yet = "not found yet: ";
  if (saw.starts_with(not_yet)) saw = "does not exist: " + saw.substr(not_yet.size());
  return {StepStatus::Failed,
          "gate " + describe_gate(gate.kind, *body) + " failed its one probe (--verify): " + saw};
}

}  // namespace

StepResult run_gate(const RunContext& ctx, const std::string& unit, const Gate& gate,
                    GateWait wait) {
  auto started = Clock::now();
  std::map<std::string, std::string> outputs = ctx.outputs->snapshot();
  RenderScope scope = run_scope(ctx, &outputs);
  std::string log = gate_log_path(ctx.log_dir, unit, gate.name);
  RenderScope shown_scope = scope;
  shown_scope.secret_mode = SecretMode::Placeholder;
  auto shown = render_gate(gate, shown_scope, nullptr);
  ctx.listener->step_started(unit, "gate " + gate.name,
                             shown ? describe_gate(gate.kind, *shown) : gate.name);
  StepResult r;
  try {
    r = wait == GateWait::ProbeOnce
            ? probe_gate_once(ctx, unit, gate, scope, log)
            : attempt_gate(ctx, unit, "gate " + gate.name, gate, gate.timeout, scope, log);
  } catch (const std::exception& e) {
    r = {StepStatus::Failed, std::string("internal error: ") + e.what()};
  }
  r.duration = std::chrono::duration_cast<Millis>(Clock::now() - started);
  r.log = log;
  bool drift = wait == GateWait::ProbeOnce && r.status == StepStatus::Failed;
  ctx.listener->step_finished(unit, "gate " + gate.name, drift ? StepStatus::Drifted : r.status,
                              r.status == StepStatus::Passed ? "" : r.message);
  return r;
}

}  // namespace gw
