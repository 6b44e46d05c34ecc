// Scheduling from measured durations (plan/schedule.h): EWMA, weights, critical path, the policy's
// simulation; the journal's duration histories; the executor's start order with a fake clock and
// a fake runner (the long-job case), and per-tool limits.
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <thread>

#include "plan/planner.h"
#include "plan/schedule.h"
#include "run/executor.h"
#include "run/journal.h"
#include "run/redactor.h"
#include "run_fakes.h"
#include "test_support.h"

using gwtest::AnyTool;
using gwtest::project_of;
using gwtest::run_step;

namespace {

gw::Plan plan_of(const gw::Project& project, const gw::Checkpoints& cp) {
  gw::Diagnostics diags;
  auto graph = gw::StageGraph::build(project.stages, diags);
  REQUIRE(graph);
  auto plan = gw::make_plan(
      project, *graph, {}, cp,
      gw::preview_scope(project, cp,
                        [](const std::string&) { return std::optional<std::string>(); }),
      diags);
  REQUIRE(plan.ok());
  return std::move(plan).value();
}

/// Twelve 0.5 s stages and one 3 s stage, all independent; the long one last in plan order.
gw::Project long_job_project() {
  std::vector<std::string> names;
  for (int i = 1; i <= 12; ++i) names.push_back((i < 10 ? "s0" : "s") + std::to_string(i));
  names.push_back("zlong");
  gw::Project p = project_of(names, 0);
  for (auto& st : p.stages) st.steps.push_back(run_step("run", "/bin/" + st.name));
  return p;
}

int64_t true_ms(const std::string& stage) {
  return stage == "zlong" ? 3000 : 500;
}

size_t index_of(const gw::Plan& p, const std::string& name) {
  for (size_t i = 0; i < p.stages.size(); ++i)
    if (p.stages[i].stage->name == name) return i;
  FAIL("no stage " << name);
  return 0;
}

/// The makespan of the plan's priorities with the true durations, on `jobs` slots.
double makespan(const gw::Plan& p, int jobs) {
  std::vector<gw::StagePhase> phase(p.stages.size(), gw::StagePhase::Pending);
  std::vector<double> left;
  for (const auto& s : p.stages) left.push_back(static_cast<double>(true_ms(s.stage->name)));
  return gw::simulate(p, jobs, phase, left);
}

}  // namespace

TEST_CASE("the EWMA weighs the latest run by alpha and keeps the last few") {
  CHECK_FALSE(gw::ewma({}));
  CHECK(*gw::ewma({1000}) == Approx(1000));
  CHECK(*gw::ewma({1000, 2000}) == Approx(1500));
  CHECK(*gw::ewma({1000, 2000, 2000}) == Approx(1750));
  std::vector<int64_t> h;
  for (int i = 0; i < 20; ++i) gw::remember_duration(h, i);
  REQUIRE(h.size() == gw::kDurationsKept);
  CHECK(h.front() == 20 - static_cast<int64_t>(gw::kDurationsKept));
  CHECK(h.back() == 19);
}

TEST_CASE("expected durations: a stage's own history, else its steps', else the measured mean") {
  gw::Project p = project_of({"a", "b:a", "c:a", "d:b,c"}, 2);
  gw::Checkpoints cp;
  cp.durations.stages["a"] = {100, 300};      // ewma 200
  cp.durations.stages["b"] = {4000};          // b: 4000
  cp.durations.steps["c/s0"] = {1000, 1000};  // c: 1000 + one step at the mean (200+4000)/4
  auto plan = plan_of(p, cp);
  REQUIRE(plan.weights_measured);
  CHECK(*plan.find("a")->expected_ms == Approx(200));
  CHECK(*plan.find("b")->expected_ms == Approx(4000));
  CHECK(*plan.find("c")->expected_ms == Approx(1000 + 1050));
  CHECK(*plan.find("d")->expected_ms == Approx(2100));  // two steps at the mean
  CHECK(plan.critical_path == std::vector<std::string>{"a", "b", "d"});
  CHECK(plan.critical_ms == Approx(200 + 4000 + 2100));
  CHECK(plan.find("b")->remaining > plan.find("c")->remaining);

  // Nothing measured: step counts, no expectations.
  auto unmeasured = plan_of(p, {});
  CHECK_FALSE(unmeasured.weights_measured);
  CHECK_FALSE(unmeasured.find("a")->expected_ms);
  CHECK(unmeasured.critical_ms == Approx(6));
}

