// The journal reader and writer: torn tails, readers during a run.
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "run/journal.h"
#include "run/lock.h"
#include "test_support.h"

TEST_CASE("a torn last line is a crash only when no run is writing the journal") {
  gwtest::TempDir dir;
  std::string journal = (dir.path() / "journal.jsonl").string();
  std::string lock = (dir.path() / "lock").string();
  std::ofstream(journal) << "{\"groundwork_journal\":1}\n"
                         << R"({"t":"step_end","stage":"a","step":"s","status":"passed"})"
                         << "\n"
                         << R"({"t":"step_start","stage":"a","st)";
  CHECK_FALSE((gw::RunLock::probe(lock) == gw::LockState::Held));
  std::vector<std::string> warnings;
  auto st = gw::read_journal(journal, &warnings, gw::JournalTail::Final);
  REQUIRE(st.ok());
  CHECK(st->checkpoints.steps.at("a/s").status == gw::RecordStatus::Passed);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find("stopped mid-write") != std::string::npos);

  auto held = gw::RunLock::acquire(lock, "apply");
  REQUIRE(held.ok());
  CHECK((gw::RunLock::probe(lock) == gw::LockState::Held));
  warnings.clear();
  st = gw::read_journal(journal, &warnings,
                        (gw::RunLock::probe(lock) == gw::LockState::Held) ? gw::JournalTail::Growing
                                                                          : gw::JournalTail::Final);
  REQUIRE(st.ok());
  CHECK(warnings.empty());
  CHECK(st->checkpoints.steps.at("a/s").status == gw::RecordStatus::Passed);
}

TEST_CASE("journal records carry key parts and maybeApplied through compaction") {
  gwtest::TempDir dir;
  std::string path = (dir.path() / "journal.jsonl").string();
  std::vector<std::string> warnings;
  auto j = gw::Journal::open(path, &warnings);
  REQUIRE(j.ok());
  gw::KeyParts parts;
  parts.spec = "S";
  parts.secrets["token"] = "fp";
  parts.files["/x/values.yaml"] = "h";
  REQUIRE(j->append({{"t", "step_end"},
                     {"stage", "a"},
                     {"step", "once"},
                     {"status", "failed"},
                     {"maybeApplied", true},
                     {"parts", gw::parts_json(parts)}})
              .ok());
  REQUIRE(j->compact().ok());
  auto st = gw::read_journal(path, &warnings);
  REQUIRE(st.ok());
  const auto& rec = st->checkpoints.steps.at("a/once");
  CHECK(rec.maybe_applied);
  CHECK(rec.parts.spec == "S");
  CHECK(rec.parts.secrets.at("token") == "fp");
  CHECK(rec.parts.files.at("/x/values.yaml") == "h");
}

TEST_CASE("a restore is unfinished from its start record to a passed end; a fresh start forgets") {
  gwtest::TempDir dir;
  std::string path = (dir.path() / "journal.jsonl").string();
  std::vector<std::string> warnings;
  auto j = gw::Journal::open(path, &warnings);
  REQUIRE(j.ok());
  auto end = [&](const std::string& status) {
    gw::DrillRecord d;
    d.playbook = "pb";
    d.mode = "restore";
    d.status = status;
    return gw::drill_record_json(d);
  };
  auto step = [](const std::string& unit) {
    return nlohmann::json{{"t", "step_end"}, {"stage", unit}, {"step", "s"}, {"status", "passed"}};
  };
  CHECK(gw::last_restore(j->state(), "pb") == gw::LastRestore::None);
  REQUIRE(j->append(gw::restore_start_json("pb", "r1", gw::Restart::Resume)).ok());
  REQUIRE(j->append(step("pb:steps")).ok());
  REQUIRE(j->append(step("other")).ok());
  CHECK(gw::last_restore(j->state(), "pb") == gw::LastRestore::Unfinished);  // killed here
  REQUIRE(j->compact().ok());
  auto st = gw::read_journal(path, &warnings);
  REQUIRE(st.ok());
  CHECK(gw::last_restore(*st, "pb") == gw::LastRestore::Unfinished);  // compaction keeps it open
  REQUIRE(j->append(end("failed")).ok());
  CHECK(gw::last_restore(j->state(), "pb") == gw::LastRestore::Unfinished);
  REQUIRE(j->append(end("passed")).ok());
  CHECK(gw::last_restore(j->state(), "pb") == gw::LastRestore::Finished);
  CHECK(gw::last_restore(j->state(), "elsewhere") == gw::LastRestore::None);

  REQUIRE(j->append(gw::restore_start_json("pb", "r2", gw::Restart::Fresh)).ok());
  CHECK(gw::last_restore(j->state(), "pb") == gw::LastRestore::Unfinished);
  CHECK(j->state().checkpoints.steps.count("pb:steps/s") == 0);  // the new restore's slate
  CHECK(j->state().checkpoints.steps.count("other/s") == 1);     // nothing else is touched
}

TEST_CASE("the flusher gives a record written after a sync() a pause of its own") {
  using namespace std::chrono_literals;
  gwtest::TempDir dir;
  std::vector<std::string> warnings;
  auto j = gw::Journal::open((dir.path() / "journal.jsonl").string(), &warnings);
  REQUIRE(j.ok());
  j->set_flush_delay(1000ms);
  auto record = [](const char* stage) {
    return nlohmann::json{{"t", "step_start"}, {"stage", stage}, {"step", "s"}};
  };
  // As in a chain of short stages: a start record, the executor's sync() at the stage's end,
  // the next stage's start record — all within the flusher's first pause (which the first record
  // starts: the flusher is given a moment to begin it).
  REQUIRE(j->append(record("a"), gw::Journal::Durability::Deferred).ok());
  std::this_thread::sleep_for(300ms);
  REQUIRE(j->sync().ok());
  REQUIRE(j->append(record("b"), gw::Journal::Durability::Deferred).ok());
  // At the end of that pause a sync() had run: "b" gets a new pause instead of an fdatasync now.
  std::this_thread::sleep_for(1500ms);
  CHECK(j->background_syncs() == 0);
  // ... and is flushed at its end, with no sync() to cover it.
  for (int i = 0; i < 150 && j->background_syncs() == 0; ++i) std::this_thread::sleep_for(20ms);
  CHECK(j->background_syncs() == 1);
}
