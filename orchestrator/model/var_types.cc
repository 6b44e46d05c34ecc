#include "model/var_types.h"

#include <arpa/inet.h>

#include <array>
#include <cctype>
#include <cstdint>

#include "model/duration.h"

namespace gw {

namespace {

/// An IPv4 or IPv6 address, comparable within one family.
struct IpAddr {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};
  auto operator<=>(const IpAddr&) const = default;
};

std::optional<IpAddr> parse_ip(std::string_view s) {
  if (s.empty() || s.size() > 45) return std::nullopt;
  std::string z(s);
  IpAddr a;
  if (z.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, z.c_str(), a.bytes.data()) != 1) return std::nullopt;
    return a;
  }
  a.v6 = true;
  if (inet_pton(AF_INET6, z.c_str(), a.bytes.data()) != 1) return std::nullopt;
  return a;
}

/// The first and last address of a CIDR `addr/prefix` (host bits may be set, as Go's
/// net.ParseCIDR and MetalLB allow).
std::optional<std::pair<IpAddr, IpAddr>> parse_cidr(std::string_view s) {
  size_t slash = s.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto ip = parse_ip(s.substr(0, slash));
  std::string_view bits = s.substr(slash + 1);
  if (!ip || bits.empty() || bits.size() > 3) return std::nullopt;
  int prefix = 0;
  for (char c : bits) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    prefix = prefix * 10 + (c - '0');
  }
  int width = ip->v6 ? 128 : 32;
  if (prefix > width) return std::nullopt;
  IpAddr lo = *ip, hi = *ip;
  for (int bit = prefix; bit < width; ++bit) {
    uint8_t mask = static_cast<uint8_t>(0x80u >> (bit % 8));
    lo.bytes[bit / 8] &= static_cast<uint8_t>(~mask);
    hi.bytes[bit / 8] |= mask;
  }
  return std::make_pair(lo, hi);
}

/// `a-b` (one family, a <= b), or a CIDR; nullopt otherwise.
std::optional<std::pair<IpAddr, IpAddr>> parse_range(std::string_view s) {
  if (s.find('/') != std::string_view::npos) return parse_cidr(s);
  size_t dash = s.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto a = parse_ip(s.substr(0, dash)), b = parse_ip(s.substr(dash + 1));
  if (!a || !b || a->v6 != b->v6 || *b < *a) return std::nullopt;
  return std::make_pair(*a, *b);
}

bool is_int(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s.empty() || s.size() > 18) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

/// RFC 1123 host name: dot-separated labels of letters, digits and '-' (not first or last),
/// 1-63 characters each, 253 in all; one trailing dot allowed.
bool is_hostname(std::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (start <= s.size()) {
    size_t dot = s.find('.', start);
    std::string_view label = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (char c : label)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

/// `scheme://authority[/…]`: a scheme (RFC 3986: a letter, then letters, digits, + - .), a
/// non-empty authority, no spaces or control characters.
bool is_url(std::string_view s) {
  size_t sep = s.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  if (!std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s.substr(0, sep))
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
      return false;
  std::string_view rest = s.substr(sep + 3);
  if (rest.empty() || rest[0] == '/') return false;
  for (char c : rest)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  return true;
}

bool is_bool(std::string_view s) {
  std::string l(s);
  for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l == "true" || l == "false";
}

}  // namespace

const char* to_string(VarType t) {
  return kVarTypeNames[static_cast<size_t>(t)].data();
}

std::optional<VarType> parse_var_type(std::string_view name) {
  for (size_t i = 0; i < std::size(kVarTypeNames); ++i)
    if (kVarTypeNames[i] == name) return static_cast<VarType>(i);
  return std::nullopt;
}

std::string describe_var_type(VarType t, const std::vector<std::string>& enum_values) {
  switch (t) {
    case VarType::String:
      return "a string";
    case VarType::Bool:
      return "a bool (true or false)";
    case VarType::Int:
      return "an int";
    case VarType::Duration:
      return "a duration (e.g. 30s, 5m, 1h30m)";
    case VarType::Ip:
      return "an IP address";
    case VarType::Cidr:
      return "a CIDR (address/prefix)";
    case VarType::IpRange:
      return "an IP range (first-last, or a CIDR)";
    case VarType::Hostname:
      return "a hostname";
    case VarType::Url:
      return "a URL (scheme://host…)";
    case VarType::Path:
      return "a path";
    case VarType::Enum: {
      std::string s = "one of ";
      for (size_t i = 0; i < enum_values.size(); ++i) s += (i ? ", " : "") + enum_values[i];
      return s;
    }
  }
  return "?";
}

std::string check_var_value(VarType t, std::string_view v,
                            const std::vector<std::string>& enum_values) {
  bool ok = true;
  switch (t) {
    case VarType::String:
      break;
    case VarType::Bool:
      ok = is_bool(v);
      break;
    case VarType::Int:
      ok = is_int(v);
      break;
    case VarType::Duration:
      ok = parse_duration(v).has_value();
      break;
    case VarType::Ip:
      ok = parse_ip(v).has_value();
      break;
    case VarType::Cidr:
      ok = parse_cidr(v).has_value();
      break;
    case VarType::IpRange:
      ok = parse_range(v).has_value();
      if (!ok) {
        size_t dash = v.find('-');
        auto a = parse_ip(v.substr(0, dash)), b = parse_ip(v.substr(dash + 1));
        if (dash != std::string_view::npos && a && b && a->v6 == b->v6)
          return "is not an IP range: its start is after its end";
      }
      break;
    case VarType::Hostname:
      ok = is_hostname(v);
      break;
    case VarType::Url:
      ok = is_url(v);
      break;
    case VarType::Path:
      ok = !v.empty();
      break;
    case VarType::Enum:
      ok = false;
      for (const auto& e : enum_values) ok = ok || e == v;
      break;
  }
  if (ok) return "";
  return "is not " + describe_var_type(t, enum_values);
}

std::string canonical_var_value(VarType t, std::string_view value) {
  std::string s(value);
  if (t == VarType::Bool)
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::optional<bool> ip_within(std::string_view ip, std::string_view range) {
  auto a = parse_ip(ip);
  if (!a) return std::nullopt;
  auto r = parse_range(range);
  if (!r) {
    auto single = parse_ip(range);
    if (!single) return std::nullopt;
    r = std::make_pair(*single, *single);
  }
  if (a->v6 != r->first.v6) return false;
  return r->first <= *a && *a <= r->second;
}

}  // namespace gw