TEST_CASE("the simulated policy: the long job first makes the optimum, last does not") {
  gw::Project p = long_job_project();
  auto first = plan_of(p, {});  // no history: equal weights, plan order
  CHECK(makespan(first, 2) == Approx(6000));
  gw::Checkpoints cp;
  for (const auto& s : p.stages) cp.durations.stages[s.name] = {true_ms(s.name)};
  auto second = plan_of(p, cp);
  CHECK(second.critical_path == std::vector<std::string>{"zlong"});
  CHECK(second.critical_ms == Approx(3000));
  CHECK(makespan(second, 2) == Approx(4500));
  // A running stage keeps its slot for what is left of it.
  std::vector<gw::StagePhase> phase(second.stages.size(), gw::StagePhase::Finished);
  std::vector<double> left(second.stages.size(), 0);
  size_t z = index_of(second, "zlong");
  phase[z] = gw::StagePhase::Running;
  left[z] = 1000;
  phase[0] = phase[1] = gw::StagePhase::Pending;
  left[0] = left[1] = 500;
  CHECK(gw::simulate(second, 2, phase, left) == Approx(1000));  // both on the other slot
  phase[2] = gw::StagePhase::Pending;
  left[2] = 500;
  CHECK(gw::simulate(second, 2, phase, left) == Approx(1500));
}

TEST_CASE("the journal keeps duration histories through compaction and resets") {
  gwtest::TempDir dir;
  std::string path = (dir.path() / "journal.jsonl").string();
  std::vector<std::string> warnings;
  auto j = gw::Journal::open(path, &warnings);
  REQUIRE(j.ok());
  for (int ms : {100, 300})
    REQUIRE(
        j->append({{"t", "stage_end"}, {"stage", "a"}, {"status", "passed"}, {"durationMs", ms}})
            .ok());
  // A run where every step was already done, and a failure: neither says how long it takes.
  REQUIRE(j->append({{"t", "stage_end"},
                     {"stage", "a"},
                     {"status", "passed"},
                     {"durationMs", 1},
                     {"ran", false}})
              .ok());
  REQUIRE(j->append({{"t", "stage_end"}, {"stage", "a"}, {"status", "failed"}, {"durationMs", 9}})
              .ok());
  REQUIRE(j->append({{"t", "step_end"},
                     {"stage", "a"},
                     {"step", "s"},
                     {"status", "passed"},
                     {"durationMs", 70}})
              .ok());
  REQUIRE(j->compact().ok());
  REQUIRE(j->append({{"t", "reset"}}).ok());
  auto st = gw::read_journal(path, &warnings);
  REQUIRE(st.ok());
  CHECK(st->checkpoints.stages.empty());
  CHECK(st->checkpoints.durations.stages.at("a") == std::vector<int64_t>{100, 300});
  CHECK(st->checkpoints.durations.steps.at("a/s") == std::vector<int64_t>{70});
}

namespace {

/// Each thread's own fake time: a command "takes" its duration on the thread that runs it, so
/// a stage's measured duration is exactly its commands' whatever else runs meanwhile.
thread_local int64_t fake_now_ms = 0;
std::chrono::steady_clock::time_point fake_now() {
  return std::chrono::steady_clock::time_point(std::chrono::milliseconds(fake_now_ms));
}

class TimedRunner : public gw::CommandRunner {
 public:
  gw::ProcessResult run(const gw::ProcessSpec& spec, const gw::Interrupt&) override {
    {
      std::lock_guard<std::mutex> lock(mu);
      int now = ++active[spec.program];
      peak[spec.program] = std::max(peak[spec.program], now);
      events.push_back("start " + spec.program);
    }
    auto slash = spec.program.rfind('/');
    fake_now_ms += true_ms(spec.program.substr(slash + 1));
    if (real_ms.count(spec.program))
      std::this_thread::sleep_for(std::chrono::milliseconds(real_ms[spec.program]));
    std::lock_guard<std::mutex> lock(mu);
    --active[spec.program];
    events.push_back("end " + spec.program);
    gw::ProcessResult r;
    r.outcome = gw::Outcome::Exited;
    r.exit_code = 0;
    return r;
  }
  std::mutex mu;
  std::map<std::string, int> active, peak;
  std::map<std::string, int> real_ms;  // program -> real sleep
  std::vector<std::string> events;
};

class Quiet : public gwtest::QuietListener {
 public:
  void estimate(gw::Millis left) override { estimates.push_back(left); }
  std::vector<gw::Millis> estimates;
};

struct ScheduleHarness {
  explicit ScheduleHarness(gw::Project proj) : project(std::move(proj)) {
    std::vector<std::string> warnings;
    auto opened = gw::Journal::open((dir.path() / "journal.jsonl").string(), &warnings);
    REQUIRE(opened.ok());
    journal.emplace(std::move(opened).value());
  }

