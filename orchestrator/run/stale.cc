#include "run/stale.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "run/containment.h"

namespace gw {

namespace fs = std::filesystem;

namespace {

/// The recorded groups of one run folder (empty when it has no groups file).
std::vector<GroupRecord> read_groups(const fs::path& run_dir) {
  std::ifstream in(run_dir / "groups", std::ios::binary);
  if (!in) return {};
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_group_records(ss.str());
}

/// The run folders under runs_dir other than current_run, by id.
std::vector<std::pair<std::string, fs::path>> other_runs(const std::string& runs_dir,
                                                         const std::string& current_run) {
  std::vector<std::pair<std::string, fs::path>> out;
  std::error_code ec;
  for (fs::directory_iterator it(runs_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code ec2;
    if (!it->is_directory(ec2)) continue;
    std::string id = it->path().filename().string();
    if (id != current_run) out.emplace_back(id, it->path());
  }
  return out;
}

/// A process table without groundwork itself, and the tokens its processes carry (read once).
class Snapshot {
 public:
  Snapshot() : boot_(boot_id()) {
    pid_t self = ::getpid();
    for (auto& p : process_table())
      if (p.pid != self) table_.push_back(p);
  }
  std::vector<ProcInfo> members(const GroupRecord& rec) {
    return members_of(rec, table_, boot_, [this](pid_t pid) {
      auto it = tokens_.find(pid);
      if (it == tokens_.end())
        it = tokens_.emplace(pid, process_environ_value(pid, kProcessTokenVar)).first;
      return it->second;
    });
  }

 private:
  std::string boot_;
  std::vector<ProcInfo> table_;
  std::map<pid_t, std::optional<std::string>> tokens_;
};

std::string pids_of(const StaleGroup& g) {
  std::string s;
  for (const auto& p : g.processes) s += (s.empty() ? "" : ", ") + std::to_string(p.pid);
  return s;
}

std::string describe(const StaleGroup& g) {
  int64_t age = boottime_ms() - g.record.started_ms;
  return "step " + g.record.step + " of run " + g.run_id + " (started " +
         format_duration(Millis(age > 0 ? age : 0)) + " ago, timeout " +
         format_duration(Millis(g.record.timeout_ms)) + "): pid" +
         (g.processes.size() == 1 ? " " : "s ") + pids_of(g);
}

size_t count(const std::vector<StaleGroup>& groups) {
  size_t n = 0;
  for (const auto& g : groups) n += g.processes.size();
  return n;
}

/// The groups again, with the processes that belong to them now; empty ones dropped.
std::vector<StaleGroup> refresh(const std::vector<StaleGroup>& groups) {
  Snapshot snap;
  std::vector<StaleGroup> out;
  for (const auto& g : groups) {
    StaleGroup now{g.run_id, g.record, snap.members(g.record)};
    if (!now.processes.empty()) out.push_back(std::move(now));
  }
  return out;
}

void signal_all(const std::vector<StaleGroup>& groups, int sig) {
  for (const auto& g : groups)
    for (const auto& p : g.processes) signal_process(p.pid, p.start_ticks, sig);
}

/// Polls until the groups are empty or `limit` passed; returns what is left.
std::vector<StaleGroup> wait_gone(std::vector<StaleGroup> groups, Millis limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!groups.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    groups = refresh(groups);
  }
  return groups;
}

/// SIGTERM, the grace period, SIGKILL (again on what they forked meanwhile), then an error naming
/// whatever still lives.
Status stop_groups(std::vector<StaleGroup> groups, Millis grace) {
  signal_all(groups, SIGTERM);
  groups = wait_gone(std::move(groups), grace);
  for (int round = 0; round < 5 && !groups.empty(); ++round) {
    signal_all(groups, SIGKILL);
    groups = wait_gone(std::move(groups), Millis(1000));
  }
  if (groups.empty()) return Ok{};
  std::string what;
  for (const auto& g : groups) what += (what.empty() ? "" : "; ") + describe(g);
  return Error{"cannot stop the processes of a crashed run (another user's, or not killable): " +
               what};
}

}  // namespace

std::vector<ProcInfo> members_of(const GroupRecord& rec, const std::vector<ProcInfo>& table,
                                 const std::string& boot,
                                 const std::function<std::optional<std::string>(pid_t)>& token_of) {
  std::vector<ProcInfo> out;
  if (rec.boot_id.empty() || rec.boot_id != boot) return out;
  bool leader_alive = false;
  for (const auto& p : table)
    leader_alive =
        leader_alive || (p.pid == rec.pgid && !p.dead() && p.start_ticks == rec.start_ticks);
  for (const auto& p : table) {
    if (p.dead() || p.start_ticks < rec.start_ticks) continue;  // a descendant starts later
    if ((leader_alive && p.pgid == rec.pgid) || token_of(p.pid) == rec.token) out.push_back(p);
  }
  return out;
}

std::vector<StaleGroup> find_stale_groups(const std::string& runs_dir,
                                          const std::string& current_run) {
  std::vector<StaleGroup> out;
  std::optional<Snapshot> snap;  // taken only when some run left records
  for (const auto& [id, dir] : other_runs(runs_dir, current_run)) {
    for (auto& rec : read_groups(dir)) {
      if (!snap) snap.emplace();
      auto members = snap->members(rec);
      if (!members.empty()) out.push_back({id, std::move(rec), std::move(members)});
    }
  }
  return out;
}

Status settle_stale_groups(const std::string& runs_dir, const std::string& current_run,
                           const StaleOptions& opts, const Interrupt& interrupt,
                           const std::function<void(const std::string&)>& say) {
  auto groups = find_stale_groups(runs_dir, current_run);
  if (groups.empty()) return Ok{};
  size_t n = count(groups);
  say(std::to_string(n) + (n == 1 ? " process" : " processes") +
      " of a crashed run still running; no step starts beside them:");
  for (const auto& g : groups) say("  " + describe(g));
  if (opts.action == StaleAction::Kill) {
    say("--kill-stale: stopping them (SIGTERM, then SIGKILL after " + format_duration(opts.grace) +
        ")");
    if (auto s = stop_groups(std::move(groups), opts.grace); !s) return s;
    say("stopped the processes of the crashed run");
    return Ok{};
  }
  say("waiting for them to end, at most until each step's timeout has run out (then they are "
      "stopped as their run would have); --kill-stale stops them now");
  auto last_report = std::chrono::steady_clock::now();
  for (;;) {
    std::vector<StaleGroup> overdue, waiting;
    for (auto& g : groups)
      (boottime_ms() >= g.record.started_ms + g.record.timeout_ms ? overdue : waiting)
          .push_back(std::move(g));
    for (const auto& g : overdue)
      say("step " + g.record.step + " of run " + g.run_id + ": its timeout (" +
          format_duration(Millis(g.record.timeout_ms)) + ") has run out; stopping pid" +
          (g.processes.size() == 1 ? " " : "s ") + pids_of(g));
    if (!overdue.empty())
      if (auto s = stop_groups(std::move(overdue), opts.grace); !s) return s;
    if (!interrupt.sleep_for(opts.poll))
      return Error{"interrupted while waiting for the processes of a crashed run"};
    groups = refresh(waiting);
    if (groups.empty()) {
      say("the processes of the crashed run have ended");
      return Ok{};
    }
    if (std::chrono::steady_clock::now() - last_report >= opts.report_every) {
      last_report = std::chrono::steady_clock::now();
      size_t left = count(groups);
      say("still waiting for " + std::to_string(left) + (left == 1 ? " process" : " processes") +
          " of a crashed run (--kill-stale stops them)");
    }
  }
}

std::vector<std::string> sweep_dead_runs(const std::string& runs_dir,
                                         const std::string& current_run) {
  std::vector<std::string> swept;
  std::optional<Snapshot> snap;
  for (const auto& [id, dir] : other_runs(runs_dir, current_run)) {
    std::error_code ec;
    bool secrets = fs::exists(dir / "secrets", ec);
    bool groups = fs::exists(dir / "groups", ec);
    if (!secrets && !groups) continue;
    bool alive = false;
    for (const auto& rec : read_groups(dir)) {
      if (!snap) snap.emplace();
      alive = alive || !snap->members(rec).empty();
    }
    if (alive) continue;  // its processes may still read their files
    fs::remove_all(dir / "secrets", ec);
    bool ok = !ec;
    fs::remove(dir / "groups", ec);
    if (ok && !ec) swept.push_back(id);
  }
  return swept;
}

}  // namespace gw
