// `diff [TARGET…]`: the rendered manifests and helm releases of the selected steps against the
// live cluster. kubectl apply steps: `kubectl diff -f FILE…`; helm steps: `helm diff upgrade`
// when the helm-diff plugin is installed, else `helm template` piped into `kubectl diff -f -`.
// Read-only: takes no lock, writes nothing to the state folder; rendered `.tmpl` files go to a
// private temporary folder (0700, named after this process: run/temp_dir.h) removed at the end;
// one that a killed diff left behind is removed by the next diff.
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "cli/commands/commands.h"
#include "cli/commands/exit_codes.h"
#include "cli/commands/workspace.h"
#include "model/names.h"
#include "model/terminal_text.h"
#include "plan/needs.h"
#include "report/log.h"
#include "run/cluster_version.h"
#include "run/interrupt.h"
#include "run/journal.h"
#include "run/lock.h"
#include "run/rendered_files.h"
#include "run/secrets.h"
#include "run/step_runner.h"
#include "run/temp_dir.h"

namespace gw {

namespace {

/// The rendered files of a diff go to `groundwork-diff-<pid>-<ticks>-<pid ns>-XXXXXX`.
constexpr const char* kDiffTempPrefix = "groundwork-diff";

/// Removes what diffs that were killed (kill -9: no clean-up ran) left in the temporary folder:
/// their rendered files may hold secret values. A live diff's folder stays.
void sweep_killed_diffs() {
  for (const auto& d : sweep_dead_owner_temp_dirs(temp_root(), kDiffTempPrefix))
    log_info("removed the temporary folder of a diff that was killed (pid " +
             std::to_string(d.pid) + "): " + d.path);
}

/// Which steps the targets select: a STAGE with every stage it needs, a STAGE/STEP alone.
class Targets {
 public:
  explicit Targets(const std::vector<std::string>& targets) {
    for (const auto& t : targets)
      (t.find('/') == std::string::npos ? stages_ : steps_).push_back(t);
  }
  const std::vector<std::string>& stages() const { return stages_; }
  /// `closure`: the stages the STAGE targets bring in (with their needs).
  bool selects(const std::set<std::string>& closure, const std::string& stage,
               const std::string& step) const {
    if (stages_.empty() && steps_.empty()) return true;
    if (closure.count(stage)) return true;
    for (const auto& s : steps_)
      if (s == stage + "/" + step) return true;
    return false;
  }

