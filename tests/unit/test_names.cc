// Path resolution: the lexical fast path gives what std::filesystem gives.
#include <catch2/catch.hpp>
#include <filesystem>

#include "model/names.h"

namespace fs = std::filesystem;

TEST_CASE("resolve_path: relative, absolute and odd paths resolve as std::filesystem does") {
  const std::vector<std::string> dirs = {"/repo/stages",  "/",       "/repo/./stages", "/repo//x",
                                         "/repo/stages/", "/a/../b", "relative/dir"};
  const std::vector<std::string> paths = {"values/a.yaml", "a.yaml",   "./a.yaml", "../a.yaml",
                                          "x/../a",        "x//a",     "x/",       "/etc/hosts",
                                          "/etc/../hosts", "~weird/a", ".hidden",  "a/.b/c"};
  for (const auto& d : dirs) {
    for (const auto& p : paths) {
      std::string want = fs::path(p).is_absolute() ? fs::path(p).lexically_normal().string()
                                                   : (fs::path(d) / p).lexically_normal().string();
      INFO(d << " + " << p);
      CHECK(gw::resolve_path(p, d) == want);
    }
  }
  CHECK(gw::resolve_path("values/a.yaml", "/repo/stages") == "/repo/stages/values/a.yaml");
}
