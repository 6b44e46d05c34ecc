#pragma once
/// Types of stage vars (SPEC §3 "Var types"): the check of one value against a type, and the
/// cross-check of an IP inside a range. Pure: no I/O.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gw {

/// The type a stage declares for a var. `Path` is a local file path: a relative inventory value
/// resolves from the inventory file's folder.
enum class VarType { String, Bool, Int, Duration, Ip, Cidr, IpRange, Hostname, Url, Enum, Path };

/// The type names as written in `spec.vars` ("iprange", "path"), in VarType order.
inline constexpr std::string_view kVarTypeNames[] = {"string", "bool", "int",     "duration",
                                                     "ip",     "cidr", "iprange", "hostname",
                                                     "url",    "enum", "path"};

/// "string", "iprange", …
const char* to_string(VarType t);
/// The type of a name as written; nullopt when unknown.
std::optional<VarType> parse_var_type(std::string_view name);
/// How a message names the type: "an int", "an IP address", "one of acme, selfsigned".
std::string describe_var_type(VarType t, const std::vector<std::string>& enum_values);

/// Checks one value against a type (`enum_values` for Enum). Empty when it fits, else why not:
/// "is not an int".
std::string check_var_value(VarType t, std::string_view value,
                            const std::vector<std::string>& enum_values);

/// The value as later stages see it: a bool in lower case ("True" -> "true"); others unchanged.
std::string canonical_var_value(VarType t, std::string_view value);

/// Whether `ip` lies inside `range`, an `a-b` range, a CIDR or a single address. nullopt when
/// either does not parse (each is checked against its own type first).
std::optional<bool> ip_within(std::string_view ip, std::string_view range);

}  // namespace gw
