#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "plan/playbook_plan.h"
#include "report/drill_report.h"
#include "report/xml_text.h"
#include "run/journal.h"
#include "run/playbook_runner.h"

using gw::Millis;
using SysClock = std::chrono::system_clock;

namespace {

gw::PhaseStepResult at(gw::Phase phase, int start_ms, int end_ms,
                       gw::StepStatus status = gw::StepStatus::Passed) {
  gw::PhaseStepResult r;
  r.phase = phase;
  r.name = "s";
  r.result.status = status;
  r.started = SysClock::time_point(std::chrono::milliseconds(start_ms));
  r.ended = SysClock::time_point(std::chrono::milliseconds(end_ms));
  return r;
}

gw::Playbook playbook() {
  gw::Playbook pb;
  pb.name = "pb";
  gw::Param target;
  target.name = "target";
  target.required = true;
  gw::Param suffix;
  suffix.name = "suffix";
  suffix.default_value = gw::Text{"${params.middle}-drill", {}};
  gw::Param middle;
  middle.name = "middle";
  middle.default_value = gw::Text{"${params.target}-x", {}};
  gw::Param pw;
  pw.name = "password";
  pw.secret = "pw";
  pb.params = {target, suffix, middle, pw};
  return pb;
}

}  // namespace

TEST_CASE("RTO runs from the first step's start to the last passing verify step's end") {
  using gw::Phase;
  std::vector<gw::PhaseStepResult> steps{at(Phase::Steps, 1000, 3000), at(Phase::Steps, 3000, 5000),
                                         at(Phase::Verify, 5000, 9000),
                                         at(Phase::Cleanup, 9000, 20000)};
  CHECK(gw::measure_rto(steps) == Millis(8000));
  steps.pop_back();
  steps.pop_back();
  CHECK(gw::measure_rto(steps) == Millis(4000));  // no verify: the last step
  steps.push_back(at(Phase::Verify, 5000, 9000, gw::StepStatus::Failed));
  CHECK_FALSE(gw::measure_rto(steps).has_value());  // a failed verify: not recovered
  CHECK_FALSE(gw::measure_rto({}).has_value());
  std::vector<gw::PhaseStepResult> done{at(Phase::Steps, 0, 1, gw::StepStatus::AlreadyDone),
                                        at(Phase::Verify, 1, 50)};
  CHECK(gw::measure_rto(done) == Millis(50));
}

TEST_CASE("RTO of a run that applied needed stages starts with them") {
  using gw::Phase;
  std::vector<gw::PhaseStepResult> steps{at(Phase::Steps, 60000, 61000),
                                         at(Phase::Verify, 61000, 65000),
                                         at(Phase::Cleanup, 65000, 70000)};
  CHECK(gw::measure_rto(steps, SysClock::time_point(std::chrono::milliseconds(1000))) ==
        Millis(64000));
  steps[1] = at(Phase::Verify, 61000, 65000, gw::StepStatus::Failed);
  CHECK_FALSE(gw::measure_rto(steps, SysClock::time_point{}).has_value());
}

TEST_CASE("RFC 3339 times parse with fractions and offsets") {
  auto t = gw::parse_rfc3339("2026-12-01T10:00:00Z");
  REQUIRE(t);
  CHECK(gw::format_rfc3339(*t) == "2026-12-01T10:00:00Z");
  auto off = gw::parse_rfc3339("2026-12-01T11:00:00.250+01:00");
  REQUIRE(off);
  CHECK(std::chrono::duration_cast<Millis>(*off - *t) == Millis(250));
  for (const char* bad : {"", "2026-12-01", "2026-12-01T10:00:00", "2026-13-01T10:00:00Z",
                          "2026-12-01T10:00:00Zjunk", "yesterday"})
    CHECK_FALSE(gw::parse_rfc3339(bad).has_value());
}

TEST_CASE("params: defaults in any order, required, unknown and secret ones refused") {
  gw::Playbook pb = playbook();
  gw::RenderScope base;
  auto v = gw::resolve_params(pb, {"target=shop"}, base);
  REQUIRE(v);
  CHECK(v->values.at("suffix") == "shop-x-drill");
  CHECK(v->secrets.at("password") == "pw");
  CHECK_FALSE(v->values.count("password"));
  auto missing = gw::resolve_params(pb, {}, base);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("needs --param target") != std::string::npos);
  auto unknown = gw::resolve_params(pb, {"target=a", "sufix=b"}, base);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message.find("did you mean 'suffix'") != std::string::npos);
  auto secret = gw::resolve_params(pb, {"target=a", "password=b"}, base);
  REQUIRE_FALSE(secret);
  CHECK(secret.error().message.find("never from the command line") != std::string::npos);
  CHECK_FALSE(gw::resolve_params(pb, {"target"}, base));
  auto given = gw::resolve_params(pb, {"target=a", "suffix=mine"}, base);
  REQUIRE(given);
  CHECK(given->values.at("suffix") == "mine");
}

TEST_CASE("params: a secret param's inventory secret is checked when the playbook runs") {
  gw::Playbook pb = playbook();
  gw::Inventory inv;
  inv.name = "lab";
  gw::RenderScope base;
  base.inventory = &inv;
  auto undefined = gw::resolve_params(pb, {"target=a"}, base);
  REQUIRE_FALSE(undefined);
  CHECK(undefined.error().message.find("param 'password' of playbook 'pb' is secret 'pw', which "
                                       "inventory 'lab' does not define") != std::string::npos);
  inv.secrets["pw"] = gw::SecretSource{};
  auto defined = gw::resolve_params(pb, {"target=a"}, base);
  REQUIRE(defined);
  CHECK(defined->secrets.at("password") == "pw");
}

