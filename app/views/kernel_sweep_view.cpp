// Kernel sweep: the parallel / orthogonal / antiparallel picture. The selected key turns from 0 to 180 degrees against
// the selected query; weight and score of that key under DPA, EA and MGK against the angle (Cartesian and polar), and
// bars of every key's weight for the selected query under each kernel side by side.
#include <algorithm>
#include <cmath>

#include "app/views/view_common.h"
#include "app/views/views.h"

namespace attnscope::views {
namespace {

struct SweepState {
  bool fixedWeightAxis = false;  // 0..1 instead of fitted to the data
};
SweepState state;

std::vector<double> toDoubles(const Vector& v) {
  return std::vector<double>(v.data(), v.data() + v.size());
}

void angleMarkers(plot::Frame& frame, double current) {
  const ImU32 reference = frame.style().textDim;
  // Name the three reference angles only when the plot is wide enough for the names not to collide.
  const bool named = frame.area().GetWidth() > frame.fontSize() * 26.0f;
  // Reference labels at the bottom, the moving marker's at the top, so neither hides the other at 0 or 180.
  plot::verticalMarker(frame, 0.0, reference, named ? "parallel" : "", 1.0f, true, true);
  plot::verticalMarker(frame, 90.0, reference, named ? "orthogonal" : "", 1.0f, true, true);
  plot::verticalMarker(frame, 180.0, reference, named ? "antiparallel" : "", 1.0f, true, true);
  plot::verticalMarker(frame, current, frame.style().text, formatted("now %.1f\xC2\xB0", current), 2.0f, false);
}

plot::Axis angleAxis(float widthPixels) {
  plot::Axis axis;
  axis.label = "query-key angle (degrees)";
  axis.range = plot::Range{0.0, 180.0};
  // Every 30 and 45 degree mark on a wide plot; multiples of 45 (the snap angles) on a narrow one.
  if (widthPixels > ImGui::GetFontSize() * 40.0f)
    axis.fixedTicks = {0, 30, 45, 60, 90, 120, 135, 150, 180};
  else
    axis.fixedTicks = {0, 45, 90, 135, 180};
  return axis;
}

/// One line plot of the three kernels over the sweep, with markers, legend and hover readout.
void sweepPlot(ImRect rect, const char* title, const char* yLabel, const std::vector<double>& angles,
               const std::array<std::vector<double>, 3>& series, const Scene& scene, double current, bool fromZero,
               bool fixedUnit) {
  double lo = 0.0, hi = 0.0;
  bool first = true;
  for (const auto& values : series)
    for (double v : values) {
      if (!std::isfinite(v)) continue;
      lo = first ? v : std::min(lo, v), hi = first ? v : std::max(hi, v), first = false;
    }
  if (fromZero) lo = std::min(lo, 0.0);
  const double pad = 0.06 * std::max(hi - lo, 1e-6);
  plot::FrameSpec spec;
  spec.title = title;
  spec.x = angleAxis(rect.GetWidth());
  spec.y.label = yLabel;
  spec.y.range = fixedUnit ? plot::Range{0.0, 1.0} : plot::Range{fromZero ? lo : lo - pad, hi + pad};
  plot::Frame frame(ImGui::GetWindowDrawList(), rect, spec);
  angleMarkers(frame, current);
  std::array<ImU32, 3> colors{};
  std::vector<plot::LegendEntry> legend;
  for (ShownKernel kernel : kShownKernels) {
    const int s = static_cast<int>(kernel);
    colors[s] = kernelColor(kernel);
    plot::line(frame, angles, series[s], colors[s], 3.0f);
    legend.push_back({kernelLabel(kernel, scene), colors[s], plot::LegendEntry::Kind::Line});
  }
  if (rect.GetWidth() > ImGui::GetFontSize() * 22.0f) plot::legend(frame, legend, plot::Corner::TopRight);
  const std::vector<std::span<const double>> ys{series[0], series[1], series[2]};
  if (const auto index = plot::hoverSeries(frame, angles, ys, colors)) {
    ImGui::BeginTooltip();
    ImGui::Text("angle %.1f\xC2\xB0", angles[*index]);
    for (ShownKernel kernel : kShownKernels) {
      const int s = static_cast<int>(kernel);
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colors[s]), "%-18s %.4f", kernelLabel(kernel, scene).c_str(),
                         series[s][*index]);
    }
    ImGui::EndTooltip();
  }
}

}  // namespace

