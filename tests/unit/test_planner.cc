#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "plan/planner.h"
#include "report/plan_writer.h"
#include "test_support.h"

using gwtest::project_of;
using gwtest::run_step;

namespace {

struct Planned {
  explicit Planned(gw::Project p) : project(std::move(p)) {}
  gw::Project project;
  std::optional<gw::StageGraph> graph;
  gw::Diagnostics diags;
  gw::Checkpoints cp;
};

gw::Result<gw::Plan> plan_of(Planned& t, const gw::Selection& sel = {}) {
  t.graph = gw::StageGraph::build(t.project.stages, t.diags);
  REQUIRE(t.graph);
  auto scope = gw::preview_scope(t.project, t.cp,
                                 [](const std::string&) { return std::optional<std::string>(); });
  return gw::make_plan(t.project, *t.graph, sel, t.cp, scope, t.diags);
}

size_t position(const gw::Plan& p, const std::string& name) {
  for (size_t i = 0; i < p.stages.size(); ++i)
    if (p.stages[i].stage->name == name) return i;
  FAIL("stage not in plan: " << name);
  return 0;
}

}  // namespace

TEST_CASE("a diamond orders every need first and forms three waves") {
  Planned t{project_of({"d:b,c", "b:a", "c:a", "a"})};
  auto plan = plan_of(t);
  REQUIRE(plan.ok());
  CHECK(position(*plan, "a") < position(*plan, "b"));
  CHECK(position(*plan, "a") < position(*plan, "c"));
  CHECK(position(*plan, "b") < position(*plan, "d"));
  CHECK(position(*plan, "c") < position(*plan, "d"));
  REQUIRE(plan->waves.size() == 3);
  CHECK(plan->waves[0] == std::vector<std::string>{"a"});
  CHECK(plan->waves[1].size() == 2);
  CHECK(plan->waves[2] == std::vector<std::string>{"d"});
}

TEST_CASE("a cycle is an error that names every stage on it") {
  gw::Project p = project_of({"a:c", "b:a", "c:b", "x"});
  gw::Diagnostics diags;
  CHECK_FALSE(gw::StageGraph::build(p.stages, diags));
  REQUIRE(diags.size() == 1);
  const auto& msg = diags.all()[0].message;
  CHECK(msg.rfind("cycle: ", 0) == 0);
  for (const char* n : {"a -> ", "b -> ", "c -> "}) CHECK(msg.find(n) != std::string::npos);
  CHECK(msg.find("stages/a.yaml:6:11") != std::string::npos);
  CHECK(diags.all()[0].loc.file.find("stages/") == 0);
}

TEST_CASE("a self need is a cycle") {
  gw::Project p = project_of({"a:a"});
  gw::Diagnostics diags;
  CHECK_FALSE(gw::StageGraph::build(p.stages, diags));
  CHECK(diags.all().at(0).message.rfind("cycle: a -> a", 0) == 0);
}

TEST_CASE("an unknown need is an error at the need, with a suggestion") {
  gw::Project p = project_of({"metallb:storage-clas", "storage-class"});
  gw::Diagnostics diags;
  CHECK_FALSE(gw::StageGraph::build(p.stages, diags));
  REQUIRE(diags.size() == 1);
  CHECK(diags.all()[0].format() ==
        "stages/metallb.yaml:6:11: error: stage 'metallb' needs unknown stage 'storage-clas' "
        "(did you mean 'storage-class'?)");
}

TEST_CASE("targets select themselves and everything they need, nothing else") {
  Planned t{project_of({"a", "b:a", "c:b", "other", "d:a"})};
  auto plan = plan_of(t, {{"c"}, {}, {}});
  REQUIRE(plan.ok());
  std::vector<std::string> names;
  for (const auto& s : plan->stages) names.push_back(s.stage->name);
  CHECK(names == std::vector<std::string>{"a", "b", "c"});
  Planned u{project_of({"a", "b:a"})};
  auto bad = plan_of(u, {{"nope"}, {}, {}});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "unknown stage 'nope'");
}

TEST_CASE("--only selects just the named stages") {
  Planned t{project_of({"a", "b:a", "c:b"})};
  auto plan = plan_of(t, {{}, {"b"}, {}});
  REQUIRE(plan.ok());
  REQUIRE(plan->stages.size() == 1);
  CHECK(plan->stages[0].stage->name == "b");
}

