// The ladder figure (ladder_figure.h) on the plot module: a categorical level axis, one line per kernel.
#include "app/gui/ladder_figure.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "app/gui/figure_export.h"
#include "app/plot/plot.h"

namespace attnscope::gui {
namespace {

constexpr ImU32 kReferenceGrey = IM_COL32(110, 110, 110, 255);
constexpr ImU32 kThresholdGrey = IM_COL32(160, 160, 160, 255);

/// The corner whose quarter of the plot holds the fewest data points, so the legend hides as little as possible
/// (accuracy usually falls from the top left to the bottom right, leaving the top right free).
plot::Corner emptiestCorner(const LadderFigure& figure) {
  const double mid = 0.5 * (static_cast<double>(figure.levels.size()) - 1.0);
  int counts[4] = {0, 0, 0, 0};  // TopLeft, TopRight, BottomLeft, BottomRight
  for (const LadderSeries& s : figure.series) {
    for (std::size_t i = 0; i < s.mean.size() && i < figure.levels.size(); ++i) {
      const bool right = static_cast<double>(i) >= mid, top = s.mean[i] >= 0.5;
      ++counts[(top ? 0 : 2) + (right ? 1 : 0)];
    }
  }
  const plot::Corner corners[4] = {plot::Corner::TopLeft, plot::Corner::TopRight, plot::Corner::BottomLeft,
                                   plot::Corner::BottomRight};
  int best = 1;  // top right on ties
  for (int c : {1, 0, 3, 2})
    if (counts[c] < counts[best]) best = c;
  return corners[best];
}

}  // namespace

void drawLadderFigure(ImDrawList* drawList, const plot::Rect& rect, const LadderFigure& figure) {
  const std::size_t levels = figure.levels.size();
  plot::Style style;  // light: a figure for papers and READMEs, whatever the app's theme
  plot::FrameSpec spec;
  spec.title = figure.title;
  for (std::size_t i = 0; i < levels; ++i) {
    std::string name = std::to_string(figure.levels[i]);
    if (i < figure.levelNames.size() && !figure.levelNames[i].empty()) name += ": " + figure.levelNames[i];
    spec.x.categories.push_back(name);
  }
  spec.x.label = "ladder level";
  spec.y.label = "held-out accuracy on determined positions";
  spec.y.range = plot::Range{-0.02, 1.04};  // markers at 0 and 1 stay whole inside the plot area
  spec.y.fixedTicks = {0.0, 0.2, 0.4, 0.6, 0.8, 1.0};
  const plot::Rect outer(rect.Min.x + 8.0f, rect.Min.y + 4.0f, rect.Max.x - 12.0f, rect.Max.y - 6.0f);
  plot::Frame frame(drawList, outer, spec, style);

  std::vector<plot::LegendEntry> legend;
  std::vector<double> xs(levels);
  for (std::size_t i = 0; i < levels; ++i) xs[i] = static_cast<double>(i);
  // Chance: one dashed line when equal on every level, else a short level across each level's category.
  if (figure.chance.size() == levels && levels > 0) {
    const bool constant = std::all_of(figure.chance.begin(), figure.chance.end(),
                                      [&](double c) { return std::abs(c - figure.chance.front()) < 1e-12; });
    if (constant) {
      plot::horizontalMarker(frame, figure.chance.front(), kReferenceGrey, 1.0f, true);
    } else {
      for (std::size_t i = 0; i < levels; ++i) {
        const double x[2] = {xs[i] - 0.4, xs[i] + 0.4}, y[2] = {figure.chance[i], figure.chance[i]};
        plot::line(frame, x, y, kReferenceGrey, 2.0f);
      }
    }
    char label[64];
    std::snprintf(label, sizeof label, constant ? "chance (%.3f)" : "chance (per level)", figure.chance.front());
    legend.push_back({label, kReferenceGrey, plot::LegendEntry::Kind::Line});
  }
  plot::horizontalMarker(frame, figure.solvedThreshold, kThresholdGrey, 1.0f, true);
  char solved[64];
  std::snprintf(solved, sizeof solved, "solved (>= %.2f)", figure.solvedThreshold);
  legend.push_back({solved, kThresholdGrey, plot::LegendEntry::Kind::Line});

  // Series side by side within a level (a tenth of a category apart at most), so equal values stay distinguishable.
  const std::size_t count = figure.series.size();
  const double step = count > 1 ? std::min(0.1, 0.5 / static_cast<double>(count)) : 0.0;
  for (std::size_t s = 0; s < count; ++s) {
    const LadderSeries& series = figure.series[s];
    const ImU32 colour = plot::seriesColor(static_cast<int>(s));
    const double offset = (static_cast<double>(s) - 0.5 * static_cast<double>(count - 1)) * step;
    const std::size_t n = std::min(series.mean.size(), levels);
    std::vector<double> x(n), y(n);
    for (std::size_t i = 0; i < n; ++i) {
      x[i] = xs[i] + offset;
      y[i] = series.mean[i];
      const double spread = i < series.spread.size() ? series.spread[i] : 0.0;
      if (spread > 0.0) {
        const double bar[2] = {x[i], x[i]};
        const double ends[2] = {std::max(0.0, y[i] - spread), std::min(1.0, y[i] + spread)};
        plot::line(frame, bar, ends, colour, 2.0f);
      }
    }
    plot::line(frame, x, y, colour, 2.0f);
    plot::scatter(frame, x, y, colour, 4.5f, static_cast<plot::Marker>(s % 4));
    legend.push_back({series.label, colour, plot::LegendEntry::Kind::Line});
  }
  std::rotate(legend.begin(), legend.begin() + std::min<std::size_t>(legend.size(), 2), legend.end());
  plot::legend(frame, legend, emptiestCorner(figure));
  frame.end();
}

void writeLadderFigure(const LadderFigure& figure, const std::string& pngPath, const std::string& svgPath) {
  FigureExportOptions options;
  options.title = figure.title;
  options.pngPath = pngPath;
  options.svgPath = svgPath;
  exportFigure(options,
               [&](ImDrawList* drawList, const plot::Rect& rect) { drawLadderFigure(drawList, rect, figure); });
}

}  // namespace attnscope::gui
