// Runs the corpus of bad input files under tests/data: each file's first line says the error it
// must produce ("# expect: FILE:LINE:COL: error: MESSAGE-PREFIX").
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "load/project_loader.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

std::string expectation(const fs::path& file) {
  std::ifstream in(file);
  std::string first;
  std::getline(in, first);
  const std::string tag = "# expect: ";
  REQUIRE(first.rfind(tag, 0) == 0);
  return first.substr(tag.size());
}

/// Formats diagnostics with paths shortened to the file name, as the corpus writes them.
std::vector<std::string> short_messages(const gw::Diagnostics& diags) {
  std::vector<std::string> out;
  for (auto d : diags.sorted()) {
    d.loc.file = fs::path(d.loc.file.str()).filename().string();
    out.push_back(d.format());
  }
  return out;
}

void check_expected(const std::vector<std::string>& got, const std::string& want) {
  INFO("expected a diagnostic starting with: " << want);
  for (const auto& g : got) INFO("got: " << g);
  bool found = false;
  for (const auto& g : got) found = found || g.rfind(want, 0) == 0;
  std::string all;
  for (const auto& g : got) all += g + "\n";
  CAPTURE(all);
  CHECK(found);
}

}  // namespace

TEST_CASE("every bad stage file in the corpus gives its located error") {
  fs::path corpus = fs::path(GW_SOURCE_DIR) / "tests/data/bad-stages";
  size_t cases = 0;
  for (const auto& entry : fs::directory_iterator(corpus)) {
    SECTION(entry.path().filename().string()) {
      gwtest::TempDir dir;
      fs::create_directories(dir.path() / "stages");
      fs::copy_file(entry.path(), dir.path() / "stages" / entry.path().filename());
      fs::copy_file(fs::path(GW_SOURCE_DIR) / "tests/data/good/inventory.yaml",
                    dir.path() / "inventory.yaml");
      gw::LoadOptions lo;
      lo.inventory = (dir.path() / "inventory.yaml").string();
      lo.stages_dir = (dir.path() / "stages").string();
      lo.env = [](const std::string&) { return std::optional<std::string>(); };
      gw::Diagnostics diags;
      gw::load_project(lo, diags);
      check_expected(short_messages(diags), expectation(entry.path()));
    }
    ++cases;
  }
  CHECK(cases >= 20);
}

TEST_CASE("every bad inventory in the corpus gives its located error") {
  fs::path corpus = fs::path(GW_SOURCE_DIR) / "tests/data/bad-inventories";
  for (const auto& entry : fs::directory_iterator(corpus)) {
    SECTION(entry.path().filename().string()) {
      gwtest::TempDir dir;
      fs::create_directories(dir.path() / "stages");
      gw::LoadOptions lo;
      lo.inventory = entry.path().string();
      lo.stages_dir = (dir.path() / "stages").string();
      gw::Diagnostics diags;
      gw::load_project(lo, diags);
      check_expected(short_messages(diags), expectation(entry.path()));
    }
  }
}
