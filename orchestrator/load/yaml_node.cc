#include "load/yaml_node.h"

#include <yaml.h>

#include <algorithm>
#include <map>

#include "load/yaml_subset.h"

namespace gw::yaml {

namespace {

const std::string kEmpty;
const std::vector<Node> kNoItems;
const std::vector<std::pair<Node, Node>> kNoPairs;

/// RAII for libyaml's parser and events.
struct Parser {
  yaml_parser_t p{};
  Parser() { yaml_parser_initialize(&p); }
  ~Parser() { yaml_parser_delete(&p); }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;
};

struct Event {
  yaml_event_t e{};
  ~Event() { yaml_event_delete(&e); }
};

/// A node under construction and, for mappings, the key waiting for its value.
struct Frame {
  NodeData* data;
  std::optional<Node> key;
};

bool is_null_scalar(const yaml_event_t& e) {
  if (e.data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return false;
  std::string_view v(reinterpret_cast<const char*>(e.data.scalar.value), e.data.scalar.length);
  return v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL";
}

}  // namespace

NodeType Node::Type() const {
  return d_ ? d_->type : NodeType::Undefined;
}
const std::string& Node::Scalar() const {
  return d_ ? d_->scalar : kEmpty;
}
bool Node::Quoted() const {
  return d_ && d_->quoted;
}
yaml::Mark Node::Mark() const {
  return d_ ? d_->mark : yaml::Mark{};
}
const std::vector<Node>& Node::items() const {
  return d_ ? d_->items : kNoItems;
}
const std::vector<std::pair<Node, Node>>& Node::pairs() const {
  return d_ ? d_->pairs : kNoPairs;
}

Node Node::operator[](const std::string& key) const {
  for (const auto& [k, v] : pairs())
    if (k.IsScalar() && k.Scalar() == key) return v;
  return Node();
}

std::optional<Document> parse(const std::string& text, const std::string& file,
                              Diagnostics& diags) {
  if (auto tree = parse_subset(text)) {
    Document doc;
    doc.arena_ = std::move(tree->arena);  // a moved deque keeps its elements where they are
    doc.root_ = tree->root;
    return doc;
  }
  return parse_with_libyaml(text, file, diags);
}

/// The 0-based line and column (in bytes) of a byte offset in `text`.
std::pair<int, int> line_col_at(const std::string& text, size_t offset) {
  offset = std::min(offset, text.size());
  int line = 0;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i)
    if (text[i] == '\n') ++line, line_start = i + 1;
  return {line, static_cast<int>(offset - line_start)};
}

std::optional<Document> parse_with_libyaml(const std::string& text, const std::string& file,
                                           Diagnostics& diags) {
  Document doc;
  Parser parser;
  yaml_parser_set_input_string(&parser.p, reinterpret_cast<const unsigned char*>(text.data()),
                               text.size());
  std::vector<Frame> stack;
  std::map<std::string, Node> anchors;
  std::optional<Node> root;
  int documents = 0;
  auto make = [&]() -> NodeData* { return &doc.arena_.emplace_back(); };

  auto fail = [&](int line, int col, const std::string& msg) -> std::optional<Document> {
    diags.error({file, line + 1, col + 1}, msg);
    return std::nullopt;
  };
  // Attaches a finished node to its parent (or makes it the root).
  auto attach = [&](Node n) {
    if (stack.empty()) {
      root = n;
      return;
    }
    Frame& top = stack.back();
    if (top.data->type == NodeType::Sequence) {
      top.data->items.push_back(n);
    } else if (!top.key) {
      top.key = n;
    } else {
      top.data->pairs.emplace_back(*top.key, n);
      top.key.reset();
    }
  };
  auto anchor = [&](const yaml_char_t* a, const Node& n) {
    if (a) anchors[reinterpret_cast<const char*>(a)] = n;
  };

  for (;;) {
    Event ev;
    if (!yaml_parser_parse(&parser.p, &ev.e)) {
      std::string problem = parser.p.problem ? parser.p.problem : "malformed document";
      if (parser.p.context) problem = std::string(parser.p.context) + ": " + problem;
      auto m = parser.p.problem_mark;
      if (parser.p.error == YAML_READER_ERROR) {
        // The reader (bad UTF-8, control characters, NUL) sets only the byte offset.
        auto [line, col] = line_col_at(text, parser.p.problem_offset);
        return fail(line, col, "invalid YAML: " + problem);
      }
      return fail(static_cast<int>(m.line), static_cast<int>(m.column), "invalid YAML: " + problem);
    }
    const yaml_event_t& e = ev.e;
    Mark mark{static_cast<int>(e.start_mark.line), static_cast<int>(e.start_mark.column)};
    switch (e.type) {
      case YAML_STREAM_END_EVENT:
        if (!root) return fail(0, 0, "file is empty");
        doc.root_ = *root;
        return doc;
      case YAML_DOCUMENT_START_EVENT:
        if (++documents > 1)
          return fail(mark.line, mark.column,
                      "more than one YAML document; put each object in its own file");
        break;
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        if (static_cast<int>(stack.size()) >= kMaxDepth)
          return fail(mark.line, mark.column,
                      "invalid YAML: nesting deeper than " + std::to_string(kMaxDepth) + " levels");
        NodeData* d = make();
        d->type = e.type == YAML_SEQUENCE_START_EVENT ? NodeType::Sequence : NodeType::Map;
        d->mark = mark;
        anchor(e.type == YAML_SEQUENCE_START_EVENT ? e.data.sequence_start.anchor
                                                   : e.data.mapping_start.anchor,
               Node(d));
        stack.push_back({d, std::nullopt});
        break;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        Node done(stack.back().data);
        stack.pop_back();
        attach(done);
        break;
      }
      case YAML_SCALAR_EVENT: {
        NodeData* d = make();
        d->mark = mark;
        if (is_null_scalar(e)) {
          d->type = NodeType::Null;
        } else {
          d->type = NodeType::Scalar;
          d->scalar.assign(reinterpret_cast<const char*>(e.data.scalar.value),
                           e.data.scalar.length);
          d->quoted = e.data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                      e.data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
        }
        Node n(d);
        anchor(e.data.scalar.anchor, n);
        attach(n);
        break;
      }
      case YAML_ALIAS_EVENT: {
        auto it = anchors.find(reinterpret_cast<const char*>(e.data.alias.anchor));
        if (it == anchors.end())
          return fail(mark.line, mark.column,
                      std::string("invalid YAML: unknown alias '*") +
                          reinterpret_cast<const char*>(e.data.alias.anchor) + "'");
        for (const auto& f : stack)
          if (f.data == it->second.id())
            return fail(mark.line, mark.column,
                        "invalid YAML: an alias may not refer to a node that contains it");
        attach(it->second);
        break;
      }
      default:
        break;
    }
  }
}

}  // namespace gw::yaml
