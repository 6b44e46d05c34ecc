// The fast YAML parser against libyaml: wherever the fast one accepts a text, libyaml must accept
// it too and give the same tree (types, texts, quoting, marks). Checked on every YAML file of the
// repository, on hand-written snippets, and on thousands of seeded mutations of both.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "load/yaml_node.h"
#include "load/yaml_subset.h"

namespace fs = std::filesystem;
using gw::yaml::Node;
using gw::yaml::NodeType;

namespace {

/// The first difference between two trees, or "" when they are the same.
std::string difference(const Node& a, const Node& b, const std::string& path) {
  auto where = [&](const std::string& what) {
    std::ostringstream s;
    s << path << ": " << what << " (fast " << a.Mark().line << ":" << a.Mark().column << " '"
      << a.Scalar() << "', libyaml " << b.Mark().line << ":" << b.Mark().column << " '"
      << b.Scalar() << "')";
    return s.str();
  };
  if (a.Type() != b.Type()) return where("type");
  if (a.Mark().line != b.Mark().line || a.Mark().column != b.Mark().column) return where("mark");
  if (a.Scalar() != b.Scalar() || a.Quoted() != b.Quoted()) return where("scalar");
  if (a.items().size() != b.items().size()) return where("item count");
  for (size_t i = 0; i < a.items().size(); ++i)
    if (auto d = difference(a.items()[i], b.items()[i], path + "[" + std::to_string(i) + "]");
        !d.empty())
      return d;
  if (a.pairs().size() != b.pairs().size()) return where("pair count");
  for (size_t i = 0; i < a.pairs().size(); ++i) {
    const auto& [ka, va] = a.pairs()[i];
    const auto& [kb, vb] = b.pairs()[i];
    if (auto d = difference(ka, kb, path + ".key" + std::to_string(i)); !d.empty()) return d;
    if (auto d = difference(va, vb, path + "." + ka.Scalar()); !d.empty()) return d;
  }
  return "";
}

enum class Verdict { Declined, Same };

/// Runs both parsers; fails the test when the fast one accepts and disagrees with libyaml.
Verdict compare(const std::string& text) {
  auto fast = gw::yaml::parse_subset(text);
  if (!fast) return Verdict::Declined;
  gw::Diagnostics diags;
  auto reference = gw::yaml::parse_with_libyaml(text, "t.yaml", diags);
  INFO("text:\n" << text);
  if (!reference) {
    INFO("libyaml: " << (diags.all().empty() ? "?" : diags.all()[0].format()));
    FAIL("the fast parser accepted a text libyaml rejects");
  }
  std::string d = difference(fast->root, reference->root(), "$");
  INFO(d);
  CHECK(d.empty());
  return Verdict::Same;
}

std::vector<std::string> repository_yaml() {
  std::vector<std::string> out;
  const fs::path root = GW_SOURCE_DIR;
  for (const char* dir : {"stages", "inventories", "playbooks", "tests"}) {
    if (!fs::exists(root / dir)) continue;
    for (const auto& e : fs::recursive_directory_iterator(root / dir)) {
      auto ext = e.path().extension();
      if (!e.is_regular_file() || (ext != ".yaml" && ext != ".yml")) continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::ostringstream s;
      s << in.rdbuf();
      out.push_back(s.str());
    }
  }
  return out;
}

const std::vector<std::string> kSnippets = {
    "a: 1\nb: two words  \nc:\n",
    "# comment\n---\nkey: value # trailing\nlist:\n  - x\n  - 'it''s'\n  - \"q\\\"\\n\"\n",
    "spec:\n  steps:\n    - name: a\n      run: {argv: [sh, -c, \"echo hi\"]}\n    -\n    - b\n",
    "indentless:\n- a\n- b: 1\n  c: 2\nnext: ~\n",
    "m: {a: [1, 2, {b: c}], d: 'e'}\nempty: []\nempty2: {}\nnull1: null\nq: ''\n",
    "url: https://x.example/a#b\ncolon: a:b\ndash: -c\nq: ?x\nk2: a , b\n",
    "- - nested\n",
    "a: |\n  block\n",
    "a: &x 1\nb: *x\n",
    "a: b\n  c: d\n",
    "a: \"unterminated\n",
    "a: [1, 2,\n  3]\n",
    "a:\tb\n",
    "\xEF\xBB\xBF"
    "a: 1\n",
    "a: 1\n---\nb: 2\n",
    "",
    "# only a comment\n",
    "plain scalar\n",
    "a: b: c\n",
    "  a: 1\n  b:\n    - x\n",
};

/// One seeded edit of text: a character inserted, replaced or removed, or a line removed,
/// doubled or re-indented.
std::string mutate(const std::string& text, std::mt19937& rng) {
  static const std::string alphabet = " -:#'\"[]{},\n&*!|>?%@`ab0~\\.";
  if (text.empty()) return std::string(1, alphabet[rng() % alphabet.size()]);
  std::string t = text;
  size_t pos = rng() % t.size();
  switch (rng() % 6) {
    case 0:
      t.insert(pos, 1, alphabet[rng() % alphabet.size()]);
      break;
    case 1:
      t[pos] = alphabet[rng() % alphabet.size()];
      break;
    case 2:
      t.erase(pos, 1);
      break;
    default: {
      size_t begin = t.rfind('\n', pos);
      begin = begin == std::string::npos ? 0 : begin + 1;
      size_t end = t.find('\n', pos);
      end = end == std::string::npos ? t.size() : end + 1;
      std::string line = t.substr(begin, end - begin);
      int op = static_cast<int>(rng() % 3);
      if (op == 0) t.erase(begin, end - begin);
      if (op == 1) t.insert(begin, line);
      if (op == 2) t.insert(begin, std::string(rng() % 2 ? 2 : 1, ' '));
      break;
    }
  }
  return t;
}

}  // namespace

