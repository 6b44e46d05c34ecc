#include <catch2/catch.hpp>

#include "model/semver.h"

namespace {

bool fits(const char* constraint, const char* version) {
  auto c = gw::parse_version_constraint(constraint);
  REQUIRE(c);
  auto v = gw::parse_semver(version);
  REQUIRE(v);
  return gw::satisfies(*c, *v);
}

}  // namespace

TEST_CASE("versions parse as API servers report them") {
  auto v = gw::parse_semver("v1.33.4+k3s1");
  REQUIRE(v);
  CHECK((v->major == 1 && v->minor == 33 && v->patch == 4 && v->pre.empty()));
  auto p = gw::parse_semver("1.34.0-rc.1");
  REQUIRE(p);
  CHECK(p->pre == std::vector<std::string>{"rc", "1"});
  CHECK(gw::parse_semver("1.34")->patch == 0);
  for (const char* bad : {"", "v", "1.x", "1.2.3.4", "1.2.3-", "a.b"})
    CHECK_FALSE(gw::parse_semver(bad).has_value());
}

TEST_CASE("pre-releases come before their release") {
  auto cmp = [](const char* a, const char* b) {
    return gw::compare(*gw::parse_semver(a), *gw::parse_semver(b));
  };
  CHECK(cmp("1.34.0-0", "1.34.0") < 0);
  CHECK(cmp("1.34.0-0", "1.33.9") > 0);
  CHECK(cmp("1.34.0-alpha.1", "1.34.0-alpha.beta") < 0);
  CHECK(cmp("1.34.0-rc.2", "1.34.0-rc.10") < 0);
  CHECK(cmp("v1.33.4+k3s1", "1.33.4") == 0);
}

TEST_CASE("helm-style constraints: ranges, commas, alternatives") {
  CHECK(fits("<1.34.0-0", "v1.33.4+k3s1"));
  CHECK_FALSE(fits("<1.34.0-0", "v1.34.0"));
  CHECK_FALSE(fits("<1.34.0-0", "v1.34.0-rc.1"));
  CHECK(fits(">=1.31.0-0 <1.34.0-0", "v1.31.0"));
  CHECK_FALSE(fits(">=1.31.0-0 <1.34.0-0", "v1.30.9"));
  CHECK(fits(">= 1.28, < 1.30 || >=1.35", "1.35.1"));
  CHECK_FALSE(fits(">= 1.28, < 1.30 || >=1.35", "1.31.0"));
  CHECK(fits("!=1.32.1", "1.32.2"));
  CHECK(fits("1.32.1", "v1.32.1"));
}

TEST_CASE("constraints that are not understood say which part") {
  auto c = gw::parse_version_constraint("<1.34.x");
  REQUIRE_FALSE(c);
  CHECK(c.error().message.find("'1.34.x' is not a version") != std::string::npos);
  CHECK_FALSE(gw::parse_version_constraint("~>1.28"));
  CHECK_FALSE(gw::parse_version_constraint("=>1.28"));
  CHECK_FALSE(gw::parse_version_constraint(">1.2 ||"));
}
