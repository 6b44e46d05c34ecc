#include "run/executor.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <thread>

#include "plan/schedule.h"

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
    case StageOutcome::Drifted:
      return "drifted";
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

/// One stage being run on a worker.
class StageRun {
 public:
  StageRun(const PlannedStage& ps, const RunContext& ctx, const ExecOptions& opts)
      : ps_(ps), ctx_(ctx), opts_(opts), started_(now()) {
    rep_.name = ps.stage->name;
  }
  StageReport run();

 private:
  Clock::time_point now() const { return ctx_.clock ? ctx_.clock() : Clock::now(); }
  std::optional<WhenState> when_now();
  StageReport done(StageOutcome o);
  StageReport failed(const std::string& what, const StepResult& r);
  /// Runs every step; a report when the stage ends there (failed, interrupted, journal broken).
  std::optional<StageReport> run_steps(std::vector<StepDecision>& steps);
  /// Probes every gate once (--verify); the gate that failed and what it saw, if one did.
  std::optional<std::pair<std::string, StepResult>> probe_gates();
  /// Polls every gate, then journals the stage as passed.
  StageReport finish(const std::vector<StepDecision>& steps, CheckpointStore::StepsRan ran);
  /// Journals the stage as passed.
  StageReport passed(const std::vector<StepDecision>& steps, CheckpointStore::StepsRan ran);

  const PlannedStage& ps_;
  const RunContext& ctx_;
  const ExecOptions& opts_;
  const Clock::time_point started_;
  StageReport rep_;
  bool drifted_ = false;  // recorded as drifted: a failed step keeps it so (its steps run again)
};

StageReport StageRun::done(StageOutcome o) {
  rep_.outcome = o;
  rep_.duration = std::chrono::duration_cast<Millis>(now() - started_);
  return rep_;
}

StageReport StageRun::failed(const std::string& what, const StepResult& r) {
  rep_.failed_step = what;
  rep_.failure = r;
  bool interrupted = r.status == StepStatus::Interrupted;
  // A drifted stage whose repair stopped in a step stays drifted: its steps all run again next
  // time, not just the one that failed.
  bool in_steps = !what.starts_with("gate ");
  RecordStatus status = drifted_ && in_steps ? RecordStatus::Drifted
                        : interrupted        ? RecordStatus::Interrupted
                                             : RecordStatus::Failed;
  auto s = ctx_.store->stage_finished(ps_.stage->name, ps_.spec_key, status,
                                      std::chrono::duration_cast<Millis>(now() - started_));
  (void)s;  // the store remembers it is broken; the scheduler stops the run
  return done(interrupted ? StageOutcome::Interrupted : StageOutcome::Failed);
}

/// The stage's `when` with the outputs known now (a plan-time "at run time" is decided here).
std::optional<WhenState> StageRun::when_now() {
  if (!ps_.stage->when) return WhenState::True;
  auto outputs = ctx_.outputs->snapshot();
  RenderScope scope = run_scope(ctx_, &outputs);
  auto w = evaluate_when(*ps_.stage->when, scope);
  if (!w) {
    failed("when", {StepStatus::Failed, w.error().located()});
    return std::nullopt;
  }
  return *w;
}

std::optional<StageReport> StageRun::run_steps(std::vector<StepDecision>& steps) {
  steps.clear();
  for (const auto& pstep : ps_.steps) {
    if (ctx_.interrupt->stopping()) return done(StageOutcome::Interrupted);
    if (ctx_.store->broken()) return done(StageOutcome::NotStarted);
    StepResult r = run_step(ctx_, ps_.stage->name, *pstep.step);
    if (r.status == StepStatus::Failed || r.status == StepStatus::Interrupted)
      return failed(pstep.step->name, r);
    StepDecision d;
    d.action = r.status == StepStatus::AlreadyDone ? StepAction::SkipDone
               : r.status == StepStatus::Skipped   ? StepAction::SkipWhen
                                                   : StepAction::Run;
    steps.push_back(d);
  }
  return std::nullopt;
}

std::optional<std::pair<std::string, StepResult>> StageRun::probe_gates() {
  for (const auto& gate : ps_.stage->gates) {
    StepResult r = run_gate(ctx_, ps_.stage->name, gate, GateWait::ProbeOnce);
    if (r.status != StepStatus::Passed) return std::make_pair("gate " + gate.name, r);
  }
  return std::nullopt;
}

StageReport StageRun::finish(const std::vector<StepDecision>& steps,
                             CheckpointStore::StepsRan ran) {
  for (const auto& gate : ps_.stage->gates) {
    if (ctx_.store->broken()) return done(StageOutcome::NotStarted);
    StepResult r = run_gate(ctx_, ps_.stage->name, gate);
    if (r.status != StepStatus::Passed) return failed("gate " + gate.name, r);
  }
  return passed(steps, ran);
}

