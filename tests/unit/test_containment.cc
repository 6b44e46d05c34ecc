// Process containment and secret files (issue 7): /proc parsing, group records, stale-group
// membership, rendered files, and the real runner stopping what a command left behind.
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "run/command_runner.h"
#include "run/containment.h"
#include "run/live_groups.h"
#include "run/proc_table.h"
#include "run/rendered_files.h"
#include "run/stale.h"
#include "run/temp_dir.h"
#include "run_fakes.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

/// `/bin/sh -c script` with a 20 s timeout: room for the slower containment cases.
gw::ProcessSpec shell_with_margin(const std::string& script) {
  return gwtest::shell(script, gw::Millis(20000));
}

/// Alive and not a zombie.
bool running(pid_t pid) {
  auto p = gw::read_proc(pid);
  return p && !p->dead();
}

bool eventually_gone(pid_t pid) {
  for (int i = 0; i < 200 && running(pid); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  return !running(pid);
}

/// A `sleep 30` in a session of its own with `env` as its whole environment, as a crashed run's
/// leftover would be; killed and reaped when the object goes.
struct Stray {
  pid_t pid = -1;
  explicit Stray(std::vector<std::string> env) {
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    char arg0[] = "sleep", arg1[] = "30";
    char* argv[] = {arg0, arg1, nullptr};
    if (posix_spawn(&pid, "/bin/sleep", nullptr, &attr, argv, envp.data()) != 0) pid = -1;
    posix_spawnattr_destroy(&attr);
  }
  ~Stray() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      int st = 0;
      ::waitpid(pid, &st, 0);
    }
  }
};

}  // namespace

TEST_CASE("proc stat: fields after a command name with spaces and parentheses", "[containment]") {
  auto p = gw::parse_proc_stat(
      42, "42 (a) b (c) S 7 42 42 0 -1 4194304 101 0 0 0 0 0 0 0 20 0 1 0 24899 3133440 417");
  REQUIRE(p);
  CHECK(p->pid == 42);
  CHECK(p->state == 'S');
  CHECK(p->ppid == 7);
  CHECK(p->pgid == 42);
  CHECK(p->sid == 42);
  CHECK(p->start_ticks == 24899u);
  CHECK_FALSE(p->dead());
  CHECK_FALSE(gw::parse_proc_stat(1, "1 (x) S 0 1"));
  CHECK_FALSE(gw::parse_proc_stat(1, "garbage"));
  auto me = gw::read_proc(::getpid());
  REQUIRE(me);
  CHECK(me->pgid == ::getpgrp());
}

TEST_CASE("environ: exact entries and values", "[containment]") {
  std::string block("A=1\0GROUNDWORK_STEP=1.2.3\0GROUNDWORK_STEPX=9\0", 44);
  CHECK(gw::environ_has(block, "GROUNDWORK_STEP=1.2.3"));
  CHECK_FALSE(gw::environ_has(block, "GROUNDWORK_STEP=1.2"));
  CHECK(gw::environ_value(block, "GROUNDWORK_STEP") == "1.2.3");
  CHECK(gw::environ_value(block, "GROUNDWORK_STEPX") == "9");
  CHECK_FALSE(gw::environ_value(block, "GROUNDWORK"));
  CHECK(gw::environ_value(block, "A") == "1");
}

TEST_CASE("group records: round trip; torn and foreign lines skipped", "[containment]") {
  gw::GroupRecord r;
  r.token = "12.345.6";
  r.pgid = 77;
  r.pid = 77;
  r.start_ticks = 123456;
  r.boot_id = "b";
  r.started_ms = 1000;
  r.timeout_ms = 600000;
  r.step = "job.run-once";
  r.log = "/x/job.run-once.log";
  std::string text =
      gw::format_group_record(r) + "not json\n{\"token\": 1}\n" + gw::format_group_record(r);
  text += gw::format_group_record(r).substr(0, 20);  // torn
  auto got = gw::parse_group_records(text);
  REQUIRE(got.size() == 2);
  CHECK(got[0].token == r.token);
  CHECK(got[0].pgid == 77);
  CHECK(got[0].start_ticks == 123456u);
  CHECK(got[0].timeout_ms == 600000);
  CHECK(got[0].step == "job.run-once");
}

