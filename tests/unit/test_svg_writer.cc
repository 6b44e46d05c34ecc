#include <catch2/catch.hpp>
#include <sstream>

#include "report/svg_writer.h"
#include "report/xml_text.h"

namespace {

gw::SvgPicture three_stages() {
  gw::SvgPicture pic;
  pic.title = "plan of inventory 'a<b>'";
  pic.stages = {{"talos", "done", "took 1s", 0, {}, true},
                {"metallb", "failed", "", 1, {"talos"}, true},
                {"side", "pending", "expected 2s", 1, {"talos", "not-in-picture"}, false}};
  pic.critical_path = {"talos", "metallb"};
  return pic;
}

std::string svg_of(const gw::SvgPicture& pic) {
  std::ostringstream out;
  gw::write_svg(out, pic);
  return out.str();
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("xml_escape escapes markup and drops control characters") {
  CHECK(gw::xml_escape("a<b>&\"c'") == "a&lt;b&gt;&amp;&quot;c&apos;");
  CHECK(gw::xml_escape(std::string("x\x01y")) == "xy");
  CHECK(gw::xml_escape("tab\tok") == "tab\tok");
}

TEST_CASE("write_svg: a box per stage, an edge per need in the picture, the critical path") {
  std::string svg = svg_of(three_stages());
  CHECK(svg.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 0) == 0);
  CHECK(svg.find("<title>plan of inventory &apos;a&lt;b&gt;&apos;</title>") != std::string::npos);
  CHECK(count(svg, "<g class=\"stage ") == 3);
  CHECK(count(svg, "<path class=\"edge") == 2);  // the need outside the picture is not drawn
  CHECK(count(svg, "<path class=\"edge critical\"") == 1);
  CHECK(svg.find("<g class=\"stage failed critical\">") != std::string::npos);
  CHECK(svg.find("<g class=\"stage pending\">") != std::string::npos);
  CHECK(svg.find("pending \xC2\xB7 expected 2s</text>") != std::string::npos);
  // The legend lists the colours used, and the critical path.
  CHECK(svg.find(">done</text>") != std::string::npos);
  CHECK(svg.find(">skipped</text>") == std::string::npos);
  CHECK(svg.find(">critical path</text>") != std::string::npos);
}

TEST_CASE("svg_size: a column per wave, a row per stage of the fullest wave") {
  gw::SvgPicture pic = three_stages();
  gw::SvgSize two_waves = gw::svg_size(pic);
  std::string svg = svg_of(pic);
  CHECK(svg.find("width=\"" + std::to_string(two_waves.width) + "\" height=\"" +
                 std::to_string(two_waves.height) + "\"") != std::string::npos);
  pic.stages.push_back({"late", "pending", "", 9, {"side"}, false});
  CHECK(gw::svg_size(pic).width > two_waves.width);
  CHECK(gw::svg_size(pic).height <= two_waves.height);  // the legend may take fewer rows
  pic.stages.push_back({"third", "pending", "", 1, {}, false});
  CHECK(gw::svg_size(pic).height > two_waves.height);
}
