#pragma once
/// Private temporary folders named after the process that owns them, so that what a killed
/// process (kill -9, a crash: no destructor runs) left behind can be found and removed by the
/// next one. A folder is `<prefix>-<pid>-<start ticks>-<pid namespace>-XXXXXX` in the temporary
/// folder ($TMPDIR, else /tmp), mode 0700; its owner is alive while a process with that pid and
/// that start time runs (run/proc_table.h, process_alive), which a recycled pid does not pass. A
/// folder made in another pid namespace (another container sharing the folder) is never judged.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/result.h"

namespace gw {

/// A private temporary folder (mode 0700) named after this process, removed with everything in
/// it when this goes.
class OwnedTempDir {
 public:
  /// Creates `<prefix>-<pid>-<start ticks>-<pid ns>-XXXXXX` in the temporary folder. `prefix`: a
  /// file name without '/', e.g. "groundwork-diff".
  static Result<OwnedTempDir> create(const std::string& prefix);
  OwnedTempDir(OwnedTempDir&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  OwnedTempDir& operator=(OwnedTempDir&&) = delete;
  OwnedTempDir(const OwnedTempDir&) = delete;
  ~OwnedTempDir();
  const std::string& path() const { return path_; }

 private:
  explicit OwnedTempDir(std::string p) : path_(std::move(p)) {}
  std::string path_;
};

/// The owner a folder name `<prefix>-<pid>-<start ticks>-<pid ns>-XXXXXX` carries.
struct TempDirOwner {
  pid_t pid = 0;
  uint64_t start_ticks = 0;
  uint64_t pid_ns = 0;
};

/// Parses a folder name (not a path) made by OwnedTempDir::create with `prefix`; nullopt for any
/// other name (an older folder without an owner among them). Pure.
std::optional<TempDirOwner> temp_dir_owner(const std::string& name, const std::string& prefix);

/// A folder a dead owner left behind, removed.
struct SweptTempDir {
  std::string path;
  pid_t pid = 0;
};

/// Removes the folders `<prefix>-<pid>-<ticks>-<pid ns>-XXXXXX` directly in `dir` that belong to
/// the current user (real folders, not symlinks), were made in this pid namespace, and whose owner
/// is no longer alive. A folder of a live owner, another user's, another namespace's, or one with
/// another name is left alone. Returns what it removed;
/// a folder that cannot be removed is left for the next sweep.
std::vector<SweptTempDir> sweep_dead_owner_temp_dirs(const std::string& dir,
                                                     const std::string& prefix);

/// The temporary folder: $TMPDIR when set, else /tmp.
std::string temp_root();

}  // namespace gw
