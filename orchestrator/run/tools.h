#pragma once
/// Maps logical tool names (kubectl, helm, …, or run's argv[0]) to programs: the inventory's
/// spec.tools first, then $PATH.
#include <string>
#include <vector>

#include "model/project.h"

namespace gw {

class ToolResolver {
 public:
  explicit ToolResolver(const Inventory& inv) : inv_(inv) {}
  virtual ~ToolResolver() = default;
  /// The program to execute, or empty when it cannot be found (looks at the file system).
  virtual std::string resolve(const std::string& tool) const;
  /// Environment every command gets: KUBECONFIG and TALOSCONFIG from the inventory.
  std::vector<std::pair<std::string, std::string>> base_env() const;

 private:
  const Inventory& inv_;
};

}  // namespace gw
