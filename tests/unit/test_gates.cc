// Gates with fakes: the kubectl judges, the GateProber's dispatch over a fake CommandRunner and a
// fake NetProber, polling; and the real tcp probe against a listener of the test's own on loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <mutex>

#include "run/gates.h"

namespace {

/// Answers every command with a scripted result and records the argv.
class ScriptedRunner : public gw::CommandRunner {
 public:
  gw::ProcessResult run(const gw::ProcessSpec& spec, const gw::Interrupt&) override {
    std::lock_guard<std::mutex> lock(mu);
    args = spec.args;
    return next;
  }
  std::mutex mu;
  std::vector<std::string> args;
  gw::ProcessResult next;
};

class FakePathTool : public gw::ToolResolver {
 public:
  using gw::ToolResolver::ToolResolver;
  std::string resolve(const std::string& tool) const override { return "/fake/" + tool; }
};

/// Records what the gate asked of the network and answers from a script.
class FakeNet : public gw::NetProber {
 public:
  gw::Observation http(const gw::HttpProbe& p, gw::Millis) override {
    http_seen = p;
    return answer;
  }
  gw::Observation dns(const gw::DnsProbe& p, gw::Millis) override {
    dns_seen = p;
    return answer;
  }
  gw::Observation tcp(const std::string& host, int port, gw::Millis) override {
    tcp_seen = host + ":" + std::to_string(port);
    return answer;
  }
  gw::HttpProbe http_seen;
  gw::DnsProbe dns_seen;
  std::string tcp_seen;
  gw::Observation answer{true, "ok"};
};

gw::ProcessResult exited(int code, std::string out, std::string tail = "") {
  gw::ProcessResult r;
  r.outcome = gw::Outcome::Exited;
  r.exit_code = code;
  r.out = std::move(out);
  r.output_tail = std::move(tail);
  return r;
}

struct Fixture {
  gw::Inventory inv;
  ScriptedRunner runner;
  FakePathTool tools{inv};
  FakeNet net;
  gw::Interrupt interrupt;
  gw::GateProber prober{runner, inv, tools, nullptr, nullptr, &net};
  gw::Observation probe(gw::GateKind kind, gw::RenderedBody body) {
    return prober.probe(kind, body, interrupt, "");
  }
};

}  // namespace

TEST_CASE("judge_rollout: deployments, daemonsets, statefulsets") {
  auto deploy = [](int gen, int observed, int replicas, int updated, int ready, int available) {
    return "{\"metadata\":{\"generation\":" + std::to_string(gen) +
           "},\"spec\":{\"replicas\":" + std::to_string(replicas) +
           "},\"status\":{\"observedGeneration\":" + std::to_string(observed) +
           ",\"updatedReplicas\":" + std::to_string(updated) +
           ",\"readyReplicas\":" + std::to_string(ready) +
           ",\"availableReplicas\":" + std::to_string(available) + "}}";
  };
  CHECK(gw::judge_rollout("deployment", deploy(2, 2, 3, 3, 3, 3)).passed);
  auto partial = gw::judge_rollout("deployment", deploy(2, 2, 3, 3, 2, 2));
  CHECK_FALSE(partial.passed);
  CHECK(partial.saw == "rollout: 3 of 3 replicas updated, 2 available");
  auto stale = gw::judge_rollout("deployment", deploy(3, 2, 3, 3, 3, 3));
  CHECK_FALSE(stale.passed);
  CHECK(stale.saw == "rollout: generation 3 not yet observed");
  CHECK(
      gw::judge_rollout(
          "daemonset",
          R"({"metadata":{"generation":1},"status":{"observedGeneration":1,"desiredNumberScheduled":2,"updatedNumberScheduled":2,"numberAvailable":2}})")
          .passed);
  CHECK_FALSE(
      gw::judge_rollout(
          "ds",
          R"({"metadata":{"generation":1},"status":{"observedGeneration":1,"desiredNumberScheduled":0}})")
          .passed);
  CHECK_FALSE(
      gw::judge_rollout(
          "statefulset",
          R"({"metadata":{"generation":1},"spec":{"replicas":2},"status":{"observedGeneration":1,"updatedReplicas":2,"readyReplicas":1,"availableReplicas":2}})")
          .passed);
  CHECK(gw::judge_rollout("deployment", "not json").saw == "rollout: unreadable kubectl output");
}

TEST_CASE("judge_condition: the named condition, with reason and message") {
  std::string json =
      R"({"status":{"conditions":[{"type":"Ready","status":"False","reason":"Pending","message":"waiting for issuer"},{"type":"Synced","status":"True"}]}})";
  auto ready = gw::judge_condition("Ready", json);
  CHECK_FALSE(ready.passed);
  CHECK(ready.saw == "Ready=False (Pending: waiting for issuer)");
  CHECK(gw::judge_condition("Synced", json).passed);
  CHECK(gw::judge_condition("Available", json).saw == "no condition Available yet");
  CHECK(gw::judge_condition("Ready", R"({"status":{}})").saw == "no conditions reported yet");
}

