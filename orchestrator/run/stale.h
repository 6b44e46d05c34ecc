#pragma once
/// What a crashed run left behind (SPEC §2 `--kill-stale`): processes of its steps still running,
/// and its rendered secret files. Called by a run that holds the lock, so every other run folder
/// under runs/ belongs to a run that is over.
///
/// A live process belongs to a recorded group when it carries the group's token in its environment
/// (GROUNDWORK_STEP, inherited by every descendant), or when it is in the recorded process group
/// while the group's leader still lives with the recorded start time. Both tests survive pid
/// reuse; start times only count within the boot they were recorded in.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/duration.h"
#include "model/result.h"
#include "run/interrupt.h"
#include "run/live_groups.h"
#include "run/proc_table.h"

namespace gw {

/// A recorded group of a dead run that still has live processes.
struct StaleGroup {
  std::string run_id;
  GroupRecord record;
  std::vector<ProcInfo> processes;  // alive, belonging to the group
};

/// The processes of `table` that belong to `rec` (see above), for a table taken during boot `boot`;
/// `token_of(pid)` is the GROUNDWORK_STEP a process carries (nullopt: none, or unreadable). Pure
/// given its inputs.
std::vector<ProcInfo> members_of(const GroupRecord& rec, const std::vector<ProcInfo>& table,
                                 const std::string& boot,
                                 const std::function<std::optional<std::string>(pid_t)>& token_of);

/// The recorded groups of every run under `runs_dir` other than `current_run` that still have a
/// live process.
std::vector<StaleGroup> find_stale_groups(const std::string& runs_dir,
                                          const std::string& current_run);

/// What to do about stale groups: wait for them to end, or stop them now (`--kill-stale`).
enum class StaleAction { Wait, Kill };

struct StaleOptions {
  StaleAction action = StaleAction::Wait;
  Millis grace{5000};          // between SIGTERM and SIGKILL
  Millis poll{200};            // how often a wait looks again
  Millis report_every{30000};  // "still waiting" messages
};

/// Settles the stale groups before a run starts anything: with Wait, waits until their processes
/// have ended — a group whose step's timeout has run out since it started is stopped as the dead
/// run would have stopped it (SIGTERM, then SIGKILL after the grace period), so the wait is bounded
/// by the steps' timeouts; with Kill, stops them all at once. Messages go to `say`. Errors: an
/// interruption while waiting (Interrupt is stopping), or processes that cannot be stopped
/// (another user's, or unkillable) — named with their pids and step.
Status settle_stale_groups(const std::string& runs_dir, const std::string& current_run,
                           const StaleOptions& opts, const Interrupt& interrupt,
                           const std::function<void(const std::string&)>& say);

/// Deletes what the dead runs under `runs_dir` (all but `current_run`) left behind that holds
/// secrets or means nothing any more: their `secrets/` folders (rendered files) and `groups`
/// files — except for a run whose processes still live (their files may still be read). Returns
/// the run ids whose leftovers were removed; errors are left for the next run to retry.
std::vector<std::string> sweep_dead_runs(const std::string& runs_dir,
                                         const std::string& current_run);

}  // namespace gw
