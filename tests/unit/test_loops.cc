// forEach expansion (load/loops.h) and --cascade selection (plan/cascade.h).
#include <catch2/catch.hpp>

#include "load/loops.h"
#include "load/project_loader.h"
#include "plan/cascade.h"
#include "plan/planner.h"
#include "test_support.h"

namespace {

/// An inventory with `nodes` talos nodes ("cp1:controlplane,w1:worker") and one stage file.
std::string inventory_with(const std::string& nodes) {
  std::string out =
      "apiVersion: groundwork/v1\nkind: Inventory\nmetadata: {name: unit}\nspec:\n"
      "  kubernetes: {kubeconfig: ./kubeconfig, context: unit}\n"
      "  tools: {talosctl: talosctl}\n"
      "  hosts:\n    nas: {address: 127.0.0.5, user: admin, port: 2222}\n"
      "  vars: {cp_config: cp.yaml, worker_config: w.yaml, platform: talos}\n"
      "  talos:\n    talosconfig: ./talosconfig\n    endpoints: [127.0.0.11, 127.0.0.12]\n"
      "    nodes:";
  out += nodes.empty() ? " []\n" : "\n";
  size_t pos = 0;
  int n = 11;
  while (pos < nodes.size()) {
    auto comma = nodes.find(',', pos);
    if (comma == std::string::npos) comma = nodes.size();
    std::string one = nodes.substr(pos, comma - pos);
    auto colon = one.find(':');
    out += "      - {name: " + one.substr(0, colon) + ", address: 127.0.0." + std::to_string(n++) +
           ", role: " + one.substr(colon + 1) + "}\n";
    pos = comma + 1;
  }
  return out;
}

const char* kTalosStage = R"(apiVersion: groundwork/v1
kind: Stage
metadata: {name: talos}
spec:
  steps:
    - name: apply-cp
      forEach: "${inventory.talos.nodes}"
      where: "${item.role} == controlplane"
      talosctl: {args: [apply-config, --insecure, --file, "${vars.cp_config}"], nodes: ["${item.address}"]}
      skipIf:
        command: {argv: [talosctl, --nodes, "${item.address}", version]}
    - name: apply-worker
      forEach: "${inventory.talos.nodes}"
      where: "${item.role} == worker"
      talosctl: {args: [apply-config, --insecure, --file, "${vars.worker_config}"], nodes: ["${item.address}"]}
    - name: ping
      forEach: "${inventory.talos.endpoints}"
      talosctl: {args: [version, "$${literal}", "${item}"]}
    - name: hosts
      forEach: "${inventory.hosts}"
      talosctl: {args: ["${item.user}@${item.address}:${item.port}"]}
    - name: bootstrap
      talosctl: {args: [bootstrap]}
)";

struct Loaded {
  gwtest::TempDir dir;
  gw::Project project;
  gw::Diagnostics diags;
};

void load(Loaded& l, const std::string& nodes, const std::string& stage = kTalosStage) {
  l.dir.write("inventory.yaml", inventory_with(nodes));
  l.dir.write("stages/talos.yaml", stage);
  gw::LoadOptions lo;
  lo.inventory = (l.dir.path() / "inventory.yaml").string();
  lo.stages_dir = (l.dir.path() / "stages").string();
  lo.stages_dir_explicit = true;
  lo.env = [](const std::string&) { return std::optional<std::string>(); };
  l.diags = gw::Diagnostics{};
  l.project = gw::load_project(lo, l.diags);
}

std::vector<std::string> step_names(const gw::Stage& s) {
  std::vector<std::string> out;
  for (const auto& st : s.steps) out.push_back(st.name);
  return out;
}

std::vector<std::string> arg_values(const gw::Step& s, const std::string& key) {
  std::vector<std::string> out;
  for (const auto& t : *s.body.list(key)) out.push_back(t.raw);
  return out;
}

/// The checkpoint keys of a stage's steps, by step name.
std::map<std::string, std::string> keys_of(const gw::Project& p) {
  gw::Diagnostics diags;
  auto graph = gw::StageGraph::build(p.stages, diags);
  REQUIRE(graph);
  gw::Checkpoints cp;
  auto scope =
      gw::preview_scope(p, cp, [](const std::string&) { return std::optional<std::string>(); });
  auto plan = gw::make_plan(p, *graph, {}, cp, scope, diags);
  REQUIRE(plan.ok());
  std::map<std::string, std::string> out;
  for (const auto& ps : plan->stages)
    for (const auto& st : ps.steps) out[st.step->name] = st.preview.key();
  return out;
}

}  // namespace

TEST_CASE("forEach expands one step per item, named STEP.KEY, filtered by where") {
  Loaded l;
  load(l, "cp1:controlplane,cp2:controlplane,cp3:controlplane,w1:worker,w2:worker");
  INFO(l.diags.size());
  REQUIRE(l.diags.empty());
  REQUIRE(l.project.stages.size() == 1);
  const gw::Stage& s = l.project.stages[0];
  CHECK(step_names(s) == std::vector<std::string>{"apply-cp.cp1", "apply-cp.cp2", "apply-cp.cp3",
                                                  "apply-worker.w1", "apply-worker.w2",
                                                  "ping.127.0.0.11", "ping.127.0.0.12", "hosts.nas",
                                                  "bootstrap"});
  CHECK(s.steps[0].loop == "apply-cp");
  CHECK(s.steps[8].loop.empty());
  CHECK(!s.steps[0].for_each);
  CHECK(arg_values(s.steps[1], "nodes") == std::vector<std::string>{"127.0.0.12"});
  CHECK(arg_values(s.steps[3], "args")[3] == "${vars.worker_config}");
  CHECK(arg_values(s.steps[3], "nodes") == std::vector<std::string>{"127.0.0.14"});
  // The skipIf is rendered per item too, and its default name follows the step's.
  REQUIRE(s.steps[2].skip_if);
  CHECK(s.steps[2].skip_if->name == "apply-cp.cp3-skipif");
  CHECK(s.steps[2].skip_if->body.list("argv")->at(2).raw == "127.0.0.13");
  // String items are ${item}; `$${` stays a literal.
  CHECK(arg_values(s.steps[5], "args") ==
        std::vector<std::string>{"version", "$${literal}", "127.0.0.11"});
  CHECK(arg_values(s.steps[7], "args") == std::vector<std::string>{"admin@127.0.0.5:2222"});
}

