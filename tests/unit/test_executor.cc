// The scheduler and step runner against a fake CommandRunner: no process is started.
#include <catch2/catch.hpp>
#include <mutex>

#include "run/executor.h"
#include "run/redactor.h"
#include "run_fakes.h"
#include "test_support.h"

using gwtest::AnyTool;
using gwtest::project_of;
using gwtest::run_step;
using Quiet = gwtest::QuietListener;

namespace {

/// Records every command (by its argv[1..] joined) and answers from a script.
class FakeRunner : public gw::CommandRunner {
 public:
  gw::ProcessResult run(const gw::ProcessSpec& spec, const gw::Interrupt&) override {
    std::string what = spec.program;
    std::lock_guard<std::mutex> lock(mu);
    calls.push_back(what);
    gw::ProcessResult r;
    r.outcome = gw::Outcome::Exited;
    auto it = failures.find(what);
    if (it != failures.end() && it->second > 0) {
      --it->second;
      r.exit_code = 1;
      r.output_tail = "boom\n";
    } else {
      r.exit_code = 0;
      r.out = outputs.count(what) ? outputs[what] : "";
    }
    return r;
  }
  std::mutex mu;
  std::vector<std::string> calls;
  std::map<std::string, int> failures;  // program -> how many times to fail
  std::map<std::string, std::string> outputs;
};

/// Every stage's single step runs argv [/bin/<stage>] so calls name their stage.
gw::Project project_with_programs(const std::vector<std::string>& specs) {
  gw::Project p = project_of(specs, 0);
  for (auto& st : p.stages) st.steps.push_back(run_step("run", "/bin/" + st.name));
  return p;
}

struct Harness {
  explicit Harness(gw::Project proj) : project(std::move(proj)) {
    std::vector<std::string> warnings;
    auto opened = gw::Journal::open((dir.path() / "journal.jsonl").string(), &warnings);
    REQUIRE(opened.ok());
    journal.emplace(std::move(opened).value());
  }

  gw::RunReport run(const gw::ExecOptions& opts = {}) {
    gw::Diagnostics diags;
    auto graph = gw::StageGraph::build(project.stages, diags);
    REQUIRE(graph);
    gw::Checkpoints cp = journal->state().checkpoints;
    auto plan = gw::make_plan(
        project, *graph, {}, cp,
        gw::preview_scope(project, cp,
                          [](const std::string&) { return std::optional<std::string>(); }),
        diags);
    REQUIRE(plan);
    gw::CheckpointStore store(*journal, "test", {&secrets, {}});
    gw::Outputs outputs(journal->state().checkpoints.outputs, gw::sensitive_outputs(project),
                        &redactor);
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
    ctx.policy = policy;
    return gw::execute_plan(*plan, ctx, opts);
  }

  gwtest::TempDir dir;
  gw::Project project;
  std::optional<gw::Journal> journal;
  FakeRunner runner;
  AnyTool tools{project.inventory};
  Quiet listener;
  gw::Interrupt interrupt;
  gw::Redactor redactor;
  std::map<std::string, std::string> secrets;
  gw::CheckpointPolicy policy;
};

size_t index_of(const std::vector<std::string>& calls, const std::string& what) {
  auto it = std::find(calls.begin(), calls.end(), what);
  REQUIRE(it != calls.end());
  return static_cast<size_t>(it - calls.begin());
}

gw::StageOutcome outcome(const gw::RunReport& r, const std::string& name) {
  for (const auto& s : r.stages)
    if (s.name == name) return s.outcome;
  FAIL("no stage " << name);
  return gw::StageOutcome::NotStarted;
}

}  // namespace

TEST_CASE("stages run after everything they need") {
  Harness h(project_with_programs({"d:b,c", "b:a", "c:a", "a", "e:d"}));
  auto report = h.run({1});
  CHECK_FALSE(report.failed);
  const auto& calls = h.runner.calls;
  REQUIRE(calls.size() == 5);
  CHECK(index_of(calls, "/bin/a") < index_of(calls, "/bin/b"));
  CHECK(index_of(calls, "/bin/a") < index_of(calls, "/bin/c"));
  CHECK(index_of(calls, "/bin/b") < index_of(calls, "/bin/d"));
  CHECK(index_of(calls, "/bin/c") < index_of(calls, "/bin/d"));
  CHECK(index_of(calls, "/bin/d") < index_of(calls, "/bin/e"));
}

