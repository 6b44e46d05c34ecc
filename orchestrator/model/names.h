#pragma once
/// Small pure helpers on names and paths shared by every layer.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gw {

/// The closest candidate within a small edit distance, for "did you mean" hints.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

/// Resolves a path as written in a file: `~/` from $HOME, relative from `dir`.
std::string resolve_path(const std::string& path, const std::string& dir);

/// How a file is named in messages: relative to `cwd` when below it or one level up, else the
/// absolute path as given. Purely lexical (no stat).
std::string display_path(const std::string& abs, const std::string& cwd);

/// Checks a name used for stages, steps, playbooks: letters, digits, '-', '_', '.'; no '/'.
bool valid_name(const std::string& name);

}  // namespace gw
