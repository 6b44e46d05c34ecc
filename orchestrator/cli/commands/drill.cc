// `drill PLAYBOOK` and `restore PLAYBOOK` (SPEC §5), and what `plan --playbook` shares with them.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/commands/commands.h"
#include "cli/commands/exit_codes.h"
#include "cli/commands/playbook.h"
#include "cli/commands/run_session.h"
#include "load/project_loader.h"
#include "model/hash.h"
#include "model/json_text.h"
#include "model/names.h"
#include "model/terminal_text.h"
#include "plan/needs.h"
#include "report/console.h"
#include "report/drill_report.h"
#include "report/log.h"
#include "report/plan_writer.h"
#include "run/checkpoint_store.h"
#include "run/command_runner.h"
#include "run/executor.h"
#include "run/gates.h"
#include "run/live_groups.h"
#include "run/lock.h"
#include "run/playbook_runner.h"
#include "run/remote_runner.h"
#include "run/secrets.h"
#include "run/ssh_step.h"
#include "run/stale.h"
#include "run/state_dir.h"

namespace gw {

namespace fs = std::filesystem;
using SysClock = std::chrono::system_clock;

std::optional<PlaybookSetup> setup_playbook(const Workspace& ws, const std::string& name,
                                            const std::string& mode,
                                            const std::vector<std::string>& params) {
  const Project& project = ws.project;
  PlaybookSetup s;
  s.playbook = project.find_playbook(name);
  if (!s.playbook) {
    std::vector<std::string> names;
    for (const auto& pb : project.playbooks) names.push_back(pb.name);
    std::string msg = "unknown playbook '" + name + "'";
    if (auto m = closest_match(name, names))
      msg += " (did you mean '" + *m + "'?)";
    else if (names.empty())
      msg += " (no playbooks are loaded: see --playbooks and spec.playbooks)";
    log_error(msg);
    return std::nullopt;
  }
  const Playbook& pb = *s.playbook;
  auto declared = [&](Mode m) {
    return std::find(pb.modes.begin(), pb.modes.end(), m) != pb.modes.end();
  };
  if (mode.empty())
    s.mode = declared(Mode::Drill) ? Mode::Drill : Mode::Restore;
  else if (mode == "drill")
    s.mode = Mode::Drill;
  else if (mode == "restore")
    s.mode = Mode::Restore;
  else {
    log_error("unknown mode '" + mode + "' (expected drill or restore)");
    return std::nullopt;
  }
  if (!declared(s.mode)) {
    std::string modes;
    for (Mode m : pb.modes) modes += std::string(modes.empty() ? "" : ", ") + to_string(m);
    log_error("playbook '" + pb.name + "' (" + pb.file + ") does not declare mode '" +
              to_string(s.mode) + "' (its modes: " + (modes.empty() ? "none" : modes) + ")");
    return std::nullopt;
  }
  RenderScope base = preview_scope(project, {}, process_env(), &ws.sensitive_outputs);
  std::string mode_text = to_string(s.mode);
  base.mode = mode_text;
  auto values = resolve_params(pb, params, base);
  if (!values) {
    const Error& e = values.error();
    log_error(e.loc.file.empty() ? e.message : e.loc.str() + ": " + e.message);
    return std::nullopt;
  }
  s.params = std::move(*values);
  for (const auto& n : pb.needs) s.needs.push_back(n.name);
  return s;
}

std::optional<Plan> plan_needs(const Workspace& ws, const PlaybookSetup& s, const Checkpoints& cp,
                               const GlobalOptions& g, const Fingerprints& fps,
                               const CheckpointPolicy& policy) {
  if (s.needs.empty()) {
    Plan empty;
    empty.inventory = ws.project.inventory.name;
    return empty;
  }
  Selection sel{s.needs, {}, policy};
  return plan_or_report(ws, sel, cp, g, std::cerr, fps);
}

std::optional<PlaybookPlan> plan_playbook(const Workspace& ws, const PlaybookSetup& s,
                                          Plan needs_plan, const Checkpoints& cp,
                                          const GlobalOptions& g, const Fingerprints& fps,
                                          const CheckpointPolicy& policy, LastRestore last) {
  Diagnostics diags;
  RenderScope scope = preview_scope(ws.project, cp, process_env(), &ws.sensitive_outputs);
  scope.mode = to_string(s.mode);
  scope.params = &s.params.values;
  scope.param_secrets = &s.params.secrets;
  auto plan = make_playbook_plan(ws.project, *s.playbook, s.mode, std::move(needs_plan), cp, scope,
                                 diags, fps, phase_policy(policy, s.mode, last));
  if (plan) return std::move(*plan);
  if (!diags.empty())
    print_diagnostics(diags, std::cerr, g.color);
  else
    log_error(plan.error().message);
  return std::nullopt;
}

namespace {

/// The interrupt cleanup steps run under: only a second (killing) signal reaches it. RAII: the
/// watcher thread stops with the object.
class CleanupInterrupt {
 public:
  explicit CleanupInterrupt(const Interrupt& main)
      : watcher_([this, &main](std::stop_token stop) {
          while (!stop.stop_requested()) {
            if (main.level() == StopLevel::Kill) {
              own_.raise(StopLevel::Kill);
              return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
          }
        }) {}
  const Interrupt& get() const { return own_; }

 private:
  Interrupt own_;
  std::jthread watcher_;  // declared last: joined before own_ goes
};

/// A failure's message and, when the step printed something, its last output line ("exit 1:
/// key /x is missing"): what the step saw last.
std::string with_last_line(const StepResult& r) {
  std::string tail = r.tail;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
  if (tail.empty()) return r.message;
  auto nl = tail.rfind('\n');
  std::string last = nl == std::string::npos ? tail : tail.substr(nl + 1);
  if (last.empty() || r.message.find(last) != std::string::npos) return r.message;
  return r.message + ": " + last;
}

/// Asks on the terminal; true for y/yes.
bool confirm(const std::string& question) {
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  if (!std::getline(std::cin, answer)) return false;
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES";
}

/// The backupTime this run captured (or, resuming a restore, an earlier run of it whose step is
/// done): never a value left in the journal by an earlier drill whose capture did not run now.
std::optional<std::string> backup_time(const Outputs& outputs, const Playbook& pb,
                                       const PlaybookResult& result) {
  auto values = outputs.snapshot();
  for (const auto& s : result.steps) {
    if (s.result.status != StepStatus::Passed && s.result.status != StepStatus::AlreadyDone)
      continue;
    const std::vector<Step>& steps = s.phase == Phase::Steps    ? pb.steps
                                     : s.phase == Phase::Verify ? pb.verify
                                                                : pb.cleanup;
    for (const auto& step : steps) {
      if (step.name != s.name || !step.capture || step.capture->name != "backupTime") continue;
      auto it = values.find(phase_unit(pb.name, s.phase) + ".backupTime");
      if (it != values.end()) return it->second;
    }
  }
  return std::nullopt;
}

/// A passed step's captured output (name, value), unless the step is `sensitive`; a long value
/// is cut at 4 KiB (on a UTF-8 character boundary).
std::optional<std::pair<std::string, std::string>> step_output(const Outputs& outputs,
                                                               const Playbook& pb,
                                                               const PhaseStepResult& s) {
  if (s.result.status != StepStatus::Passed && s.result.status != StepStatus::AlreadyDone)
    return std::nullopt;
  const std::vector<Step>& steps = s.phase == Phase::Steps    ? pb.steps
                                   : s.phase == Phase::Verify ? pb.verify
                                                              : pb.cleanup;
  for (const auto& step : steps) {
    if (step.name != s.name || !step.capture || step.visibility == Visibility::Sensitive) continue;
    auto values = outputs.snapshot();
    auto it = values.find(phase_unit(pb.name, s.phase) + "." + step.capture->name);
    if (it == values.end()) return std::nullopt;
    std::string v = it->second;
    constexpr size_t kMax = 4096;
    if (v.size() > kMax) {
      size_t cut = kMax;
      while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xC0) == 0x80) --cut;
      v = v.substr(0, cut) + "…";
    }
    return std::make_pair(step.capture->name, v);
  }
  return std::nullopt;
}

}  // namespace

