// Kernel sweep: the parallel / orthogonal / antiparallel picture. The selected key turns from 0 to 180 degrees against
// the selected query; weight and score of that key under DPA, EA and MGK (plus MLK and cosine when switched on)
// against the angle (Cartesian and polar), and bars of every key's weight for the selected query under each kernel.
#include <algorithm>
#include <cmath>
#include <functional>

#include "app/plot/paint.h"
#include "app/views/view_common.h"
#include "app/views/view_probe.h"
#include "app/views/views.h"

namespace attnscope::views {
namespace {

struct SweepState {
  bool fixedWeightAxis = false;  // 0..1 instead of fitted to the data
};
class KernelSweepView final : public gui::View {
 public:
  void draw(AppContext& ctx) override;

 private:
  SweepState state;  // this view's own UI state and caches: one per AppContext

  std::vector<double> toDoubles(const Vector& v) { return std::vector<double>(v.data(), v.data() + v.size()); }

  /// The three reference angles, under the curves.
  void referenceMarkers(plot::Frame& frame) {
    const ImU32 reference = frame.style().textDim;
    // Name the three reference angles only when the plot is wide enough for the names not to collide.
    const bool named = frame.area().GetWidth() > frame.fontSize() * 26.0f;
    // Reference labels at the bottom, the moving marker's at the top, so neither hides the other at 0 or 180.
    plot::verticalMarker(frame, 0.0, reference, named ? "parallel" : "", 1.0f, true, true);
    plot::verticalMarker(frame, 90.0, reference, named ? "orthogonal" : "", 1.0f, true, true);
    plot::verticalMarker(frame, 180.0, reference, named ? "antiparallel" : "", 1.0f, true, true);
  }

  /// The current angle, over the curves (its label would otherwise sit under the curve starting at 0 degrees).
  void currentMarker(plot::Frame& frame, double current) {
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

  /// Weight (or score) of the swept key under each shown kernel, one series per entry of `kernels`.
  using SeriesSet = std::vector<std::vector<double>>;

  /// True when a legend of `entries` rows takes at most 40% of the plot area's height: the kernels' colours are named
  /// once above the plots anyway, so a legend that would hide the curves is left out.
  bool legendFits(const plot::Rect& area, std::size_t entries) {
    const float height = (ImGui::GetFontSize() + 4.0f) * static_cast<float>(entries) + 12.0f;
    return height <= 0.4f * area.GetHeight();
  }

  /// One line plot of the shown kernels over the sweep, with markers, legend and hover readout.
  void sweepPlot(plot::Rect rect, const char* title, const char* yLabel, const std::vector<double>& angles,
                 std::span<const Kernel> kernels, const SeriesSet& series, const Scene& scene, double current,
                 bool fromZero, bool fixedUnit) {
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
    referenceMarkers(frame);
    std::vector<ImU32> colors;
    std::vector<plot::LegendEntry> legend;
    std::vector<std::span<const double>> ys;
    for (std::size_t s = 0; s < kernels.size(); ++s) {
      colors.push_back(kernelColor(kernels[s]));
      plot::line(frame, angles, series[s], colors[s], 3.0f);
      if (kernels[s] == Kernel::Mlk || kernels[s] == Kernel::Cosine) {
        // A marker every 15 degrees as well as the colour, so orange MLK never reads as vermillion EA (and yellow
        // cosine stays findable on a washed-out projector).
        std::vector<double> xs, ys;
        const std::size_t step = std::max<std::size_t>(1, (angles.size() - 1) / 12);
        for (std::size_t i = 0; i < angles.size() && i < series[s].size(); i += step)
          xs.push_back(angles[i]), ys.push_back(series[s][i]);
        plot::scatter(frame, xs, ys, colors[s], 4.5f,
                      kernels[s] == Kernel::Mlk ? plot::Marker::Square : plot::Marker::Diamond);
      }
      legend.push_back({kernelLabel(kernels[s], scene), colors[s], plot::LegendEntry::Kind::Line});
      ys.emplace_back(series[s]);
    }
    currentMarker(frame, current);
    if (rect.GetWidth() > ImGui::GetFontSize() * 22.0f && legendFits(frame.area(), kernels.size()))
      plot::legend(frame, legend, plot::Corner::TopRight);
    if (const auto index = plot::hoverSeries(frame, angles, ys, colors)) {
      ImGui::BeginTooltip();
      ImGui::Text("angle %.1f\xC2\xB0", angles[*index]);
      for (std::size_t s = 0; s < kernels.size(); ++s)
        if (*index < series[s].size())
          ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colors[s]), "%-18s %.4f",
                             kernelLabel(kernels[s], scene).c_str(), series[s][*index]);
      ImGui::EndTooltip();
    }
  }

