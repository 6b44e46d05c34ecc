#pragma once
/// Strict reading of YAML documents: every key checked, every error located (file:line:col), the
/// work per file bounded so alias bombs and deep nesting cannot hang or exhaust memory.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "load/yaml_node.h"
#include "model/diagnostics.h"
#include "model/duration.h"
#include "model/names.h"
#include "model/project.h"
#include "model/schema.h"

namespace gw {

/// The most YAML nodes one file may make the loader visit (aliases count each time they are used).
inline constexpr size_t kMaxNodesPerFile = 200'000;
/// The largest input file read, in bytes.
inline constexpr size_t kMaxFileBytes = 16u << 20;

/// Per-file reading state: file name, diagnostics sink, work budget.
class LoadContext {
 public:
  LoadContext(const std::string& file, Diagnostics& diags) : file_(file), diags_(diags) {}

  const std::string& file() const { return file_.str(); }
  SourceLoc loc(const yaml::Node& n) const;
  void error(const yaml::Node& n, std::string message);
  void error(const SourceLoc& loc, std::string message) { diags_.error(loc, std::move(message)); }
  /// Counts one visited node; false (and one error) once the budget is spent.
  bool charge(const yaml::Node& n);
  bool exhausted() const { return exhausted_; }
  Diagnostics& diags() { return diags_; }

 private:
  FileName file_;  // interned once: every location of the file shares it
  Diagnostics& diags_;
  size_t visited_ = 0;
  bool exhausted_ = false;
};

/// Reads and parses one YAML file holding one document. Reports unreadable, empty, oversized and
/// malformed files; returns nullopt then.
std::optional<yaml::Document> parse_yaml_file(const std::string& path, Diagnostics& diags);
/// Same, for text already in memory (tests, generated inputs).
std::optional<yaml::Document> parse_yaml_text(const std::string& text, const std::string& file,
                                              Diagnostics& diags);

/// A YAML mapping read key by key. Keys asked for are "known"; finish() reports the rest as
/// unknown with a did-you-mean hint, and duplicate keys are reported on construction.
class MapReader {
 public:
  MapReader(LoadContext& ctx, const yaml::Node& node, std::string what);

  /// False when the node was not a mapping (already reported).
  bool valid() const { return valid_; }
  const yaml::Node& node() const { return node_; }
  SourceLoc loc() const { return ctx_.loc(node_); }

  /// The value of key, or an undefined node; marks the key known. Reports a missing required key
  /// unless a present key looks like its misspelling (one mistake, one error: finish() reports it).
  yaml::Node get(std::string_view key, Presence p = Presence::Optional);
  bool has(std::string_view key) const;
  /// Where a present key is written (its name, not its value); the mapping's location otherwise.
  SourceLoc key_loc(std::string_view key) const;

  std::optional<std::string> string(std::string_view key, Presence p = Presence::Optional);
  std::optional<Text> text(std::string_view key, Presence p = Presence::Optional);
  std::optional<bool> boolean(std::string_view key, Presence p = Presence::Optional);
  std::optional<int> integer(std::string_view key, Presence p = Presence::Optional);
  std::optional<double> number(std::string_view key, Presence p = Presence::Optional);
  std::optional<Millis> duration(std::string_view key, Presence p = Presence::Optional);
  std::optional<std::vector<std::string>> strings(std::string_view key,
                                                  Presence p = Presence::Optional);
  std::optional<TextList> texts(std::string_view key, Presence p = Presence::Optional);

  /// The keys present, in document order.
  std::vector<std::string> keys() const;
  /// Whether a key not asked for so far looks like a misspelling of one of `names`: finish()
  /// will report it with a did-you-mean, so the caller reports nothing more for that mistake.
  bool has_misspelling_of(const std::vector<std::string>& names) const;
  /// Reports every key never asked for.
  void finish();

 private:
  LoadContext& ctx_;
  yaml::Node node_;
  std::string what_;
  bool valid_ = false;
  struct Key {
    std::string name;
    yaml::Node key_node;
    yaml::Node value;
    bool known = false;
  };
  std::vector<Key> keys_;
  std::vector<std::string> asked_;
};

/// Scalar readers usable outside a mapping (list items). Report and return nullopt on type errors.
std::optional<std::string> read_string(LoadContext& ctx, const yaml::Node& n,
                                       const std::string& what);
std::optional<Text> read_text(LoadContext& ctx, const yaml::Node& n, const std::string& what);
std::optional<std::vector<std::string>> read_strings(LoadContext& ctx, const yaml::Node& n,
                                                     const std::string& what);
std::optional<TextList> read_texts(LoadContext& ctx, const yaml::Node& n, const std::string& what);

/// True when a scalar is "true"/"false" (any case); sets *out.
bool parse_bool(std::string_view s, bool* out);

}  // namespace gw
