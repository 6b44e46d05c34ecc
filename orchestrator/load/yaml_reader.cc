#include "load/yaml_reader.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace gw {

SourceLoc LoadContext::loc(const YAML::Node& n) const {
  if (!n.IsDefined()) return {file_, 0, 0};
  auto m = n.Mark();
  if (m.is_null()) return {file_, 0, 0};
  return {file_, m.line + 1, m.column + 1};
}

void LoadContext::error(const YAML::Node& n, std::string message) {
  diags_.error(loc(n), std::move(message));
}

bool LoadContext::charge(const YAML::Node& n) {
  if (exhausted_) return false;
  if (++visited_ <= kMaxNodesPerFile) return true;
  exhausted_ = true;
  error(n, "document too large: more than " + std::to_string(kMaxNodesPerFile) +
               " nodes after alias expansion; refusing to read further");
  return false;
}

std::optional<YAML::Node> parse_yaml_text(const std::string& text, const std::string& file,
                                          Diagnostics& diags) {
  if (text.size() > kMaxFileBytes) {
    diags.error({file, 0, 0}, "file is larger than " + std::to_string(kMaxFileBytes >> 20) +
                                  " MiB; refusing to read it");
    return std::nullopt;
  }
  try {
    std::vector<YAML::Node> docs = YAML::LoadAll(text);
    if (docs.empty() || docs[0].IsNull()) {
      diags.error({file, 1, 1}, "file is empty");
      return std::nullopt;
    }
    if (docs.size() > 1) {
      auto m = docs[1].Mark();
      diags.error({file, m.line + 1, m.column + 1},
                  "more than one YAML document; put each object in its own file");
      return std::nullopt;
    }
    return docs[0];
  } catch (const YAML::DeepRecursion& e) {
    diags.error({file, e.mark.line + 1, e.mark.column + 1},
                "invalid YAML: nesting deeper than " + std::to_string(e.depth()) + " levels");
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    std::string msg = e.msg;
    if (msg.empty()) msg = "invalid YAML";
    diags.error({file, e.mark.is_null() ? 1 : e.mark.line + 1,
                 e.mark.is_null() ? 1 : e.mark.column + 1},
                "invalid YAML: " + msg);
    return std::nullopt;
  }
}

std::optional<YAML::Node> parse_yaml_file(const std::string& path, Diagnostics& diags) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diags.error({path, 0, 0}, "cannot read file");
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_yaml_text(ss.str(), path, diags);
}

namespace {

const char* type_name(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "empty";
    case YAML::NodeType::Scalar: return "a scalar";
    default: return "undefined";
  }
}

}  // namespace

bool parse_bool(std::string_view s, bool* out) {
  std::string l(s);
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  if (l == "true") return *out = true, true;
  if (l == "false") return *out = false, true;
  return false;
}

MapReader::MapReader(LoadContext& ctx, const YAML::Node& node, std::string what)
    : ctx_(ctx), node_(node), what_(std::move(what)) {
  if (!ctx_.charge(node)) return;
  if (!node.IsMap()) {
    ctx_.error(node, what_ + " must be a mapping, not " + type_name(node));
    return;
  }
  valid_ = true;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!ctx_.charge(it->first)) {
      valid_ = false;
      return;
    }
    if (!it->first.IsScalar()) {
      ctx_.error(it->first, "keys in " + what_ + " must be strings");
      continue;
    }
    std::string name = it->first.Scalar();
    bool dup = std::any_of(keys_.begin(), keys_.end(), [&](const Key& k) { return k.name == name; });
    if (dup) {
      ctx_.error(it->first, "duplicate key '" + name + "' in " + what_);
      continue;
    }
    keys_.push_back({name, it->first, it->second, false});
  }
}

bool MapReader::has(std::string_view key) const {
  return std::any_of(keys_.begin(), keys_.end(), [&](const Key& k) { return k.name == key; });
}

YAML::Node MapReader::get(std::string_view key, Presence p) {
  asked_.emplace_back(key);
  for (auto& k : keys_) {
    if (k.name == key) {
      k.known = true;
      if (p == Presence::Required && k.value.IsNull()) {
        ctx_.error(k.key_node, "key '" + std::string(key) + "' in " + what_ + " needs a value");
        return YAML::Node(YAML::NodeType::Undefined);
      }
      return k.value;
    }
  }
  if (p == Presence::Required && valid_)
    ctx_.error(node_, "missing required key '" + std::string(key) + "' in " + what_);
  return YAML::Node(YAML::NodeType::Undefined);
}

std::vector<std::string> MapReader::keys() const {
  std::vector<std::string> out;
  for (const auto& k : keys_) out.push_back(k.name);
  return out;
}