  /// Title of the score plot naming what each kernel's score is, shortened until it fits `width` pixels.
  std::string scoreTitle(std::span<const Kernel> kernels, float width) {
    // Indexed by kernelIndex (kAllKernels order).
    static constexpr std::array<std::array<const char*, 2>, kAllKernels.size()> kWhat{
        {{"DPA: logit x", "DPA x"},
         {"EA: f(x)", "EA f(x)"},
         {"EA pure: x\xC2\xB2", "EA pure x\xC2\xB2"},
         {"MGK: log S", "MGK log S"},
         {"MGK hard: log S", "MGK hard log S"},
         {"MLK: phi(q).kappa", "MLK phi.kappa"},
         {"cosine: cos/tau", "cosine cos/tau"}}};
    for (int form = 0; form < 2; ++form) {
      std::string title = form == 0 ? "Score before normalisation (" : "Score (";
      for (std::size_t s = 0; s < kernels.size(); ++s)
        title += std::string(s ? ", " : "") + kWhat[kernelIndex(kernels[s])][form];
      title += ")";
      if (ImGui::CalcTextSize(title.c_str()).x < width - ImGui::GetFontSize() * 2.0f) return title;
    }
    return "Score before normalisation";
  }

  /// Shortcut switches for MLK and cosine (checkboxes in their own colour; every kernel is chosen in View > Kernels),
  /// cosine's temperature and the weight-axis toggle. `place(width)` positions each item (on the legend line, wrapping
  /// as needed; or nothing, one per line in a popup).
  void sweepControls(AppContext& ctx, const std::function<void(float width, float spacing)>& place) {
    const Scene& scene = ctx.scene();
    const float gap = ImGui::GetFontSize() * 1.2f;
    const float box = ImGui::GetFrameHeight() + ImGui::GetStyle().ItemInnerSpacing.x;
    auto textWidth = [](const char* text) { return ImGui::CalcTextSize(text).x; };
    struct Optional {
      Kernel kernel;
      const char* label;
      const char* probe;
      const char* tooltip;
    };
    static constexpr Optional kOptional[] = {
        {Kernel::Mlk, "MLK linear", "sweep/mlk",
         "Linear mixture-of-keys attention (MLK): score phi(q) . kappa_j with phi = elu + 1 and kappa_j = sum_r pi_jr "
         "phi(k_jr), the MGK components and priors; weights are the scores divided by their sum. No exponential: the "
         "curve changes slowly with the angle and never reaches 0."},
        {Kernel::Cosine, "cosine", "sweep/cosine",
         "Cosine attention: softmax of cos(theta) / tau. Key and query lengths do not matter, only the angle; tau sets "
         "how sharply parallel keys win."},
    };
    for (const Optional& optional : kOptional) {
      const bool on = scene.display.isKernelShown(optional.kernel);
      place(box + textWidth(optional.label), gap);
      bool checked = on;
      ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(kernelColor(optional.kernel)));
      const bool toggled = ImGui::Checkbox(optional.label, &checked);
      ImGui::PopStyleColor();
      probeControl(ctx, optional.probe);
      itemTooltip(optional.tooltip);
      if (toggled) {
        Scene next = scene;
        // Refused only when it is the last kernel shown; the checkbox then simply stays on.
        if (next.display.setKernelShown(optional.kernel, checked))
          ctx.submit(std::move(next), std::string(checked ? "Show " : "Hide ") + optional.label);
      }
      if (optional.kernel == Kernel::Cosine && on) {
        place(ImGui::GetFontSize() * 6.0f + ImGui::GetStyle().ItemInnerSpacing.x + textWidth("tau"),
              ImGui::GetStyle().ItemSpacing.x);
        float tau = scene.kernel.cosineTemperature;
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6.0f);
        if (ImGui::SliderFloat("tau##cosine", &tau, 0.01f, 10.0f, "%.3g", ImGuiSliderFlags_Logarithmic) && tau > 0.0f) {
          Scene next = scene;
          next.kernel.cosineTemperature = tau;
          ctx.submit(std::move(next), "Cosine temperature", gui::EditMerge::Continuous);
        }
        itemTooltip(
            "Temperature of cosine attention: logits cos(theta) / tau. Small tau: only nearly parallel keys get "
            "weight; "
            "tau = 1: logits stay in [-1, 1] and the weights stay close to uniform. Default 0.1, as the core and "
            "`attnscope weights --kernel cosine` (Swin-v2's starting value). Not the CT navigator's tau.");
      }
    }
    place(box + textWidth("weight axis 0..1"), gap);
    ImGui::Checkbox("weight axis 0..1", &state.fixedWeightAxis);
    probeControl(ctx, "sweep/weight-axis");
    itemTooltip("Fix the weight axis to [0, 1] so weights compare across scenes; off fits the axis to the data.");
  }

  /// The shown kernels' colours as a legend line, then the controls: inline when the window is wide, behind an
  /// "options" button when it is narrow (a cell of the model layout), none in presenter mode.
  void legendAndControls(AppContext& ctx) {
    const Scene& scene = ctx.scene();
    const float gap = ImGui::GetFontSize() * 1.2f;
    bool firstItem = true;
    // Items flow left to right and wrap to a new line when the next one (`width` pixels) would be cut off.
    auto nextItem = [&](float width, float spacing) {
      const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
      if (!firstItem && ImGui::GetItemRectMax().x + spacing + width <= right) ImGui::SameLine(0.0f, spacing);
      firstItem = false;
    };
    const bool controls = showViewControls(ctx);
    const bool compact = ImGui::GetContentRegionAvail().x < ImGui::GetFontSize() * 34.0f;
    for (Kernel kernel : shownKernels(scene)) {
      // With the checkboxes inline, they name MLK and cosine themselves.
      if (controls && !compact && (kernel == Kernel::Mlk || kernel == Kernel::Cosine)) continue;
      const std::string label = kernelLabel(kernel, scene);
      nextItem(ImGui::CalcTextSize(label.c_str()).x, gap);
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kernelColor(kernel)), "%s", label.c_str());
    }
    if (!controls) return;
    if (!compact) {
      sweepControls(ctx, nextItem);
      return;
    }
    nextItem(ImGui::CalcTextSize("options").x + 2 * ImGui::GetStyle().FramePadding.x, gap);
    if (ImGui::SmallButton("options")) ImGui::OpenPopup("##sweep-options");
    probeControl(ctx, "sweep/options");
    itemTooltip(
        "Show MLK and cosine attention too (every kernel: View > Kernels), cosine's temperature, and a fixed "
        "0..1 weight axis.");
    if (ImGui::BeginPopup("##sweep-options")) {
      sweepControls(ctx, [](float, float) {});
      ImGui::EndPopup();
    }
  }
};

}  // namespace