StageReport StageRun::passed(const std::vector<StepDecision>& steps,
                             CheckpointStore::StepsRan ran) {
  if (std::any_of(steps.begin(), steps.end(),
                  [](const StepDecision& x) { return x.action == StepAction::Run; }))
    ran = CheckpointStore::StepsRan::Some;
  auto s = ctx_.store->stage_finished(ps_.stage->name, ps_.spec_key, RecordStatus::Passed,
                                      std::chrono::duration_cast<Millis>(now() - started_), ran);
  if (!s) {
    rep_.failed_step = "journal";
    rep_.failure = {StepStatus::Failed, "cannot write the journal: " + s.error().message};
    return done(StageOutcome::Failed);
  }
  return done(ran == CheckpointStore::StepsRan::Some ? StageOutcome::Passed
                                                     : StageOutcome::AlreadyDone);
}

StageReport StageRun::run() {
  auto when = when_now();
  if (!when) return rep_;
  std::vector<StepDecision> steps;
  StageFacts facts;
  facts.when = *when;
  facts.spec_key = ps_.spec_key;
  facts.verify =
      opts_.verify == Verify::Yes || opts_.repair == Repair::Yes ? Verify::Yes : Verify::No;
  if (*when == WhenState::False) {
    ctx_.listener->decided(ps_.stage->name, "", "skip (when): when is false");
    return done(StageOutcome::Skipped);
  }
  auto before = ctx_.store->stage(ps_.stage->name);
  drifted_ = stage_drift(before ? &*before : nullptr) == StageDrift::Yes;
  if (auto ended = run_steps(steps)) return *ended;
  auto last = ctx_.store->stage(ps_.stage->name);
  facts.steps = &steps;
  facts.last = last ? &*last : nullptr;
  StageDecision d = decide_stage(facts);
  ctx_.listener->decided(ps_.stage->name, "", std::string(to_string(d.action)) + ": " + d.reason);
  if (d.action == StageAction::SkipDone) return done(StageOutcome::AlreadyDone);
  if (d.action != StageAction::Verify) return finish(steps, CheckpointStore::StepsRan::None);

  // --verify: every step is done; one probe of each gate says whether the stage drifted.
  if (ctx_.store->broken()) return done(StageOutcome::NotStarted);
  auto drift = probe_gates();
  if (!drift) return passed(steps, CheckpointStore::StepsRan::None);
  auto& [what, r] = *drift;
  if (r.status == StepStatus::Interrupted) return failed(what, r);
  if (auto s = ctx_.store->stage_finished(ps_.stage->name, ps_.spec_key, RecordStatus::Drifted,
                                          std::chrono::duration_cast<Millis>(now() - started_));
      !s) {
    rep_.failed_step = "journal";
    rep_.failure = {StepStatus::Failed, "cannot write the journal: " + s.error().message};
    return done(StageOutcome::Failed);
  }
  drifted_ = true;
  if (opts_.repair == Repair::No) {
    rep_.failed_step = what;
    rep_.failure = r;
    rep_.failure.message = "drifted: " + r.message +
                           ". Repair it with `groundwork apply --repair` (re-runs its steps, then "
                           "its gates); a plain `apply` repairs it too";
    return done(StageOutcome::Drifted);
  }
  ctx_.listener->warning(ps_.stage->name + " drifted (" + what + ": " + r.message +
                         "); repairing (--repair): its steps run again");
  if (auto ended = run_steps(steps)) return *ended;
  return finish(steps, CheckpointStore::StepsRan::Some);
}

/// Runs a stage on a worker thread; nothing it throws escapes.
StageReport run_stage(const PlannedStage& ps, const RunContext& ctx, const ExecOptions& opts) {
  try {
    return StageRun(ps, ctx, opts).run();
  } catch (const std::exception& e) {
    StageReport rep;
    rep.name = ps.stage->name;
    rep.outcome = StageOutcome::Failed;
    rep.failed_step = "internal error";
    rep.failure = {StepStatus::Failed, std::string("internal error: ") + e.what()};
    return rep;
  }
}

}  // namespace

