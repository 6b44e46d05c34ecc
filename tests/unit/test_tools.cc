// Tool version parsing for `doctor`.
#include <catch2/catch.hpp>

#include "run/tools.h"

TEST_CASE("find_version takes the first version number of a tool's output") {
  auto helm = gw::find_version("v3.16.3+g1b3bd2c\n");
  REQUIRE(helm);
  CHECK(helm->text == "v3.16.3+g1b3bd2c");
  CHECK((helm->major == 3 && helm->minor == 16 && helm->patch == 3));

  auto talos =
      gw::find_version("Client:\n\tTag:         v1.9.2\n\tSHA: 1234abc\n\tGo version:  go1.23.4\n");
  REQUIRE(talos);
  CHECK(talos->text == "v1.9.2");

  auto velero = gw::find_version("Client:\n\tVersion: v1.15.0\n\tGit commit: -\n");
  REQUIRE(velero);
  CHECK(velero->minor == 15);

  auto flux = gw::find_version("flux: v2.4.0\n");
  REQUIRE(flux);
  CHECK(flux->text == "v2.4.0");

  auto bare = gw::find_version("kustomize 5.4");
  REQUIRE(bare);
  CHECK((bare->major == 5 && bare->minor == 4 && bare->patch == 0));
}

TEST_CASE("find_version skips numbers inside words and finds nothing in prose") {
  auto v = gw::find_version("built with go1.22.8, version v1.31.2");
  REQUIRE(v);
  CHECK(v->text == "v1.31.2");
  CHECK_FALSE(gw::find_version("no version here, v. 2 maybe"));
  CHECK_FALSE(gw::find_version(""));
  CHECK_FALSE(gw::find_version("release 7"));
}

TEST_CASE("versions compare by major, minor, patch") {
  gw::ToolVersion v312{3, 1, 2, "v3.1.2"}, v320{3, 2, 0, "3.2.0"}, v3161{3, 16, 1, "v3.16.1"};
  CHECK(v312.older_than(v320));
  CHECK_FALSE(v320.older_than(v320));
  CHECK_FALSE(v3161.older_than(v320));
  CHECK(gw::ToolVersion{2, 17, 0, "v2.17.0"}.older_than(v312));
}