TEST_CASE("the critical path follows step counts until durations are measured") {
  // a -> b (5 steps) -> d ; a -> c (1 step) -> d
  Planned t{project_of({"a", "b:a", "c:a", "d:b,c"})};
  for (int i = 1; i < 5; ++i)
    t.project.stages[1].steps.push_back(run_step("x" + std::to_string(i)));
  auto plan = plan_of(t);
  REQUIRE(plan.ok());
  CHECK(plan->critical_path == std::vector<std::string>{"a", "b", "d"});
  CHECK_FALSE(plan->weights_measured);

  // Measured: c took far longer than b.
  Planned m{project_of({"a", "b:a", "c:a", "d:b,c"})};
  for (int i = 1; i < 5; ++i)
    m.project.stages[1].steps.push_back(run_step("x" + std::to_string(i)));
  for (auto [n, ms] : {std::pair{"a", 10}, {"b", 50}, {"c", 90000}, {"d", 10}})
    m.cp.stages[n] = {"k", gw::RecordStatus::Passed, ms, ""};
  auto measured = plan_of(m);
  REQUIRE(measured.ok());
  CHECK(measured->critical_path == std::vector<std::string>{"a", "c", "d"});
  CHECK(measured->weights_measured);
  CHECK(measured->find("c")->remaining > measured->find("b")->remaining);
}

TEST_CASE("step status compares the checkpoint key: done, changed, failed, pending") {
  Planned t{project_of({"a"}, 4)};
  auto first = plan_of(t);
  REQUIRE(first.ok());
  const auto& steps = first->stages[0].steps;
  auto record = [](std::string key, gw::RecordStatus status) {
    gw::StepRecord r;
    r.spec_key = key;
    r.key = std::move(key);
    r.status = status;
    return r;
  };
  t.cp.steps["a/s0"] = record(steps[0].preview.key(), gw::RecordStatus::Passed);
  t.cp.steps["a/s1"] = record("other-key", gw::RecordStatus::Passed);
  t.cp.steps["a/s2"] = record(steps[2].preview.key(), gw::RecordStatus::Failed);
  auto second = plan_of(t);
  REQUIRE(second.ok());
  const auto& s = second->stages[0].steps;
  CHECK(s[0].status == gw::PlanStatus::Done);
  CHECK(s[1].status == gw::PlanStatus::Changed);
  CHECK(s[2].status == gw::PlanStatus::Failed);
  CHECK(s[3].status == gw::PlanStatus::Pending);
}

TEST_CASE("a stage whose when is false is skipped and still satisfies what needs it") {
  Planned t{project_of({"talos", "storage:talos"})};
  t.project.inventory.vars["platform"] = "k3s";
  t.project.stages[0].when = gw::Text{"${vars.platform} == talos", {}};
  auto plan = plan_of(t);
  REQUIRE(plan.ok());
  CHECK(plan->find("talos")->status == gw::PlanStatus::Skipped);
  CHECK(plan->find("talos")->steps[0].status == gw::PlanStatus::Skipped);
  CHECK(plan->find("storage")->status == gw::PlanStatus::Pending);
}

TEST_CASE("helm steps render the exact command with context, namespace, version and values") {
  Planned t{project_of({"metallb"}, 0)};
  t.project.inventory.context = "admin@lab";
  t.project.inventory.kubeconfig = "/kube/config";
  t.project.files["/st/values/metallb.yaml"] = {"/st/values/metallb.yaml", "a: 1\n", false};
  gw::Step h;
  h.name = "chart";
  h.kind = gw::StepKind::Helm;
  h.dir = "/st";
  for (auto [k, v] : {std::pair{"release", "metallb"},
                      {"chart", "metallb"},
                      {"repo", "https://metallb.github.io/metallb"},
                      {"version", "0.15.2"},
                      {"namespace", "metallb-system"},
                      {"createNamespace", "true"},
                      {"wait", "true"}})
    h.body.scalars[k] = gw::Text{v, {}};
  h.body.lists["values"] = {gw::Text{"values/metallb.yaml", {}}};
  t.project.stages[0].steps.push_back(h);
  auto plan = plan_of(t);
  REQUIRE(plan.ok());
  auto argv = plan->stages[0].steps[0].preview.command->display_argv();
  CHECK(gw::join_argv(argv) ==
        "helm upgrade --install metallb metallb --repo https://metallb.github.io/metallb "
        "--version 0.15.2 --namespace metallb-system --create-namespace -f "
        "/st/values/metallb.yaml --wait --timeout 10m --kube-context admin@lab --kubeconfig "
        "/kube/config");
}

