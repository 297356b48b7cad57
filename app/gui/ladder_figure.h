// The figure of `attnscope ladder`: held-out accuracy per ladder level for each kernel configuration (mean over seeds
// with the spread as error bars), the chance level and the "solved" threshold, drawn with the plot module (app/plot)
// and written as PNG and SVG through exportFigure.
#pragma once

#include <imgui.h>
#include "app/plot/rect.h"

#include <string>
#include <vector>

namespace attnscope::gui {

/// One line of the figure: a kernel configuration's accuracy per level.
struct LadderSeries {
  std::string label;           ///< e.g. "dpa (H=4)"
  std::vector<double> mean;    ///< per level: mean held-out accuracy over the seeds
  std::vector<double> spread;  ///< per level: sample standard deviation over the seeds (0 for one seed)
};

struct LadderFigure {
  std::string title = "ladder: held-out accuracy per level";
  std::vector<int> levels;              ///< the x categories, increasing
  std::vector<std::string> levelNames;  ///< per level, a short name under the number ("copy", "1 hop", ...)
  std::vector<double> chance;           ///< per level: accuracy of the best guess without retrieval
  double solvedThreshold = 0.9;         ///< a level counts as solved at or above this mean accuracy
  std::vector<LadderSeries> series;
};

/// Draws `figure` into `rect` (pixels) of `drawList` with a light plot style: one coloured line with markers and error
/// bars per series, chance and the solved threshold as dashed grey lines, a legend in the emptiest corner.
/// Series shorter than `levels` are drawn as far as they go.
void drawLadderFigure(ImDrawList* drawList, const plot::Rect& rect, const LadderFigure& figure);

/// Renders the figure headlessly and writes `pngPath` and `svgPath` (either may be empty) atomically. Needs a current
/// GL 3.3 context. Throws like exportFigure.
void writeLadderFigure(const LadderFigure& figure, const std::string& pngPath, const std::string& svgPath);

}  // namespace attnscope::gui
