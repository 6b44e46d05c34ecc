#include "model/semver.h"

#include <cctype>

namespace gw {

namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    out.emplace_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

/// Compares two pre-release identifiers: numbers numerically and below words (semver 2.0 §11).
int compare_ident(const std::string& a, const std::string& b) {
  bool na = all_digits(a), nb = all_digits(b);
  if (na && nb) {
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    return a.compare(b) < 0 ? -1 : a == b ? 0 : 1;
  }
  if (na != nb) return na ? -1 : 1;
  return a.compare(b) < 0 ? -1 : a == b ? 0 : 1;
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

std::optional<SemVer> parse_semver(std::string_view s) {
  SemVer v;
  v.text = std::string(s);
  if (!s.empty() && (s[0] == 'v' || s[0] == 'V')) s.remove_prefix(1);
  if (auto plus = s.find('+'); plus != std::string_view::npos) s = s.substr(0, plus);
  std::string_view core = s;
  if (auto dash = s.find('-'); dash != std::string_view::npos) {
    core = s.substr(0, dash);
    v.pre = split(s.substr(dash + 1), '.');
    for (const auto& p : v.pre)
      if (p.empty()) return std::nullopt;
  }
  auto parts = split(core, '.');
  if (parts.empty() || parts.size() > 3) return std::nullopt;
  int* fields[] = {&v.major, &v.minor, &v.patch};
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!all_digits(parts[i]) || parts[i].size() > 6) return std::nullopt;
    *fields[i] = std::stoi(parts[i]);
  }
  return v;
}

int compare(const SemVer& a, const SemVer& b) {
  if (a.major != b.major) return a.major < b.major ? -1 : 1;
  if (a.minor != b.minor) return a.minor < b.minor ? -1 : 1;
  if (a.patch != b.patch) return a.patch < b.patch ? -1 : 1;
  if (a.pre.empty() || b.pre.empty()) {
    if (a.pre.empty() && b.pre.empty()) return 0;
    return a.pre.empty() ? 1 : -1;  // a release is newer than its pre-releases
  }
  for (size_t i = 0; i < a.pre.size() && i < b.pre.size(); ++i)
    if (int c = compare_ident(a.pre[i], b.pre[i])) return c;
  if (a.pre.size() == b.pre.size()) return 0;
  return a.pre.size() < b.pre.size() ? -1 : 1;
}

Result<VersionConstraint> parse_version_constraint(std::string_view s) {
  using Op = VersionConstraint::Op;
  VersionConstraint c;
  c.text = trim(s);
  size_t pos = 0;
  std::string text(s);
  while (true) {  // alternatives separated by "||"
    size_t bar = text.find("||", pos);
    std::string alt = text.substr(pos, bar == std::string::npos ? bar : bar - pos);
    for (auto& ch : alt)
      if (ch == ',') ch = ' ';
    std::vector<VersionConstraint::Term> terms;
    size_t i = 0;
    while (i < alt.size()) {
      if (alt[i] == ' ' || alt[i] == '\t') {
        ++i;
        continue;
      }
      size_t start = i;
      while (i < alt.size() && std::string_view("<>=!").find(alt[i]) != std::string_view::npos) ++i;
      std::string op = alt.substr(start, i - start);
      while (i < alt.size() && (alt[i] == ' ' || alt[i] == '\t')) ++i;  // ">= 1.28" is allowed
      size_t vstart = i;
      while (i < alt.size() && alt[i] != ' ' && alt[i] != '\t') ++i;
      std::string ver = alt.substr(vstart, i - vstart);
      static const std::pair<const char*, Op> kOps[] = {
          {"", Op::Eq},  {"=", Op::Eq},  {"==", Op::Eq}, {"!=", Op::Ne},
          {"<", Op::Lt}, {"<=", Op::Le}, {">", Op::Gt},  {">=", Op::Ge}};
      std::optional<Op> found;
      for (const auto& [word, o] : kOps)
        if (op == word) found = o;
      if (!found) return Error{"'" + op + "' is not a comparison (use =, !=, <, <=, >, >=)"};
      auto v = parse_semver(ver);
      if (!v) return Error{"'" + ver + "' is not a version (expected MAJOR.MINOR[.PATCH][-PRE])"};
      terms.push_back({*found, *v});
    }
    if (terms.empty()) return Error{"an empty alternative in version constraint '" + c.text + "'"};
    c.any_of.push_back(std::move(terms));
    if (bar == std::string::npos) break;
    pos = bar + 2;
  }
  return c;
}

bool satisfies(const VersionConstraint& c, const SemVer& v) {
  using Op = VersionConstraint::Op;
  for (const auto& all : c.any_of) {
    bool ok = true;
    for (const auto& t : all) {
      int r = compare(v, t.version);
      switch (t.op) {
        case Op::Eq:
          ok = r == 0;
          break;
        case Op::Ne:
          ok = r != 0;
          break;
        case Op::Lt:
          ok = r < 0;
          break;
        case Op::Le:
          ok = r <= 0;
          break;
        case Op::Gt:
          ok = r > 0;
          break;
        case Op::Ge:
          ok = r >= 0;
          break;
      }
      if (!ok) break;
    }
    if (ok) return true;
  }
  return false;
}

}  // namespace gw
