#include "load/yaml_reader.h"

#include <algorithm>

#include "load/file_reader.h"

namespace gw {

SourceLoc LoadContext::loc(const yaml::Node& n) const {
  if (!n.IsDefined()) return {file_, 0, 0};
  auto m = n.Mark();
  if (m.is_null()) return {file_, 0, 0};
  return {file_, m.line + 1, m.column + 1};
}

void LoadContext::error(const yaml::Node& n, std::string message) {
  diags_.error(loc(n), std::move(message));
}

bool LoadContext::charge(const yaml::Node& n) {
  if (exhausted_) return false;
  if (++visited_ <= kMaxNodesPerFile) return true;
  exhausted_ = true;
  error(n, "document too large: more than " + std::to_string(kMaxNodesPerFile) +
               " nodes after alias expansion; refusing to read further");
  return false;
}

std::optional<yaml::Document> parse_yaml_text(const std::string& text, const std::string& file,
                                              Diagnostics& diags) {
  if (text.size() > kMaxFileBytes) {
    diags.error({file, 0, 0}, "cannot read file: larger than " + format_size_limit(kMaxFileBytes));
    return std::nullopt;
  }
  return yaml::parse(text, file, diags);
}

std::optional<yaml::Document> parse_yaml_file(const std::string& path, Diagnostics& diags) {
  auto text = read_regular_file(path, kMaxFileBytes);
  if (!text) {
    diags.error({path, 0, 0}, "cannot read file: " + text.error().message);
    return std::nullopt;
  }
  return parse_yaml_text(*text, path, diags);
}

namespace {

const char* type_name(const yaml::Node& n) {
  switch (n.Type()) {
    case yaml::NodeType::Map:
      return "a mapping";
    case yaml::NodeType::Sequence:
      return "a list";
    case yaml::NodeType::Null:
      return "empty";
    case yaml::NodeType::Scalar:
      return "a scalar";
    case yaml::NodeType::Undefined:
      break;
  }
  return "undefined";
}

}  // namespace

bool parse_bool(std::string_view s, bool* out) {
  std::string l(s);
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  if (l == "true") return *out = true, true;
  if (l == "false") return *out = false, true;
  return false;
}

MapReader::MapReader(LoadContext& ctx, const yaml::Node& node, std::string what)
    : ctx_(ctx), node_(node), what_(std::move(what)) {
  if (!ctx_.charge(node)) return;
  if (!node.IsMap()) {
    ctx_.error(node, what_ + " must be a mapping, not " + type_name(node));
    return;
  }
  valid_ = true;
  keys_.reserve(node.pairs().size());
  for (const auto& [key, value] : node.pairs()) {
    if (!ctx_.charge(key)) {
      valid_ = false;
      return;
    }
    if (!key.IsScalar()) {
      ctx_.error(key, "keys in " + what_ + " must be strings");
      continue;
    }
    const std::string& name = key.Scalar();
    bool dup =
        std::any_of(keys_.begin(), keys_.end(), [&](const Key& k) { return k.name == name; });
    if (dup) {
      ctx_.error(key, "duplicate key '" + name + "' in " + what_);
      continue;
    }
    keys_.push_back({name, key, value, false});
  }
}

bool MapReader::has(std::string_view key) const {
  return std::any_of(keys_.begin(), keys_.end(), [&](const Key& k) { return k.name == key; });
}

SourceLoc MapReader::key_loc(std::string_view key) const {
  for (const auto& k : keys_)
    if (k.name == key) return ctx_.loc(k.key_node);
  return loc();
}

yaml::Node MapReader::get(std::string_view key, Presence p) {
  asked_.emplace_back(key);
  for (auto& k : keys_) {
    if (k.name == key) {
      k.known = true;
      if (p == Presence::Required && k.value.IsNull()) {
        ctx_.error(k.key_node, "key '" + std::string(key) + "' in " + what_ + " needs a value");
        return yaml::Node();
      }
      return k.value;
    }
  }
  if (p == Presence::Required && valid_ && !has_misspelling_of({std::string(key)}))
    ctx_.error(node_, "missing required key '" + std::string(key) + "' in " + what_);
  return yaml::Node();
}

std::vector<std::string> MapReader::keys() const {
  std::vector<std::string> out;
  for (const auto& k : keys_) out.push_back(k.name);
  return out;
}

bool MapReader::has_misspelling_of(const std::vector<std::string>& names) const {
  return std::any_of(keys_.begin(), keys_.end(), [&](const Key& k) {
    return !k.known && std::find(names.begin(), names.end(), k.name) == names.end() &&
           closest_match(k.name, names).has_value();
  });
}

void MapReader::finish() {
  for (const auto& k : keys_) {
    if (k.known) continue;
    std::string msg = "unknown key '" + k.name + "' in " + what_;
    if (auto m = closest_match(k.name, asked_)) msg += " (did you mean '" + *m + "'?)";
    ctx_.error(k.key_node, msg);
  }
}

std::optional<std::string> read_string(LoadContext& ctx, const yaml::Node& n,
                                       const std::string& what) {
  if (!n.IsDefined()) return std::nullopt;
  if (!ctx.charge(n)) return std::nullopt;
  if (!n.IsScalar()) {
    ctx.error(n, what + " must be a string, not " + type_name(n));
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<Text> read_text(LoadContext& ctx, const yaml::Node& n, const std::string& what) {
  auto s = read_string(ctx, n, what);
  if (!s) return std::nullopt;
  SourceLoc loc = ctx.loc(n);
  if (n.Quoted() && loc.col > 0) loc.col += 1;  // quoted: point inside the quotes
  return Text{std::move(*s), loc};
}

std::optional<std::vector<std::string>> read_strings(LoadContext& ctx, const yaml::Node& n,
                                                     const std::string& what) {
  auto texts = read_texts(ctx, n, what);
  if (!texts) return std::nullopt;
  std::vector<std::string> out;
  for (auto& t : *texts) out.push_back(std::move(t.raw));
  return out;
}

std::optional<TextList> read_texts(LoadContext& ctx, const yaml::Node& n, const std::string& what) {
  if (!n.IsDefined()) return std::nullopt;
  if (!ctx.charge(n)) return std::nullopt;
  if (!n.IsSequence()) {
    ctx.error(n, what + " must be a list, not " + type_name(n));
    return std::nullopt;
  }
  TextList out;
  bool ok = true;
  for (const auto& item : n.items()) {
    auto t = read_text(ctx, item, "each item of " + what);
    if (t)
      out.push_back(std::move(*t));
    else
      ok = false;
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
  yaml::Node n = get(key, p);
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
  yaml::Node n = get(key, p);
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
  yaml::Node n = get(key, p);
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
  yaml::Node n = get(key, p);
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
