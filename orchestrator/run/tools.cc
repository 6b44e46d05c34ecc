#include "run/tools.h"

#include "run/command_runner.h"

namespace gw {

std::string ToolResolver::resolve(const std::string& tool) const {
  auto it = inv_.tools.find(tool);
  return find_program(it != inv_.tools.end() ? it->second : tool);
}

std::vector<std::pair<std::string, std::string>> ToolResolver::base_env() const {
  std::vector<std::pair<std::string, std::string>> env;
  if (!inv_.kubeconfig.empty()) env.emplace_back("KUBECONFIG", inv_.kubeconfig);
  if (inv_.talos && !inv_.talos->talosconfig.empty())
    env.emplace_back("TALOSCONFIG", inv_.talos->talosconfig);
  return env;
}

}  // namespace gw
