// The decision function (plan/decision.h) over a table of cases: what plan shows and what apply
// does come from this one function, so every row here holds for both.
#include <catch2/catch.hpp>

#include "plan/decision.h"
#include "run/step_runner.h"

using gw::PlanStatus;
using gw::RecordStatus;
using gw::StepAction;
using gw::WhenState;

namespace {

gw::StepRecord record(RecordStatus status, const std::string& key, bool maybe_applied = false) {
  gw::StepRecord r;
  r.status = status;
  r.key = key;
  r.spec_key = key;
  r.maybe_applied = maybe_applied;
  r.started_at = "2026-12-01T00:00:00.000Z";
  r.parts.spec = "spec-" + key;
  return r;
}

struct Row {
  const char* name;
  WhenState when;
  std::optional<gw::StepRecord> last;
  gw::Repeat repeat;
  gw::Force force;
  StepAction action;
  PlanStatus status;
};

}  // namespace

TEST_CASE("decide_step: the table of cases") {
  using gw::Force;
  using gw::Repeat;
  const std::string key = "K";
  const std::vector<Row> rows = {
      {"fresh: never ran", WhenState::True, std::nullopt, Repeat::Idempotent, Force::No,
       StepAction::Run, PlanStatus::Pending},
      {"done under the same key", WhenState::True, record(RecordStatus::Passed, "K"),
       Repeat::Idempotent, Force::No, StepAction::SkipDone, PlanStatus::Done},
      {"passed under another key: changed", WhenState::True, record(RecordStatus::Passed, "old"),
       Repeat::Idempotent, Force::No, StepAction::Run, PlanStatus::Changed},
      {"failed: runs again", WhenState::True, record(RecordStatus::Failed, "K"), Repeat::Idempotent,
       Force::No, StepAction::Run, PlanStatus::Failed},
      {"interrupted: runs again", WhenState::True, record(RecordStatus::Interrupted, "K"),
       Repeat::Idempotent, Force::No, StepAction::Run, PlanStatus::Pending},
      {"start without end (crash): runs again", WhenState::True, record(RecordStatus::Running, "K"),
       Repeat::Idempotent, Force::No, StepAction::Run, PlanStatus::Pending},
      {"once, interrupted: needs --force", WhenState::True, record(RecordStatus::Interrupted, "K"),
       Repeat::Once, Force::No, StepAction::NeedsForce, PlanStatus::Pending},
      {"once, crashed mid-run: needs --force", WhenState::True, record(RecordStatus::Running, "K"),
       Repeat::Once, Force::No, StepAction::NeedsForce, PlanStatus::Pending},
      {"once, timed out: needs --force", WhenState::True, record(RecordStatus::Failed, "K", true),
       Repeat::Once, Force::No, StepAction::NeedsForce, PlanStatus::Failed},
      {"once, failed cleanly (exit 1): runs again", WhenState::True,
       record(RecordStatus::Failed, "K"), Repeat::Once, Force::No, StepAction::Run,
       PlanStatus::Failed},
      {"once, interrupted, forced", WhenState::True, record(RecordStatus::Interrupted, "K"),
       Repeat::Once, Force::Yes, StepAction::Run, PlanStatus::Pending},
      {"when true", WhenState::True, std::nullopt, Repeat::Idempotent, Force::No, StepAction::Run,
       PlanStatus::Pending},
      {"when false beats a record", WhenState::False, record(RecordStatus::Failed, "K"),
       Repeat::Idempotent, Force::No, StepAction::SkipWhen, PlanStatus::Skipped},
      {"when false beats --force", WhenState::False, std::nullopt, Repeat::Idempotent, Force::Yes,
       StepAction::SkipWhen, PlanStatus::Skipped},
      {"when undecided: at run time", WhenState::AtRunTime, record(RecordStatus::Passed, "K"),
       Repeat::Idempotent, Force::No, StepAction::AtRunTime, PlanStatus::Done},
      {"forced although done", WhenState::True, record(RecordStatus::Passed, "K"),
       Repeat::Idempotent, Force::Yes, StepAction::Run, PlanStatus::Done},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    gw::StepFacts f;
    f.when = row.when;
    f.last = row.last ? &*row.last : nullptr;
    f.key = key;
    f.repeat = row.repeat;
    f.force = row.force;
    auto d = gw::decide_step(f);
    CHECK(d.action == row.action);
    CHECK(d.status == row.status);
    CHECK_FALSE(d.reason.empty());
  }
}