TEST_CASE("objectives: met within, missed beyond or unmeasured") {
  gw::Objective o;
  CHECK(o.met());  // no objective
  o.objective_ms = 1000;
  CHECK_FALSE(o.met());  // not measured
  o.measured_ms = 1000;
  CHECK(o.met());
  o.measured_ms = 1001;
  CHECK_FALSE(o.met());
}

TEST_CASE("drill reports: JSON fields, JUnit failures escaped, metrics") {
  gw::DrillReport r;
  r.inventory = "home";
  r.playbook = "etcd";
  r.mode = "drill";
  r.run_id = "20261201T000000Z-1";
  r.status = "failed";
  r.params = {{"target", "a<b"}, {"password", "<secret:pw>"}};
  r.steps = {{"steps", "save", "passed", 1, 1200, ""},
             {"verify", "keys", "failed", 3, 50, "saw \"0\" & <nothing>"}};
  r.rto.objective_ms = 60000;
  r.rpo = gw::Objective{7200000, 3600000};
  r.backup_time = "2026-12-01T00:00:00Z";
  r.trend = {{"2026-11-30T00:00:00Z", "passed", 1000, std::nullopt},
             {"2026-12-01T00:00:00Z", "failed", std::nullopt, 7200000}};
  auto j = gw::drill_report_json(r);
  CHECK(j["rto"]["measuredMs"].is_null());
  CHECK(j["rto"]["objectiveMs"] == 60000);
  CHECK(j["rto"]["met"] == false);
  CHECK(j["rpo"]["backupTime"] == "2026-12-01T00:00:00Z");
  CHECK(j["rpo"]["met"] == false);
  CHECK(j["steps"][1]["message"] == "saw \"0\" & <nothing>");
  CHECK(j["trend"][1]["rpoMs"] == 7200000);
  std::string x = gw::drill_report_junit(r);
  CHECK(x.find("saw &quot;0&quot; &amp; &lt;nothing&gt;") != std::string::npos);
  CHECK(x.find("failures=\"3\"") != std::string::npos);  // verify, rto, rpo
  CHECK(x.find("value=\"a&lt;b\"") != std::string::npos);
  std::string md = gw::drill_report_markdown(r);
  CHECK(md.find("| 2026-11-30T00:00:00Z | passed | 1s | - |") != std::string::npos);
  std::string m = gw::drill_metrics(r, 1764547200);
  CHECK(m.find("groundwork_drill_success{inventory=\"home\",playbook=\"etcd\"} 0\n") !=
        std::string::npos);
  CHECK(m.find("groundwork_drill_rpo_seconds{inventory=\"home\",playbook=\"etcd\"} 7200.000\n") !=
        std::string::npos);
  CHECK(m.find("groundwork_drill_rto_seconds") == std::string::npos);  // not measured
  CHECK(m.find("groundwork_drill_last_run_timestamp_seconds{inventory=\"home\",playbook=\"etcd\"} "
               "1764547200\n") != std::string::npos);
  CHECK(gw::xml_escape(std::string("a\x01") + "b") == "ab");
}

TEST_CASE("drill reports: a passed step's captured output in JSON, Markdown and JUnit") {
  gw::DrillReport r;
  r.playbook = "restic";
  r.status = "passed";
  gw::ReportStep compare{"verify", "compare-live", "passed", 1, 10, ""};
  compare.output_name = "differences";
  compare.output = "1 differ: a|b.txt";
  r.steps = {{"steps", "prepare", "passed", 1, 10, ""}, compare};
  auto j = gw::drill_report_json(r);
  CHECK_FALSE(j["steps"][0].contains("output"));
  CHECK(j["steps"][1]["output"]["name"] == "differences");
  CHECK(j["steps"][1]["output"]["value"] == "1 differ: a|b.txt");
  CHECK(gw::drill_report_markdown(r).find("| differences: 1 differ: a b.txt |") !=
        std::string::npos);
  CHECK(gw::drill_report_junit(r).find("<system-out>differences: 1 differ: a|b.txt</system-out>") !=
        std::string::npos);
}

TEST_CASE("--force names playbook phases and steps, or stages") {
  gw::Playbook pb = playbook();
  gw::Step b;
  b.name = "b";
  pb.steps = {b};
  auto split = gw::split_playbook_force(pb, {"pb:steps/b", "pb:verify", "base", "base/go"});
  REQUIRE(split);
  CHECK(*split == std::vector<std::string>{"base", "base/go"});
  auto bad_step = gw::split_playbook_force(pb, {"pb:steps/bb"});
  REQUIRE_FALSE(bad_step);
  CHECK(bad_step.error().message.find("did you mean 'b'") != std::string::npos);
  CHECK_FALSE(gw::split_playbook_force(pb, {"pb:stepz"}));
}

TEST_CASE("drill_end records round-trip through the journal state, RTO and RPO optional") {
  gw::DrillRecord d{"etcd", "drill", "passed", "2026-12-01T00:00:00Z", 1500, "run-1", 60000};
  gw::DrillRecord none{"etcd",       "drill", "failed",    "2026-12-02T00:00:00Z",
                       std::nullopt, "run-2", std::nullopt};
  gw::JournalState st;
  gw::apply_record(gw::drill_record_json(d), st);
  gw::apply_record(gw::drill_record_json(none), st);
  REQUIRE(st.drills.size() == 2);
  CHECK(st.drills[0].rto_ms == 1500);
  CHECK(st.drills[0].rpo_ms == 60000);
  CHECK(st.drills[0].run_id == "run-1");
  CHECK_FALSE(st.drills[1].rto_ms.has_value());
  CHECK_FALSE(st.drills[1].rpo_ms.has_value());
  CHECK(st.drills[1].status == "failed");
}
