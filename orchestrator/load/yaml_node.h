#pragma once
/// A parsed YAML document: an immutable tree of nodes with source marks, built from libyaml's
/// event parser into an arena owned by the Document. Aliases share their anchor's node (no copy at
/// parse time); the readers bound the work of walking them (yaml_reader.h). Nesting is limited at
/// parse time.
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/diagnostics.h"

namespace gw::yaml {

enum class NodeType { Undefined, Null, Scalar, Sequence, Map };

/// 0-based line and column; line < 0 when unknown.
struct Mark {
  int line = -1;
  int column = -1;
  bool is_null() const { return line < 0; }
};

class Node;
struct NodeData;

/// A handle to a node of a Document (a pointer: cheap to copy, valid while the Document lives).
/// A default-constructed Node is "undefined": a missing key.
class Node {
 public:
  Node() = default;
  explicit Node(const NodeData* d) : d_(d) {}

  NodeType Type() const;
  bool IsDefined() const { return d_ != nullptr; }
  bool IsNull() const { return Type() == NodeType::Null; }
  bool IsScalar() const { return Type() == NodeType::Scalar; }
  bool IsSequence() const { return Type() == NodeType::Sequence; }
  bool IsMap() const { return Type() == NodeType::Map; }
  /// The scalar's text ("" for others).
  const std::string& Scalar() const;
  /// Whether the scalar was quoted ('…' or "…") in the source.
  bool Quoted() const;
  yaml::Mark Mark() const;
  /// Sequence items (empty for others).
  const std::vector<Node>& items() const;
  /// Mapping entries in document order (empty for others).
  const std::vector<std::pair<Node, Node>>& pairs() const;
  /// Identity of the underlying node (aliases share it).
  const void* id() const { return d_; }
  /// The value of a scalar key of a mapping, or an undefined node.
  Node operator[](const std::string& key) const;

 private:
  const NodeData* d_ = nullptr;
};

struct NodeData {
  NodeType type = NodeType::Null;
  std::string scalar;
  bool quoted = false;
  yaml::Mark mark;
  std::vector<Node> items;
  std::vector<std::pair<Node, Node>> pairs;
};

/// The deepest nesting accepted.
inline constexpr int kMaxDepth = 256;

/// A parsed document: owns every node. Movable (nodes keep their addresses).
class Document {
 public:
  Node root() const { return root_; }

 private:
  friend std::optional<Document> parse(const std::string&, const std::string&, Diagnostics&);
  friend std::optional<Document> parse_with_libyaml(const std::string&, const std::string&,
                                                    Diagnostics&);
  std::deque<NodeData> arena_;
  Node root_;
};

/// Parses text holding exactly one document. Syntax errors, empty input, extra documents and
/// excessive nesting are reported to diags (file:line:col) and give nullopt. Text in the common
/// subset (load/yaml_subset.h) is parsed by the fast parser, everything else by libyaml.
std::optional<Document> parse(const std::string& text, const std::string& file, Diagnostics& diags);

/// The same with libyaml alone (the reference the fast parser is tested against).
std::optional<Document> parse_with_libyaml(const std::string& text, const std::string& file,
                                           Diagnostics& diags);

}  // namespace gw::yaml
