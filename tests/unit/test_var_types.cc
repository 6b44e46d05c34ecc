// The check of each var type (SPEC §3 "Var types") and the ip-within-range cross-check.
#include <catch2/catch.hpp>

#include "model/var_types.h"

using gw::VarType;

namespace {

bool fits(VarType t, const char* v, const std::vector<std::string>& values = {}) {
  return gw::check_var_value(t, v, values).empty();
}

}  // namespace

TEST_CASE("type names round-trip; unknown names are refused") {
  for (auto name : gw::kVarTypeNames) {
    auto t = gw::parse_var_type(name);
    REQUIRE(t);
    CHECK(gw::to_string(*t) == name);
  }
  CHECK_FALSE(gw::parse_var_type("integer"));
  CHECK_FALSE(gw::parse_var_type(""));
}

TEST_CASE("string and path take any text; a path is not empty") {
  CHECK(fits(VarType::String, ""));
  CHECK(fits(VarType::String, "anything at all: ${x}"));
  CHECK(fits(VarType::Path, "./k3s/key"));
  CHECK_FALSE(fits(VarType::Path, ""));
}

TEST_CASE("bool is true or false in any case, and canonical in lower case") {
  for (const char* ok : {"true", "false", "True", "FALSE"}) CHECK(fits(VarType::Bool, ok));
  for (const char* bad : {"nope", "yes", "1", "", "truee"}) CHECK_FALSE(fits(VarType::Bool, bad));
  CHECK(gw::canonical_var_value(VarType::Bool, "True") == "true");
  CHECK(gw::canonical_var_value(VarType::String, "True") == "True");
  CHECK(gw::check_var_value(VarType::Bool, "nope", {}) == "is not a bool (true or false)");
}

TEST_CASE("int is a whole number") {
  for (const char* ok : {"1", "0", "-3", "+7", "123456789012"}) CHECK(fits(VarType::Int, ok));
  for (const char* bad : {"one", "", "1.5", "1e3", " 1", "-", "12345678901234567890"})
    CHECK_FALSE(fits(VarType::Int, bad));
  CHECK(gw::check_var_value(VarType::Int, "one", {}) == "is not an int");
}

TEST_CASE("duration is written as the files write durations") {
  for (const char* ok : {"30s", "5m", "1h30m", "720h0m0s", "250ms"})
    CHECK(fits(VarType::Duration, ok));
  for (const char* bad : {"30", "5 m", "1d", ""}) CHECK_FALSE(fits(VarType::Duration, bad));
}

TEST_CASE("ip is an IPv4 or IPv6 address") {
  for (const char* ok : {"10.0.0.1", "0.0.0.0", "255.255.255.255", "::1", "fd00::10"})
    CHECK(fits(VarType::Ip, ok));
  for (const char* bad : {"10.0.0", "10.0.0.256", "10.0.0.1/24", "host", "", "1.2.3.4 "})
    CHECK_FALSE(fits(VarType::Ip, bad));
}

TEST_CASE("cidr is address/prefix within the family's width") {
  for (const char* ok : {"10.0.0.0/24", "10.0.0.5/32", "0.0.0.0/0", "fd00::/64"})
    CHECK(fits(VarType::Cidr, ok));
  for (const char* bad : {"10.0.0.0", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "fd00::/129"})
    CHECK_FALSE(fits(VarType::Cidr, bad));
}

TEST_CASE("iprange is first-last (first <= last, one family) or a CIDR") {
  for (const char* ok :
       {"10.0.0.200-10.0.0.220", "10.0.0.5-10.0.0.5", "10.0.0.0/28", "fd00::1-fd00::ff"})
    CHECK(fits(VarType::IpRange, ok));
  for (const char* bad :
       {"10.0.0.220-10.0.0.200", "10.0.0.1", "10.0.0.1-", "10.0.0.1-::1", "a-b", ""})
    CHECK_FALSE(fits(VarType::IpRange, bad));
  CHECK(gw::check_var_value(VarType::IpRange, "10.0.0.9-10.0.0.1", {}) ==
        "is not an IP range: its start is after its end");
}

TEST_CASE("hostname follows RFC 1123") {
  for (const char* ok : {"home.lan", "lab.home.arpa", "a", "x-1.example.com", "example.com."})
    CHECK(fits(VarType::Hostname, ok));
  for (const char* bad : {"", "-a.lan", "a-.lan", "a..b", "a_b.lan", "a b", "http://x"})
    CHECK_FALSE(fits(VarType::Hostname, bad));
  CHECK_FALSE(fits(VarType::Hostname, std::string(64, 'a').c_str()));
}

TEST_CASE("url is scheme://authority") {
  for (const char* ok : {"https://acme-v02.api.letsencrypt.org/directory", "http://10.0.0.5:9000",
                         "ssh://git@github.com/example/fleet.git"})
    CHECK(fits(VarType::Url, ok));
  for (const char* bad : {"github.com/x", "://x", "https://", "https:///path", "https://a b",
                          "1http://x", "git@github.com:x/y.git"})
    CHECK_FALSE(fits(VarType::Url, bad));
}

TEST_CASE("enum takes one of its values, exactly") {
  std::vector<std::string> values{"acme", "selfsigned"};
  CHECK(fits(VarType::Enum, "acme", values));
  CHECK_FALSE(fits(VarType::Enum, "ACME", values));
  CHECK(gw::check_var_value(VarType::Enum, "lets", values) == "is not one of acme, selfsigned");
}

TEST_CASE("an ip lies within a range, a CIDR or one address") {
  CHECK(gw::ip_within("10.0.0.200", "10.0.0.200-10.0.0.220") == true);
  CHECK(gw::ip_within("10.0.0.220", "10.0.0.200-10.0.0.220") == true);
  CHECK(gw::ip_within("10.0.0.221", "10.0.0.200-10.0.0.220") == false);
  CHECK(gw::ip_within("10.0.1.200", "10.0.0.200-10.0.0.220") == false);
  CHECK(gw::ip_within("10.0.0.9", "10.0.0.0/28") == true);
  CHECK(gw::ip_within("10.0.0.16", "10.0.0.0/28") == false);
  CHECK(gw::ip_within("10.0.0.5", "10.0.0.5") == true);
  CHECK(gw::ip_within("::1", "10.0.0.0/8") == false);
  CHECK_FALSE(gw::ip_within("nope", "10.0.0.0/8").has_value());
  CHECK_FALSE(gw::ip_within("10.0.0.1", "nope").has_value());
}
