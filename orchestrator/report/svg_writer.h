#pragma once
/// Pictures of the plan and of the status as SVG 1.1, drawn directly (plan runs no external
/// command, SPEC §2): one column per wave, left to right; a box per stage with its name, its
/// status (the box's colour) and a duration line (expected for plan, measured for status); an
/// arrow per need; the critical path drawn bold and red (class "critical"); a legend of the
/// colours at the bottom. All text is XML-escaped.
#include <ostream>
#include <string>
#include <vector>

namespace gw {

/// One stage's box.
struct SvgStage {
  std::string name;
  /// The status word shown and the colour key: pending, done, changed, failed, drifted, skipped,
  /// running, interrupted or blocked (anything else is drawn like pending).
  std::string status;
  std::string detail;  // the second line: "expected 1.2s", "took 3.4s", or empty
  int wave = 0;
  std::vector<std::string> needs;  // names of other stages in the picture (others are ignored)
  bool critical = false;           // on the critical path
};

/// What a picture shows.
struct SvgPicture {
  std::string title;  // first line of the picture
  std::vector<SvgStage> stages;
  std::vector<std::string> critical_path;  // in order: its consecutive edges are highlighted
};

/// Width and height of the picture write_svg draws, in pixels (the SVG's width/height).
struct SvgSize {
  int width = 0;
  int height = 0;
};

/// The size write_svg will give `pic`.
SvgSize svg_size(const SvgPicture& pic);

/// Writes `pic` as a standalone SVG 1.1 document.
void write_svg(std::ostream& out, const SvgPicture& pic);

}  // namespace gw
