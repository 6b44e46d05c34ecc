// The fuzz targets' checks (tests/fuzz/harness.h) on every seed of their corpora and every input a
// fuzzer once crashed on (tests/fuzz/regressions/<target>/): what was found stays fixed, and the
// harness itself keeps building and passing without clang.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness.h"

namespace fs = std::filesystem;

namespace {

/// Every file below tests/fuzz/<kind>/<target>/.
std::vector<fs::path> inputs(const std::string& kind, const std::string& target) {
  std::vector<fs::path> out;
  fs::path dir = fs::path(GW_SOURCE_DIR) / "tests" / "fuzz" / kind / target;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("fuzz targets: every seed and every regression input passes its check", "[fuzz]") {
  size_t seeds = 0;
  for (const auto& t : gwfuzz::targets()) {
    auto corpus = inputs("corpus", t.name);
    INFO("target " << t.name);
    CHECK(!corpus.empty());  // each target has seeds
    seeds += corpus.size();
    for (const char* kind : {"corpus", "regressions"})
      for (const auto& p : inputs(kind, t.name)) {
        INFO(p.string());
        CHECK(t.check(slurp(p)) == "");
      }
  }
  CHECK(seeds >= 20);
}
