#include "report/svg_writer.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "report/xml_text.h"

namespace gw {

namespace {

constexpr int kMargin = 20;
constexpr int kTop = 50;  // below the title
constexpr int kBoxW = 200;
constexpr int kBoxH = 54;
constexpr int kColGap = 60;
constexpr int kRowGap = 16;
constexpr int kLegendItemW = 120;
constexpr int kLegendRowH = 22;
constexpr int kMinWidth = 480;
constexpr size_t kNameMax = 26;  // characters of a name that fit in a box

/// Fill and stroke of a box by its status.
struct Look {
  const char* status;
  const char* fill;
  const char* stroke;
};

constexpr Look kLooks[] = {
    {"pending", "#ffffff", "#5b7fa6"},     {"running", "#dae8fc", "#1565c0"},
    {"done", "#d9f2d9", "#2e7d32"},        {"changed", "#fff2cc", "#b8860b"},
    {"failed", "#f8cecc", "#c62828"},      {"drifted", "#ffe0b2", "#e65100"},
    {"interrupted", "#e1d5e7", "#7b1fa2"}, {"blocked", "#f5f5f5", "#616161"},
    {"skipped", "#eeeeee", "#9e9e9e"},
};
constexpr const char* kCritical = "#c62828";

const Look& look_of(const std::string& status) {
  for (const auto& l : kLooks)
    if (status == l.status) return l;
  return kLooks[0];
}

/// Where each stage's box is: its column (wave) and row.
struct Layout {
  std::map<std::string, std::pair<int, int>> cell;  // name -> (wave, row)
  int columns = 0;
  int rows = 0;
  std::vector<const Look*> legend;  // the looks used, in kLooks order
  int legend_rows = 1;
  SvgSize size;
};

int box_x(int wave) {
  return kMargin + wave * (kBoxW + kColGap);
}
int box_y(int row) {
  return kTop + row * (kBoxH + kRowGap);
}

Layout lay_out(const SvgPicture& pic) {
  Layout l;
  std::map<int, int> used;  // wave -> rows used
  std::set<std::string> statuses;
  for (const auto& s : pic.stages) {
    int wave = std::max(0, s.wave);
    l.cell[s.name] = {wave, used[wave]++};
    l.columns = std::max(l.columns, wave + 1);
    l.rows = std::max(l.rows, used[wave]);
    statuses.insert(look_of(s.status).status);
  }
  for (const auto& look : kLooks)
    if (statuses.count(look.status)) l.legend.push_back(&look);
  int width = std::max(kMinWidth, 2 * kMargin + l.columns * (kBoxW + kColGap) - kColGap);
  int per_row = std::max(1, (width - 2 * kMargin) / kLegendItemW);
  int items = static_cast<int>(l.legend.size()) + 1;  // + the critical path
  l.legend_rows = (items + per_row - 1) / per_row;
  int legend_top = box_y(std::max(l.rows, 1)) + 10;
  l.size = {width, legend_top + l.legend_rows * kLegendRowH + kMargin / 2};
  return l;
}

/// At most kNameMax characters (UTF-8 code points), "…" ending a cut one.
std::string fit_name(const std::string& s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;
    if (++n == kNameMax) return s.substr(0, i) + "\u2026";
  }
  return s;
}

void write_defs(std::ostream& out) {
  out << "<defs>\n"
      << "<marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"9\" "
         "markerHeight=\"9\" markerUnits=\"userSpaceOnUse\" orient=\"auto\"><path d=\"M0,0 L10,5 "
         "L0,10 z\" fill=\"#666666\"/>"
         "</marker>\n"
      << "<marker id=\"arrow-critical\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
         "markerWidth=\"11\" markerHeight=\"11\" markerUnits=\"userSpaceOnUse\" "
         "orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" "
         "fill=\""
      << kCritical << "\"/></marker>\n</defs>\n";
}

void write_edges(std::ostream& out, const SvgPicture& pic, const Layout& l) {
  std::set<std::pair<std::string, std::string>> critical;
  for (size_t i = 1; i < pic.critical_path.size(); ++i)
    critical.emplace(pic.critical_path[i - 1], pic.critical_path[i]);
  out << "<g id=\"edges\">\n";
  for (const auto& s : pic.stages)
    for (const auto& n : s.needs) {
      auto from = l.cell.find(n);
      if (from == l.cell.end()) continue;
      auto [to_wave, to_row] = l.cell.at(s.name);
      int x1 = box_x(from->second.first) + kBoxW, y1 = box_y(from->second.second) + kBoxH / 2;
      int x2 = box_x(to_wave), y2 = box_y(to_row) + kBoxH / 2;
      int dx = std::max(20, (x2 - x1) / 2);
      bool crit = critical.count({n, s.name}) > 0;
      out << "<path class=\"edge" << (crit ? " critical" : "") << "\" d=\"M" << x1 << ',' << y1
          << " C" << x1 + dx << ',' << y1 << ' ' << x2 - dx << ',' << y2 << ' ' << x2 << ',' << y2
          << "\" fill=\"none\" stroke=\"" << (crit ? kCritical : "#666666") << "\" stroke-width=\""
          << (crit ? 3 : 1.5) << "\" marker-end=\"url(#" << (crit ? "arrow-critical" : "arrow")
          << ")\"><title>" << xml_escape(n) << " \u2192 " << xml_escape(s.name)
          << "</title></path>\n";
    }
  out << "</g>\n";
}

void write_box(std::ostream& out, const SvgStage& s, const Layout& l) {
  const Look& look = look_of(s.status);
  auto [wave, row] = l.cell.at(s.name);
  int x = box_x(wave), y = box_y(row);
  out << "<g class=\"stage " << look.status << (s.critical ? " critical" : "") << "\">"
      << "<title>" << xml_escape(s.name) << ": " << xml_escape(s.status)
      << (s.detail.empty() ? "" : ", " + xml_escape(s.detail)) << "</title>\n"
      << "<rect x=\"" << x << "\" y=\"" << y << "\" width=\"" << kBoxW << "\" height=\"" << kBoxH
      << "\" rx=\"6\" fill=\"" << look.fill << "\" stroke=\""
      << (s.critical ? kCritical : look.stroke) << "\" stroke-width=\"" << (s.critical ? 3 : 1.5)
      << '"' << (s.status == "skipped" ? " stroke-dasharray=\"5,3\"" : "") << "/>\n"
      << "<text x=\"" << x + 10 << "\" y=\"" << y + 21
      << "\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"13\" font-weight=\"bold\" "
         "fill=\"#222222\">"
      << xml_escape(fit_name(s.name)) << "</text>\n"
      << "<text x=\"" << x + 10 << "\" y=\"" << y + 40
      << "\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"11\" fill=\"#444444\">"
      << xml_escape(s.status + (s.detail.empty() ? "" : " \u00b7 " + s.detail)) << "</text>\n"
      << "</g>\n";
}

void write_legend(std::ostream& out, const Layout& l) {
  int top = box_y(std::max(l.rows, 1)) + 10;
  int per_row = std::max(1, (l.size.width - 2 * kMargin) / kLegendItemW);
  out << "<g id=\"legend\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"11\" "
         "fill=\"#222222\">\n";
  int i = 0;
  auto place = [&](int& x, int& y) {
    x = kMargin + (i % per_row) * kLegendItemW;
    y = top + (i / per_row) * kLegendRowH;
    ++i;
  };
  for (const Look* look : l.legend) {
    int x = 0, y = 0;
    place(x, y);
    out << "<rect x=\"" << x << "\" y=\"" << y << "\" width=\"14\" height=\"14\" rx=\"3\" fill=\""
        << look->fill << "\" stroke=\"" << look->stroke << "\"/><text x=\"" << x + 20 << "\" y=\""
        << y + 11 << "\">" << look->status << "</text>\n";
  }
  int x = 0, y = 0;
  place(x, y);
  out << "<line x1=\"" << x << "\" y1=\"" << y + 7 << "\" x2=\"" << x + 14 << "\" y2=\"" << y + 7
      << "\" stroke=\"" << kCritical << "\" stroke-width=\"3\"/><text x=\"" << x + 20 << "\" y=\""
      << y + 11 << "\">critical path</text>\n</g>\n";
}

}  // namespace

SvgSize svg_size(const SvgPicture& pic) {
  return lay_out(pic).size;
}

void write_svg(std::ostream& out, const SvgPicture& pic) {
  Layout l = lay_out(pic);
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" << l.size.width
      << "\" height=\"" << l.size.height << "\" viewBox=\"0 0 " << l.size.width << ' '
      << l.size.height << "\">\n"
      << "<title>" << xml_escape(pic.title) << "</title>\n";
  write_defs(out);
  out << "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
      << "<text x=\"" << kMargin
      << "\" y=\"28\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"15\" "
         "font-weight=\"bold\" fill=\"#222222\">"
      << xml_escape(pic.title) << "</text>\n";
  for (int w = 0; w < l.columns; ++w)
    out << "<text class=\"wave\" x=\"" << box_x(w) << "\" y=\"" << kTop - 6
        << "\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"10\" fill=\"#888888\">wave " << w
        << "</text>\n";
  write_edges(out, pic, l);
  out << "<g id=\"stages\">\n";
  for (const auto& s : pic.stages) write_box(out, s, l);
  out << "</g>\n";
  write_legend(out, l);
  out << "</svg>\n";
}

}  // namespace gw
