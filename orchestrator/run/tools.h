#pragma once
/// Maps logical tool names (kubectl, helm, …, or run's argv[0]) to programs: the inventory's
/// spec.tools first, then $PATH.
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "model/project.h"

namespace gw {

class ToolResolver {
 public:
  explicit ToolResolver(const Inventory& inv) : inv_(inv) {}
  virtual ~ToolResolver() = default;
  /// The program to execute, or empty when it cannot be found (looks at the file system).
  virtual std::string resolve(const std::string& tool) const;
  /// Why resolve() found nothing, in words: "no such file", "not executable", "not on PATH",
  /// prefixed with "spec.tools: PATH: " when the inventory maps the tool.
  std::string why_missing(const std::string& tool) const;
  /// Environment every command gets: KUBECONFIG and TALOSCONFIG from the inventory.
  std::vector<std::pair<std::string, std::string>> base_env() const;

 private:
  const Inventory& inv_;
};

/// Lists missing programs as "kubectl (not on PATH)" lines, each saying why; empty when all are
/// present.
std::vector<std::string> missing_tools(const std::set<std::string>& tools,
                                       const ToolResolver& resolver);

/// Why `program` (a path, or a name looked up on $PATH) cannot be run: "no such file", "a folder,
/// not a program", "not executable", "not on PATH".
std::string program_problem(const std::string& program);

/// A version number as tools print it: "v1.31.2", "v3.16.3+g1b3bd2c", "1.9.2".
struct ToolVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;
  std::string text;  // as printed, suffix included

  /// Compares major, minor, patch (the suffix is ignored).
  bool older_than(const ToolVersion& other) const;
};

/// The first version number (at least MAJOR.MINOR) in a tool's version output that does not
/// continue a word ("go1.22.8" is skipped), or nullopt when there is none.
std::optional<ToolVersion> find_version(std::string_view output);

}  // namespace gw
