#pragma once
/// A fast parser for the everyday subset of YAML that stage files are written in: block mappings
/// and sequences, single-line plain and quoted scalars, single-line flow collections, comments.
/// It builds the same tree (types, texts, quoting, marks) libyaml's event stream gives, and
/// declines — building nothing — at the first thing outside that subset: anchors, aliases, tags,
/// block scalars, multi-line scalars or flow collections, escapes beyond the simple ones, tabs,
/// non-ASCII bytes, CR, directives, several documents, and every syntax error. yaml::parse then
/// hands the text to libyaml, which alone decides what is wrong and where.
///
/// Why: libyaml was most of the loading time of 10,000 stage files (bench/README.md). The two are
/// compared on every YAML file of the repository and on thousands of mutations of them
/// (tests/unit/test_yaml_subset.cc).
#include <deque>
#include <optional>
#include <string_view>

#include "load/yaml_node.h"

namespace gw::yaml {

/// Nodes built by parse_subset, in an arena whose elements never move.
struct SubsetTree {
  std::deque<NodeData> arena;
  Node root;
};

/// The tree of `text` when it is written entirely in the subset above, else nullopt.
std::optional<SubsetTree> parse_subset(std::string_view text);

}  // namespace gw::yaml