TEST_CASE("fast YAML parser: same trees as libyaml on every YAML file of the repository") {
  auto files = repository_yaml();
  REQUIRE(files.size() > 30);
  size_t accepted = 0;
  for (const auto& f : files) accepted += compare(f) == Verdict::Same;
  // Most files are in the subset: the fast path is really taken.
  CHECK(accepted * 2 > files.size());
}

TEST_CASE("fast YAML parser: hand-written snippets") {
  CHECK(compare(kSnippets[0]) == Verdict::Same);
  CHECK(compare(kSnippets[1]) == Verdict::Same);
  CHECK(compare(kSnippets[2]) == Verdict::Same);
  CHECK(compare(kSnippets[3]) == Verdict::Same);
  CHECK(compare(kSnippets[4]) == Verdict::Same);
  CHECK(compare(kSnippets[5]) == Verdict::Same);
  CHECK(compare(kSnippets[19]) == Verdict::Same);
  // Outside the subset: libyaml decides (nested compact sequences, block scalars, anchors,
  // errors, multi-line flow, tabs, BOM, several documents, empty files, root scalars).
  for (size_t i = 6; i <= 18; ++i) {
    INFO("snippet " << i);
    CHECK(compare(kSnippets[i]) == Verdict::Declined);
  }
}

TEST_CASE("fast YAML parser: seeded mutations agree with libyaml wherever accepted") {
  auto texts = repository_yaml();
  texts.insert(texts.end(), kSnippets.begin(), kSnippets.end());
  std::mt19937 rng(20261122);
  size_t accepted = 0, total = 0;
  for (const auto& base : texts) {
    for (int i = 0; i < 150; ++i) {
      std::string t = mutate(base, rng);
      if (rng() % 3 == 0) t = mutate(t, rng);
      ++total;
      accepted += compare(t) == Verdict::Same;
    }
  }
  // A good share of the mutants stays in the subset, so the comparison means something.
  CHECK(accepted * 5 > total);
}
