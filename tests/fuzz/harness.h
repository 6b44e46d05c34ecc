#pragma once
/// The checks behind the libFuzzer targets (tests/fuzz/fuzz_*.cc). Each takes one input and
/// returns "" when every property held, else what went wrong; crashes, sanitizer reports and
/// uncaught exceptions are findings too. The unit tests replay the seed corpora and every
/// regression input through the same functions (tests/unit/test_fuzz_inputs.cc), so a crash found
/// once stays fixed.
#include <string>
#include <string_view>
#include <vector>

namespace gwfuzz {

/// The YAML loader: yaml::parse (fast subset parser, else libyaml), then the strict Stage or
/// Playbook reader on the tree. Inputs that could name a file outside an empty folder are skipped.
std::string yaml_loader(std::string_view input);

/// Differential: whenever the fast subset parser accepts a text, libyaml must accept it too and
/// give the same tree (types, texts, quoting, marks).
std::string yaml_differential(std::string_view input);

/// `${…}` templates: parse, render in both secret modes, evaluate as a `when`. A secret's value
/// never appears in a placeholder rendering.
std::string template_render(std::string_view input);

/// Durations: parse, and every accepted value formats back to a spelling that parses to it.
std::string duration(std::string_view input);

/// The journal: read_journal on the bytes as a file, apply_record on each line, and Journal::open
/// recovering the same state and leaving no torn record behind.
std::string journal(std::string_view input);

/// A target: its name (the folder of its corpus) and its check.
struct Target {
  const char* name;
  std::string (*check)(std::string_view);
};

/// Every target, in the order `make fuzz` runs them.
const std::vector<Target>& targets();

}  // namespace gwfuzz
