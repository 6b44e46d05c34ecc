#include "run/gates.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "model/regex.h"
#include "model/strings.h"
#include "run/ssh_step.h"

namespace gw {

namespace {

int64_t get_int(const nlohmann::json& j, const char* a, const char* b, int64_t fallback) {
  auto ia = j.find(a);
  if (ia == j.end() || !ia->is_object()) return fallback;
  auto ib = ia->find(b);
  return ib != ia->end() && ib->is_number() ? ib->get<int64_t>() : fallback;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Observation judge_rollout(const std::string& kind_in, const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return {false, "rollout: unreadable kubectl output"};
  std::string kind = lower(kind_in);
  int64_t generation = j.value("/metadata/generation"_json_pointer, int64_t{0});
  int64_t observed = get_int(j, "status", "observedGeneration", 0);
  if (observed < generation)
    return {false, "rollout: generation " + std::to_string(generation) + " not yet observed"};
  if (kind.starts_with("daemonset") || kind == "ds") {
    int64_t desired = get_int(j, "status", "desiredNumberScheduled", 0);
    int64_t updated = get_int(j, "status", "updatedNumberScheduled", 0);
    int64_t available = get_int(j, "status", "numberAvailable", 0);
    std::string saw = "rollout: " + std::to_string(updated) + " of " + std::to_string(desired) +
                      " pods updated, " + std::to_string(available) + " available";
    return {desired > 0 && updated >= desired && available >= desired, saw};
  }
  int64_t replicas = get_int(j, "spec", "replicas", 1);
  int64_t updated = get_int(j, "status", "updatedReplicas", 0);
  int64_t ready = get_int(j, "status", "readyReplicas", 0);
  int64_t available = get_int(j, "status", "availableReplicas", ready);
  bool stateful = kind.starts_with("statefulset") || kind == "sts";
  if (stateful) available = ready;
  std::string saw = "rollout: " + std::to_string(updated) + " of " + std::to_string(replicas) +
                    " replicas updated, " + std::to_string(available) + " available";
  return {updated >= replicas && ready >= replicas && available >= replicas, saw};
}

Observation judge_condition(const std::string& condition, const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return {false, "condition: unreadable kubectl output"};
  auto status = j.find("status");
  if (status == j.end() || !status->contains("conditions"))
    return {false, "no conditions reported yet"};
  for (const auto& c : (*status)["conditions"]) {
    if (c.value("type", "") != condition) continue;
    std::string st = c.value("status", "");
    std::string saw = condition + "=" + st;
    if (c.contains("reason")) saw += " (" + c.value("reason", "");
    if (c.contains("message") && !c.value("message", "").empty())
      saw += (c.contains("reason") ? ": " : " (") + c.value("message", "");
    if (c.contains("reason") || c.contains("message")) saw += ")";
    return {st == "True", saw};
  }
  return {false, "no condition " + condition + " yet"};
}

Observation GateProber::probe_kube(GateKind kind, const RenderedBody& body,
                                   const Interrupt& interrupt, const std::string& log_path,
                                   Millis budget) {
  Invocation q = build_gate_query(kind, body, inv_);
  ProcessSpec spec;
  spec.program = tools_.resolve("kubectl");
  if (spec.program.empty()) return {false, "kubectl not found"};
  for (size_t i = 1; i < q.argv.size(); ++i) spec.args.push_back(q.argv[i]);
  spec.env = tools_.base_env();
  spec.timeout = budget;
  spec.log_path = log_path;
  spec.redactor = redactor_;
  ProcessResult r = runner_.run(spec, interrupt);
  if (!r.ok()) {
    std::string tail = first_line(r.output_tail);
    if (tail.find("NotFound") != std::string::npos || tail.find("not found") != std::string::npos)
      return {false, "not found yet: " + tail};
    return {false, "kubectl get: " + r.describe(spec.timeout) + (tail.empty() ? "" : ": " + tail)};
  }
  switch (kind) {
    case GateKind::Rollout:
      return judge_rollout(body.get("kind"), r.out);
    case GateKind::Condition:
      return judge_condition(body.get("condition"), r.out);
    case GateKind::Exists:
      if (r.out.find_first_not_of(" \n\t") == std::string::npos) return {false, "none found yet"};
      return {true, "exists: " + first_line(r.out)};
    case GateKind::JsonPath: {
      std::string got = r.out;
      while (!got.empty() && (got.back() == '\n' || got.back() == ' ')) got.pop_back();
      std::string saw = "got '" + first_line(got) + "'";
      if (body.scalars.count("equals")) return {got == body.get("equals"), saw};
      if (body.scalars.count("matches")) {
        auto re = Regex::compile(body.get("matches"));
        if (!re) return {false, "'matches' /" + body.get("matches") + "/: " + re.error().message};
        return {re->search(got), saw};
      }
      return {!got.empty(), got.empty() ? "empty" : saw};
    }
    default:
      return {false, "not a kube gate"};
  }
}

Observation GateProber::probe_command(const RenderedBody& body, const Interrupt& interrupt,
                                      const std::string& log_path, Millis budget) {
  const auto& argv = body.lists.at("argv");
  if (argv.empty()) return {false, "empty argv"};
  ProcessSpec spec;
  spec.program = tools_.resolve(argv[0]);
  if (spec.program.empty())
    return {false, "program '" + argv[0] + "': " + tools_.why_missing(argv[0])};
  spec.args.assign(argv.begin() + 1, argv.end());
  spec.env = tools_.base_env();
  spec.timeout = budget;
  spec.log_path = log_path;
  spec.redactor = redactor_;
  ProcessResult r = runner_.run(spec, interrupt);
  int want = std::stoi(body.get("expectExit", "0"));
  std::string tail = first_line(r.output_tail);
  if (r.outcome != Outcome::Exited)
    return {false, r.describe(spec.timeout) + (tail.empty() ? "" : ": " + tail)};
  if (r.exit_code != want)
    return {false, "exit " + std::to_string(r.exit_code) + " (expected " + std::to_string(want) +
                       ")" + (tail.empty() ? "" : ": " + tail)};
  if (body.scalars.count("expectOutput")) {
    auto re = Regex::compile(body.get("expectOutput"));
    if (!re)
      return {false, "'expectOutput' /" + body.get("expectOutput") + "/: " + re.error().message};
    // Like `$(…)` in a shell, trailing newlines are not part of what is matched: `^42$` matches
    // a command that printed "42\n".
    std::string_view out = r.out;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.remove_suffix(1);
    if (!re->search(out))
      return {false,
              "output does not match /" + body.get("expectOutput") + "/: " + first_line(r.out)};
  }
  return {true, "exit " + std::to_string(r.exit_code)};
}

Observation GateProber::probe(GateKind kind, const RenderedBody& body, const Interrupt& interrupt,
                              const std::string& log_path, Millis budget) {
  Observation o = probe_unredacted(kind, body, interrupt, log_path, budget);
  if (redactor_) o.saw = redactor_->redact(o.saw);
  return o;
}

Observation GateProber::probe_unredacted(GateKind kind, const RenderedBody& body,
                                         const Interrupt& interrupt, const std::string& log_path,
                                         Millis budget) {
  switch (kind) {
    case GateKind::Rollout:
    case GateKind::Condition:
    case GateKind::Exists:
    case GateKind::JsonPath:
      return probe_kube(kind, body, interrupt, log_path, budget);
    case GateKind::Command:
      return probe_command(body, interrupt, log_path, budget);
    case GateKind::Http: {
      HttpProbe p{body.get("url"),      std::stoi(body.get("status", "200")),
                  body.get("contains"), body.get("resolve"),
                  body.get("caFile"),   body.flag("insecure")};
      return net_->http(p, std::min(budget, Millis(10000)));
    }
    case GateKind::Dns:
      return net_->dns(
          {body.get("server"), body.get("name"), body.get("type", "A"), body.get("expect")},
          std::min(budget, Millis(3000)));
    case GateKind::Tcp:
      return net_->tcp(body.get("host"), std::stoi(body.get("port")),
                       std::min(budget, Millis(3000)));
    case GateKind::Ssh:
      return probe_ssh_gate(remote_, body, interrupt, log_path, redactor_);
  }
  return {false, "unknown gate"};
}

GateResult poll_gate(GateProber& prober, GateKind kind, const RenderedBody& body, Millis interval,
                     Millis timeout, const Interrupt& interrupt, const std::string& log_path,
                     const std::function<void(int poll, const Observation&)>& on_poll) {
  using Clock = std::chrono::steady_clock;
  GateResult res;
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (interrupt.stopping()) {
      res.interrupted = true;
      return res;
    }
    // A probe may not outlast the gate's timeout (but gets a moment even at the very end).
    auto left_now = std::chrono::duration_cast<Millis>(deadline - Clock::now());
    Millis budget = std::clamp(left_now, Millis(1000), GateProber::kProbeBudget);
    Observation o = prober.probe(kind, body, interrupt, log_path, budget);
    ++res.polls;
    res.saw = o.saw;
    if (on_poll) on_poll(res.polls, o);
    if (o.passed) {
      res.passed = true;
      return res;
    }
    auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
    if (left.count() <= 0) return res;
    if (!interrupt.sleep_for(std::min(interval, left))) {
      res.interrupted = true;
      return res;
    }
  }
}

}  // namespace gw
