#include "load/yaml_subset.h"

#include <cstring>
#include <string>
#include <vector>

namespace gw::yaml {

namespace {

/// Below libyaml's own limit (kMaxDepth), so deeper input is declined and libyaml reports it.
constexpr int kMaxSubsetDepth = 64;
/// libyaml gives up on a key of 1024 characters; stay clear of the boundary.
constexpr size_t kMaxKeyLength = 1000;
constexpr char kEol = '\n';

struct Line {
  size_t begin = 0;
  size_t end = 0;
  int indent = 0;
  bool significant = false;  // not blank, not only a comment
};

bool blank_or_eol(char c) {
  return c == ' ' || c == kEol;
}

bool is_null_plain(std::string_view v) {
  return v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL";
}

/// Whether a plain scalar may start with c (followed by next). Conservative in flow context.
bool plain_start(char c, char next, bool flow) {
  if (c == '-') return !blank_or_eol(next) && !(flow && std::strchr(",[]{}", next));
  if (c == '?' || c == ':') return !flow && !blank_or_eol(next);
  return c != ' ' && c != kEol && !std::strchr(",[]{}#&*!|>'\"%@`", c);
}

/// A mapping key read on one line: its text, quoting, where it starts and where its ':' ends.
struct KeyScan {
  std::string text;
  bool quoted = false;
  int start = 0;
  int after_colon = 0;
};

class SubsetParser {
 public:
  explicit SubsetParser(std::string_view text) : text_(text) {}

  std::optional<SubsetTree> run() {
    if (!split_lines()) return std::nullopt;
    size_t li = next_significant(0);
    if (li < lines_.size() && starts_document_marker(li)) {
      if (!bare_document_start(li)) return std::nullopt;
      li = next_significant(li + 1);
    }
    if (li >= lines_.size()) return std::nullopt;  // empty: libyaml words it
    for (size_t i = li; i < lines_.size(); ++i)
      if (starts_document_marker(i)) return std::nullopt;
    size_t next = 0;
    if (!block_node(li, lines_[li].indent, 0, &tree_.root, &next)) return std::nullopt;
    if (next != lines_.size()) return std::nullopt;
    return std::move(tree_);
  }

 private:
  std::string_view text_;
  std::vector<Line> lines_;
  SubsetTree tree_;

  /// Splits into lines; declines on bytes the subset does not take (tabs, CR, other control
  /// characters, non-ASCII: libyaml counts columns in characters and checks UTF-8).
  bool split_lines() {
    size_t begin = 0;
    for (size_t i = 0; i <= text_.size(); ++i) {
      if (i == text_.size() || text_[i] == kEol) {
        if (i == text_.size() && begin == i) break;
        Line l{begin, i, 0, false};
        while (begin + l.indent < i && text_[begin + l.indent] == ' ') ++l.indent;
        l.significant = begin + l.indent < i && text_[begin + l.indent] != '#';
        lines_.push_back(l);
        begin = i + 1;
        continue;
      }
      auto b = static_cast<unsigned char>(text_[i]);
      if (b < 0x20 || b >= 0x7f) return false;
    }
    return true;
  }

  char at(size_t li, int col) const {
    const Line& l = lines_[li];
    size_t p = l.begin + static_cast<size_t>(col);
    return p < l.end ? text_[p] : kEol;
  }
  int skip_spaces(size_t li, int col) const {
    while (at(li, col) == ' ') ++col;
    return col;
  }
  size_t next_significant(size_t li) const {
    while (li < lines_.size() && !lines_[li].significant) ++li;
    return li;
  }
  bool starts_document_marker(size_t li) const {
    return lines_[li].indent == 0 &&
           ((at(li, 0) == '-' && at(li, 1) == '-' && at(li, 2) == '-') ||
            (at(li, 0) == '.' && at(li, 1) == '.' && at(li, 2) == '.')) &&
           blank_or_eol(at(li, 3));
  }
  /// "---" alone on its line (a comment may follow).
  bool bare_document_start(size_t li) const {
    if (at(li, 0) != '-') return false;
    int p = skip_spaces(li, 3);
    return at(li, p) == kEol || (at(li, p) == '#' && p > 3);
  }
  bool sequence_entry_at(size_t li, int col) const {
    return at(li, col) == '-' && blank_or_eol(at(li, col + 1));
  }

  NodeData* make(NodeType type, size_t li, int col) {
    NodeData& d = tree_.arena.emplace_back();
    d.type = type;
    d.mark = {static_cast<int>(li), col};
    return &d;
  }
  Node scalar(std::string text, bool quoted, size_t li, int col) {
    NodeData* d = make(NodeType::Scalar, li, col);
    if (!quoted && is_null_plain(text)) {
      d->type = NodeType::Null;
    } else {
      d->scalar = std::move(text);
      d->quoted = quoted;
    }
    return Node(d);
  }

