// The Train workspace's curves (train_figure.h).
#include "app/gui/train_figure.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "app/gui/figure_export.h"

namespace attnscope::gui {
namespace {

/// Smallest and largest finite positive loss over every run (a log axis needs > 0).
plot::Range lossRange(const std::vector<TrainCurve>& curves) {
  double lo = INFINITY, hi = -INFINITY;
  for (const TrainCurve& c : curves)
    for (const train::StepRecord& r : c.history)
      if (std::isfinite(r.loss) && r.loss > 0.0) {
        lo = std::min(lo, r.loss);
        hi = std::max(hi, r.loss);
      }
  if (!(lo <= hi)) return {0.1, 10.0};
  // Whole decades around the data keep the ticks readable while the curve falls.
  return {std::pow(10.0, std::floor(std::log10(lo))), std::pow(10.0, std::ceil(std::log10(hi) + 1e-9))};
}

void drawPanel(ImDrawList* drawList, const plot::Rect& rect, const std::vector<TrainCurve>& curves,
               const TrainCurvesOptions& options, const plot::Style& style, bool loss) {
  int lastStep = std::max(options.stepLimit, 1);
  for (const TrainCurve& c : curves)
    if (!c.history.empty()) lastStep = std::max(lastStep, c.history.back().step);
  plot::FrameSpec spec;
  spec.title = loss ? "training loss" : "training accuracy (determined positions)";
  spec.x.label = "step";
  spec.x.range = {0.0, double(lastStep)};
  spec.y.label = loss ? "loss" : "accuracy";
  if (loss) {
    spec.y.range = lossRange(curves);
    spec.y.scale = plot::Scale::Log;
  } else {
    spec.y.range = {-0.02, 1.02};
    spec.y.fixedTicks = {0.0, 0.25, 0.5, 0.75, 1.0};
  }
  plot::Frame frame(drawList, rect, spec, style);
  std::vector<plot::LegendEntry> legend;
  for (std::size_t s = 0; s < curves.size(); ++s) {
    const TrainCurve& c = curves[s];
    std::vector<double> xs, ys;
    xs.reserve(c.history.size());
    ys.reserve(c.history.size());
    for (const train::StepRecord& r : c.history) {
      xs.push_back(r.step);
      ys.push_back(loss ? r.loss : r.accuracy);
    }
    const ImU32 colour = plot::seriesColor(static_cast<int>(s));
    plot::line(frame, xs, ys, colour, 2.0f);
    legend.push_back({c.label, colour, plot::LegendEntry::Kind::Line});
  }
  if (options.markerStep > 0) plot::verticalMarker(frame, options.markerStep, style.textDim, {}, 1.0f, true);
  if (!legend.empty()) plot::legend(frame, legend, loss ? plot::Corner::TopRight : plot::Corner::BottomRight);
  frame.end();
}

}  // namespace

void drawTrainCurves(ImDrawList* drawList, const plot::Rect& rect, const std::vector<TrainCurve>& curves,
                     const TrainCurvesOptions& options, const plot::Style& style) {
  const float gap = 6.0f, half = std::floor((rect.GetHeight() - gap) / 2.0f);
  drawPanel(drawList, plot::Rect(rect.Min.x, rect.Min.y, rect.Max.x, rect.Min.y + half), curves, options, style, true);
  drawPanel(drawList, plot::Rect(rect.Min.x, rect.Min.y + half + gap, rect.Max.x, rect.Max.y), curves, options, style,
            false);
}

std::string trainCurvesCsv(const std::vector<TrainCurve>& curves) {
  std::ostringstream csv;
  csv.precision(9);
  csv << "run,label,step,loss,cross_entropy,alignment,accuracy,gradient_norm,learning_rate\n";
  for (std::size_t s = 0; s < curves.size(); ++s) {
    std::string label = curves[s].label;
    std::replace(label.begin(), label.end(), ',', ';');  // one column whatever the label
    for (const train::StepRecord& r : curves[s].history) {
      csv << s + 1 << ',' << label << ',' << r.step << ',' << r.loss << ',' << r.crossEntropy << ',' << r.alignment
          << ',' << r.accuracy << ',' << r.gradientNorm << ',' << r.learningRate << '\n';
    }
  }
  return csv.str();
}

void writeTrainCurvesFigure(const std::vector<TrainCurve>& curves, const std::string& pngPath,
                            const std::string& svgPath) {
  FigureExportOptions options;
  options.title = "training curves";
  options.pngPath = pngPath;
  options.svgPath = svgPath;
  options.height = 700;
  exportFigure(options, [&](ImDrawList* drawList, const plot::Rect& rect) {
    const plot::Rect inner(rect.Min.x + 8.0f, rect.Min.y + 4.0f, rect.Max.x - 12.0f, rect.Max.y - 6.0f);
    drawTrainCurves(drawList, inner, curves, {}, plot::Style{});  // light: a figure for papers, whatever the theme
  });
}

}  // namespace attnscope::gui