TEST_CASE("diff commands: kubectl diff of the same files, helm template piped into kubectl diff") {
  gw::Project project = project_of({"web"}, 0);
  project.inventory.context = "admin@lab";
  project.inventory.kubeconfig = "/kube/config";
  project.files["/st/values/v.yaml"] = {"/st/values/v.yaml", "a: 1\n", false};
  project.files["/st/m.yaml"] = {"/st/m.yaml", "kind: ConfigMap\n", false};
  auto scope = gw::preview_scope(project, {},
                                 [](const std::string&) { return std::optional<std::string>(); });
  gw::CommandContext cc{&project, scope, nullptr};
  auto argv_of = [](const gw::Invocation& inv) { return gw::join_argv(inv.display_argv()); };

  gw::Step k;
  k.name = "m";
  k.kind = gw::StepKind::Kubectl;
  k.dir = "/st";
  k.body.lists["apply"] = {gw::Text{"m.yaml", {}}};
  k.body.scalars["serverSide"] = gw::Text{"true", {}};
  auto kd = gw::build_diff_command(k, cc, gw::HelmDiff::Template, nullptr);
  REQUIRE(kd);
  REQUIRE(kd->pipeline.size() == 1);
  CHECK(argv_of(kd->pipeline[0]) ==
        "kubectl --kubeconfig /kube/config --context admin@lab diff --server-side -f /st/m.yaml");
  CHECK(kd->differs_exit == 1);

  gw::Step h;
  h.name = "chart";
  h.kind = gw::StepKind::Helm;
  h.dir = "/st";
  for (auto [key, v] : {std::pair{"release", "r"},
                        {"chart", "c"},
                        {"repo", "https://charts"},
                        {"version", "1.2.3"},
                        {"namespace", "ns"},
                        {"createNamespace", "true"},
                        {"wait", "true"}})
    h.body.scalars[key] = gw::Text{v, {}};
  h.body.lists["values"] = {gw::Text{"values/v.yaml", {}}};
  auto hd = gw::build_diff_command(h, cc, gw::HelmDiff::Template, nullptr);
  REQUIRE(hd);
  REQUIRE(hd->pipeline.size() == 2);
  CHECK(argv_of(hd->pipeline[0]) ==
        "helm template r c --repo https://charts --version 1.2.3 --namespace ns -f "
        "/st/values/v.yaml");
  CHECK(argv_of(hd->pipeline[1]) ==
        "kubectl --kubeconfig /kube/config --context admin@lab --namespace ns diff -f -");
  auto pd = gw::build_diff_command(h, cc, gw::HelmDiff::Plugin, nullptr);
  REQUIRE(pd);
  REQUIRE(pd->pipeline.size() == 1);
  CHECK(argv_of(pd->pipeline[0]) ==
        "helm diff upgrade r c --repo https://charts --version 1.2.3 --namespace ns -f "
        "/st/values/v.yaml --allow-unreleased --detailed-exitcode --no-color --kube-context "
        "admin@lab --kubeconfig /kube/config");
  CHECK(pd->differs_exit == 2);

  gw::Step del = k;
  del.body.lists.clear();
  del.body.lists["delete"] = {gw::Text{"m.yaml", {}}};
  auto dd = gw::build_diff_command(del, cc, gw::HelmDiff::Template, nullptr);
  REQUIRE(dd);
  CHECK(dd->pipeline.empty());
  CHECK(dd->not_diffable == "kubectl delete");
  auto rd = gw::build_diff_command(run_step("r", "/bin/true"), cc, gw::HelmDiff::Template, nullptr);
  REQUIRE(rd);
  CHECK(rd->not_diffable == "run");
}

TEST_CASE("the JSON plan escapes every string so that a JSON parser reads it back") {
  auto project = project_of({"a", "b:a"});
  const std::string tricky = "say \"hi\"\\ \b\f\n\r\t\x01\x1f caf\xc3\xa9 end";
  project.stages[0].description = tricky;
  project.stages[0].steps[0] = run_step("s0", tricky);
  project.stages[0].steps[0].repeat = gw::Repeat::Once;
  Planned t(std::move(project));
  auto plan = plan_of(t);
  REQUIRE(plan);
  std::ostringstream out;
  gw::write_plan(out, *plan, gw::PlanFormat::Json, gw::Color::Off);
  auto js = nlohmann::json::parse(out.str());
  const auto& a = js["stages"][0];
  CHECK(a["name"] == "a");
  CHECK(a["description"] == tricky);
  CHECK(a["steps"][0]["argv"].back() == tricky);
  CHECK(a["steps"][0]["once"] == true);
  CHECK(a["steps"][0]["kind"] == "run");
  CHECK(js["stages"][1]["needs"] == nlohmann::json::array({"a"}));
  CHECK(js["stages"][1]["wave"] == 1);
  CHECK(js["waves"].size() == 2);
}