  /// Only spaces, then the end of the line or a comment, from col on.
  bool rest_is_empty(size_t li, int col) const {
    int p = skip_spaces(li, col);
    return at(li, p) == kEol || (at(li, p) == '#' && p > col);
  }

  /// A quoted scalar that closes on its own line; *col moves past the closing quote.
  bool quoted(size_t li, int* col, std::string* out) const {
    char q = at(li, *col);
    int p = *col + 1;
    for (;;) {
      char c = at(li, p);
      if (c == kEol) return false;
      if (c == q) {
        if (q == '\'' && at(li, p + 1) == '\'') {
          out->push_back('\'');
          p += 2;
          continue;
        }
        *col = p + 1;
        return true;
      }
      if (q == '"' && c == '\\') {
        static constexpr std::string_view kFrom = "0abtnvfre \"/\\";
        static constexpr char kTo[] = "\0\a\b\t\n\v\f\r\x1b \"/\\";  // kFrom's meanings
        auto i = kFrom.find(at(li, p + 1));
        if (i == std::string_view::npos) return false;
        out->push_back(kTo[i]);
        p += 2;
        continue;
      }
      out->push_back(c);
      ++p;
    }
  }

  enum class PlainEnd { Eol, Colon, Comment };
  /// A plain scalar in block context up to ": ", " #" or the end of the line, trailing spaces off.
  PlainEnd plain_block(size_t li, int col, std::string* out, int* end) const {
    int p = col;
    PlainEnd why = PlainEnd::Eol;
    for (;; ++p) {
      char c = at(li, p);
      if (c == kEol) break;
      if (c == ':' && blank_or_eol(at(li, p + 1))) {
        why = PlainEnd::Colon;
        break;
      }
      if (c == '#' && at(li, p - 1) == ' ') {
        why = PlainEnd::Comment;
        break;
      }
    }
    int last = p;
    while (last > col && at(li, last - 1) == ' ') --last;
    out->assign(text_.substr(lines_[li].begin + col, static_cast<size_t>(last - col)));
    *end = p;
    return why;
  }

  bool scan_key(size_t li, int col, KeyScan* k) const {
    k->start = col;
    char c = at(li, col);
    int p = col;
    if (c == '"' || c == '\'') {
      if (!quoted(li, &p, &k->text)) return false;
      k->quoted = true;
      if (at(li, p) != ':' || !blank_or_eol(at(li, p + 1))) return false;
    } else {
      if (!plain_start(c, at(li, col + 1), false)) return false;
      if (plain_block(li, col, &k->text, &p) != PlainEnd::Colon) return false;
    }
    if (k->text.size() > kMaxKeyLength) return false;
    k->after_colon = p + 1;
    return true;
  }

  /// A block collection starting at (li, col): a sequence ("- ") or a mapping ("key:").
  bool block_node(size_t li, int col, int depth, Node* out, size_t* next) {
    if (depth > kMaxSubsetDepth) return false;
    if (sequence_entry_at(li, col)) return block_sequence(li, col, depth, out, next);
    KeyScan probe;
    if (scan_key(li, col, &probe)) return block_mapping(li, col, depth, out, next);
    return false;  // a scalar on a line of its own, or worse
  }

  /// The value of a key or entry whose line ends after its indicator: the block node on the next
  /// lines, an indentless sequence (for keys), or null marked right after the indicator.
  bool value_below(size_t li, int col, int mark_col, bool allow_indentless, int depth, Node* out,
                   size_t* next) {
    size_t nl = next_significant(li + 1);
    if (nl < lines_.size() && lines_[nl].indent > col)
      return block_node(nl, lines_[nl].indent, depth + 1, out, next);
    if (allow_indentless && nl < lines_.size() && lines_[nl].indent == col &&
        sequence_entry_at(nl, col))
      return block_sequence(nl, col, depth + 1, out, next);
    *out = Node(make(NodeType::Null, li, mark_col));
    *next = nl;
    return true;
  }

  /// A value written on the rest of the line: flow collection, quoted or plain scalar. Nothing
  /// may continue it on deeper-indented lines (col: the enclosing collection's column).
  bool value_inline(size_t li, int at_col, int col, Node* out, size_t* next) {
    char c = at(li, at_col);
    int p = at_col;
    if (c == '[' || c == '{') {
      if (!flow_node(li, &p, 0, out) || !rest_is_empty(li, p)) return false;
    } else if (c == '"' || c == '\'') {
      std::string s;
      if (!quoted(li, &p, &s) || !rest_is_empty(li, p)) return false;
      *out = scalar(std::move(s), true, li, at_col);
    } else {
      if (!plain_start(c, at(li, at_col + 1), false)) return false;
      std::string s;
      if (plain_block(li, at_col, &s, &p) == PlainEnd::Colon) return false;
      *out = scalar(std::move(s), false, li, at_col);
    }
    *next = next_significant(li + 1);
    return !(*next < lines_.size() && lines_[*next].indent > col);
  }

