#include "run/executor.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <thread>

namespace gw {

using Clock = std::chrono::steady_clock;

const char* to_string(StageOutcome o) {
  switch (o) {
    case StageOutcome::Passed: return "passed";
    case StageOutcome::AlreadyDone: return "done";
    case StageOutcome::Skipped: return "skipped";
    case StageOutcome::Failed: return "failed";
    case StageOutcome::Blocked: return "blocked";
    case StageOutcome::Interrupted: return "interrupted";
    case StageOutcome::NotStarted: return "not started";
  }
  return "?";
}

namespace {

bool satisfied(StageOutcome o) {
  return o == StageOutcome::Passed || o == StageOutcome::AlreadyDone || o == StageOutcome::Skipped;
}

void journal_stage(const RunContext& ctx, const PlannedStage& ps, const char* status, Millis d) {
  std::lock_guard<std::mutex> lock(*ctx.journal_mu);
  auto s = ctx.journal->append({{"t", "stage_end"}, {"stage", ps.stage->name},
                                {"specKey", ps.spec_key}, {"status", status},
                                {"durationMs", d.count()}, {"run", ctx.run_id}});
  if (!s) ctx.listener->warning("journal: " + s.error().message);
}

bool stage_recorded_done(const RunContext& ctx, const PlannedStage& ps) {
  std::lock_guard<std::mutex> lock(*ctx.journal_mu);
  const auto& stages = ctx.journal->state().checkpoints.stages;
  auto it = stages.find(ps.stage->name);
  return it != stages.end() && it->second.status == RecordStatus::Passed &&
         it->second.spec_key == ps.spec_key;
}

StageReport run_stage(const PlannedStage& ps, const RunContext& ctx, const ExecOptions& opts) {
  StageReport rep;
  rep.name = ps.stage->name;
  auto started = Clock::now();
  auto done = [&](StageOutcome o) {
    rep.outcome = o;
    rep.duration = std::chrono::duration_cast<Millis>(Clock::now() - started);
    return rep;
  };
  if (ps.status == PlanStatus::Skipped) return done(StageOutcome::Skipped);
  bool all_done = true;
  for (const auto& pstep : ps.steps) {
    if (ctx.interrupt->stopping()) return done(StageOutcome::Interrupted);
    StepResult r = run_step(ctx, ps.stage->name, *pstep.step);
    if (r.status == StepStatus::Failed || r.status == StepStatus::Interrupted) {
      rep.failed_step = pstep.step->name;
      rep.failure = r;
      bool interrupted = r.status == StepStatus::Interrupted;
      journal_stage(ctx, ps, interrupted ? "interrupted" : "failed",
                    std::chrono::duration_cast<Millis>(Clock::now() - started));
      return done(interrupted ? StageOutcome::Interrupted : StageOutcome::Failed);
    }
    if (r.status != StepStatus::AlreadyDone && r.status != StepStatus::Skipped) all_done = false;
  }
  if (all_done && opts.verify == Verify::No && stage_recorded_done(ctx, ps))
    return done(StageOutcome::AlreadyDone);
  for (const auto& gate : ps.stage->gates) {
    StepResult r = run_gate(ctx, ps.stage->name, gate);
    if (r.status != StepStatus::Passed) {
      rep.failed_step = "gate " + gate.name;
      rep.failure = r;
      bool interrupted = r.status == StepStatus::Interrupted;
      journal_stage(ctx, ps, interrupted ? "interrupted" : "failed",
                    std::chrono::duration_cast<Millis>(Clock::now() - started));
      return done(interrupted ? StageOutcome::Interrupted : StageOutcome::Failed);
    }
  }
  journal_stage(ctx, ps, "passed", std::chrono::duration_cast<Millis>(Clock::now() - started));
  return done(all_done ? StageOutcome::AlreadyDone : StageOutcome::Passed);
}

}  // namespace

RunReport execute_plan(const Plan& plan, const RunContext& ctx, const ExecOptions& opts) {
  const size_t n = plan.stages.size();
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < n; ++i) index[plan.stages[i].stage->name] = i;
  std::vector<std::vector<size_t>> needs(n);
  for (size_t i = 0; i < n; ++i)
    for (const auto& need : plan.stages[i].needs)
      if (auto it = index.find(need); it != index.end()) needs[i].push_back(it->second);

  enum class State { Waiting, Running, Finished };
  std::vector<State> state(n, State::Waiting);
  RunReport report;
  report.stages.resize(n);
  for (size_t i = 0; i < n; ++i) report.stages[i].name = plan.stages[i].stage->name;

  std::mutex mu;
  std::condition_variable cv;
  size_t running = 0;
  bool stop_starting = false;
  std::vector<std::thread> threads;
  int jobs = std::max(1, opts.jobs);

  std::unique_lock<std::mutex> lock(mu);
  for (;;) {
    if (ctx.interrupt->stopping()) stop_starting = true;
    // Block the stages whose needs failed; collect the ready ones.
    std::vector<size_t> ready;
    bool progress = true;
    while (progress) {
      progress = false;
      for (size_t i = 0; i < n; ++i) {
        if (state[i] != State::Waiting) continue;
        bool all = true;
        for (size_t d : needs[i]) {
          if (state[d] != State::Finished) {
            all = false;
            continue;
          }
          if (!satisfied(report.stages[d].outcome)) {
            state[i] = State::Finished;
            report.stages[i].outcome = StageOutcome::Blocked;
            report.stages[i].blocked_by = plan.stages[d].stage->name;
            ctx.listener->step_finished(plan.stages[i].stage->name, "", StepStatus::Skipped,
                                        "blocked: needs " + plan.stages[d].stage->name);
            progress = true;
            all = false;
            break;
          }
        }
        if (all && state[i] == State::Waiting) ready.push_back(i);
      }
    }
    std::sort(ready.begin(), ready.end(), [&](size_t a, size_t b) {
      return plan.stages[a].remaining > plan.stages[b].remaining;
    });
    for (size_t i : ready) {
      if (stop_starting || static_cast<int>(running) >= jobs) break;
      state[i] = State::Running;
      ++running;
      threads.emplace_back([&, i] {
        StageReport rep = run_stage(plan.stages[i], ctx, opts);
        std::lock_guard<std::mutex> g(mu);
        report.stages[i] = std::move(rep);
        state[i] = State::Finished;
        --running;
        if (report.stages[i].outcome == StageOutcome::Failed && opts.keep_going == KeepGoing::No)
          stop_starting = true;
        cv.notify_all();
      });
    }
    bool waiting = std::any_of(state.begin(), state.end(), [](State s) { return s == State::Waiting; });
    if (running == 0 && (!waiting || stop_starting)) break;
    cv.wait_for(lock, std::chrono::milliseconds(100));
  }
  lock.unlock();
  for (auto& t : threads) t.join();

  for (const auto& s : report.stages) {
    if (s.outcome == StageOutcome::Failed || s.outcome == StageOutcome::Blocked) report.failed = true;
    if (s.outcome == StageOutcome::Interrupted) report.interrupted = true;
  }
  if (ctx.interrupt->stopping()) report.interrupted = true;
  if (std::any_of(report.stages.begin(), report.stages.end(),
                  [](const StageReport& s) { return s.outcome == StageOutcome::NotStarted; }) &&
      !report.interrupted)
    report.failed = true;
  return report;
}

}  // namespace gw