TEST_CASE("kube gates query kubectl and judge its answer") {
  Fixture f;
  f.runner.next = exited(1, "", "Error from server (NotFound): configmaps \"x\" not found\n");
  auto o =
      f.probe(gw::GateKind::Exists, {{{"resource", "configmap/x"}, {"namespace", "d"}}, {}, {}});
  CHECK_FALSE(o.passed);
  CHECK(o.saw.rfind("not found yet: ", 0) == 0);
  CHECK(std::find(f.runner.args.begin(), f.runner.args.end(), "configmap/x") !=
        f.runner.args.end());
  f.runner.next = exited(0, "  \n");
  CHECK(f.probe(gw::GateKind::Exists, {{{"resource", "configmap/x"}}, {}, {}}).saw ==
        "none found yet");
  f.runner.next = exited(0, "yes\n");
  CHECK(f.probe(gw::GateKind::JsonPath,
                {{{"resource", "configmap/x"}, {"path", "{.data.a}"}, {"equals", "yes"}}, {}, {}})
            .passed);
  CHECK_FALSE(
      f.probe(gw::GateKind::JsonPath,
              {{{"resource", "configmap/x"}, {"path", "{.data.a}"}, {"equals", "no"}}, {}, {}})
          .passed);
}

TEST_CASE("command gates check the exit code and the output") {
  Fixture f;
  f.runner.next = exited(3, "", "boom\n");
  auto o = f.probe(gw::GateKind::Command, {{{"expectExit", "0"}}, {{"argv", {"check", "-x"}}}, {}});
  CHECK_FALSE(o.passed);
  CHECK(o.saw == "exit 3 (expected 0): boom");
  f.runner.next = exited(0, "version 1.2\n");
  CHECK(f.probe(gw::GateKind::Command, {{}, {{"argv", {"check"}}}, {}}).passed);
}

TEST_CASE("http, dns and tcp gates hand their fields to the network prober") {
  Fixture f;
  CHECK(f.probe(gw::GateKind::Http, {{{"url", "https://a.test/"},
                                      {"contains", "ok"},
                                      {"resolve", "127.0.0.9"},
                                      {"insecure", "true"}},
                                     {},
                                     {}})
            .passed);
  CHECK(f.net.http_seen.url == "https://a.test/");
  CHECK(f.net.http_seen.status == 200);
  CHECK(f.net.http_seen.contains == "ok");
  CHECK(f.net.http_seen.resolve == "127.0.0.9");
  CHECK(f.net.http_seen.insecure);
  f.probe(gw::GateKind::Dns,
          {{{"server", "127.0.0.53"}, {"name", "a.test"}, {"type", "AAAA"}}, {}, {}});
  CHECK(f.net.dns_seen.type == "AAAA");
  CHECK(f.net.dns_seen.server == "127.0.0.53");
  f.probe(gw::GateKind::Tcp, {{{"host", "127.0.0.1"}, {"port", "6443"}}, {}, {}});
  CHECK(f.net.tcp_seen == "127.0.0.1:6443");
}

TEST_CASE("poll_gate polls until a probe passes, and stops at its timeout") {
  class Countdown : public gw::NetProber {
   public:
    int left = 2;
    gw::Observation tcp(const std::string&, int, gw::Millis) override {
      return {left-- <= 0, "left " + std::to_string(left)};
    }
  };
  gw::Inventory inv;
  ScriptedRunner runner;
  FakePathTool tools{inv};
  Countdown net;
  gw::GateProber prober(runner, inv, tools, nullptr, nullptr, &net);
  gw::Interrupt interrupt;
  gw::RenderedBody body{{{"host", "h"}, {"port", "1"}}, {}, {}};
  auto r = gw::poll_gate(prober, gw::GateKind::Tcp, body, gw::Millis(1), gw::Millis(60000),
                         interrupt, "");
  CHECK(r.passed);
  CHECK(r.polls == 3);
  net.left = 1000000;
  r = gw::poll_gate(prober, gw::GateKind::Tcp, body, gw::Millis(1), gw::Millis(20), interrupt, "");
  CHECK_FALSE(r.passed);
  CHECK(r.saw.rfind("left ", 0) == 0);
}

TEST_CASE("the real tcp probe against a listener on loopback") {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 4) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  int port = ntohs(addr.sin_port);
  CHECK(gw::probe_tcp("127.0.0.1", port, gw::Millis(2000)).passed);
  ::close(fd);
  CHECK_FALSE(gw::probe_tcp("127.0.0.1", port, gw::Millis(2000)).passed);
}
