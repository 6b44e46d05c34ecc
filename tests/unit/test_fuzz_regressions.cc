// Inputs the fuzz targets (tests/fuzz, `make fuzz`) crashed on, each with the property it broke.
// The raw inputs are also kept in tests/fuzz/regressions/<target>/ and replayed through the
// targets' checks by test_fuzz_inputs.cc.
#include <catch2/catch.hpp>

#include "harness.h"
#include "model/duration.h"

using gw::Millis;

TEST_CASE("fuzz regression (duration): a duration longer than 100000h is refused", "[fuzz]") {
  // Found by fuzz_duration: accepted as 1000000001h30m10s, which format_duration spelled with a
  // number over the parser's limit, so it did not parse back; as a step timeout it would also
  // overflow the steady_clock deadline (nanoseconds) in the process runner.
  CHECK_FALSE(gw::parse_duration("1000000000h90m010s").has_value());
  CHECK_FALSE(gw::parse_duration("1000000000h").has_value());
  CHECK_FALSE(gw::parse_duration("100000h1ms").has_value());
  const Millis longest = std::chrono::hours(100000);
  CHECK(gw::parse_duration("100000h") == longest);
  CHECK(gw::parse_duration(gw::format_duration(longest)) == longest);
  CHECK(gwfuzz::duration("1000000000h90m010s") == "");
}

TEST_CASE("fuzz regression (journal): a number out of int64's range in a record", "[fuzz]") {
  // journal.cc num() took get<int64_t>() of any number: of the double 1e300 that is undefined
  // behaviour (UBSan: "1e+300 is outside the range of representable values of type 'long'").
  // Now only whole numbers in range count; anything else reads as 0.
  CHECK(gwfuzz::journal("{\"t\":\"step_end\",\"stage\":\"a\",\"step\":\"b\",\"status\":\"passed\","
                        "\"durationMs\":1e300,\"attempts\":1e20}\n") == "");
}
