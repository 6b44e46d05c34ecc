#include <catch2/catch.hpp>

#include "model/duration.h"

using gw::Millis;

TEST_CASE("durations parse as the files write them") {
  CHECK(gw::parse_duration("250ms") == Millis(250));
  CHECK(gw::parse_duration("30s") == Millis(30000));
  CHECK(gw::parse_duration("5m") == Millis(300000));
  CHECK(gw::parse_duration("1h30m") == Millis(5400000));
  CHECK(gw::parse_duration("1m30s500ms") == Millis(90500));
}

TEST_CASE("malformed durations are rejected") {
  for (const char* bad : {"", "5", "m", "5x", "-5s", "5s5m", "5m5m", "1.5s", "5 s"})
    CHECK_FALSE(gw::parse_duration(bad).has_value());
}

TEST_CASE("durations format exactly and round-trip") {
  CHECK(gw::format_duration(Millis(0)) == "0s");
  CHECK(gw::format_duration(Millis(250)) == "250ms");
  CHECK(gw::format_duration(Millis(90000)) == "1m30s");
  CHECK(gw::format_duration(Millis(600000)) == "10m");
  for (long ms : {1L, 999L, 1000L, 61001L, 3600000L, 5400250L})
    CHECK(gw::parse_duration(gw::format_duration(Millis(ms))) == Millis(ms));
  CHECK(gw::format_clock(Millis(41000)) == "0:41");
  CHECK(gw::format_clock(Millis(3723000)) == "1:02:03");
}