void KernelSweepView::draw(AppContext& ctx) {
  const Scene& scene = ctx.scene();
  const Derived& derived = ctx.derived();
  const auto& sweep = derived.sweep;
  if (sweep.angleDegrees.size() < 2 || scene.keyCount() == 0 || scene.queryCount() == 0) {
    ImGui::TextDisabled("(no sweep computed for this scene yet)");
    return;
  }
  const std::string& queryName = scene.queryLabels[scene.selectedQuery];
  const std::string& keyName = scene.keyLabels[scene.selectedKey];
  // The sentence wraps at the view's edge (never cut off); a wide view keeps it on one line, as plots need height.
  // Presenter mode says only what moves: at its large font the whole sentence takes three lines of the plots' height.
  ImGui::PushTextWrapPos(0.0f);
  if (showViewControls(ctx))
    ImGui::Text(
        "Key %s turns from 0 to 180\xC2\xB0 against query %s in the plane they span (lengths kept, other keys "
        "fixed).",
        keyName.c_str(), queryName.c_str());
  else
    ImGui::Text("Key %s turns from 0 to 180\xC2\xB0 against query %s.", keyName.c_str(), queryName.c_str());
  ImGui::PopTextWrapPos();
  if (showViewControls(ctx))
    helpMarker(
        "DPA ranks keys by q.k = |q||k|cos(theta): parallel > orthogonal > antiparallel.\n"
        "EA squares the scaled dot product: parallel and antiparallel keys both gain weight, orthogonal keys get "
        "none.\nMGK scores by distance to Gaussian key components: it favours keys near the query.\n"
        "Optional: MLK (linear, phi = elu + 1, no softmax) and cosine attention (angle only, lengths ignored).");
  // The kernels' colours once for all four plots (the plots repeat it in a legend only when they are wide).
  legendAndControls(ctx);

  const std::vector<double> angles = toDoubles(sweep.angleDegrees);
  // A kernel switched on whose curve is missing (its computation failed: the banner says why) is left out.
  std::vector<Kernel> kernels;
  SeriesSet weights, scores;
  for (Kernel kernel : shownKernels(scene)) {
    const Vector& weight = sweep.weight(kernel);
    const Vector& score = sweep.score(kernel);
    if (weight.size() != sweep.angleDegrees.size() || score.size() != sweep.angleDegrees.size()) continue;
    kernels.push_back(kernel);
    weights.push_back(toDoubles(weight));
    scores.push_back(toDoubles(score));
  }
  const double current = sweep.currentAngleDegrees;

  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const float leftWidth = std::floor((avail.x - spacing) * 0.58f), rightWidth = avail.x - spacing - leftWidth;
  const float rowSpacing = ImGui::GetStyle().ItemSpacing.y;
  // Narrow (the Playground's sweep column, presenter mode's large fonts): the polar plot would be a few pixels
  // across, so the weight plot takes the whole top row and the score plot and bars share the bottom row; when the
  // view is tall enough for three plots of minPlotHeight, the three are stacked at full width (ticks stay apart).
  const bool narrow = avail.x < ImGui::GetFontSize() * 34.0f;
  // An exported figure cannot scroll: there the plots share whatever height the image has.
  const float minHeight = ctx.exporting() ? 0.0f : minPlotHeight();
  const bool stacked = narrow && avail.y >= 3.0f * minPlotHeight() + 2.0f * rowSpacing;
  const float halfWidth = stacked ? avail.x : std::floor((avail.x - spacing) * 0.5f);
  // Below minPlotHeight a plot keeps that height and the view scrolls.
  const float topHeight =
      std::max(std::floor(stacked ? (avail.y - 2.0f * rowSpacing) * 0.4f : (avail.y - rowSpacing) * 0.5f), minHeight);
  const float bottomHeight = std::max(
      std::floor(stacked ? (avail.y - 2.0f * rowSpacing - topHeight) * 0.5f : avail.y - rowSpacing - topHeight),
      minHeight);

  // Top row: weight against angle, and its polar picture.
  const plot::Rect weightRect = reserveRect("##weights", ImVec2(narrow ? avail.x : leftWidth, topHeight));
  sweepPlot(weightRect, ("Weight of " + keyName).c_str(), "attention weight", angles, kernels, weights, scene, current,
            true, state.fixedWeightAxis);
  plot::Rect polarRect(0, 0, 0, 0);
  if (!narrow) {
    ImGui::SameLine();
    polarRect = reserveRect("##polar", ImVec2(rightWidth, topHeight));
    double maxWeight = state.fixedWeightAxis ? 1.0 : 0.0;
    for (const auto& w : weights)
      for (double v : w) maxWeight = std::max(maxWeight, v);
    plot::PolarSpec spec;
    spec.title = polarRect.GetWidth() > ImGui::GetFontSize() * 24.0f ? "Polar: radius = weight, angle = query-key angle"
                                                                     : "Polar: radius = weight";
    spec.radiusMax = std::max(plot::niceStep(maxWeight * 1.02 / 4.0) * 4.0, 1e-6);
    plot::PolarFrame polar(ImGui::GetWindowDrawList(), polarRect, spec);
    plot::paint::addLine(polar.drawList(), polar.toPixel(0, 0), polar.toPixel(current, spec.radiusMax),
                         polar.style().text, 2.0f);
    for (std::size_t s = 0; s < kernels.size(); ++s)
      plot::polarLine(polar, angles, weights[s], kernelColor(kernels[s]), 3.0f);
    // The query points along 0 degrees: draw it so the picture reads as "key angle relative to the query".
    plot::arrow(polar.drawList(), polar.toPixel(0, 0), polar.toPixel(0, spec.radiusMax * 0.35), queryColor(), 3.0f,
                10.0f);
    float y = polarRect.Min.y + ImGui::GetFontSize() * 2.2f;
    // The legend sits in the top-left corner: only where it clears the half disc and its 90 / 180 degree labels.
    float labelWidth = 0.0f;
    for (Kernel kernel : kernels)
      labelWidth = std::max(labelWidth, ImGui::CalcTextSize(kernelLabel(kernel, scene).c_str()).x);
    const float legendRight = polarRect.Min.x + 36 + labelWidth;
    const float legendBottom = y + kernels.size() * (ImGui::GetFontSize() + 4);
    const bool roomForLegend = legendRight < polar.toPixel(180, spec.radiusMax).x - ImGui::GetFontSize() * 2.5f ||
                               legendBottom < polar.toPixel(90, spec.radiusMax).y - ImGui::GetFontSize() * 1.5f;
    for (Kernel kernel : roomForLegend ? std::span<const Kernel>(kernels) : std::span<const Kernel>()) {
      plot::paint::addLine(polar.drawList(), ImVec2(polarRect.Min.x + 8, y + 7), ImVec2(polarRect.Min.x + 30, y + 7),
                           kernelColor(kernel), 3.0f);
      plot::paint::addText(polar.drawList(), ImVec2(polarRect.Min.x + 36, y), polar.style().text,
                           kernelLabel(kernel, scene).c_str());
      y += ImGui::GetFontSize() + 4;
    }
  }

  // Bottom row: scores against angle, and every key's weight for the selected query per kernel.
  const plot::Rect scoreRect = reserveRect("##scores", ImVec2(narrow ? halfWidth : leftWidth, bottomHeight));
  sweepPlot(scoreRect, scoreTitle(kernels, scoreRect.GetWidth()).c_str(), "score", angles, kernels, scores, scene,
            current, false, false);
  if (!stacked) ImGui::SameLine();
  const plot::Rect barsRect = reserveRect("##bars", ImVec2(stacked  ? avail.x
                                                           : narrow ? avail.x - spacing - halfWidth
                                                                    : rightWidth,
                                                           bottomHeight));
  auto probeRect = [](const plot::Rect& r) { return ViewProbe::Rect{r.Min.x, r.Min.y, r.Max.x, r.Max.y}; };
  ctx.viewProbe().sweepWeights = probeRect(weightRect);
  ctx.viewProbe().sweepPolar = probeRect(polarRect);
  ctx.viewProbe().sweepScores = probeRect(scoreRect);
  ctx.viewProbe().sweepBars = probeRect(barsRect);
  if (!ctx.exporting()) {
    // Corners of the weight plot: the presenter test checks that presenter mode shows it larger.
    ctx.publishProbe("view/sweep/weights/min", weightRect.Min.x, weightRect.Min.y);
    ctx.publishProbe("view/sweep/weights/max", weightRect.Max.x, weightRect.Max.y);
  }
  {
    // Every shown kernel's row of weights for the selected query (a kernel whose matrix is missing gets no bars).
    std::vector<std::vector<double>> values;
    std::vector<ImU32> colors;
    double maxWeight = 0.0;
    for (Kernel kernel : kernels) {
      const RowMatrix& w = kernelResult(derived, kernel).weights;
      std::vector<double> row;
      if (scene.selectedQuery < w.rows())
        for (int j = 0; j < w.cols(); ++j)
          row.push_back(w(scene.selectedQuery, j)), maxWeight = std::max(maxWeight, row.back());
      values.push_back(std::move(row));
      colors.push_back(kernelColor(kernel));
    }
    plot::FrameSpec spec;
    spec.title = "Every key's weight for " + queryName;
    spec.x.categories = scene.keyLabels;
    if (scene.selectedKey < int(spec.x.categories.size())) spec.x.categories[scene.selectedKey] += "*";
    spec.x.label = "key (* = the swept key)";
    spec.y.label = "weight";
    spec.y.range = plot::Range{0.0, state.fixedWeightAxis ? 1.0 : std::max(maxWeight * 1.15, 1e-6)};
    plot::Frame frame(ImGui::GetWindowDrawList(), barsRect, spec);
    plot::groupedBars(frame, values, colors);
    std::vector<plot::LegendEntry> legend;
    for (Kernel kernel : kernels)
      legend.push_back({kernelLabel(kernel, scene), kernelColor(kernel), plot::LegendEntry::Kind::Box});
    if (barsRect.GetWidth() > ImGui::GetFontSize() * 26.0f && legendFits(frame.area(), kernels.size()))
      plot::legend(frame, legend, plot::Corner::TopRight);
    for (Kernel kernel : {Kernel::Ea, Kernel::EaPure}) {
      const auto& fallback = derived.result(kernel).fallbackRows;
      if (std::find(fallback.begin(), fallback.end(), scene.selectedQuery) != fallback.end()) {
        labelWithBackdrop(frame.drawList(), ImVec2(frame.area().Min.x + 6, frame.area().Min.y + 6), kernelColor(kernel),
                          "EA: every key orthogonal to " + queryName + " -> uniform fallback",
                          withAlpha(frame.style().background, 0.85f));
        break;  // the same sentence for both forms: f = 0 for orthogonal keys either way
      }
    }
    if (const auto at = frame.hovered()) {
      const int j = static_cast<int>(std::lround(at->x));
      if (j >= 0 && j < scene.keyCount()) {
        ImGui::BeginTooltip();
        ImGui::Text("key %s, query %s", scene.keyLabels[j].c_str(), queryName.c_str());
        for (std::size_t s = 0; s < kernels.size(); ++s) {
          const auto& row = values[s];
          if (j < int(row.size()))
            ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(colors[s]), "%-18s %.4f",
                               kernelLabel(kernels[s], scene).c_str(), row[j]);
        }
        ImGui::EndTooltip();
      }
    }
  }
}

std::unique_ptr<gui::View> makeKernelSweepView() {
  return std::make_unique<KernelSweepView>();
}

}  // namespace attnscope::views
