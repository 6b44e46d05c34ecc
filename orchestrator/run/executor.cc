#include "run/executor.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <thread>

namespace gw {

using Clock = std::chrono::steady_clock;

const char* to_string(StageOutcome o) {
  switch (o) {
    case StageOutcome::Passed:
      return "passed";
    case StageOutcome::AlreadyDone:
      return "done";
    case StageOutcome::Skipped:
      return "skipped";
    case StageOutcome::Failed:
      return "failed";
    case StageOutcome::Blocked:
      return "blocked";
    case StageOutcome::Interrupted:
      return "interrupted";
    case StageOutcome::NotStarted:
      return "not started";
  }
  return "?";
}

namespace {

bool satisfied(StageOutcome o) {
  return o == StageOutcome::Passed || o == StageOutcome::AlreadyDone || o == StageOutcome::Skipped;
}

void journal_stage(const RunContext& ctx, const PlannedStage& ps, const char* status, Millis d) {
  std::lock_guard<std::mutex> lock(*ctx.journal_mu);
  auto s = ctx.journal->append({{"t", "stage_end"},
                                {"stage", ps.stage->name},
                                {"specKey", ps.spec_key},
                                {"status", status},
                                {"durationMs", d.count()},
                                {"run", ctx.run_id}},
                               Journal::Durability::Deferred);
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
  // Counts of unfinished needs within the plan, and who waits on whom.
  std::vector<size_t> waiting_on(n, 0);
  std::vector<std::vector<size_t>> dependents(n);
  for (size_t i = 0; i < n; ++i)
    for (const auto& need : plan.stages[i].needs)
      if (auto it = index.find(need); it != index.end()) {
        ++waiting_on[i];
        dependents[it->second].push_back(i);
      }

  RunReport report;
  report.stages.resize(n);
  for (size_t i = 0; i < n; ++i) report.stages[i].name = plan.stages[i].stage->name;
  auto by_priority = [&](size_t a, size_t b) {
    return plan.stages[a].remaining < plan.stages[b].remaining;  // max-heap on remaining path
  };
  std::vector<size_t> ready;
  for (size_t i = 0; i < n; ++i)
    if (waiting_on[i] == 0) ready.push_back(i);
  std::make_heap(ready.begin(), ready.end(), by_priority);

  std::mutex mu;
  std::condition_variable cv;
  std::vector<size_t> finished;  // filled by workers, drained by the loop below
  std::deque<size_t> tasks;      // stages handed to the workers
  bool closing = false;          // no more tasks: workers exit
  size_t running = 0;
  bool stop_starting = false;
  const int jobs = std::max(1, opts.jobs);

  // A pool of `jobs` workers that live for the whole run, taking one stage at a time.
  std::vector<std::thread> workers;
  const size_t pool = std::min<size_t>(static_cast<size_t>(jobs), std::max<size_t>(n, 1));
  for (size_t w = 0; w < pool; ++w) {
    workers.emplace_back([&] {
      std::unique_lock<std::mutex> l(mu);
      for (;;) {
        cv.wait(l, [&] { return closing || !tasks.empty(); });
        if (tasks.empty()) return;
        size_t i = tasks.front();
        tasks.pop_front();
        l.unlock();
        StageReport rep = run_stage(plan.stages[i], ctx, opts);
        l.lock();
        report.stages[i] = std::move(rep);
        finished.push_back(i);
        --running;
        cv.notify_all();
      }
    });
  }

  // Marks everything downstream of a stage that did not succeed as blocked.
  std::function<void(size_t, const std::string&)> block = [&](size_t i, const std::string& by) {
    for (size_t d : dependents[i]) {
      if (report.stages[d].outcome == StageOutcome::Blocked) continue;
      report.stages[d].outcome = StageOutcome::Blocked;
      report.stages[d].blocked_by = by;
      ctx.listener->step_finished(report.stages[d].name, "", StepStatus::Skipped,
                                  "blocked: needs " + by);
      block(d, report.stages[d].name);
    }
  };

  std::unique_lock<std::mutex> lock(mu);
  for (;;) {
    for (size_t i : finished) {
      if (!satisfied(report.stages[i].outcome)) {
        if (report.stages[i].outcome == StageOutcome::Failed && opts.keep_going == KeepGoing::No)
          stop_starting = true;
        block(i, report.stages[i].name);
        continue;
      }
      for (size_t d : dependents[i]) {
        if (--waiting_on[d] == 0 && report.stages[d].outcome != StageOutcome::Blocked) {
          ready.push_back(d);
          std::push_heap(ready.begin(), ready.end(), by_priority);
        }
      }
    }
    finished.clear();
    if (ctx.interrupt->stopping()) stop_starting = true;
    while (!stop_starting && !ready.empty() && static_cast<int>(running) < jobs) {
      std::pop_heap(ready.begin(), ready.end(), by_priority);
      size_t i = ready.back();
      ready.pop_back();
      ++running;
      tasks.push_back(i);
      cv.notify_all();
    }
    if (running == 0 && finished.empty() && (ready.empty() || stop_starting)) break;
    cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return !finished.empty(); });
  }
  closing = true;
  cv.notify_all();
  lock.unlock();
  for (auto& t : workers) t.join();

  for (const auto& s : report.stages) {
    if (s.outcome == StageOutcome::Failed || s.outcome == StageOutcome::Blocked)
      report.failed = true;
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
