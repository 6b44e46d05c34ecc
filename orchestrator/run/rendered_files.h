#pragma once
/// Rendered `.tmpl` input files of one command, which may hold secrets (SPEC §4: mode 0600,
/// deleted after the step). They are written below the run's own folder in the state dir
/// (`runs/<run-id>/secrets/`, mode 0700) — never to $TMPDIR — so that what a crash leaves behind
/// is found and deleted by the next run and by `reset` (run/stale.h, sweep_dead_runs).
#include <string>

#include "model/result.h"
#include "plan/commands.h"

namespace gw {

class RenderedFiles {
 public:
  /// `base`: the run's secrets folder (runs/<run-id>/secrets), created (0700) on the first write.
  /// Each object writes into a private folder of its own below it.
  explicit RenderedFiles(std::string base) : base_(std::move(base)) {}
  /// Removes the private folder and everything in it.
  ~RenderedFiles();
  RenderedFiles(const RenderedFiles&) = delete;
  RenderedFiles& operator=(const RenderedFiles&) = delete;

  /// Writes the rendered content of `f` (mode 0600) as "<index>-<file name>" and returns its path.
  /// Errors name the file and why.
  Result<std::string> write(const FileInput& f, size_t index);

  /// The private folder; empty before the first write.
  const std::string& dir() const { return dir_; }

 private:
  std::string base_;
  std::string dir_;
};

}  // namespace gw