void drawKernelSweepView(AppContext& ctx) {
  const Scene& scene = ctx.scene();
  const Derived& derived = ctx.derived();
  const auto& sweep = derived.sweep;
  if (sweep.angleDegrees.size() < 2 || scene.keyCount() == 0 || scene.queryCount() == 0) {
    ImGui::TextDisabled("(no sweep computed for this scene yet)");
    return;
  }
  const std::string& queryName = scene.queryLabels[scene.selectedQuery];
  const std::string& keyName = scene.keyLabels[scene.selectedKey];
  ImGui::Text(
      "Key %s turns from 0 to 180\xC2\xB0 against query %s in the plane they span (lengths kept, other keys "
      "fixed).",
      keyName.c_str(), queryName.c_str());
  helpMarker(
      "DPA ranks keys by q.k = |q||k|cos(theta): parallel > orthogonal > antiparallel.\n"
      "EA squares the scaled dot product: parallel and antiparallel keys both gain weight, orthogonal keys get "
      "none.\nMGK scores by distance to Gaussian key components: it favours keys near the query.");
  ImGui::SameLine();
  ImGui::Checkbox("weight axis 0..1", &state.fixedWeightAxis);
  // The kernels' colours once for all four plots (the plots repeat it in a legend only when they are wide).
  for (ShownKernel kernel : kShownKernels) {
    ImGui::SameLine(0.0f, ImGui::GetFontSize() * 1.2f);
    ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kernelColor(kernel)), "%s", kernelLabel(kernel, scene).c_str());
  }
  itemTooltip("Fix the weight axis to [0, 1] so weights compare across scenes; off fits the axis to the data.");

  const std::vector<double> angles = toDoubles(sweep.angleDegrees);
  const std::array<std::vector<double>, 3> weights{toDoubles(sweep.dpaWeight), toDoubles(sweep.eaWeight),
                                                   toDoubles(sweep.mgkWeight)};
  const std::array<std::vector<double>, 3> scores{toDoubles(sweep.dpaScore), toDoubles(sweep.eaScore),
                                                  toDoubles(sweep.mgkScore)};
  const double current = sweep.currentAngleDegrees;

  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const float leftWidth = std::floor((avail.x - spacing) * 0.58f), rightWidth = avail.x - spacing - leftWidth;
  const float topHeight = std::floor((avail.y - ImGui::GetStyle().ItemSpacing.y) * 0.5f);
  const float bottomHeight = avail.y - ImGui::GetStyle().ItemSpacing.y - topHeight;

  // Top row: weight against angle, and its polar picture.
  const ImRect weightRect = reserveRect("##weights", ImVec2(leftWidth, topHeight));
  sweepPlot(weightRect, ("Weight of " + keyName).c_str(), "attention weight", angles, weights, scene, current, true,
            state.fixedWeightAxis);
  ImGui::SameLine();
  const ImRect polarRect = reserveRect("##polar", ImVec2(rightWidth, topHeight));
  {
    double maxWeight = state.fixedWeightAxis ? 1.0 : 0.0;
    for (const auto& w : weights)
      for (double v : w) maxWeight = std::max(maxWeight, v);
    plot::PolarSpec spec;
    spec.title = polarRect.GetWidth() > ImGui::GetFontSize() * 24.0f ? "Polar: radius = weight, angle = query-key angle"
                                                                     : "Polar: radius = weight";
    spec.radiusMax = std::max(plot::niceStep(maxWeight * 1.02 / 4.0) * 4.0, 1e-6);
    plot::PolarFrame polar(ImGui::GetWindowDrawList(), polarRect, spec);
    polar.drawList()->AddLine(polar.toPixel(0, 0), polar.toPixel(current, spec.radiusMax), polar.style().text, 2.0f);
    for (ShownKernel kernel : kShownKernels)
      plot::polarLine(polar, angles, weights[static_cast<int>(kernel)], kernelColor(kernel), 3.0f);
    // The query points along 0 degrees: draw it so the picture reads as "key angle relative to the query".
    plot::arrow(polar.drawList(), polar.toPixel(0, 0), polar.toPixel(0, spec.radiusMax * 0.35), queryColor(), 3.0f,
                10.0f);
    float y = polarRect.Min.y + ImGui::GetFontSize() * 2.2f;
    const bool roomForLegend = polarRect.GetWidth() > ImGui::GetFontSize() * 26.0f;
    for (ShownKernel kernel :
         roomForLegend ? std::span<const ShownKernel>(kShownKernels) : std::span<const ShownKernel>()) {
      polar.drawList()->AddLine(ImVec2(polarRect.Min.x + 8, y + 7), ImVec2(polarRect.Min.x + 30, y + 7),
                                kernelColor(kernel), 3.0f);
      polar.drawList()->AddText(ImVec2(polarRect.Min.x + 36, y), polar.style().text,
                                kernelLabel(kernel, scene).c_str());
      y += ImGui::GetFontSize() + 4;
    }
  }

  // Bottom row: scores against angle, and every key's weight for the selected query per kernel.
  const ImRect scoreRect = reserveRect("##scores", ImVec2(leftWidth, bottomHeight));
  sweepPlot(scoreRect,
            scoreRect.GetWidth() > ImGui::GetFontSize() * 34.0f
                ? "Score before normalisation (DPA: logit x, EA: f(x), MGK: log S)"
                : "Score (DPA x, EA f(x), MGK log S)",
            "score", angles, scores, scene, current, false, false);
  ImGui::SameLine();
  const ImRect barsRect = reserveRect("##bars", ImVec2(rightWidth, bottomHeight));
  {
    std::vector<std::vector<double>> values;
    double maxWeight = 0.0;
    for (ShownKernel kernel : kShownKernels) {
      const RowMatrix& w = kernelResult(derived, kernel).weights;
      std::vector<double> row;
      if (scene.selectedQuery < w.rows())
        for (int j = 0; j < w.cols(); ++j)
          row.push_back(w(scene.selectedQuery, j)), maxWeight = std::max(maxWeight, row.back());
      values.push_back(std::move(row));
    }
    plot::FrameSpec spec;
    spec.title = "Every key's weight for " + queryName;
    spec.x.categories = scene.keyLabels;
    if (scene.selectedKey < int(spec.x.categories.size())) spec.x.categories[scene.selectedKey] += "*";
    spec.x.label = "key (* = the swept key)";
    spec.y.label = "weight";
    spec.y.range = plot::Range{0.0, state.fixedWeightAxis ? 1.0 : std::max(maxWeight * 1.15, 1e-6)};
    plot::Frame frame(ImGui::GetWindowDrawList(), barsRect, spec);
    const std::array<ImU32, 3> colors{kernelColor(ShownKernel::Dpa), kernelColor(ShownKernel::Ea),
                                      kernelColor(ShownKernel::Mgk)};
    plot::groupedBars(frame, values, colors);
    std::vector<plot::LegendEntry> legend;
    for (ShownKernel kernel : kShownKernels)
      legend.push_back({kernelLabel(kernel, scene), kernelColor(kernel), plot::LegendEntry::Kind::Box});
    if (barsRect.GetWidth() > ImGui::GetFontSize() * 26.0f) plot::legend(frame, legend, plot::Corner::TopRight);
    const auto& fallback = derived.ea.fallbackRows;
    if (std::find(fallback.begin(), fallback.end(), scene.selectedQuery) != fallback.end())
      labelWithBackdrop(frame.drawList(), ImVec2(frame.area().Min.x + 6, frame.area().Min.y + 6),
                        kernelColor(ShownKernel::Ea),
                        "EA: every key orthogonal to " + queryName + " -> uniform fallback",
                        withAlpha(frame.style().background, 0.85f));
    if (const auto at = frame.hovered()) {
      const int j = static_cast<int>(std::lround(at->x));
      if (j >= 0 && j < scene.keyCount()) {
        ImGui::BeginTooltip();
        ImGui::Text("key %s, query %s", scene.keyLabels[j].c_str(), queryName.c_str());
        for (ShownKernel kernel : kShownKernels) {
          const auto& row = values[static_cast<int>(kernel)];
          if (j < int(row.size()))
            ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kernelColor(kernel)), "%-18s %.4f",
                               kernelLabel(kernel, scene).c_str(), row[j]);
        }
        ImGui::EndTooltip();
      }
    }
  }
}

}  // namespace attnscope::views