int cmd_drill(const GlobalOptions& g, const RunOptions& o, Mode mode) {
  const std::string verb = to_string(mode);
  if (o.jobs < 1) return fail(kExitInvalid, "--jobs must be at least 1");
  if (o.targets.size() != 1)
    return fail(kExitInvalid,
                verb + " takes one PLAYBOOK (got " + std::to_string(o.targets.size()) + ")");
  auto ws = open_workspace(g, std::cerr);
  if (!ws) return kExitInvalid;
  const Project& project = ws->project;
  auto setup = setup_playbook(*ws, o.targets[0], verb, o.params);
  if (!setup) return kExitInvalid;
  const Playbook& pb = *setup->playbook;
  auto stage_force = split_playbook_force(pb, o.force);
  if (!stage_force) return fail(kExitInvalid, stage_force.error().message);
  if (auto why = check_force(project, *stage_force)) return fail(kExitInvalid, *why);
  if (auto why = check_selection(project, ws->graph, {setup->needs, {}, {}}))
    return fail(kExitInvalid, *why);
  // Every step must render before anything is written (checkpoints do not matter for that).
  CheckpointPolicy policy;
  policy.fresh = o.fresh;
  policy.force.insert(o.force.begin(), o.force.end());
  {
    auto needs = plan_needs(*ws, *setup, {}, g, {}, policy);
    if (!needs) return kExitInvalid;
    auto preview =
        plan_playbook(*ws, *setup, std::move(*needs), {}, g, {}, policy, LastRestore::None);
    if (!preview) return kExitInvalid;
    if (mode == Mode::Restore && !o.yes) {
      if (!isatty(STDIN_FILENO))
        return fail(kExitInvalid, "restore '" + pb.name +
                                      "' changes the real system: pass --yes to run it when "
                                      "standard input is not a terminal; nothing was run");
      write_plan(std::cerr, preview->plan, PlanFormat::Text, g.color);
      if (!confirm("Restore '" + pb.name + "' on inventory '" + project.inventory.name + "'?"))
        return fail(kExitInvalid, "restore '" + pb.name + "' not confirmed; nothing was run");
    }
  }

  StatePaths paths = workspace_state(*ws, g);
  auto taken = take_state(paths, verb);
  if (auto* rc = std::get_if<int>(&taken)) return *rc;
  Journal* journal = &std::get<std::unique_ptr<RunState>>(taken)->journal;
  Checkpoints cp = o.fresh ? Checkpoints{} : journal->state().checkpoints;
  auto needs_plan = plan_needs(*ws, *setup, cp, g, {}, policy);
  if (!needs_plan) return kExitInvalid;
  // A restore after a finished one is for a new disaster: its phases start from the beginning.
  const LastRestore last = last_restore(journal->state(), pb.name);
  auto pplan = plan_playbook(*ws, *setup, *needs_plan, cp, g, {}, policy, last);
  if (!pplan) return kExitInvalid;

  RunSession::Inputs in;
  in.ws = &*ws;
  in.g = &g;
  in.paths = &paths;
  in.journal = &*journal;
  in.plan = &pplan->plan;
  in.needs = collect_needs(pplan->plan);
  for (const auto& s : ssh_secret_needs(pplan->plan, project.inventory)) in.needs.secrets.insert(s);
  for (const auto& [param, secret] : setup->params.secrets) in.needs.secrets.insert(secret);
  in.stale = o.kill_stale ? StaleAction::Kill : StaleAction::Wait;
  in.outputs = o.fresh ? EarlierOutputs::Ignore : EarlierOutputs::Use;
  auto started_session = RunSession::start(in);
  if (auto* rc = std::get_if<int>(&started_session)) return *rc;
  RunSession& session = *std::get<std::unique_ptr<RunSession>>(started_session);
  RunContext& ctx = session.ctx;
  Console& console = session.console();
  Interrupt& interrupt = session.interrupt();
  const std::string& run_id = session.run_id();
  const std::string& log_dir = session.log_dir();
  const ResolvedSecrets* secrets = &session.secrets();
  CheckpointStore& store = *ctx.store;
  Outputs& outputs = *ctx.outputs;
  std::string mode_text = verb;
  ctx.policy = policy;
  ctx.mode = mode_text;
  ctx.params = &setup->params.values;
  ctx.param_secrets = &setup->params.secrets;

  console.info("groundwork: " + verb + " of playbook '" + pb.name + "' on inventory '" +
               project.inventory.name + "' (run " + run_id + ", logs in " + log_dir + ")");
  const auto started_at = SysClock::now();
  auto started = std::chrono::steady_clock::now();
  if (mode == Mode::Restore) {
    Restart restart = last == LastRestore::Finished || o.fresh ? Restart::Fresh : Restart::Resume;
    if (auto s = store.restore_started(pb.name, run_id, restart); !s) {
      log_error("cannot journal the start of the restore: " + s.error().message);
      return kExitFailed;
    }
    if (last == LastRestore::Finished)
      console.info("the last restore of '" + pb.name +
                   "' finished: this one starts from its first step");
  }

  // 1. The stages it needs, through the executor (done ones are skipped by the decisions).
  RunReport needs_report;
  if (!needs_plan->stages.empty()) {
    ExecOptions eo;
    eo.jobs = o.jobs;
    eo.keep_going = o.keep_going ? KeepGoing::Yes : KeepGoing::No;
    eo.verify = o.verify || o.repair ? Verify::Yes : Verify::No;
    eo.repair = o.repair ? Repair::Yes : Repair::No;
    needs_report = execute_plan(*needs_plan, ctx, eo);
  }
  // 2. Its steps, verify and (drill) cleanup.
  PlaybookResult result;
  if (needs_report.failed || needs_report.interrupted || needs_report.journal_error) {
    result.outcome =
        needs_report.interrupted ? ProcedureOutcome::Interrupted : ProcedureOutcome::Failed;
    result.failure = "a stage it needs did not succeed";
    for (const auto& sr : needs_report.stages)
      if (sr.outcome == StageOutcome::Failed || sr.outcome == StageOutcome::Drifted ||
          sr.outcome == StageOutcome::Interrupted) {
        result.failure = "stage '" + sr.name + "' it needs " + to_string(sr.outcome);
        break;
      }
    result.journal_error = needs_report.journal_error;
  } else {
    CleanupInterrupt cleanup_interrupt(interrupt);
    ctx.policy = phase_policy(policy, mode, last);
    result = run_playbook(pb, ctx, cleanup_interrupt.get());
  }
  const auto finished_at = SysClock::now();
  if (!needs_plan->stages.empty())
    console.summary(needs_report,
                    std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started));

  // 3. Objectives and the report.
  DrillReport rep;
  rep.inventory = project.inventory.name;
  rep.playbook = pb.name;
  rep.mode = verb;
  rep.run_id = run_id;
  rep.started_at = format_rfc3339(started_at);
  rep.finished_at = format_rfc3339(finished_at);
  rep.interrupted = result.outcome == ProcedureOutcome::Interrupted;
  for (const auto& p : pb.params) {
    if (!p.secret.empty())
      rep.params.emplace_back(p.name, "<secret:" + p.secret + ">");
    else
      rep.params.emplace_back(p.name, secrets->redactor.redact(setup->params.values[p.name]));
  }
  for (const auto& s : result.steps) {
    ReportStep st;
    st.phase = to_string(s.phase);
    st.name = s.name;
    st.status = to_string(s.result.status);
    st.attempts = s.result.attempts;
    st.duration_ms = s.result.duration.count();
    if (s.result.status == StepStatus::Failed || s.result.status == StepStatus::Interrupted)
      st.message = secrets->redactor.redact(with_last_line(s.result));
    if (auto out = step_output(outputs, pb, s)) {
      st.output_name = out->first;
      st.output = secrets->redactor.redact(out->second);
    }
    rep.steps.push_back(std::move(st));
  }
  // RTO counts the needed stages this run applied (not those already done): SPEC §5's "first step".
  bool needs_applied = false;
  for (const auto& sr : needs_report.stages) needs_applied |= sr.outcome == StageOutcome::Passed;
  if (auto rto = needs_applied ? measure_rto(result.steps, started_at) : measure_rto(result.steps))
    rep.rto.measured_ms = rto->count();
  if (pb.rto) rep.rto.objective_ms = pb.rto->count();
  std::vector<std::string> problems;
  if (auto bt = backup_time(outputs, pb, result)) {
    Objective rpo;
    rep.backup_time = *bt;
    if (auto t = parse_rfc3339(*bt))
      rpo.measured_ms = std::chrono::duration_cast<Millis>(finished_at - *t).count();
    else
      problems.push_back("backupTime '" + *bt + "' is not an RFC 3339 time");
    if (pb.rpo) rpo.objective_ms = pb.rpo->count();
    rep.rpo = rpo;
  } else if (pb.rpo && result.outcome == ProcedureOutcome::Passed) {
    Objective rpo;
    rpo.objective_ms = pb.rpo->count();
    rep.rpo = rpo;
    problems.push_back("objectives.rpo is set but no step captured backupTime");
  }
  if (result.outcome != ProcedureOutcome::Passed) problems.insert(problems.begin(), result.failure);
  if (result.cleanup_failed) {
    for (const auto& s : result.steps)
      if (s.phase == Phase::Cleanup && s.result.status != StepStatus::Passed &&
          s.result.status != StepStatus::Skipped && s.result.status != StepStatus::AlreadyDone) {
        problems.push_back("cleanup/" + s.name + " " + to_string(s.result.status));
        break;
      }
  }
  bool objectives_met = rep.rto.met() && (!rep.rpo || rep.rpo->met());
  if (result.outcome == ProcedureOutcome::Passed && !objectives_met) {
    std::string what = !rep.rto.met() ? "RTO objective missed" : "RPO objective missed";
    // A drill proves the objectives; a restore that brought the data back is not undone by a
    // slow clock or an old backup: it says so and passes.
    if (mode == Mode::Restore)
      console.warning(what + " (a restore is not failed by its objectives; the report says so)");
    else if (pb.enforce == Enforce::Yes)
      problems.push_back(what);
    else
      console.warning(what + " (objectives.enforce is false: the drill still passes)");
  }
  // Any problem fails the run: a failed or interrupted step, a failed cleanup step, an enforced
  // objective missed, a backupTime that is not a time.
  const bool passed =
      result.outcome == ProcedureOutcome::Passed && !result.cleanup_failed && problems.empty();
  rep.status = passed ? "passed" : "failed";
  for (const auto& p : problems)
    rep.reason += (rep.reason.empty() ? "" : "; ") + secrets->redactor.redact(p);

  DrillRecord rec;
  rec.playbook = pb.name;
  rec.mode = verb;
  rec.status = rep.status;
  rec.at = rep.finished_at;
  rec.rto_ms = rep.rto.measured_ms;
  rec.run_id = run_id;
  if (rep.rpo) rec.rpo_ms = rep.rpo->measured_ms;
  if (auto s = store.drill_finished(rec); !s && !result.journal_error)
    result.journal_error = s.error().message;
  std::vector<const DrillRecord*> mine;
  for (const auto& d : journal->state().drills)
    if (d.playbook == pb.name && d.mode == verb) mine.push_back(&d);
  size_t from = mine.size() > 20 ? mine.size() - 20 : 0;
  for (size_t i = from; i < mine.size(); ++i)
    rep.trend.push_back({mine[i]->at, mine[i]->status, mine[i]->rto_ms, mine[i]->rpo_ms});

  bool report_failed = false;
  std::string report_dir = o.report_dir.empty() ? paths.reports() : o.report_dir;
  std::string base = report_dir + "/" + pb.name + "-" + run_id;
  if (std::error_code rec_ec; !fs::create_directories(report_dir, rec_ec) && rec_ec) {
    log_error(report_dir + ": cannot create the report folder: " + rec_ec.message());
    report_failed = true;
  } else {
    const std::vector<std::pair<std::string, std::string>> files{
        {".json", json_dump(drill_report_json(rep), 2) + "\n"},
        {".md", drill_report_markdown(rep)},
        {".junit.xml", drill_report_junit(rep)}};
    for (const auto& [ext, text] : files) {
      if (auto s = write_file_atomic(base + ext, text); !s) {
        log_error(s.error().message);
        report_failed = true;
      }
    }
  }
  if (!o.metrics_file.empty()) {
    int64_t now_s =
        std::chrono::duration_cast<std::chrono::seconds>(finished_at.time_since_epoch()).count();
    if (auto s = write_file_atomic(o.metrics_file, drill_metrics(rep, now_s)); !s) {
      log_error(s.error().message);
      report_failed = true;
    }
  }
  auto shown = [](int64_t ms) {  // to the 100 ms above a second, exact below
    return format_duration(Millis(ms >= 1000 ? ms / 100 * 100 : ms));
  };
  std::string rto_text = rep.rto.measured_ms ? shown(*rep.rto.measured_ms) : "-";
  std::string line = verb + " '" + pb.name + "': " + rep.status + ", RTO " + rto_text;
  if (rep.rto.objective_ms)
    line += " (objective " + format_duration(Millis(*rep.rto.objective_ms)) + ")";
  if (rep.rpo && rep.rpo->measured_ms)
    line += ", RPO " + format_duration(Millis(*rep.rpo->measured_ms / 1000 * 1000));
  if (!rep.reason.empty()) line += ": " + terminal_text(rep.reason);
  for (const auto& s : result.steps)
    if (s.result.status == StepStatus::Failed)
      console.info("  " + std::string(to_string(s.phase)) + "/" + s.name + ": " +
                   terminal_text(secrets->redactor.redact(with_last_line(s.result))) + " (log " +
                   s.result.log + ")");
  console.info(line);
  if (!report_failed) console.info("report: " + base + ".md (.json, .junit.xml)");
  if (result.journal_error) {
    log_error("the journal could not be written (" + *result.journal_error +
              "); the run stopped. Free space or fix the state folder, then run again.");
    return kExitFailed;
  }
  if (result.outcome == ProcedureOutcome::Interrupted || interrupt.stopping())
    return kExitInterrupted;
  if (!passed || report_failed) return kExitFailed;
  return kExitOk;
}

}  // namespace gw