TEST_CASE("stale groups: membership by token, or by group while its leader lives",
          "[containment]") {
  gw::GroupRecord rec;
  rec.token = "T";
  rec.pgid = 100;
  rec.start_ticks = 5000;
  rec.boot_id = "boot";
  auto proc = [](pid_t pid, pid_t pgid, uint64_t start, char state = 'S') {
    gw::ProcInfo p;
    p.pid = pid;
    p.pgid = pgid;
    p.start_ticks = start;
    p.state = state;
    return p;
  };
  std::map<pid_t, std::string> tokens{{201, "T"}, {202, "other"}};
  auto token_of = [&](pid_t pid) -> std::optional<std::string> {
    auto it = tokens.find(pid);
    return it == tokens.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  auto pids = [](const std::vector<gw::ProcInfo>& v) {
    std::vector<pid_t> out;
    for (const auto& p : v) out.push_back(p.pid);
    return out;
  };

  // Leader alive with its start time: the whole group, plus token carriers elsewhere.
  std::vector<gw::ProcInfo> table{proc(100, 100, 5000),      proc(101, 100, 5100),
                                  proc(201, 201, 5200),      proc(202, 202, 5300),
                                  proc(103, 100, 5400, 'Z'), proc(50, 50, 10)};
  CHECK(pids(gw::members_of(rec, table, "boot", token_of)) == std::vector<pid_t>{100, 101, 201});
  // Another boot: start ticks mean nothing.
  CHECK(gw::members_of(rec, table, "other-boot", token_of).empty());
  // Leader gone (killed with groundwork): only token carriers count.
  std::vector<gw::ProcInfo> no_leader{proc(101, 100, 5100), proc(201, 201, 5200)};
  CHECK(pids(gw::members_of(rec, no_leader, "boot", token_of)) == std::vector<pid_t>{201});
  // The pid was recycled as a new group leader: its group is not ours.
  std::vector<gw::ProcInfo> recycled{proc(100, 100, 9000), proc(104, 100, 9100)};
  CHECK(gw::members_of(rec, recycled, "boot", token_of).empty());
  // A process older than the command cannot be its descendant, whatever it carries.
  tokens[60] = "T";
  std::vector<gw::ProcInfo> older{proc(60, 60, 4000)};
  CHECK(gw::members_of(rec, older, "boot", token_of).empty());
}

TEST_CASE("rendered files: below the run's folder, private, removed with the object",
          "[containment]") {
  gwtest::TempDir dir;
  std::string base = (dir.path() / "runs/r1/secrets").string();
  gw::FileInput f;
  f.source = "/stages/manifests/creds.tmpl.yaml";
  f.content = std::make_shared<const std::string>("password: hunter2\n");
  f.rendered = true;
  std::string folder;
  {
    gw::RenderedFiles files(base);
    auto path = files.write(f, 3);
    REQUIRE(path);
    folder = files.dir();
    CHECK(fs::path(*path).parent_path() == fs::path(folder));
    CHECK(fs::path(folder).parent_path() == fs::path(base));
    CHECK(fs::path(*path).filename() == "3-creds.tmpl.yaml");
    struct stat st {};
    REQUIRE(::stat(path->c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    REQUIRE(::stat(folder.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    REQUIRE(::stat(base.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    std::ifstream in(*path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(text == "password: hunter2\n");
  }
  CHECK_FALSE(fs::exists(folder));
  gw::RenderedFiles nowhere("");
  auto r = nowhere.write(f, 0);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("creds.tmpl.yaml") != std::string::npos);
}

TEST_CASE("owned temp folders: the owner in the name; only dead owners' folders swept",
          "[containment]") {
  using gw::temp_dir_owner;
  auto o = temp_dir_owner("groundwork-diff-123-4567-4026531836-aB3xYz", "groundwork-diff");
  REQUIRE(o);
  CHECK(o->pid == 123);
  CHECK(o->start_ticks == 4567);
  CHECK(o->pid_ns == 4026531836u);
  CHECK_FALSE(temp_dir_owner("groundwork-diff-aB3xYz", "groundwork-diff"));  // no owner
  CHECK_FALSE(temp_dir_owner("groundwork-diff-0-1-2-aB3xYz", "groundwork-diff"));
  CHECK_FALSE(temp_dir_owner("groundwork-diff-1-2-3-aB3xYzz", "groundwork-diff"));
  CHECK_FALSE(temp_dir_owner("groundwork-diff-1--3-aB3xYz", "groundwork-diff"));
  CHECK_FALSE(temp_dir_owner("groundwork-diffx-1-2-3-aB3xYz", "groundwork-diff"));

  gwtest::TempDir dir;
  const char* old_tmpdir = std::getenv("TMPDIR");
  std::optional<std::string> saved =
      old_tmpdir ? std::optional<std::string>(old_tmpdir) : std::nullopt;
  ::setenv("TMPDIR", dir.path().c_str(), 1);
  std::string mine;
  {
    auto own = gw::OwnedTempDir::create("gw-test");
    REQUIRE(own);
    mine = own->path();
    struct stat st {};
    REQUIRE(::stat(mine.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    auto me = temp_dir_owner(fs::path(mine).filename().string(), "gw-test");
    REQUIRE(me);
    CHECK(me->pid == ::getpid());
    CHECK(gw::process_alive(me->pid, me->start_ticks));
    CHECK_FALSE(gw::process_alive(me->pid, me->start_ticks + 1));  // a recycled pid
    std::string ns = std::to_string(gw::pid_namespace_id());
    std::string recycled = "gw-test-" + std::to_string(::getpid()) + "-" +
                           std::to_string(me->start_ticks + 1) + "-" + ns + "-aaaaaa";
    std::string foreign_ns =
        "gw-test-99999999-1-" + std::to_string(gw::pid_namespace_id() + 1) + "-bbbbbb";
    fs::create_directories(dir.path() / recycled / "sub");
    fs::create_directories(dir.path() / foreign_ns);
    fs::create_directories(dir.path() / "gw-test-cccccc");
    auto swept = gw::sweep_dead_owner_temp_dirs(dir.path().string(), "gw-test");
    REQUIRE(swept.size() == 1);
    CHECK(swept[0].path == (dir.path() / recycled).string());
    CHECK(fs::exists(mine));  // alive: kept
    CHECK(fs::exists(dir.path() / foreign_ns));
    CHECK(fs::exists(dir.path() / "gw-test-cccccc"));
  }
  CHECK_FALSE(fs::exists(mine));
  if (saved)
    ::setenv("TMPDIR", saved->c_str(), 1);
  else
    ::unsetenv("TMPDIR");
}

TEST_CASE("runner: a child that leaves its group and session is stopped with the command",
          "[containment][runner]") {
  gw::ProcessRunner runner(gw::Millis(200));
  gw::Interrupt never;
  auto r = runner.run(
      shell_with_margin(
          "setsid sleep 30 >/dev/null 2>&1 </dev/null & echo $!; setsid sleep 31 & exit 0"),
      never);
  REQUIRE(r.ok());
  pid_t daemon = std::stoi(r.out);
  CHECK(eventually_gone(daemon));
  // The second one held stdout open: the command still ends long before it would.
  CHECK(r.duration < gw::Millis(20000));
}

TEST_CASE("runner: on_spawn sees the group; the token reaches the command, withheld vars do not",
          "[containment][runner]") {
  ::setenv("GW_UNIT_SECRET_SOURCE", "s3cret", 1);
  ::setenv("GW_UNIT_PLAIN", "plain", 1);
  gw::ProcessRunner runner(gw::Millis(200));
  runner.withhold_env({"GW_UNIT_SECRET_SOURCE"});
  gw::Interrupt never;
  auto spec = shell_with_margin(
      "echo \"pgid=$(ps -o pgid= -p $$ | tr -d ' ') pid=$$ token=$GROUNDWORK_STEP "
      "secret=${GW_UNIT_SECRET_SOURCE:-none} plain=$GW_UNIT_PLAIN given=$GIVEN\"");
  spec.env = {{"GIVEN", "yes"}, {"GROUNDWORK_STEP", "forged"}};
  std::optional<gw::SpawnedGroup> seen;
  uint64_t start_then = 0;
  spec.on_spawn = [&](const gw::SpawnedGroup& g) {
    seen = g;
    auto p = gw::read_proc(g.pid);
    start_then = p ? p->start_ticks : 0;
  };
  auto r = runner.run(spec, never);
  ::unsetenv("GW_UNIT_SECRET_SOURCE");
  ::unsetenv("GW_UNIT_PLAIN");
  REQUIRE(r.ok());
  REQUIRE(seen);
  CHECK(seen->pgid == seen->pid);
  CHECK(seen->start_ticks == start_then);
  CHECK_FALSE(seen->token.empty());
  std::string want = "pgid=" + std::to_string(seen->pgid) + " pid=" + std::to_string(seen->pid) +
                     " token=" + seen->token + " secret=none plain=plain given=yes\n";
  CHECK(r.out == want);
}

TEST_CASE("runner: a command that never reads its stdin neither blocks nor kills groundwork",
          "[containment][runner]") {
  auto old = ::signal(SIGPIPE, SIG_IGN);  // as main() does
  gw::ProcessRunner runner(gw::Millis(200));
  gw::Interrupt never;
  auto spec = shell_with_margin("exec 0<&-; sleep 0.2; echo done; exit 3");
  spec.stdin_data = std::string(1 << 20, 'x');  // far more than a pipe holds
  auto r = runner.run(spec, never);
  ::signal(SIGPIPE, old);
  CHECK(r.outcome == gw::Outcome::Exited);
  CHECK(r.exit_code == 3);
  CHECK(r.out == "done\n");
}

TEST_CASE("stale groups: found in dead runs' records, stopped, then their files swept",
          "[containment]") {
  gwtest::TempDir dir;
  std::string runs = (dir.path() / "runs").string();
  std::string token = gw::new_process_token() + ".unit";
  Stray stray({"PATH=/usr/bin:/bin", std::string(gw::kProcessTokenVar) + "=" + token});
  REQUIRE(stray.pid > 0);
  auto info = gw::read_proc(stray.pid);
  for (int i = 0;
       i < 100 && (!info || gw::process_environ_value(stray.pid, gw::kProcessTokenVar) != token);
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // until it has exec'd
    info = gw::read_proc(stray.pid);
  }
  REQUIRE(info);
  gw::GroupRecord rec;
  rec.token = token;
  rec.pgid = 999999;  // its leader is long gone: only the token can find it
  rec.pid = 999999;
  rec.start_ticks = info->start_ticks;
  rec.boot_id = gw::boot_id();
  rec.started_ms = gw::boottime_ms();
  rec.timeout_ms = 600000;
  rec.step = "s.slow";
  fs::create_directories(fs::path(runs) / "dead-run/secrets/abc");
  std::ofstream(fs::path(runs) / "dead-run/secrets/abc/0-x.tmpl.yaml") << "secret";
  std::ofstream(fs::path(runs) / "dead-run/groups") << gw::format_group_record(rec);
  fs::create_directories(fs::path(runs) / "this-run/secrets");

  auto stale = gw::find_stale_groups(runs, "this-run");
  REQUIRE(stale.size() == 1);
  CHECK(stale[0].run_id == "dead-run");
  REQUIRE(stale[0].processes.size() == 1);
  CHECK(stale[0].processes[0].pid == stray.pid);
  // Its files stay while it runs (it may still read them); this run's own are never touched.
  CHECK(gw::sweep_dead_runs(runs, "this-run").empty());
  CHECK(fs::exists(fs::path(runs) / "dead-run/secrets/abc/0-x.tmpl.yaml"));

  gw::Interrupt never;
  std::vector<std::string> said;
  gw::StaleOptions opts;
  opts.action = gw::StaleAction::Kill;
  opts.grace = gw::Millis(2000);
  auto s = gw::settle_stale_groups(runs, "this-run", opts, never,
                                   [&](const std::string& m) { said.push_back(m); });
  REQUIRE(s);
  CHECK_FALSE(running(stray.pid));
  REQUIRE(!said.empty());
  CHECK(said[0].find("1 process of a crashed run") != std::string::npos);
  CHECK(gw::find_stale_groups(runs, "this-run").empty());
  CHECK(gw::sweep_dead_runs(runs, "this-run") == std::vector<std::string>{"dead-run"});
  CHECK_FALSE(fs::exists(fs::path(runs) / "dead-run/secrets"));
  CHECK_FALSE(fs::exists(fs::path(runs) / "dead-run/groups"));
  CHECK(fs::exists(fs::path(runs) / "this-run/secrets"));
}

TEST_CASE("stale groups: a wait ends when the step's timeout has run out, or on an interrupt",
          "[containment]") {
  gwtest::TempDir dir;
  std::string runs = (dir.path() / "runs").string();
  std::string token = gw::new_process_token() + ".wait";
  Stray stray({std::string(gw::kProcessTokenVar) + "=" + token});
  REQUIRE(stray.pid > 0);
  std::optional<gw::ProcInfo> info;
  for (int i = 0; i < 100; ++i) {
    info = gw::read_proc(stray.pid);
    if (info && gw::process_environ_value(stray.pid, gw::kProcessTokenVar) == token) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(info);
  gw::GroupRecord rec;
  rec.token = token;
  rec.pgid = stray.pid;
  rec.pid = stray.pid;
  rec.start_ticks = info->start_ticks;
  rec.boot_id = gw::boot_id();
  rec.started_ms = gw::boottime_ms();
  rec.timeout_ms = 600000;
  rec.step = "s.wait";
  fs::create_directories(fs::path(runs) / "dead");
  std::ofstream(fs::path(runs) / "dead/groups") << gw::format_group_record(rec);

  gw::StaleOptions opts;
  opts.poll = gw::Millis(20);
  std::vector<std::string> said;
  auto say = [&](const std::string& m) { said.push_back(m); };
  {  // Interrupted while waiting: an error, and the process is left alone.
    gw::Interrupt interrupt;
    std::thread raiser([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      interrupt.raise(gw::StopLevel::Terminate);
    });
    auto s = gw::settle_stale_groups(runs, "now", opts, interrupt, say);
    raiser.join();
    REQUIRE_FALSE(s);
    CHECK(s.error().message.find("interrupted") != std::string::npos);
    CHECK(running(stray.pid));
  }
  // Its step's timeout runs out: stopped as its run would have.
  rec.timeout_ms = 300;
  std::ofstream(fs::path(runs) / "dead/groups") << gw::format_group_record(rec);
  gw::Interrupt never;
  said.clear();
  auto s = gw::settle_stale_groups(runs, "now", opts, never, say);
  REQUIRE(s);
  CHECK_FALSE(running(stray.pid));
  bool told = false;
  for (const auto& m : said)
    told = told || m.find("timeout (300ms) has run out") != std::string::npos;
  CHECK(told);
}