TEST_CASE("each item has its own checkpoint key; a new node leaves the others' keys alone") {
  Loaded l;  // one folder: the keys cover the talosconfig's path
  load(l, "cp1:controlplane,w1:worker,w2:worker");
  REQUIRE(l.diags.empty());
  auto before = keys_of(l.project);
  load(l, "cp1:controlplane,w1:worker,w2:worker,w3:worker");
  REQUIRE(l.diags.empty());
  auto after = keys_of(l.project);
  CHECK(before.at("apply-worker.w1") != before.at("apply-worker.w2"));
  for (const auto& name : {"apply-cp.cp1", "apply-worker.w1", "apply-worker.w2", "bootstrap"})
    CHECK(before.at(name) == after.at(name));
  CHECK(!before.count("apply-worker.w3"));
  CHECK(after.count("apply-worker.w3"));
}

TEST_CASE("a loop named as written on the command line stands for each of its items") {
  Loaded l;
  load(l, "cp1:controlplane,w1:worker,w2:worker");
  REQUIRE(l.diags.empty());
  CHECK(gw::expand_loop_targets(l.project, {"talos/apply-worker", "talos", "talos/bootstrap",
                                            "talos/apply-cp.cp1", "talos/nope", "other/x"}) ==
        std::vector<std::string>{"talos/apply-worker.w1", "talos/apply-worker.w2", "talos",
                                 "talos/bootstrap", "talos/apply-cp.cp1", "talos/nope", "other/x"});
}

TEST_CASE("an inventory without talos nodes expands the loop to no step") {
  Loaded l;
  load(l, "");
  for (const auto& d : l.diags.sorted()) INFO(d.format());
  REQUIRE(l.diags.empty());
  CHECK(step_names(l.project.stages[0]) ==
        std::vector<std::string>{"ping.127.0.0.11", "ping.127.0.0.12", "hosts.nas", "bootstrap"});
}

TEST_CASE("where must be a condition over items, vars and the inventory") {
  Loaded l;
  load(l, "cp1:controlplane", R"(apiVersion: groundwork/v1
kind: Stage
metadata: {name: talos}
spec:
  steps:
    - name: a
      forEach: "${inventory.talos.nodes}"
      where: "${secrets.x} == y"
      talosctl: {args: [version]}
)");
  REQUIRE(!l.diags.empty());
  CHECK(l.diags.sorted()[0].format().find("talos.yaml:8:15: error: 'where' is decided when") !=
        std::string::npos);
}

TEST_CASE("a forEach step that captures, or names that clash, are errors") {
  Loaded l;
  load(l, "cp1:controlplane", R"(apiVersion: groundwork/v1
kind: Stage
metadata: {name: talos}
spec:
  steps:
    - name: a.cp1
      talosctl: {args: [version]}
    - name: a
      forEach: "${inventory.talos.nodes}"
      talosctl: {args: [version]}
    - name: b
      forEach: "${inventory.talos.nodes}"
      capture: {name: out}
      talosctl: {args: [version]}
)");
  std::string all;
  for (const auto& d : l.diags.sorted()) all += d.format() + "\n";
  CAPTURE(all);
  CHECK(all.find("step name 'a.cp1' (from forEach) is used twice") != std::string::npos);
  CHECK(all.find("has forEach and capture") != std::string::npos);
}

TEST_CASE("--cascade adds every stage that needs a named one, transitively, in order") {
  auto p = gwtest::project_of({"storage", "metallb:storage", "adguard:metallb", "traefik:metallb",
                               "rancher:traefik", "other:storage"});
  gw::Diagnostics diags;
  auto graph = gw::StageGraph::build(p.stages, diags);
  REQUIRE(graph);
  CHECK(gw::left_out_dependents(*graph, {"metallb"}) ==
        std::vector<std::string>{"adguard", "traefik", "rancher"});
  CHECK(gw::left_out_dependents(*graph, {"metallb/s0", "traefik"}) ==
        std::vector<std::string>{"adguard", "rancher"});
  CHECK(gw::left_out_dependents(*graph, {"rancher"}).empty());
  CHECK(gw::with_dependents(*graph, {"adguard"}) == std::vector<std::string>{"adguard"});

  gw::Selection sel{{"metallb"}, {}, {}};
  sel.policy.force.insert("metallb");
  auto note = gw::cascade_selection(*graph, gw::Cascade::No, {"metallb"}, sel);
  CHECK(sel.policy.force.size() == 1);
  CHECK(note ==
        "--force metallb does not include the stages that need metallb: adguard, traefik and "
        "rancher "
        "(add --cascade to include them)");
  note = gw::cascade_selection(*graph, gw::Cascade::Yes, {"metallb"}, sel);
  CHECK(sel.policy.force == std::set<std::string>{"metallb", "adguard", "traefik", "rancher"});
  CHECK(sel.targets == std::vector<std::string>{"metallb", "adguard", "traefik", "rancher"});
  CHECK(note.find("also forces") != std::string::npos);
}
