#pragma once
/// What /proc says about processes: the few fields process containment needs (parent, process
/// group, start time) and whether a process carries an environment entry. Linux only.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gw {

/// One line of /proc/PID/stat, the fields we use.
struct ProcInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t pgid = 0;
  pid_t sid = 0;
  char state = '?';          // R, S, D, Z, X, …
  uint64_t start_ticks = 0;  // field 22: start time in clock ticks since boot

  /// Exited but not reaped yet (or being torn down): holds no resources but a pid.
  bool dead() const { return state == 'Z' || state == 'X' || state == 'x'; }
};

/// Parses the text of /proc/PID/stat (the command name in parentheses may hold spaces and ')').
/// Nullopt when the text is not a stat line.
std::optional<ProcInfo> parse_proc_stat(pid_t pid, std::string_view text);

/// /proc/PID/stat of one process; nullopt when it does not exist (any more).
std::optional<ProcInfo> read_proc(pid_t pid);

/// Whether the process that started at `start_ticks` (this boot) still runs as `pid`: it exists,
/// is no zombie, and has that start time — a recycled pid has another. The one test of "is the
/// owner of this still alive" for things named after a process (signals, temporary folders).
bool process_alive(pid_t pid, uint64_t start_ticks);

/// This process's start time in clock ticks since boot (0 when /proc cannot tell).
uint64_t own_start_ticks();

/// The inode of this process's pid namespace (/proc/self/ns/pid); 0 when unreadable. Pids and
/// start times name a process only within one pid namespace.
uint64_t pid_namespace_id();

/// Every process visible in /proc, zombies included. Order unspecified.
std::vector<ProcInfo> process_table();

/// The processes that can have been started at or after the process `first_pid` (pids are
/// handed out in increasing order: those from `first_pid` to the namespace's last pid). Only
/// their stat files are read, so a scan costs what the command started, not what the machine
/// runs. Every process when the pids wrapped around since (or `first_pid` is 0).
std::vector<ProcInfo> processes_since(pid_t first_pid);

/// The children of this process (its own and reparented orphans), zombies included: from
/// /proc/self/task/*/children, or a scan of every process where the kernel has no such file.
std::vector<ProcInfo> own_children();

/// Whether a NUL-separated environment block (as /proc/PID/environ holds it) has `entry`
/// ("NAME=VALUE") exactly as one of its entries.
bool environ_has(std::string_view block, std::string_view entry);

/// The value of `name` in a NUL-separated environment block; nullopt when it is not there.
std::optional<std::string> environ_value(std::string_view block, std::string_view name);

/// The value of `name` in the environment a process was started with; nullopt when it is not
/// there or the environment cannot be read (another user's process, or gone).
std::optional<std::string> process_environ_value(pid_t pid, std::string_view name);

/// What /proc/PID/environ of a process says about an entry.
enum class EnvironMatch { Has, Lacks, Unreadable };

/// Reads /proc/PID/environ (the environment the process was started with) and looks for `entry`.
/// Unreadable: another user's process, or gone.
EnvironMatch process_environ_has(pid_t pid, const std::string& entry);

/// This boot's id (/proc/sys/kernel/random/boot_id); empty when unreadable. Start times in
/// clock ticks are only comparable within one boot.
std::string boot_id();

/// Milliseconds since boot (CLOCK_BOOTTIME: counts suspended time, like start_ticks).
int64_t boottime_ms();

/// Clock ticks (as in /proc/PID/stat) to milliseconds.
int64_t ticks_to_ms(uint64_t ticks);

}  // namespace gw
