// The real process runner: one of the few unit tests that spawns processes (/bin/sh, true, sleep).
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "run/command_runner.h"
#include "run/interrupt.h"
#include "run_fakes.h"

TEST_CASE("process runner: exit code and captured stdout", "[runner]") {
  gw::ProcessRunner runner(gw::Millis(200));
  gw::Interrupt never;
  auto r = runner.run(gwtest::shell("echo hello; exit 3"), never);
  CHECK(r.outcome == gw::Outcome::Exited);
  CHECK(r.exit_code == 3);
  CHECK(r.out == "hello\n");
}

TEST_CASE("process runner: a missing program is a spawn failure", "[runner]") {
  gw::ProcessRunner runner(gw::Millis(200));
  gw::Interrupt never;
  gw::ProcessSpec spec;
  spec.program = "/nonexistent/groundwork-test-program";
  auto r = runner.run(spec, never);
  CHECK(r.outcome == gw::Outcome::SpawnFailed);
  CHECK(r.error.find("/nonexistent/groundwork-test-program") != std::string::npos);
}

// Regression: the runner once reused one event loop per thread, and a reactor event left queued
// for the previous command's pidfd completed the next command's wait while it still ran; the
// runner then blocked in waitpid and neither timeout nor interrupt could stop the command. Every
// timed-out command here must come back as TimedOut, long before `sleep 30` would end.
TEST_CASE("process runner: a command after finished ones still times out", "[runner]") {
  gw::ProcessRunner runner(gw::Millis(100));
  gw::Interrupt never;
  for (int round = 0; round < 15; ++round) {
    for (int quick = 0; quick < 3; ++quick) {
      auto q = runner.run(gwtest::shell("true"), never);
      REQUIRE(q.ok());
    }
    auto r = runner.run(gwtest::shell("exec sleep 30", gw::Millis(50)), never);
    INFO("round " << round);
    REQUIRE(r.outcome == gw::Outcome::TimedOut);
    REQUIRE(r.duration < gw::Millis(10000));
  }
}

TEST_CASE("process runner: an interrupt stops a running command", "[runner]") {
  gw::ProcessRunner runner(gw::Millis(100));
  gw::Interrupt interrupt;
  std::thread raiser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    interrupt.raise(gw::StopLevel::Terminate);
  });
  auto r = runner.run(gwtest::shell("trap '' TERM; sleep 30 & wait"), interrupt);
  raiser.join();
  CHECK(r.outcome == gw::Outcome::Interrupted);
  CHECK(r.duration < gw::Millis(10000));
}