TEST_CASE("decide_step: a changed key says what changed") {
  gw::StepRecord last = record(RecordStatus::Passed, "old");
  last.parts.spec = "S";
  last.parts.files = {{"/v/a.yaml", "1"}, {"/v/gone.yaml", "2"}};
  last.parts.secrets = {{"token", "f1"}};
  last.parts.outputs = {{"pipe.ip", "o1"}};
  gw::KeyParts now;
  now.spec = "S";
  now.files = {{"/v/a.yaml", "9"}, {"/v/new.yaml", "3"}};
  now.secrets = {{"token", "f2"}};
  now.outputs = {{"pipe.ip", "o1"}};
  gw::StepFacts f;
  f.last = &last;
  f.key = "new";
  f.parts = &now;
  auto d = gw::decide_step(f);
  CHECK(d.status == PlanStatus::Changed);
  CHECK(d.action == StepAction::Run);
  CHECK(d.changed_by == std::vector<std::string>{"file:/v/a.yaml", "file:/v/gone.yaml",
                                                 "file:/v/new.yaml", "secret:token"});
  gw::StepRecord old_journal = record(RecordStatus::Passed, "old");
  old_journal.parts = {};
  f.last = &old_journal;
  CHECK(gw::decide_step(f).changed_by == std::vector<std::string>{"spec"});
}

TEST_CASE("decide_step: a done step whose captured output is sensitive runs again") {
  gw::StepRecord last = record(RecordStatus::Passed, "K");
  gw::StepFacts f;
  f.last = &last;
  f.key = "K";
  f.output_kept = gw::OutputKept::No;
  auto d = gw::decide_step(f);
  CHECK(d.action == StepAction::Run);
  CHECK(d.status == PlanStatus::Done);
}

TEST_CASE("decide_stage: when, blocked, done, verify") {
  using gw::StageAction;
  gw::StageRecord passed;
  passed.status = RecordStatus::Passed;
  passed.spec_key = "S";
  gw::StepDecision done;
  done.action = StepAction::SkipDone;
  done.status = PlanStatus::Done;
  gw::StepDecision runs;
  runs.action = StepAction::Run;
  runs.status = PlanStatus::Changed;
  std::vector<gw::StepDecision> all_done{done, done}, one_runs{done, runs};

  gw::StageFacts f;
  f.steps = &all_done;
  f.last = &passed;
  f.spec_key = "S";
  CHECK(gw::decide_stage(f).action == StageAction::SkipDone);
  CHECK(gw::decide_stage(f).status == PlanStatus::Done);
  f.verify = gw::Verify::Yes;  // done: its gates are probed once, for drift
  CHECK(gw::decide_stage(f).action == StageAction::Verify);
  CHECK(gw::decide_stage(f).status == PlanStatus::Done);
  f.verify = gw::Verify::No;
  f.steps = &one_runs;
  CHECK(gw::decide_stage(f).action == StageAction::Run);
  CHECK(gw::decide_stage(f).status == PlanStatus::Changed);
  f.spec_key = "other";
  f.steps = &all_done;
  CHECK(gw::decide_stage(f).action == StageAction::Run);
  CHECK(gw::decide_stage(f).status == PlanStatus::Changed);

  f.blocked_by = "metallb";
  CHECK(gw::decide_stage(f).action == StageAction::Blocked);
  f.when = WhenState::False;  // a stage whose when is false is skipped, never blocked
  CHECK(gw::decide_stage(f).action == StageAction::SkipWhen);
  CHECK(gw::decide_stage(f).status == PlanStatus::Skipped);
  f.when = WhenState::AtRunTime;
  CHECK(gw::decide_stage(f).action == StageAction::Blocked);
  f.blocked_by.clear();
  CHECK(gw::decide_stage(f).action == StageAction::AtRunTime);
}

TEST_CASE("decide_step: a done step of a drifted stage runs again, a `once` step does not") {
  gw::StepRecord last = record(RecordStatus::Passed, "K");
  gw::StepFacts f;
  f.last = &last;
  f.key = "K";
  f.stage_drift = gw::StageDrift::Yes;
  auto d = gw::decide_step(f);
  CHECK(d.action == StepAction::Run);
  CHECK(d.status == PlanStatus::Done);
  CHECK(d.reason.find("drifted") != std::string::npos);
  f.repeat = gw::Repeat::Once;  // never again by itself: --force decides
  CHECK(gw::decide_step(f).action == StepAction::SkipDone);
  f.repeat = gw::Repeat::Idempotent;
  f.when = WhenState::False;  // a false `when` still wins
  CHECK(gw::decide_step(f).action == StepAction::SkipWhen);
  f.when = WhenState::True;
  f.stage_drift = gw::StageDrift::No;
  CHECK(gw::decide_step(f).action == StepAction::SkipDone);
}