RunReport execute_plan(const Plan& plan, const RunContext& ctx, const ExecOptions& opts) {
  const size_t n = plan.stages.size();
  // Counts of unfinished needs within the plan; the plan's graph says who waits on whom.
  std::vector<size_t> waiting_on(n, 0);
  for (size_t i = 0; i < n; ++i) waiting_on[i] = plan.stages[i].need_index.size();

  RunReport report;
  report.stages.resize(n);
  for (size_t i = 0; i < n; ++i) report.stages[i].name = plan.stages[i].stage->name;
  auto by_priority = [&](size_t a, size_t b) {  // max-heap on remaining path, then plan order
    if (plan.stages[a].remaining != plan.stages[b].remaining)
      return plan.stages[a].remaining < plan.stages[b].remaining;
    return a > b;
  };
  // Where each stage is and when it started: for the estimate of the time left.
  std::vector<StagePhase> phase(n, StagePhase::Pending);
  std::vector<Clock::time_point> began(n);
  std::vector<size_t> ready;
  for (size_t i = 0; i < n; ++i)
    if (waiting_on[i] == 0) ready.push_back(i);
  std::make_heap(ready.begin(), ready.end(), by_priority);

  std::mutex mu;
  std::condition_variable cv;       // workers: a task, the end; take_back: a free job slot
  std::condition_variable main_cv;  // the loop below: the last stage ended
  std::deque<size_t> tasks;         // stages handed to the workers
  bool closing = false;             // no more tasks: workers exit
  size_t running = 0;               // stages holding a job slot
  size_t in_flight = 0;             // stages started and not finished (some may wait for a tool)
  size_t busy = 0;                  // workers running a stage
  size_t returning = 0;             // stages waiting to take a job slot back (they go first)
  bool stop_starting = false;
  const int jobs = std::max(1, opts.jobs);
  std::vector<std::thread> workers;
  std::function<void()> worker;

  // Marks everything downstream of a stage that did not succeed as blocked, through the same
  // decision as plan: a stage whose `when` is false is skipped, not blocked.
  std::function<void(size_t, const std::string&)> block = [&](size_t i, const std::string& by) {
    for (size_t d : plan.stages[i].dependent_index) {
      StageReport& rep = report.stages[d];
      if (rep.outcome == StageOutcome::Blocked || rep.outcome == StageOutcome::Skipped) continue;
      phase[d] = StagePhase::Finished;  // will not run
      StageFacts facts;
      facts.when = plan.stages[d].when;
      facts.blocked_by = by;
      StageDecision decision = decide_stage(facts);
      if (decision.action == StageAction::SkipWhen) {
        rep.outcome = StageOutcome::Skipped;
        ctx.listener->step_finished(rep.name, "", StepStatus::Skipped, "when is false");
      } else {
        rep.outcome = StageOutcome::Blocked;
        rep.blocked_by = by;
        ctx.listener->step_finished(rep.name, "", StepStatus::Skipped, "blocked: needs " + by);
      }
      block(d, rep.outcome == StageOutcome::Blocked ? rep.name : by);
    }
  };

  // Hands ready stages to the workers, highest priority first, while job slots are free (stages
  // taking a lent slot back go first). Called with mu held, by whoever freed a slot or made a
  // stage ready: a worker that finished a stage usually takes the next one itself, with no
  // thread switch in between. Returns how many it handed out.
  auto dispatch = [&]() -> size_t {
    if (ctx.interrupt->stopping() || ctx.store->broken()) stop_starting = true;
    size_t handed = 0;
    while (!stop_starting && !ready.empty() && static_cast<int>(running + returning) < jobs) {
      std::pop_heap(ready.begin(), ready.end(), by_priority);
      size_t i = ready.back();
      ready.pop_back();
      ++running;
      ++in_flight;
      report.start_order.push_back(i);
      phase[i] = StagePhase::Running;
      began[i] = Clock::now();
      tasks.push_back(i);
      ++handed;
      if (busy + tasks.size() > workers.size()) workers.emplace_back(worker);
    }
    return handed;
  };

  // A stage ended (mu held): its dependents become ready, or are blocked.
  auto settle = [&](size_t i, bool synced) {
    phase[i] = StagePhase::Finished;
    if (!synced) stop_starting = true;
    if (!satisfied(report.stages[i].outcome)) {
      if (report.stages[i].outcome == StageOutcome::Failed && opts.keep_going == KeepGoing::No)
        stop_starting = true;
      block(i, report.stages[i].name);
      return;
    }
    for (size_t d : plan.stages[i].dependent_index) {
      if (--waiting_on[d] == 0 && report.stages[d].outcome != StageOutcome::Blocked) {
        ready.push_back(d);
        std::push_heap(ready.begin(), ready.end(), by_priority);
      }
    }
  };

  // Whether a stage that i's end makes ready goes before every stage ready now (mu held): then
  // i's job slot waits for it.
  auto unblocks_first = [&](size_t i) {
    for (size_t d : plan.stages[i].dependent_index)
      if (waiting_on[d] == 1 && report.stages[d].outcome != StageOutcome::Blocked &&
          (ready.empty() || by_priority(ready.front(), d)))
        return true;
    return false;
  };

  // A step waiting for its tool (run/tool_limits.h) lends its stage's job slot meanwhile.
  struct SlotLender : ToolLimits::Lender {
    std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(*mu); }
    std::mutex* mu = nullptr;
    std::function<void()> on_lend;  // mu held
    std::function<void(std::unique_lock<std::mutex>&)> on_take_back;
    void lend() override {
      auto l = lock();
      on_lend();
    }
    void take_back() override {
      auto l = lock();
      on_take_back(l);
    }
  } lender;
  lender.mu = &mu;
  lender.on_lend = [&] {
    --running;
    if (dispatch() > 0) cv.notify_all();
  };
  lender.on_take_back = [&](std::unique_lock<std::mutex>& l) {
    ++returning;
    cv.wait(l, [&] { return static_cast<int>(running) < jobs; });
    --returning;
    ++running;
  };
  if (ctx.limits) ctx.limits->set_lender(&lender);

  // A pool of workers that live for the whole run, taking one stage at a time: `jobs` of them,
  // one more whenever every worker is busy (stages waiting for a tool hold theirs).
  worker = [&] {
    std::unique_lock<std::mutex> l(mu);
    for (;;) {
      cv.wait(l, [&] { return closing || !tasks.empty(); });
      if (tasks.empty()) return;
      size_t i = tasks.front();
      tasks.pop_front();
      ++busy;
      l.unlock();
      StageReport rep = run_stage(plan.stages[i], ctx, opts);
      // Durability: a stage's records are on disk before a stage that needs it starts. Its job
      // slot may be given out before that, to a stage that was ready already (started on another
      // worker during the fdatasync) — unless a dependent it makes ready goes first.
      bool synced = true;
      l.lock();
      --running;
      if (satisfied(rep.outcome) && !plan.stages[i].dependent_index.empty()) {
        if (!unblocks_first(i) && (dispatch() > 0 || returning > 0)) cv.notify_all();
        l.unlock();
        synced = static_cast<bool>(ctx.store->sync());
        l.lock();
      }
      report.stages[i] = std::move(rep);
      --in_flight;
      --busy;
      settle(i, synced);
      // The next stage, if any, is this worker's own (tasks.front() below): others are woken
      // only for the rest, and a stage waiting to take a lent slot back for the one freed here.
      size_t handed = dispatch();
      if (handed > 1 || returning > 0) cv.notify_all();
      if (in_flight == 0) main_cv.notify_all();
    }
  };
  std::unique_lock<std::mutex> lock(mu);
  const size_t pool = std::min<size_t>(static_cast<size_t>(jobs), std::max<size_t>(n, 1));
  for (size_t w = 0; w < pool; ++w) workers.emplace_back(worker);

  // The estimate of the time left (plan/schedule.h), once durations were measured.
  Clock::time_point last_estimate;
  auto estimate = [&](Clock::time_point now) {
    std::vector<double> left(n);
    for (size_t i = 0; i < n; ++i) {
      double w = plan.stages[i].weight;
      double ran = std::chrono::duration<double, std::milli>(now - began[i]).count();
      left[i] = phase[i] == StagePhase::Running ? std::max(0.0, w - ran) : w;
    }
    ctx.listener->estimate(Millis(std::llround(simulate(plan, jobs, phase, left))));
    last_estimate = now;
  };

  // The workers run the graph; this thread starts it, watches for interruptions (no new starts)
  // and refreshes the estimate.
  if (dispatch() > 0) cv.notify_all();
  for (;;) {
    if (ctx.interrupt->stopping() || ctx.store->broken()) stop_starting = true;
    if (in_flight == 0) {
      if (ready.empty() || stop_starting) break;
      if (dispatch() > 0) cv.notify_all();  // (a worker hands out what it makes ready)
    }
    if (plan.weights_measured && !stop_starting) {
      auto now = Clock::now();
      if (last_estimate == Clock::time_point{} || now - last_estimate >= std::chrono::seconds(1))
        estimate(now);
    }
    main_cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return in_flight == 0; });
  }
  closing = true;
  cv.notify_all();
  lock.unlock();
  for (auto& t : workers) t.join();
  if (ctx.limits) ctx.limits->set_lender(nullptr);

  for (const auto& s : report.stages) {
    if (s.outcome == StageOutcome::Failed || s.outcome == StageOutcome::Drifted ||
        s.outcome == StageOutcome::Blocked)
      report.failed = true;
    if (s.outcome == StageOutcome::Interrupted) report.interrupted = true;
  }
  if (ctx.interrupt->stopping()) report.interrupted = true;
  if (auto s = ctx.store->sync(); !s) report.journal_error = s.error().message;
  if (report.journal_error) report.failed = true;
  if (std::any_of(report.stages.begin(), report.stages.end(),
                  [](const StageReport& s) { return s.outcome == StageOutcome::NotStarted; }) &&
      !report.interrupted)
    report.failed = true;
  return report;
}

}  // namespace gw
