#include "model/schema.h"

namespace gw {

namespace {

using F = FieldSpec;
constexpr auto S = FieldType::String;
constexpr auto I = FieldType::Int;
constexpr auto B = FieldType::Bool;
constexpr auto Re = FieldType::Regex;
constexpr auto L = FieldType::List;
constexpr auto M = FieldType::Map;
constexpr auto O = FieldType::Object;
constexpr auto Req = Presence::Required;
constexpr auto Opt = Presence::Optional;
constexpr auto Sec = SecretUse::Allowed;
constexpr auto NoSec = SecretUse::Forbidden;
constexpr auto File = PathUse::InputFile;
constexpr auto NoPath = PathUse::None;

const std::vector<BodySchema>& step_schemas() {
  static const std::vector<BodySchema> kSchemas = {
      {"helm",
       {F{"release", S, Req}, F{"chart", S, Req}, F{"repo", S}, F{"version", S}, F{"namespace", S},
        F{"createNamespace", B}, F{"values", L, Opt, NoSec, File}, F{"wait", B}},
       {}},
      {"kubectl",
       {F{"apply", L, Opt, NoSec, File}, F{"delete", L, Opt, NoSec, File}, F{"args", L},
        F{"serverSide", B}, F{"namespace", S}},
       {{"apply", "delete", "args"}}},
      {"talosctl", {F{"args", L, Req}, F{"nodes", L}}, {}},
      {"ssh",
       {F{"host", S}, F{"hosts", L}, F{"command", S}, F{"sudo", B}, F{"stdin", S, Opt, Sec},
        F{"upload",
          O,
          Opt,
          NoSec,
          NoPath,
          {F{"src", S, Req, NoSec, File}, F{"dest", S, Req}, F{"mode", S}}},
        F{"download", O, Opt, NoSec, NoPath, {F{"src", S, Req}, F{"dest", S, Req}}},
        F{"push", O, Opt, NoSec, NoPath, {F{"src", S, Req}, F{"dest", S, Req}, F{"mode", S}}}},
       {{"host", "hosts"}, {"command", "upload", "download", "push"}}},
      {"run", {F{"argv", L, Req}, F{"env", M, Opt, Sec}, F{"cwd", S}, F{"stdin", S, Opt, Sec}}, {}},
      {"gate", {}, {}},
  };
  return kSchemas;
}

const std::vector<BodySchema>& gate_schemas() {
  static const std::vector<BodySchema> kSchemas = {
      {"rollout", {F{"kind", S, Req}, F{"name", S, Req}, F{"namespace", S}}, {}},
      {"condition", {F{"resource", S, Req}, F{"condition", S, Req}, F{"namespace", S}}, {}},
      {"exists", {F{"resource", S, Req}, F{"namespace", S}}, {}},
      {"jsonpath",
       {F{"resource", S, Req}, F{"namespace", S}, F{"path", S, Req}, F{"equals", S},
        F{"matches", Re}, F{"nonEmpty", B}},
       {{"equals", "matches", "nonEmpty"}}},
      {"http",
       {F{"url", S, Req}, F{"status", I}, F{"contains", S}, F{"resolve", S}, F{"caFile", S},
        F{"insecure", B}},
       {}},
      {"dns",
       {F{"server", S, Req}, F{"name", S, Req}, F{"type", S, Opt, NoSec, NoPath, {}, {"A", "AAAA"}},
        F{"expect", S}},
       {}},
      {"tcp", {F{"host", S, Req}, F{"port", I, Req}}, {}},
      {"ssh", {F{"host", S, Req}, F{"command", S, Req}}, {}},
      {"command", {F{"argv", L, Req}, F{"expectExit", I}, F{"expectOutput", Re}}, {}},
  };
  return kSchemas;
}

}  // namespace

const BodySchema& step_schema(StepKind k) {
  return step_schemas()[static_cast<size_t>(k)];
}
const BodySchema& gate_schema(GateKind k) {
  return gate_schemas()[static_cast<size_t>(k)];
}

std::optional<StepKind> step_kind_from(std::string_view key) {
  const auto& all = step_schemas();
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i].kind == key) return static_cast<StepKind>(i);
  return std::nullopt;
}

std::optional<GateKind> gate_kind_from(std::string_view key) {
  const auto& all = gate_schemas();
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i].kind == key) return static_cast<GateKind>(i);
  return std::nullopt;
}

const std::vector<std::string>& step_kind_names() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> v;
    for (const auto& s : step_schemas()) v.emplace_back(s.kind);
    return v;
  }();
  return kNames;
}

const std::vector<std::string>& gate_kind_names() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> v;
    for (const auto& s : gate_schemas()) v.emplace_back(s.kind);
    return v;
  }();
  return kNames;
}

const FieldSpec* find_field(const BodySchema& s, std::string_view key) {
  for (const auto& f : s.fields)
    if (f.key == key) return &f;
  return nullptr;
}

}  // namespace gw
