#pragma once
/// Process containment (docs/architecture.md, Processes): nothing a command starts may outlive it.
///
/// - Every command gets a token in its environment (`GROUNDWORK_STEP=<token>`), which its
///   descendants inherit; whatever carries the token when the command ends is stopped, wherever it
///   went (a new session, another process group).
/// - groundwork is a child subreaper, so orphans of its commands come back to it rather than to
///   init: they are reaped here, and those that dropped the token are stopped once no command runs.
/// - A process is only ever signalled through a pidfd opened before its identity is checked, so a
///   recycled pid is never hit.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>

#include "model/duration.h"
#include "model/result.h"

namespace gw {

/// The environment variable that carries a command's token to it and its descendants.
inline constexpr char kProcessTokenVar[] = "GROUNDWORK_STEP";

/// A token unique on this machine for this boot: "<groundwork pid>.<its start ticks>.<n>".
std::string new_process_token();

/// Makes groundwork a child subreaper (PR_SET_CHILD_SUBREAPER): orphaned descendants of its
/// commands are reparented to it. Process-wide; call once, early in main.
Status enable_child_subreaper();

/// Whether enable_child_subreaper succeeded in this process.
bool child_subreaper_enabled();

/// Runs `spawn` (which returns a child's pid, or -1) with the child registry locked, and registers
/// the child: the orphan reaper never takes the exit status of a command's own process, which its
/// waiter (Boost.Process) reaps. `spawn` must not call back into this registry.
pid_t spawn_registered(const std::function<pid_t()>& spawn);

/// The command's own waiter has reaped `pid`: it is no longer a registered child.
void unregister_child(pid_t pid);

/// Reaps exited children that groundwork did not spawn itself (orphans reparented to it). Does
/// nothing unless groundwork is a child subreaper.
void reap_orphans();

/// Sends `sig` to a process if it is still the one that started at `start_ticks` (checked through
/// a pidfd: a recycled pid is never signalled). False when it is gone or cannot be signalled.
bool signal_process(pid_t pid, uint64_t start_ticks, int sig);

/// Whether a command whose exit was seen may have left a live descendant. When groundwork is a
/// subreaper, a descendant that outlives the command is, or descends from, a process reparented
/// to groundwork (the kernel gives orphans to the nearest living subreaper ancestor). So when
/// groundwork has no live child but the commands it spawned (registered), nothing the command
/// started survives, and the /proc scans of signal_marked and stop_leftovers can be skipped (a
/// few children files instead of every process's stat). True whenever that cannot be told (not
/// a subreaper).
bool descendants_may_remain();

/// Sends `sig` to every live process (other than groundwork) whose environment carries `token`
/// and that started at or after `since_ticks` (a command's descendants started after it). Returns
/// how many were signalled.
/// `first_pid` (0: unknown) is the command's own pid: its descendants have pids from there on
/// (proc_table.h processes_since), so only those are looked at.
/// `skip_group`: processes in this process group are left alone (the caller just signaled the
/// group with killpg: a second signal could land in a handler that is still recording the first).
size_t signal_marked(const std::string& token, uint64_t since_ticks, int sig, pid_t first_pid = 0,
                     pid_t skip_group = 0);

/// SIGKILLs every process carrying `token` (see signal_marked), reaping orphans, until none is
/// left or `limit` has passed. Then, when no command is running any more and groundwork is a
/// subreaper, stops the orphans that dropped the token. Returns how many processes it stopped.
size_t stop_leftovers(const std::string& token, uint64_t since_ticks, Millis limit,
                      pid_t first_pid = 0);

}  // namespace gw