void MapReader::finish() {
  for (const auto& k : keys_) {
    if (k.known) continue;
    std::string msg = "unknown key '" + k.name + "' in " + what_;
    if (auto m = closest_match(k.name, asked_)) msg += " (did you mean '" + *m + "'?)";
    ctx_.error(k.key_node, msg);
  }
}

std::optional<std::string> read_string(LoadContext& ctx, const YAML::Node& n,
                                       const std::string& what) {
  if (!n.IsDefined()) return std::nullopt;
  if (!ctx.charge(n)) return std::nullopt;
  if (!n.IsScalar()) {
    ctx.error(n, what + " must be a string, not " + type_name(n));
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<Text> read_text(LoadContext& ctx, const YAML::Node& n, const std::string& what) {
  auto s = read_string(ctx, n, what);
  if (!s) return std::nullopt;
  SourceLoc loc = ctx.loc(n);
  if (n.Tag() == "!" && loc.col > 0) loc.col += 1;  // quoted: point inside the quotes
  return Text{std::move(*s), std::move(loc)};
}

std::optional<std::vector<std::string>> read_strings(LoadContext& ctx, const YAML::Node& n,
                                                     const std::string& what) {
  auto texts = read_texts(ctx, n, what);
  if (!texts) return std::nullopt;
  std::vector<std::string> out;
  for (auto& t : *texts) out.push_back(std::move(t.raw));
  return out;
}

std::optional<TextList> read_texts(LoadContext& ctx, const YAML::Node& n, const std::string& what) {
  if (!n.IsDefined()) return std::nullopt;
  if (!ctx.charge(n)) return std::nullopt;
  if (!n.IsSequence()) {
    ctx.error(n, what + " must be a list, not " + type_name(n));
    return std::nullopt;
  }
  TextList out;
  bool ok = true;
  for (const auto& item : n) {
    auto t = read_text(ctx, item, "each item of " + what);
    if (t) out.push_back(std::move(*t));
    else ok = false;
    if (ctx.exhausted()) return std::nullopt;
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::string> MapReader::string(std::string_view key, Presence p) {
  return read_string(ctx_, get(key, p), "'" + std::string(key) + "'");
}

std::optional<Text> MapReader::text(std::string_view key, Presence p) {
  return read_text(ctx_, get(key, p), "'" + std::string(key) + "'");
}

std::optional<bool> MapReader::boolean(std::string_view key, Presence p) {
  YAML::Node n = get(key, p);
  auto s = read_string(ctx_, n, "'" + std::string(key) + "'");
  if (!s) return std::nullopt;
  bool b = false;
  if (!parse_bool(*s, &b)) {
    ctx_.error(n, "'" + std::string(key) + "' must be true or false, not '" + *s + "'");
    return std::nullopt;
  }
  return b;
}

std::optional<int> MapReader::integer(std::string_view key, Presence p) {
  YAML::Node n = get(key, p);
  auto s = read_string(ctx_, n, "'" + std::string(key) + "'");
  if (!s) return std::nullopt;
  try {
    size_t used = 0;
    long v = std::stol(*s, &used);
    if (used == s->size() && v >= INT32_MIN && v <= INT32_MAX) return static_cast<int>(v);
  } catch (const std::exception&) {
  }
  ctx_.error(n, "'" + std::string(key) + "' must be a whole number, not '" + *s + "'");
  return std::nullopt;
}

std::optional<double> MapReader::number(std::string_view key, Presence p) {
  YAML::Node n = get(key, p);
  auto s = read_string(ctx_, n, "'" + std::string(key) + "'");
  if (!s) return std::nullopt;
  try {
    size_t used = 0;
    double v = std::stod(*s, &used);
    if (used == s->size()) return v;
  } catch (const std::exception&) {
  }
  ctx_.error(n, "'" + std::string(key) + "' must be a number, not '" + *s + "'");
  return std::nullopt;
}

std::optional<Millis> MapReader::duration(std::string_view key, Presence p) {
  YAML::Node n = get(key, p);
  auto s = read_string(ctx_, n, "'" + std::string(key) + "'");
  if (!s) return std::nullopt;
  auto d = parse_duration(*s);
  if (!d) {
    ctx_.error(n, "'" + std::string(key) + "': bad duration '" + *s +
                      "' (use e.g. 250ms, 30s, 5m, 1h30m)");
    return std::nullopt;
  }
  return d;
}

std::optional<std::vector<std::string>> MapReader::strings(std::string_view key, Presence p) {
  return read_strings(ctx_, get(key, p), "'" + std::string(key) + "'");
}

std::optional<TextList> MapReader::texts(std::string_view key, Presence p) {
  return read_texts(ctx_, get(key, p), "'" + std::string(key) + "'");
}

}  // namespace gw
