#pragma once
/// A parsed YAML document: an immutable tree of nodes with source marks, built from libyaml's
/// event parser. Aliases share their anchor's node (no copy at parse time); the readers bound the
/// work of walking them (yaml_reader.h). Nesting is limited at parse time.
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

/// A handle to a node (cheap to copy). A default-constructed Node is "undefined": a missing key.
class Node {
 public:
  Node() = default;
  explicit Node(std::shared_ptr<const NodeData> d) : d_(std::move(d)) {}

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
  const void* id() const { return d_.get(); }
  /// The value of a scalar key of a mapping, or an undefined node.
  Node operator[](const std::string& key) const;

 private:
  std::shared_ptr<const NodeData> d_;
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

/// Parses text holding exactly one document. Syntax errors, empty input, extra documents and
/// excessive nesting are reported to diags (file:line:col) and give nullopt.
std::optional<Node> parse(const std::string& text, const std::string& file, Diagnostics& diags);

}  // namespace gw::yaml