TEST_CASE("decide_stage: a drifted stage runs its steps again, under --verify or not") {
  using gw::StageAction;
  gw::StageRecord drifted;
  drifted.status = RecordStatus::Drifted;
  drifted.spec_key = "S";
  CHECK(gw::stage_drift(&drifted) == gw::StageDrift::Yes);
  CHECK(gw::stage_drift(nullptr) == gw::StageDrift::No);
  gw::StageRecord passed = drifted;
  passed.status = RecordStatus::Passed;
  CHECK(gw::stage_drift(&passed) == gw::StageDrift::No);

  gw::StepDecision again;  // what decide_step says for its done steps (above)
  again.action = StepAction::Run;
  again.status = PlanStatus::Done;
  gw::StepDecision once_done;
  once_done.action = StepAction::SkipDone;
  once_done.status = PlanStatus::Done;
  std::vector<gw::StepDecision> steps{again, once_done}, only_once{once_done};
  gw::StageFacts f;
  f.steps = &steps;
  f.last = &drifted;
  f.spec_key = "S";
  for (auto verify : {gw::Verify::No, gw::Verify::Yes}) {
    f.verify = verify;
    auto d = gw::decide_stage(f);
    CHECK(d.action == StageAction::Run);
    CHECK(d.status == PlanStatus::Drifted);
    CHECK(d.reason.find("drifted") != std::string::npos);
  }
  f.steps = &only_once;  // every step `once` and done: its gates are polled again, not probed
  CHECK(gw::decide_stage(f).action == StageAction::Run);
  CHECK(std::string(gw::to_string(PlanStatus::Drifted)) == "drifted");
  CHECK(gw::parse_record_status("drifted") == RecordStatus::Drifted);
  CHECK(std::string(gw::to_string(RecordStatus::Drifted)) == "drifted");

  // A stage whose `when` is false is skipped even when the stage it needs drifted or failed.
  f.when = WhenState::False;
  f.blocked_by = "traefik";
  CHECK(gw::decide_stage(f).action == StageAction::SkipWhen);
  CHECK(gw::decide_stage(f).status == PlanStatus::Skipped);
}

TEST_CASE("evaluate_when: the operator is found outside ${…}, never in a value") {
  std::map<std::string, std::string> vars{
      {"token", "YWJjZA=="}, {"platform", "talos"}, {"yes", "True"}, {"neq", "a!=b"}};
  std::map<std::string, std::string> outputs{{"pipe.kind", "k3s"}};
  gw::RenderScope scope;
  scope.vars = &vars;
  scope.outputs = &outputs;
  auto when = [&](const std::string& raw) { return gw::evaluate_when({raw, {}}, scope); };
  CHECK(*when("${vars.token} == YWJjZA==") == WhenState::True);
  CHECK(*when("${vars.token}==YWJjZA==") == WhenState::True);
  CHECK(*when("${vars.token} != YWJjZA==") == WhenState::False);
  CHECK(*when("${vars.platform} == talos") == WhenState::True);
  CHECK(*when("${vars.platform} != talos") == WhenState::False);
  CHECK(*when("${vars.neq} == a!=b") == WhenState::True);
  CHECK(*when("${vars.yes}") == WhenState::True);
  CHECK(*when("false") == WhenState::False);
  CHECK(*when("${stages.pipe.outputs.kind} == talos") == WhenState::False);
  CHECK(*when("${stages.other.outputs.kind} == talos") == WhenState::AtRunTime);
  CHECK_FALSE(when("${vars.token}").ok());
  CHECK_FALSE(when("maybe").ok());
}

TEST_CASE("checkpoint_key: secrets extend the spec key, as journals always did") {
  gw::KeyParts p;
  CHECK(gw::checkpoint_key("abc", p, {}) == "abc");
  p.secrets["token"] = "f1";
  std::string with_secret = gw::checkpoint_key("abc", p, {});
  CHECK(with_secret != "abc");
  p.secrets["token"] = "f2";
  CHECK(gw::checkpoint_key("abc", p, {}) != with_secret);
  p.outputs["a.pw"] = "o1";
  std::string with_sensitive = gw::checkpoint_key("abc", p, {"a.pw"});
  p.outputs["a.pw"] = "o2";
  CHECK(gw::checkpoint_key("abc", p, {"a.pw"}) != with_sensitive);
}

TEST_CASE("log files: names that differ never share a file") {
  CHECK(gw::log_path("/l", "a.b", "c") != gw::log_path("/l", "a", "b.c"));
  CHECK(gw::log_path("/l", "s", "look") == "/l/s.look.log");
  CHECK(gw::gate_log_path("/l", "s", "x") != gw::log_path("/l", "s", "x.gate"));
  CHECK(gw::log_path("/l", "pb:steps", "x") == "/l/pb%3Asteps.x.log");
}