  /// An `apply --fresh` at `jobs`: every step runs, the measured durations weigh the stages.
  gw::RunReport run(int jobs, gw::Plan& plan, gw::ToolLimits* limits = nullptr) {
    gw::Checkpoints cp;
    cp.durations = journal->state().checkpoints.durations;
    plan = plan_of(project, cp);
    gw::CheckpointStore store(*journal, "test", {&secrets, {}});
    gw::Outputs outputs({}, gw::sensitive_outputs(project), &redactor);
    gw::RunContext ctx;
    ctx.project = &project;
    ctx.store = &store;
    ctx.outputs = &outputs;
    ctx.runner = &runner;
    ctx.tools = &tools;
    gw::GateProber prober(runner, project.inventory, tools, &redactor);
    ctx.prober = &prober;
    ctx.listener = &listener;
    ctx.interrupt = &interrupt;
    ctx.redactor = &redactor;
    ctx.secrets = &secrets;
    ctx.log_dir = dir.path().string();
    ctx.policy.fresh = true;
    ctx.clock = fake_now;
    ctx.limits = limits;
    gw::ExecOptions opts;
    opts.jobs = jobs;
    return gw::execute_plan(plan, ctx, opts);
  }

  gwtest::TempDir dir;
  gw::Project project;
  std::optional<gw::Journal> journal;
  TimedRunner runner;
  AnyTool tools{project.inventory};
  Quiet listener;
  gw::Interrupt interrupt;
  gw::Redactor redactor;
  std::map<std::string, std::string> secrets;
};

}  // namespace

TEST_CASE("long job: with measured durations the 3 s stage starts first at -j2 on the second run") {
  ScheduleHarness h(long_job_project());
  gw::Plan first;
  auto r1 = h.run(2, first);
  REQUIRE_FALSE(r1.failed);
  REQUIRE(r1.start_order.size() == 13);
  // No history: equal weights, plan order; the long stage starts last.
  CHECK(first.stages[r1.start_order.back()].stage->name == "zlong");
  CHECK(h.listener.estimates.empty());  // nothing measured: no estimate
  // The fake clock measured each stage's own duration.
  const auto& d = h.journal->state().checkpoints.durations;
  CHECK(d.stages.at("zlong") == std::vector<int64_t>{3000});
  CHECK(d.stages.at("s01") == std::vector<int64_t>{500});

  gw::Plan second;
  auto r2 = h.run(2, second);
  REQUIRE_FALSE(r2.failed);
  CHECK(second.stages[r2.start_order.front()].stage->name == "zlong");
  CHECK(second.critical_ms == Approx(3000));
  CHECK(makespan(second, 2) == Approx(4500));
  CHECK(makespan(first, 2) > 4500 * 1.05);
  // An estimate from the same figures: the optimum, when the run began.
  REQUIRE_FALSE(h.listener.estimates.empty());
  CHECK(h.listener.estimates.front().count() >= 4490);
  CHECK(h.listener.estimates.front().count() <= 4500);
}

TEST_CASE("a tool limit holds that tool's steps back without blocking the others") {
  gw::Project p = project_of({"h1", "h2", "h3", "k"}, 0);
  for (auto& st : p.stages)
    st.steps.push_back(run_step("run", st.name == "k" ? "/bin/k" : "/bin/helmish"));
  ScheduleHarness h(std::move(p));
  h.runner.real_ms["/bin/helmish"] = 40;
  gw::ToolLimits limits({{"/bin/helmish", 1}});
  gw::Plan plan;
  auto r = h.run(2, plan, &limits);
  REQUIRE_FALSE(r.failed);
  CHECK(h.runner.peak["/bin/helmish"] == 1);
  CHECK(limits.in_use("/bin/helmish") == 0);
  // k (last in plan order, 2 jobs) ran while the limited steps waited their turn: it ended
  // before the second helmish started.
  auto& ev = h.runner.events;
  auto k_end = std::find(ev.begin(), ev.end(), "end /bin/k");
  auto second = std::find(std::find(ev.begin(), ev.end(), "start /bin/helmish") + 1, ev.end(),
                          "start /bin/helmish");
  REQUIRE(k_end != ev.end());
  CHECK(k_end < second);
}

TEST_CASE("a stage's slot waits for its fdatasync when a dependent it makes ready goes first") {
  // a (0.5 s) -> zlong (3 s); b (0.5 s) is ready from the start. At -j1, when a ends, its slot
  // could go to b during the journal's fdatasync; but zlong, which a's end makes ready, has the
  // longer remaining path: once durations are measured it starts next, as the policy says.
  gw::Project p = project_of({"a", "b", "zlong:a"}, 0);
  for (auto& st : p.stages) st.steps.push_back(run_step("run", "/bin/" + st.name));
  ScheduleHarness h(std::move(p));
  gw::Plan first;
  auto r1 = h.run(1, first);
  REQUIRE_FALSE(r1.failed);
  auto names = [](const gw::Plan& plan, const gw::RunReport& r) {
    std::vector<std::string> out;
    for (size_t i : r.start_order) out.push_back(plan.stages[i].stage->name);
    return out;
  };
  // No history: b and zlong weigh the same; plan order puts b first (it started during a's sync).
  CHECK(names(first, r1) == std::vector<std::string>{"a", "b", "zlong"});
  gw::Plan second;
  auto r2 = h.run(1, second);
  REQUIRE_FALSE(r2.failed);
  CHECK(names(second, r2) == std::vector<std::string>{"a", "zlong", "b"});
}