 private:
  std::vector<std::string> stages_, steps_;
};

/// Whether `helm plugin list` names the helm-diff plugin (`diff` in its NAME column).
HelmDiff helm_diff_mode(const ToolResolver& tools, CommandRunner& runner, const Interrupt& stop) {
  ProcessSpec spec;
  spec.program = tools.resolve("helm");
  spec.args = {"plugin", "list"};
  spec.env = tools.base_env();
  spec.timeout = Millis(15000);
  ProcessResult r = runner.run(spec, stop);
  if (!r.ok()) return HelmDiff::Template;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string first;
    if (words >> first && first == "diff") return HelmDiff::Plugin;
  }
  return HelmDiff::Template;
}

/// How one step compared.
enum class DiffVerdict { Same, Differs, Failed, NotCompared };

struct StepDiff {
  DiffVerdict verdict = DiffVerdict::Same;
  std::string output;  // redacted diff text
  std::string note;    // why it failed or was not compared
};

/// The namespace of kubectl's `namespaces "X" not found`, if the output says that.
std::optional<std::string> missing_namespace(const std::string& output) {
  static const std::string kHead = "namespaces \"";
  size_t at = output.find(kHead);
  if (at == std::string::npos) return std::nullopt;
  size_t start = at + kHead.size();
  size_t end = output.find('"', start);
  if (end == std::string::npos || output.compare(end, 11, "\" not found") != 0) return std::nullopt;
  return output.substr(start, end - start);
}

/// Runs the step's diff pipeline: each command's stdout is the next one's stdin.
StepDiff run_pipeline(const RunContext& ctx, const Step& step, const DiffCommand& d,
                      RenderedFiles& files) {
  StepDiff r;
  std::optional<std::string> input;
  for (size_t i = 0; i < d.pipeline.size(); ++i) {
    auto spec = process_spec(ctx, step, d.pipeline[i], files, "");
    if (!spec) return {DiffVerdict::Failed, "", spec.error().message};
    if (input) spec->stdin_data = std::move(input);
    ProcessResult pr = ctx.runner->run(*spec, *ctx.interrupt);
    if (pr.outcome == Outcome::Interrupted) return {DiffVerdict::Failed, "", "interrupted"};
    bool last = i + 1 == d.pipeline.size();
    bool differs = last && pr.outcome == Outcome::Exited && pr.exit_code == d.differs_exit;
    if (!pr.ok() && !differs) {
      // kubectl diff refuses objects in a namespace that does not exist (the dry-run create
      // fails): what an apply would do there is create it all, which is a difference.
      if (auto ns = missing_namespace(pr.output_tail); ns && d.pipeline[i].tool == "kubectl")
        return {DiffVerdict::Differs,
                "namespace \"" + *ns + "\" does not exist yet: everything in it would be created\n",
                ""};
      std::string tail = pr.output_tail;
      while (!tail.empty() && tail.back() == '\n') tail.pop_back();
      return {DiffVerdict::Failed, "",
              d.pipeline[i].tool + " " + pr.describe(step.timeout) +
                  (tail.empty() ? "" : ":\n" + tail)};
    }
    if (last) {
      r.verdict = differs ? DiffVerdict::Differs : DiffVerdict::Same;
      r.output = ctx.redactor->redact(pr.out);
    }
    input = std::move(pr.out);
  }
  return r;
}

/// The pipeline as one line, for the header: "helm template | kubectl diff".
std::string pipeline_words(const DiffCommand& d) {
  std::string out;
  for (const auto& inv : d.pipeline) {
    std::string words = inv.tool;
    for (const auto& a : inv.display_argv())
      if (a == "diff" || a == "template") {
        words += " " + a;
        break;
      }
    out += (out.empty() ? "" : " | ") + words;
  }
  return out;
}

/// The files a kubectl step lists under `key` ("apply", "delete"), as absolute paths.
std::set<std::string> kubectl_files(const Step& step, const std::string& key) {
  std::set<std::string> out;
  if (step.kind != StepKind::Kubectl) return out;
  if (auto it = step.body.lists.find(key); it != step.body.lists.end())
    for (const auto& t : it->second) out.insert(resolve_path(t.raw, step.dir));
  return out;
}

/// The later step of the stage that deletes what `step` applies (a smoke test's probe object,
/// created and removed again by the stage): nullptr when there is none. Such objects are absent
/// from a healthy cluster by design, so comparing them would always "differ".
const Step* deleted_later(const Stage& stage, const Step& step) {
  auto applied = kubectl_files(step, "apply");
  if (applied.empty()) return nullptr;
  bool after = false;
  for (const auto& s : stage.steps) {
    if (&s == &step) {
      after = true;
      continue;
    }
    if (!after) continue;
    for (const auto& f : kubectl_files(s, "delete"))
      if (applied.count(f)) return &s;
  }
  return nullptr;
}

/// The stage names the STAGE targets select with what they need.
std::optional<std::set<std::string>> stage_closure(const Workspace& ws, const Targets& t,
                                                   const Checkpoints& cp, const GlobalOptions& g) {
  std::set<std::string> names;
  if (t.stages().empty()) return names;
  auto plan = plan_or_report(ws, Selection{t.stages(), {}, {}}, cp, g, std::cerr);
  if (!plan) return std::nullopt;
  for (const auto& ps : plan->stages) names.insert(ps.stage->name);
  return names;
}

/// What the selected steps need before anything is compared.
struct DiffNeeds {
  std::set<std::string> tools;    // kubectl, and helm when a helm step is selected
  std::set<std::string> secrets;  // the secrets their templates use
  bool helm = false;
};

DiffNeeds diff_needs(const Plan& plan, const Targets& targets,
                     const std::set<std::string>& closure) {
  DiffNeeds n;
  for (const auto& ps : plan.stages)
    for (const auto& st : ps.steps) {
      if (st.status == PlanStatus::Skipped ||
          !targets.selects(closure, ps.stage->name, st.step->name))
        continue;
      if (st.step->kind != StepKind::Helm && st.step->kind != StepKind::Kubectl) continue;
      n.tools.insert("kubectl");
      n.helm = n.helm || st.step->kind == StepKind::Helm;
      n.secrets.insert(st.preview.use.secrets.begin(), st.preview.use.secrets.end());
    }
  if (n.helm) n.tools.insert("helm");
  return n;
}

/// The render scope of a diff: secrets revealed (masked in what is printed), outputs from the
/// journal, a missing one an error for its step.
RenderScope diff_scope(const Workspace& ws, const Checkpoints& cp,
                       const std::map<std::string, std::string>& secrets) {
  RenderScope scope;
  scope.vars = &ws.project.inventory.vars;
  scope.secrets = &secrets;
  scope.secret_mode = SecretMode::Reveal;
  scope.missing_output = MissingOutput::Error;
  scope.inventory = &ws.project.inventory;
  scope.outputs = &cp.outputs;
  scope.sensitive_outputs = &ws.sensitive_outputs;
  scope.env = [](const std::string& n) -> std::optional<std::string> {
    const char* v = std::getenv(n.c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  return scope;
}

/// How many steps ended how.
struct Tally {
  size_t differ = 0, same = 0, failed = 0, other = 0;
};

/// Compares one step and prints its header line (and its diff); counts it in `tally`.
void compare_step(const RunContext& ctx, const RenderScope& scope, HelmDiff helm_mode,
                  const OwnedTempDir& tmp, const PlannedStage& ps, const PlannedStep& st,
                  Tally& tally) {
  std::cout << "# " << ps.stage->name << "/" << st.step->name;
  auto note = [&](const std::string& text) {
    std::cout << text << "\n";
    ++tally.other;
  };
  if (st.status == PlanStatus::Skipped) return note(": skipped (its when is false)");
  if (const Step* later = deleted_later(*ps.stage, *st.step))
    return note(": not compared (transient: step '" + later->name + "' deletes what it applies)");
  CommandContext cc{ctx.project, scope, nullptr};
  auto d = build_diff_command(*st.step, cc, helm_mode, nullptr);
  // Most often a captured output of an earlier step that the journal does not have yet.
  if (!d) return note(": not compared: " + ctx.redactor->redact(d.error().message));
  if (!d->not_diffable.empty()) return note(": not diffable (" + d->not_diffable + ")");
  RenderedFiles files(tmp.path());
  StepDiff r = run_pipeline(ctx, *st.step, *d, files);
  std::cout << " (" << pipeline_words(*d) << "): ";
  if (r.verdict == DiffVerdict::Same) {
    std::cout << "no differences\n";
    ++tally.same;
  } else if (r.verdict == DiffVerdict::Differs) {
    // What the cluster holds is outside text: shown, never obeyed (model/terminal_text.h).
    std::string shown = escape_terminal(r.output);
    std::cout << "differs\n" << shown;
    if (!shown.empty() && shown.back() != '\n') std::cout << "\n";
    ++tally.differ;
  } else {
    std::cout << "failed\n";
    log_error(ps.stage->name + "/" + st.step->name + ": " + r.note);
    ++tally.failed;
  }
  std::cout.flush();
}

}  // namespace

int cmd_diff(const GlobalOptions& g, const DiffOptions& o) {
  auto ws = open_workspace(g, std::cerr);
  if (!ws) return kExitInvalid;
  sweep_killed_diffs();  // after the input is known good: bad input touches nothing
  const Inventory& inv = ws->project.inventory;
  if (auto why = check_force(ws->project, o.targets))  // STAGE or STAGE/STEP, with did-you-mean
    return fail(kExitInvalid, why->substr(why->find(": ") + 2));
  // Read-only, like plan: no lock; the journal gives the captured outputs templates use.
  StatePaths paths = workspace_state(*ws, g);
  std::vector<std::string> warnings;
  auto journal = read_journal(
      paths.journal(), &warnings,
      RunLock::probe(paths.lock()) == LockState::Held ? JournalTail::Growing : JournalTail::Final);
  for (const auto& w : warnings) log_warning(w);
  Checkpoints cp = journal ? journal->checkpoints : Checkpoints{};
  Targets targets(o.targets);
  auto closure = stage_closure(*ws, targets, cp, g);
  if (!closure) return kExitInvalid;
  auto plan = plan_or_report(*ws, {}, cp, g, std::cerr);
  if (!plan) return kExitInvalid;

  DiffNeeds needs = diff_needs(*plan, targets, *closure);
  ToolResolver resolver(inv);
  if (auto missing = missing_tools(needs.tools, resolver); !missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += "\n  " + m;
    return fail(kExitPreflight, "diff needs programs that are missing:" + list);
  }
  ProcessRunner runner(Millis(1000));
  runner.withhold_env(secret_env_vars(inv));
  // Ctrl-C stops the running command and ends here, so the rendered files are removed.
  static Interrupt stop;
  install_signal_handling(stop);
  if (!needs.tools.empty())
    if (auto server = query_server_version(inv, resolver, runner, stop); !server)
      return fail(kExitPreflight, "the Kubernetes API does not answer: " + server.error().message);
  auto secrets = resolve_secrets(inv, needs.secrets, "diff", runner, resolver, stop);
  if (!secrets) return fail(kExitPreflight, secrets.error().message);
  for (const auto& w : secrets->warnings) std::cerr << "groundwork: warning: " << w << "\n";
  redact_readable_secrets(inv, secrets->redactor);
  HelmDiff helm_mode = needs.helm ? helm_diff_mode(resolver, runner, stop) : HelmDiff::Template;
  auto tmp = OwnedTempDir::create(kDiffTempPrefix);
  if (!tmp) return fail(kExitFailed, tmp.error().message);

  RunContext ctx;
  ctx.project = &ws->project;
  ctx.runner = &runner;
  ctx.tools = &resolver;
  ctx.redactor = &secrets->redactor;
  ctx.secrets = &secrets->values;
  ctx.interrupt = &stop;
  RenderScope scope = diff_scope(*ws, cp, secrets->values);
  Tally tally;
  for (const auto& ps : plan->stages)
    for (const auto& st : ps.steps) {
      if (stop.stopping()) return fail(kExitInterrupted, "diff interrupted");
      if (targets.selects(*closure, ps.stage->name, st.step->name))
        compare_step(ctx, scope, helm_mode, *tmp, ps, st, tally);
    }
  if (stop.stopping()) return fail(kExitInterrupted, "diff interrupted");
  std::cerr << "diff: " << tally.differ << " differ, " << tally.same << " same, " << tally.failed
            << " could not be compared, " << tally.other << " not compared\n";
  if (tally.failed) return kExitPreflight;
  return tally.differ ? kExitFailed : kExitOk;
}

}  // namespace gw
