#pragma once
/// The schemas of step-kind and gate-kind bodies (SPEC §3): which keys exist, their types, which
/// are required, which name files, and where a secret may be used.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/project.h"

namespace gw {

/// Whether a key must be present.
enum class Presence { Optional, Required };

/// Regex: a string in RE2 syntax (model/regex.h), compiled when loading (or after rendering).
enum class FieldType { String, Int, Bool, Duration, Regex, List, Map, Object };
/// Whether `${secrets.X}` may appear in the field (only where it cannot reach a command line).
enum class SecretUse { Forbidden, Allowed };
/// Whether the field's values are paths of input files, read and hashed at load time.
enum class PathUse { None, InputFile };

struct FieldSpec {
  std::string_view key;
  FieldType type;
  Presence presence = Presence::Optional;
  SecretUse secrets = SecretUse::Forbidden;
  PathUse path = PathUse::None;
  std::vector<struct FieldSpec> object_fields = {};  // for Object
  std::vector<std::string_view> one_of = {};         // String: the only values allowed, if any
};

struct BodySchema {
  std::string_view kind;
  std::vector<FieldSpec> fields;
  /// Each group: exactly one of these keys must be present.
  std::vector<std::vector<std::string_view>> exactly_one;
};

const BodySchema& step_schema(StepKind k);
const BodySchema& gate_schema(GateKind k);
std::optional<StepKind> step_kind_from(std::string_view key);
std::optional<GateKind> gate_kind_from(std::string_view key);
/// Every step kind key ("helm", "kubectl", …) and gate kind key, in SPEC order.
const std::vector<std::string>& step_kind_names();
const std::vector<std::string>& gate_kind_names();
/// The field spec for a key of a schema, or nullptr.
const FieldSpec* find_field(const BodySchema& s, std::string_view key);

}  // namespace gw
