#include <catch2/catch.hpp>

#include "model/project.h"
#include "model/template.h"

namespace {

gw::RenderScope scope_with(const std::map<std::string, std::string>& vars) {
  static std::map<std::string, std::string> stored;
  stored = vars;
  gw::RenderScope s;
  s.vars = &stored;
  static const gw::Inventory inventory = [] {
    gw::Inventory inv;
    inv.name = "lab";
    inv.kubeconfig = "/etc/lab/kubeconfig";
    inv.context = "admin@lab";
    return inv;
  }();
  s.inventory = &inventory;
  s.env = [](const std::string& n) -> std::optional<std::string> {
    if (n == "HOME_X") return std::string("/home/x");
    return std::nullopt;
  };
  return s;
}

}  // namespace

TEST_CASE("templates render vars, env, inventory name and escapes") {
  auto s = scope_with({{"domain", "home.lan"}, {"a.b", "nested"}});
  CHECK(*gw::render_template("rancher.${vars.domain}", s) == "rancher.home.lan");
  CHECK(*gw::render_template("${vars.a.b}/${inventory.name}", s) == "nested/lab");
  CHECK(*gw::render_template("${env.HOME_X}", s) == "/home/x");
  CHECK(*gw::render_template("--kubeconfig=${inventory.kubeconfig} ${inventory.context}", s) ==
        "--kubeconfig=/etc/lab/kubeconfig admin@lab");
  CHECK(*gw::render_template("literal $${vars.domain} and $ alone", s) ==
        "literal ${vars.domain} and $ alone");
  CHECK(*gw::render_template("no refs", s) == "no refs");
}

TEST_CASE("unknown references and bad syntax are errors that name the reference") {
  auto s = scope_with({{"domain", "x"}});
  auto r = gw::render_template("${vars.nope}", s);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "unknown variable 'vars.nope'");
  CHECK_FALSE(gw::render_template("${env.NOT_SET_ANYWHERE}", s).ok());
  CHECK_FALSE(gw::render_template("${vars.domain", s).ok());
  CHECK_FALSE(gw::render_template("${bogus.x}", s).ok());
  CHECK_FALSE(gw::render_template("${mode}", s).ok());
  CHECK_FALSE(gw::render_template("${inventory.talosconfig}", s).ok());  // not set
  {
    std::vector<gw::TemplatePart> parts;
    gw::TemplateError err;
    CHECK_FALSE(gw::parse_template("${inventory.kubeconfg}", &parts, &err));
    CHECK(err.message.find("${inventory.kubeconfig}") != std::string::npos);
  }
  std::vector<gw::TemplatePart> parts;
  gw::TemplateError err;
  CHECK_FALSE(gw::parse_template("ab ${stages.x.nope}", &parts, &err));
  CHECK(err.offset == 3);
}

TEST_CASE("secrets render as placeholders unless revealed, and their use is recorded") {
  auto s = scope_with({});
  std::map<std::string, std::string> secrets{{"token", "s3cr3t"}};
  gw::RenderUse use;
  CHECK(*gw::render_template("t=${secrets.token}", s, &use) == "t=<secret:token>");
  CHECK(use.secrets.count("token") == 1);
  s.secrets = &secrets;
  s.secret_mode = gw::SecretMode::Reveal;
  CHECK(*gw::render_template("t=${secrets.token}", s) == "t=s3cr3t");
}

TEST_CASE("captured outputs render when known, as placeholders in plans, or fail at run time") {
  auto s = scope_with({});
  std::map<std::string, std::string> outputs{{"metallb.ip", "10.0.0.1"}};
  CHECK(*gw::render_template("${stages.metallb.outputs.ip}", s) == "<output:metallb.ip>");
  s.outputs = &outputs;
  CHECK(*gw::render_template("${stages.metallb.outputs.ip}", s) == "10.0.0.1");
  s.missing_output = gw::MissingOutput::Error;
  CHECK_FALSE(gw::render_template("${stages.other.outputs.ip}", s).ok());
}

TEST_CASE("when conditions accept booleans and comparisons only") {
  std::string err;
  CHECK(gw::evaluate_condition("true", &err) == true);
  CHECK(gw::evaluate_condition(" False ", &err) == false);
  CHECK(gw::evaluate_condition("argocd == argocd", &err) == true);
  CHECK(gw::evaluate_condition("flux == argocd", &err) == false);
  CHECK(gw::evaluate_condition("flux != argocd", &err) == true);
  CHECK_FALSE(gw::evaluate_condition("maybe", &err).has_value());
  CHECK(err.find("maybe") != std::string::npos);
}

TEST_CASE("offsets map to lines and columns in multi-line files") {
  CHECK(gw::offset_to_line_col("ab\ncd\nef", 0) == std::make_pair(1, 1));
  CHECK(gw::offset_to_line_col("ab\ncd\nef", 4) == std::make_pair(2, 2));
}

TEST_CASE("inventory.talos.bootstrap: the first controlplane; a default taken from the inventory",
          "[template]") {
  gw::Inventory inv;
  CHECK_FALSE(gw::inventory_field(inv, "talos.bootstrap"));  // no spec.talos
  inv.talos = gw::TalosConfig{};
  inv.talos->nodes = {{"w1", "10.0.0.21", "worker"}};
  CHECK_FALSE(gw::inventory_field(inv, "talos.bootstrap"));  // no controlplane
  inv.talos->nodes.push_back({"cp2", "10.0.0.12", "controlplane"});
  inv.talos->nodes.push_back({"cp3", "10.0.0.13", "controlplane"});
  CHECK(gw::inventory_field(inv, "talos.bootstrap") == "10.0.0.12");

  CHECK(gw::inventory_default_field("${inventory.talos.bootstrap}") == "talos.bootstrap");
  CHECK_FALSE(gw::inventory_default_field("10.0.0.11"));
  CHECK_FALSE(gw::inventory_default_field("${vars.x}"));
  CHECK_FALSE(gw::inventory_default_field("x${inventory.name}"));  // not the whole default
  CHECK_FALSE(gw::inventory_default_field("$${inventory.name}"));  // a literal
  CHECK_FALSE(gw::inventory_default_field("${inventory.name}${inventory.context}"));
}