TEST_CASE("a failure blocks what needs it; without keep-going nothing new starts") {
  Harness h(project_with_programs({"a", "b:a", "c:b", "x", "y:x"}));
  h.runner.failures["/bin/a"] = 1;
  // One job at a time, a first (longest remaining path): x and y never start.
  auto report = h.run({1});
  CHECK(report.failed);
  CHECK(outcome(report, "a") == gw::StageOutcome::Failed);
  CHECK(outcome(report, "b") == gw::StageOutcome::Blocked);
  CHECK(outcome(report, "c") == gw::StageOutcome::Blocked);
  CHECK(outcome(report, "x") == gw::StageOutcome::NotStarted);
  CHECK(std::count(h.runner.calls.begin(), h.runner.calls.end(), "/bin/x") == 0);
}

TEST_CASE("with keep-going independent branches finish") {
  Harness h(project_with_programs({"a", "b:a", "c:b", "x", "y:x"}));
  h.runner.failures["/bin/a"] = 1;
  auto report = h.run({1, gw::KeepGoing::Yes});
  CHECK(report.failed);
  CHECK(outcome(report, "b") == gw::StageOutcome::Blocked);
  CHECK(outcome(report, "x") == gw::StageOutcome::Passed);
  CHECK(outcome(report, "y") == gw::StageOutcome::Passed);
}

TEST_CASE("a second run skips every step that passed under the same key") {
  Harness h(project_with_programs({"a", "b:a"}));
  REQUIRE_FALSE(h.run().failed);
  REQUIRE(h.runner.calls.size() == 2);
  auto again = h.run();
  CHECK_FALSE(again.failed);
  CHECK(h.runner.calls.size() == 2);
  CHECK(outcome(again, "a") == gw::StageOutcome::AlreadyDone);
  // A changed step runs again; the other stays done.
  h.project.stages[1].steps[0].body.lists["argv"].push_back(gw::Text{"--changed", {}});
  auto third = h.run();
  CHECK(h.runner.calls.size() == 3);
  CHECK(h.runner.calls.back() == "/bin/b");
  CHECK(outcome(third, "a") == gw::StageOutcome::AlreadyDone);
  // --force reruns a checkpointed step.
  h.policy.force.insert("a");
  h.run();
  CHECK(h.runner.calls.back() == "/bin/a");
}

TEST_CASE("retries run a failing step again with backoff until it passes") {
  Harness h(project_with_programs({"a"}));
  h.project.stages[0].steps[0].retry = {3, gw::Millis(1), 2.0};
  h.runner.failures["/bin/a"] = 2;
  auto report = h.run();
  CHECK_FALSE(report.failed);
  CHECK(h.runner.calls.size() == 3);
  CHECK(h.journal->state().checkpoints.steps.at("a/run").attempts == 3);
}

TEST_CASE("a once step whose last run was interrupted is not repeated without --force") {
  Harness h(project_with_programs({"a"}));
  h.project.stages[0].steps[0].repeat = gw::Repeat::Once;
  // A start record with no end: the previous run died while the step ran.
  auto first = h.run();
  REQUIRE_FALSE(first.failed);
  std::string key = h.journal->state().checkpoints.steps.at("a/run").key;
  REQUIRE(h.journal->append({{"t", "step_start"}, {"stage", "a"}, {"step", "run"}, {"key", key}}));
  auto second = h.run();
  CHECK(second.failed);
  CHECK(h.runner.calls.size() == 1);
  REQUIRE(second.stages[0].failure.message.find("--force a/run") != std::string::npos);
  h.policy.force.insert("a/run");
  CHECK_FALSE(h.run().failed);
  CHECK(h.runner.calls.size() == 2);
}

TEST_CASE("captured output becomes a stage output, persisted in the journal") {
  Harness h(project_with_programs({"a"}));
  auto& step = h.project.stages[0].steps[0];
  step.capture = gw::Capture{"ip", std::string("address=(\\S+)")};
  h.runner.outputs["/bin/a"] = "address=127.0.0.9\n";
  REQUIRE_FALSE(h.run().failed);
  CHECK(h.journal->state().checkpoints.outputs.at("a.ip") == "127.0.0.9");
}
