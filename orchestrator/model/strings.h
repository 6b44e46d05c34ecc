#pragma once
/// Small string helpers shared by the layers.
#include <cctype>
#include <string>
#include <string_view>

namespace gw {

/// `s` without its leading and trailing white space (std::isspace).
inline std::string_view trim_space(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

/// The first non-empty line of `s` (leading newlines and spaces skipped), cut to 200 bytes with
/// "…": a one-line summary of a command's output for messages.
inline std::string first_line(std::string_view s) {
  auto start = s.find_first_not_of("\n ");
  if (start == std::string_view::npos) return "";
  std::string_view l = s.substr(start, s.find('\n', start) - start);
  return l.size() > 200 ? std::string(l.substr(0, 200)) + "…" : std::string(l);
}

}  // namespace gw
