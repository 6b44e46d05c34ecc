#pragma once
/// The state layout (SPEC §4): <state-dir>/<inventory>/ holds journal.jsonl, lock, secret.key
/// (the key of secret fingerprints), runs/<run-id>/ (one log per step) and reports/.
#include <optional>
#include <string>

#include "model/result.h"

namespace gw {

struct StatePaths {
  std::string root;  // <state-dir>/<inventory>
  std::string journal() const { return root + "/journal.jsonl"; }
  std::string lock() const { return root + "/lock"; }
  std::string fingerprint_key() const { return root + "/secret.key"; }
  std::string runs() const { return root + "/runs"; }
  std::string reports() const { return root + "/reports"; }
};

StatePaths state_paths(const std::string& state_dir, const std::string& inventory);

/// Creates the folders (mode 0700).
Status ensure_state_dirs(const StatePaths& p);

/// The per-inventory fingerprint key, created (32 random bytes, mode 0600) on first use.
Result<std::string> fingerprint_key(const StatePaths& p);

/// The fingerprint key if it exists, without creating it (for read-only verbs).
std::optional<std::string> read_fingerprint_key(const StatePaths& p);

/// A run id: 20261122T011910Z-12345.
std::string make_run_id();

}  // namespace gw
