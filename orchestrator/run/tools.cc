#include "run/tools.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <tuple>

#include "run/command_runner.h"

namespace gw {

std::string ToolResolver::resolve(const std::string& tool) const {
  auto it = inv_.tools.find(tool);
  return find_program(it != inv_.tools.end() ? it->second : tool);
}

std::string ToolResolver::why_missing(const std::string& tool) const {
  auto it = inv_.tools.find(tool);
  if (it == inv_.tools.end()) return program_problem(tool);
  return "spec.tools: " + it->second + ": " + program_problem(it->second);
}

std::string program_problem(const std::string& program) {
  if (program.find('/') == std::string::npos) return "not on PATH";
  struct stat st {};
  if (::stat(program.c_str(), &st) != 0)
    return errno == ENOENT ? "no such file" : std::strerror(errno);
  if (S_ISDIR(st.st_mode)) return "a folder, not a program";
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  if (::access(program.c_str(), X_OK) != 0) return "not executable";
  return "cannot be run";
}

std::vector<std::pair<std::string, std::string>> ToolResolver::base_env() const {
  std::vector<std::pair<std::string, std::string>> env;
  if (!inv_.kubeconfig.empty()) env.emplace_back("KUBECONFIG", inv_.kubeconfig);
  if (inv_.talos && !inv_.talos->talosconfig.empty())
    env.emplace_back("TALOSCONFIG", inv_.talos->talosconfig);
  return env;
}

bool ToolVersion::older_than(const ToolVersion& other) const {
  return std::tie(major, minor, patch) < std::tie(other.major, other.minor, other.patch);
}

namespace {

bool digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

/// Reads digits at s[*i]; false when there are none.
bool read_number(std::string_view s, size_t* i, int* out) {
  size_t start = *i;
  long value = 0;
  while (*i < s.size() && digit(s[*i]) && *i - start < 9) value = value * 10 + (s[(*i)++] - '0');
  *out = static_cast<int>(value);
  return *i > start;
}

/// A version starting at s[at] ("v" optional), or nullopt.
std::optional<ToolVersion> version_at(std::string_view s, size_t at) {
  size_t i = at + (s[at] == 'v' ? 1 : 0);
  ToolVersion v;
  if (!read_number(s, &i, &v.major) || i >= s.size() || s[i] != '.') return std::nullopt;
  ++i;
  if (!read_number(s, &i, &v.minor)) return std::nullopt;
  if (i + 1 < s.size() && s[i] == '.' && digit(s[i + 1])) {
    ++i;
    read_number(s, &i, &v.patch);
  }
  while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '.' ||
                          s[i] == '-' || s[i] == '+'))
    ++i;
  v.text = std::string(s.substr(at, i - at));
  return v;
}

}  // namespace

std::optional<ToolVersion> find_version(std::string_view output) {
  for (size_t at = 0; at < output.size(); ++at) {
    char c = output[at];
    if (!digit(c) && c != 'v') continue;
    if (at > 0 && (std::isalnum(static_cast<unsigned char>(output[at - 1])) ||
                   output[at - 1] == '.' || output[at - 1] == '_'))
      continue;
    if (auto v = version_at(output, at)) return v;
  }
  return std::nullopt;
}

std::vector<std::string> missing_tools(const std::set<std::string>& tools,
                                       const ToolResolver& resolver) {
  std::vector<std::string> out;
  for (const auto& t : tools) {
    if (!resolver.resolve(t).empty()) continue;
    out.push_back(t + " (" + resolver.why_missing(t) + ")");
  }
  return out;
}

}  // namespace gw
