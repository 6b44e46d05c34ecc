#include "model/names.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>

namespace gw {

namespace fs = std::filesystem;

namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

/// Whether joining is already lexically normal: no empty, "." or ".." component, no leading or
/// trailing '/'. (For an absolute dir, a leading '/' is expected and skipped by the caller.)
bool normal_components(std::string_view p) {
  if (p.empty() || p.front() == '/' || p.back() == '/') return false;
  size_t begin = 0;
  while (begin <= p.size()) {
    size_t end = p.find('/', begin);
    if (end == std::string_view::npos) end = p.size();
    std::string_view part = p.substr(begin, end - begin);
    if (part.empty() || part == "." || part == "..") return false;
    begin = end + 1;
  }
  return true;
}

}  // namespace

std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  size_t best_d = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    if (c.size() > word.size() + best_d || word.size() > c.size() + best_d) continue;
    size_t d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  return best;
}

std::string resolve_path(const std::string& path, const std::string& dir) {
  if (path.starts_with("~/")) {
    const char* home = std::getenv("HOME");
    return (fs::path(home ? home : "/") / path.substr(2)).lexically_normal().string();
  }
  // The common case, a plain relative name under a normal absolute folder, without std::filesystem
  // (resolving every input file of 10,000 stages showed up in the planning benchmark).
  if (dir.size() > 1 && dir.front() == '/' && normal_components(std::string_view(dir).substr(1)) &&
      normal_components(path))
    return dir + "/" + path;
  fs::path p(path);
  if (p.is_absolute()) return p.lexically_normal().string();
  return (fs::path(dir) / p).lexically_normal().string();
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  return std::isalnum(static_cast<unsigned char>(name[0]));
}

std::string display_path(const std::string& abs, const std::string& cwd) {
  auto rel = std::filesystem::path(abs).lexically_relative(cwd);
  if (rel.empty() || rel.string().starts_with("../..")) return abs;
  return rel.string();
}

}  // namespace gw
