#include "load/body_reader.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "load/file_reader.h"
#include "model/regex.h"
#include "model/template.h"

namespace gw {

namespace fs = std::filesystem;

namespace {

/// The largest retry.backoff factor (the delay after attempt n is delay × backoff^(n-1)).
constexpr double kMaxBackoff = 100.0;

void read_input_file(LoadContext& ctx, const Text& t, const std::string& dir, FileTable& files) {
  if (!is_plain(t.raw)) {
    ctx.error(t.loc,
              "file paths cannot contain '${…}': name the file literally, and template its "
              "contents with a .tmpl name instead");
    return;
  }
  std::string abs = resolve_path(t.raw, dir);
  if (files.count(abs)) return;
  auto content = read_regular_file(abs, kMaxFileBytes);
  if (!content) {
    if (content.error().message == kNoSuchFile)
      ctx.error(t.loc, "file not found: '" + t.raw + "' (resolved to " + abs + ")");
    else
      ctx.error(t.loc, "cannot read file '" + t.raw + "' (resolved to " + abs +
                           "): " + content.error().message);
    return;
  }
  bool templated = fs::path(abs).filename().string().find(".tmpl") != std::string::npos;
  files[abs] = InputFile{abs, std::move(*content), templated};
}

bool check_scalar_type(LoadContext& ctx, const Text& t, FieldType type, std::string_view key) {
  if (!is_plain(t.raw)) return true;  // checked after rendering
  bool b = false;
  switch (type) {
    case FieldType::Int:
      if (t.raw.empty() || t.raw.find_first_not_of("0123456789") != std::string::npos) {
        ctx.error(t.loc, "'" + std::string(key) + "' must be a whole number, not '" + t.raw + "'");
        return false;
      }
      return true;
    case FieldType::Bool:
      if (!parse_bool(t.raw, &b)) {
        ctx.error(t.loc, "'" + std::string(key) + "' must be true or false, not '" + t.raw + "'");
        return false;
      }
      return true;
    case FieldType::Duration:
      if (!parse_duration(t.raw)) {
        ctx.error(t.loc, "'" + std::string(key) + "': bad duration '" + t.raw + "'");
        return false;
      }
      return true;
    case FieldType::Regex:
      if (auto re = Regex::compile(t.raw); !re) {
        ctx.error(t.loc, "'" + std::string(key) + "': " + re.error().message);
        return false;
      }
      return true;
    default:
      return true;
  }
}

void read_field(LoadContext& ctx, MapReader& r, const FieldSpec& f, const std::string& dir,
                FileTable& files, Body& body, const std::string& prefix) {
  std::string key(f.key);
  switch (f.type) {
    case FieldType::List: {
      auto v = r.texts(f.key, f.presence);
      if (!v) return;
      if (f.path == PathUse::InputFile)
        for (const auto& t : *v) read_input_file(ctx, t, dir, files);
      body.lists[prefix + key] = std::move(*v);
      return;
    }
    case FieldType::Map: {
      yaml::Node n = r.get(f.key, f.presence);
      if (!n.IsDefined()) return;
      MapReader m(ctx, n, "'" + key + "'");
      if (!m.valid()) return;
      TextMap out;
      for (const auto& k : m.keys())
        if (auto t = m.text(k)) out[k] = std::move(*t);
      body.maps[prefix + key] = std::move(out);
      return;
    }
    case FieldType::Object: {
      yaml::Node n = r.get(f.key, f.presence);
      if (!n.IsDefined()) return;
      MapReader m(ctx, n, "'" + key + "'");
      if (!m.valid()) return;
      TextMap out;
      Body inner;
      for (const auto& sub : f.object_fields) read_field(ctx, m, sub, dir, files, inner, "");
      m.finish();
      for (auto& [k, t] : inner.scalars) out[k] = std::move(t);
      body.maps[prefix + key] = std::move(out);
      return;
    }
    default: {
      auto t = r.text(f.key, f.presence);
      if (!t) return;
      if (!check_scalar_type(ctx, *t, f.type, f.key)) return;
      if (f.path == PathUse::InputFile) read_input_file(ctx, *t, dir, files);
      body.scalars[prefix + key] = std::move(*t);
      return;
    }
  }
}

}  // namespace

Body read_body(LoadContext& ctx, const yaml::Node& node, const BodySchema& schema,
               const std::string& what, const std::string& dir, FileTable& files) {
  Body body;
  body.loc = ctx.loc(node);
  MapReader r(ctx, node, what);
  if (!r.valid()) return body;
  for (const auto& f : schema.fields) read_field(ctx, r, f, dir, files, body, "");
  for (const auto& group : schema.exactly_one) {
    std::vector<std::string> present;
    for (auto k : group)
      if (r.has(k)) present.emplace_back(k);
    if (present.size() == 1) continue;
    std::vector<std::string> names_list(group.begin(), group.end());
    if (present.empty() && r.has_misspelling_of(names_list)) continue;  // finish() names it
    std::string names;
    for (auto k : group) names += (names.empty() ? "" : ", ") + std::string(k);
    ctx.error(node, what + " needs exactly one of " + names +
                        (present.empty() ? "" : " (found " + std::to_string(present.size()) + ")"));
  }
  r.finish();
  body.scalars.shrink_to_fit();
  body.lists.shrink_to_fit();
  body.maps.shrink_to_fit();
  return body;
}

std::optional<Gate> read_gate(LoadContext& ctx, const yaml::Node& node, GateForm form,
                              const std::string& dir, FileTable& files,
                              const std::string& default_name) {
  MapReader r(ctx, node, form == GateForm::Named ? "gate" : "'gate'");
  if (!r.valid()) return std::nullopt;
  Gate g;
  g.loc = ctx.loc(node);
  bool ok = true;
  if (form == GateForm::Named) {
    auto name = r.string("name", default_name.empty() ? Presence::Required : Presence::Optional);
    if (!name && !default_name.empty() && !r.has("name")) name = default_name;
    if (name && !valid_name(*name)) {
      ctx.error(r.get("name"), "invalid gate name '" + *name + "'");
      ok = false;
    }
    if (name)
      g.name = *name;
    else
      ok = false;
    if (auto t = r.duration("timeout")) g.timeout = *t;
  }
  if (auto i = r.duration("interval")) g.interval = *i;
  std::vector<std::string> kinds;
  for (const auto& k : r.keys())
    if (gate_kind_from(k)) kinds.push_back(k);
  if (kinds.size() != 1) {
    std::string list;
    for (const auto& k : gate_kind_names()) list += (list.empty() ? "" : ", ") + k;
    // A misspelt kind (`rolout`) is one mistake: finish() names it with a did-you-mean.
    if (!kinds.empty() || !r.has_misspelling_of(gate_kind_names()))
      ctx.error(node, std::string(kinds.empty()
                                      ? "gate has no kind key"
                                      : "gate has " + std::to_string(kinds.size()) + " kind keys") +
                          "; exactly one of " + list);
    for (const auto& k : gate_kind_names()) r.get(k);  // known keys for did-you-mean
    r.finish();
    return std::nullopt;
  }
  g.kind = *gate_kind_from(kinds[0]);
  g.body =
      read_body(ctx, r.get(kinds[0]), gate_schema(g.kind), "'" + kinds[0] + "' gate", dir, files);
  for (const auto& k : gate_kind_names()) r.get(k);  // known keys for did-you-mean
  r.finish();
  if (!ok) return std::nullopt;
  return g;
}

namespace {

void read_common(LoadContext& ctx, MapReader& r, Step& s, const std::string& dir,
                 FileTable& files) {
  if (auto t = r.duration("timeout")) s.timeout = *t;
  if (auto n = r.get("retry"); n.IsDefined()) {
    MapReader rr(ctx, n, "'retry'");
    if (rr.valid()) {
      if (auto a = rr.integer("attempts")) {
        if (*a < 1)
          ctx.error(rr.get("attempts"), "'attempts' must be at least 1");
        else
          s.retry.attempts = *a;
      }
      if (auto d = rr.duration("delay")) s.retry.delay = *d;
      if (auto b = rr.number("backoff")) {
        if (!std::isfinite(*b) || *b < 1.0 || *b > kMaxBackoff)
          ctx.error(rr.get("backoff"), "'backoff' must be a number from 1 to " +
                                           std::to_string(static_cast<int>(kMaxBackoff)) +
                                           ", not '" + rr.get("backoff").Scalar() + "'");
        else
          s.retry.backoff = *b;
      }
      rr.finish();
    }
  }
  s.when = r.text("when");
  if (auto n = r.get("skipIf"); n.IsDefined()) {
    // skipIf may omit the name: it is then "<step>-skipif".
    s.skip_if = read_gate(ctx, n, GateForm::Named, dir, files, s.name + "-skipif");
  }
  s.for_each = r.text("forEach");
  s.where = r.text("where");
  if (s.where && !s.for_each)
    ctx.error(s.where->loc, "'where' filters the items of a forEach; step '" + s.name +
                                "' has no forEach (use 'when' for a condition)");
  if (auto o = r.boolean("once"); o && *o) s.repeat = Repeat::Once;
  if (auto v = r.boolean("sensitive"); v && *v) s.visibility = Visibility::Sensitive;
  if (auto n = r.get("capture"); n.IsDefined()) {
    MapReader c(ctx, n, "'capture'");
    if (c.valid()) {
      Capture cap;
      if (auto name = c.string("name", Presence::Required)) cap.name = *name;
      if (auto re = c.text("regex")) {
        cap.regex = re->raw;
        if (auto compiled = Regex::compile(re->raw); !compiled)
          ctx.error(re->loc, "'regex': " + compiled.error().message);
        else if (compiled->groups() < 1)
          ctx.error(re->loc, "'regex': /" + re->raw +
                                 "/ has no group: its group 1 is what is captured, e.g. "
                                 "'version: (\\S+)'");
      }
      c.finish();
      if (!cap.name.empty()) s.capture = cap;
    }
  }
}

}  // namespace

std::optional<Step> read_step(LoadContext& ctx, const yaml::Node& node, const std::string& dir,
                              FileTable& files, GateShorthand shorthand) {
  MapReader r(ctx, node, "step");
  if (!r.valid()) return std::nullopt;
  Step s;
  s.loc = ctx.loc(node);
  s.dir = dir;
  auto name = r.string("name", Presence::Required);
  if (name && !valid_name(*name))
    ctx.error(r.get("name"),
              "invalid step name '" + *name +
                  "' (letters, digits, '-', '_', '.'; starting with a letter or digit)");
  if (name) s.name = *name;
  std::vector<std::string> kinds, gate_kinds;
  for (const auto& k : r.keys()) {
    if (step_kind_from(k)) kinds.push_back(k);
    if (gate_kind_from(k) && k != "ssh") gate_kinds.push_back(k);
  }
  if (shorthand == GateShorthand::Accepted && kinds.empty() && gate_kinds.size() == 1) {
    // A verify entry written as a gate: {name, rollout: {…}, interval, timeout}.
    s.kind = StepKind::Gate;
    s.gate = read_gate(ctx, node, GateForm::Named, dir, files);
    if (s.gate) s.timeout = s.gate->timeout;
    return name ? std::optional<Step>(std::move(s)) : std::nullopt;
  }
  read_common(ctx, r, s, dir, files);
  if (kinds.size() != 1) {
    std::string list;
    for (const auto& k : step_kind_names()) list += (list.empty() ? "" : ", ") + k;
    if (!kinds.empty() || !r.has_misspelling_of(step_kind_names()))
      ctx.error(node,
                std::string("step '") + s.name + "' has " +
                    (kinds.empty() ? "no kind key" : std::to_string(kinds.size()) + " kind keys") +
                    "; exactly one of " + list);
  } else {
    s.kind = *step_kind_from(kinds[0]);
    if (s.kind == StepKind::Gate) {
      s.gate = read_gate(ctx, r.get("gate"), GateForm::InStep, dir, files);
      if (s.gate) {
        s.gate->name = s.name;
        s.gate->timeout = s.timeout;
      }
    } else {
      s.body = read_body(ctx, r.get(kinds[0]), step_schema(s.kind), "'" + kinds[0] + "' step", dir,
                         files);
    }
  }
  for (const auto& k : step_kind_names()) r.get(k);
  r.finish();
  if (!name || kinds.size() != 1) return std::nullopt;
  return s;
}

std::vector<Step> read_steps(LoadContext& ctx, const yaml::Node& node, const std::string& what,
                             const std::string& dir, FileTable& files, GateShorthand shorthand) {
  std::vector<Step> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  if (!node.IsSequence()) {
    ctx.error(node, what + " must be a list of steps");
    return out;
  }
  std::map<std::string, SourceLoc> seen;
  out.reserve(node.items().size());
  for (const auto& item : node.items()) {
    if (ctx.exhausted()) break;
    auto s = read_step(ctx, item, dir, files, shorthand);
    if (!s) continue;
    auto [it, fresh] = seen.emplace(s->name, s->loc);
    if (!fresh) {
      ctx.error(s->loc, "duplicate step name '" + s->name + "' in " + what + " (first at " +
                            it->second.str() + ")");
      continue;
    }
    out.push_back(std::move(*s));
  }
  return out;
}

}  // namespace gw