  bool block_mapping(size_t li, int col, int depth, Node* out, size_t* next) {
    NodeData* map = make(NodeType::Map, li, col);
    *out = Node(map);
    for (;;) {
      KeyScan k;
      if (!scan_key(li, col, &k)) return false;
      Node key = scalar(std::move(k.text), k.quoted, li, k.start);
      Node value;
      size_t nl = 0;
      int v = skip_spaces(li, k.after_colon);
      bool ok = rest_is_empty(li, k.after_colon)
                    ? value_below(li, col, k.after_colon, true, depth, &value, &nl)
                    : value_inline(li, v, col, &value, &nl);
      if (!ok) return false;
      map->pairs.emplace_back(key, value);
      li = nl;
      if (li >= lines_.size() || lines_[li].indent < col) break;
      if (lines_[li].indent > col) return false;
    }
    *next = li;
    return true;
  }

  bool block_sequence(size_t li, int col, int depth, Node* out, size_t* next) {
    NodeData* seq = make(NodeType::Sequence, li, col);
    *out = Node(seq);
    for (;;) {
      int v = skip_spaces(li, col + 1);
      Node item;
      size_t nl = 0;
      KeyScan probe;
      bool ok = false;
      if (rest_is_empty(li, col + 1)) {
        ok = value_below(li, col, col + 1, false, depth, &item, &nl);
      } else if (sequence_entry_at(li, v)) {
        return false;  // "- - a": a sequence in a sequence on one line
      } else if (scan_key(li, v, &probe)) {
        ok = block_mapping(li, v, depth + 1, &item, &nl);  // "- key: value" and the keys below
      } else {
        ok = value_inline(li, v, col, &item, &nl);
      }
      if (!ok) return false;
      seq->items.push_back(item);
      li = nl;
      if (li >= lines_.size() || lines_[li].indent < col) break;
      if (lines_[li].indent > col) return false;
      if (!sequence_entry_at(li, col)) break;  // the enclosing mapping's next key
    }
    *next = li;
    return true;
  }

  /// A flow scalar or collection on line li from *col; *col moves past it.
  bool flow_node(size_t li, int* col, int depth, Node* out) {
    if (depth > kMaxSubsetDepth) return false;
    char c = at(li, *col);
    int start = *col;
    if (c == '[' || c == '{') {
      bool is_map = c == '{';
      char close = is_map ? '}' : ']';
      NodeData* d = make(is_map ? NodeType::Map : NodeType::Sequence, li, start);
      *out = Node(d);
      *col = skip_spaces(li, *col + 1);
      if (at(li, *col) == close) {
        ++*col;
        return true;
      }
      for (;;) {
        Node item;
        if (is_map) {
          Node key;
          if (!flow_scalar(li, col, &key)) return false;
          if (at(li, *col) != ':' || at(li, *col + 1) != ' ') return false;
          *col = skip_spaces(li, *col + 1);
          if (!flow_node(li, col, depth + 1, &item)) return false;
          d->pairs.emplace_back(key, item);
        } else {
          if (!flow_node(li, col, depth + 1, &item)) return false;
          d->items.push_back(item);
        }
        *col = skip_spaces(li, *col);
        if (at(li, *col) == close) {
          ++*col;
          return true;
        }
        if (at(li, *col) != ',') return false;
        *col = skip_spaces(li, *col + 1);
        if (at(li, *col) == close) return false;  // trailing comma
      }
    }
    return flow_scalar(li, col, out);
  }

  /// A quoted scalar, or a plain one ending before ",[]{}:" (a '#' or the line's end declines).
  bool flow_scalar(size_t li, int* col, Node* out) {
    char c = at(li, *col);
    int start = *col;
    if (c == '"' || c == '\'') {
      std::string s;
      if (!quoted(li, col, &s)) return false;
      *out = scalar(std::move(s), true, li, start);
      return true;
    }
    if (!plain_start(c, at(li, *col + 1), true)) return false;
    int p = *col;
    while (!std::strchr(",[]{}:#\n", at(li, p))) ++p;
    if (at(li, p) == '#' || at(li, p) == kEol) return false;
    int last = p;
    while (last > start && at(li, last - 1) == ' ') --last;
    if (last == start) return false;
    *out = scalar(
        std::string(text_.substr(lines_[li].begin + start, static_cast<size_t>(last - start))),
        false, li, start);
    *col = p;
    return true;
  }
};

}  // namespace

std::optional<SubsetTree> parse_subset(std::string_view text) {
  return SubsetParser(text).run();
}

}  // namespace gw::yaml
