// Alignment divergence: the query and key clouds in a shared projection with the conditional-transport plans drawn as
// weighted edges (forward and backward separately), a table of every divergence's current value with which ones have
// a zero floor, and a live time series of each as the user edits (with a reset button).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "app/plot/paint.h"
#include "app/plot/plot_math.h"
#include "app/views/view_common.h"
#include "app/views/views.h"
#include "core/divergence.h"

namespace attnscope::views {
namespace {

/// Edges drawn per source point: the strongest ones, at least a quarter of the row's largest probability. Drawing
/// all N x M edges of a 256-point scene would be an unreadable (and slow) grey mat.
constexpr int kMaxEdgesPerSource = 8;

/// Edges kept per source point: all strong ones for a small scene, the two strongest in a crowd, and the strongest
/// alone beyond 1024 points (in a plot a few hundred pixels wide thousands of edges are a mat either way, and each
/// one is a long thin pair of triangles for llvmpipe).
int edgesPerSource(int points) {
  return points > 1024 ? 1 : points > 40 ? 2 : kMaxEdgesPerSource;
}

struct Cloud {
  const RowMatrix& keys2d;
  const RowMatrix& queries2d;
};

void drawPoints(plot::Frame& frame, const Cloud& cloud, const Scene& scene) {
  ImDrawList* drawList = frame.drawList();
  const bool labels = cloud.keys2d.rows() + cloud.queries2d.rows() <= 24;
  // A crowd gets small outline-free markers: llvmpipe pays per triangle, and an outlined 16-gon is ~50 of them.
  const bool crowded = cloud.keys2d.rows() + cloud.queries2d.rows() > 40;
  // Labels go where they fit inside the frame without covering another label or a marker (markers first).
  const plot::Rect& area = frame.area();
  plot::LabelPlacer placer({area.Min.x, area.Min.y, area.Max.x, area.Max.y});
  const auto pixelOf = [&](const RowMatrix& points, int i) { return frame.toPixel(points(i, 0), points(i, 1)); };
  if (labels) {
    for (int j = 0; j < cloud.keys2d.rows(); ++j) {
      const ImVec2 p = pixelOf(cloud.keys2d, j);
      placer.addObstacle({p.x - 7.0, p.y - 7.0, p.x + 7.0, p.y + 7.0});
    }
    for (int i = 0; i < cloud.queries2d.rows(); ++i) {
      const ImVec2 p = pixelOf(cloud.queries2d, i);
      placer.addObstacle({p.x - 8.0, p.y - 8.0, p.x + 8.0, p.y + 8.0});
    }
  }
  const auto label = [&](ImVec2 p, const std::string& text, ImU32 color) {
    const ImVec2 size = ImGui::CalcTextSize(text.c_str());
    if (const auto at = placer.place({p.x, p.y}, size.x, size.y, 9.0))
      plot::paint::addText(drawList, ImVec2(float(at->x), float(at->y)), color, text.c_str());
  };
  for (int j = 0; j < cloud.keys2d.rows(); ++j) {
    const ImVec2 p = frame.toPixel(cloud.keys2d(j, 0), cloud.keys2d(j, 1));
    if (crowded) {
      plot::paint::addRectFilled(drawList, ImVec2(p.x - 3, p.y - 3), ImVec2(p.x + 3, p.y + 3), keyColor());
      continue;
    }
    plot::paint::addCircleFilled(drawList, p, 6.0f, keyColor(), 16);
    plot::paint::addCircle(drawList, p, 6.0f, frame.style().text, 16, 1.0f);
    if (labels) label(p, scene.keyLabels[j], keyColor());
  }
  plot::ScopedAliasedFill aliased(drawList, crowded);  // a crowd's diamonds: no fringe triangles
  for (int i = 0; i < cloud.queries2d.rows(); ++i) {
    const ImVec2 p = frame.toPixel(cloud.queries2d(i, 0), cloud.queries2d(i, 1));
    const float size = crowded ? 4.0f : 7.0f;
    plot::paint::addQuadFilled(drawList, ImVec2(p.x, p.y - size), ImVec2(p.x + size, p.y), ImVec2(p.x, p.y + size),
                               ImVec2(p.x - size, p.y), queryColor());
    if (crowded) continue;
    plot::paint::addQuad(drawList, ImVec2(p.x, p.y - 7), ImVec2(p.x + 7, p.y), ImVec2(p.x, p.y + 7),
                         ImVec2(p.x - 7, p.y), frame.style().text, 1.0f);
    if (labels) label(p, scene.queryLabels[i], queryColor());
  }
}

/// Edges of a transport plan. plan is M x N (key i, query j); `forward` normalises over queries for each key
/// (rows), backward over keys for each query (columns). Edge opacity and width follow the probability.
void drawPlan(plot::Frame& frame, const Cloud& cloud, const RowMatrix& plan, bool forward, ImU32 color) {
  const int M = static_cast<int>(plan.rows()), N = static_cast<int>(plan.cols());
  if (M != cloud.keys2d.rows() || N != cloud.queries2d.rows()) return;
  const int sources = forward ? M : N, targets = forward ? N : M;
  std::vector<int> order(targets);
  for (int s = 0; s < sources; ++s) {
    const auto probability = [&](int t) { return forward ? plan(s, t) : plan(t, s); };
    std::iota(order.begin(), order.end(), 0);
    // Crowded clouds keep only each point's two strongest partners: still shows where the mass goes.
    const int keep = std::min(edgesPerSource(sources + targets), targets);
    std::partial_sort(order.begin(), order.begin() + keep, order.end(),
                      [&](int a, int b) { return probability(a) > probability(b); });
    const float strongest = probability(order[0]);
    if (!(strongest > 0.0f)) continue;
    for (int e = 0; e < keep; ++e) {
      const int t = order[e];
      const float p = probability(t);
      if (p < 0.25f * strongest) break;
      const int key = forward ? s : t, query = forward ? t : s;
      const ImVec2 a = frame.toPixel(cloud.keys2d(key, 0), cloud.keys2d(key, 1));
      const ImVec2 b = frame.toPixel(cloud.queries2d(query, 0), cloud.queries2d(query, 1));
      // Width follows the probability itself, opacity the share of the point's strongest edge, so a spread-out plan
      // (large tau, many points) still shows where each point sends most of its mass.
      const float share = std::clamp(p, 0.0f, 1.0f), relative = p / strongest;
      plot::paint::addLine(frame.drawList(), a, b, withAlpha(color, 0.3f + 0.7f * relative),
                           std::round(1.0f + 4.0f * share));
    }
  }
}

plot::FrameSpec cloudSpec(const Scene& scene, const Derived& derived, std::string title) {
  plot::FrameSpec spec;
  spec.title = std::move(title);
  const float extent = scene.display.planeExtent;
  spec.x.range = plot::Range{-extent, extent};
  spec.y.range = plot::Range{-extent, extent};
  spec.x.label = derived.plane.isPca ? "PC 1" : "x";
  spec.y.label = derived.plane.isPca ? "PC 2" : "y";
  spec.equalAspect = true;
  return spec;
}

struct Row {
  const char* name;
  Metric metric;
  float value;
  std::string detail;
};

void drawTable(const Scene& scene, const Derived& derived) {
  const gui::Divergences& d = derived.divergences;
  const Row rows[] = {
      {"CT (conditional transport)", Metric::Ct, d.ct,
       formatted("forward %.4f, ", d.ctForward) + formatted("backward %.4f, ", d.ctBackward) +
           formatted("rho %.2f", scene.divergence.ctRho)},
      {"MMD\xC2\xB2 biased", Metric::Mmd, d.mmdBiased, "RBF kernel, median-heuristic bandwidth"},
      {"MMD\xC2\xB2 unbiased", Metric::MmdUnbiased, d.mmdUnbiased, "can be slightly negative"},
      {"Sinkhorn divergence", Metric::Sinkhorn, d.sinkhorn,
       formatted("epsilon %.3g", scene.divergence.sinkhornEpsilon)},
      {"Gaussian KL (symmetric)", Metric::GaussKl, d.gaussianKl, "between Gaussians fitted to each cloud"},
      {"Frechet W2\xC2\xB2", Metric::GaussW2, d.frechet, "2-Wasserstein between fitted Gaussians"},
  };
  const ImGuiTableFlags flags =
      ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingStretchProp;
  if (!ImGui::BeginTable("divergences", 4, flags)) return;
  // Numbers and the yes/no column never wrap (a value split as "7." over "0015e+05" misreads): fixed to the widest
  // %.5g value and to their header; the name and the notes share the rest and wrap.
  const float valueWidth = ImGui::CalcTextSize("-8.8888e+88").x;
  const float floorWidth = ImGui::CalcTextSize("zero floor?").x;
  ImGui::TableSetupColumn("divergence", ImGuiTableColumnFlags_WidthStretch, 1.0f);
  ImGui::TableSetupColumn("value", ImGuiTableColumnFlags_WidthFixed, valueWidth);
  ImGui::TableSetupColumn("zero floor?", ImGuiTableColumnFlags_WidthFixed, floorWidth);
  ImGui::TableSetupColumn("notes", ImGuiTableColumnFlags_WidthStretch, 1.3f);
  ImGui::TableNextRow(ImGuiTableRowFlags_Headers);
  const char* headers[] = {"divergence", "value", "zero floor?", "notes"};
  for (int c = 0; c < 4; ++c) {
    ImGui::TableSetColumnIndex(c);
    ImGui::TableHeader(headers[c]);
    if (c == 2)
      itemTooltip(
          "A zero floor means identical key and query clouds give exactly 0 and the value is never negative: "
          "MMD\xC2\xB2 (biased), Sinkhorn divergence, Gaussian KL and Frechet W2\xC2\xB2.\n"
          "CT has a positive floor: even identical sets pay for spreading their transport plan (it tends to "
          "the Chamfer distance as tau -> 0). The unbiased MMD\xC2\xB2 estimator can dip below 0.");
  }
  for (const Row& row : rows) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    // Cells wrap at their column's edge (a narrow view makes taller rows and scrolls instead of cutting words).
    ImGui::PushTextWrapPos(0.0f);
    ImGui::TextUnformatted(row.name);
    itemTooltip(std::string(metricDescription(row.metric)).c_str());
    ImGui::TableNextColumn();
    ImGui::Text("%.5g", row.value);
    ImGui::TableNextColumn();
    const bool floor = metricHasZeroFloor(row.metric);
    ImGui::TextColored(floor ? ImVec4(0.3f, 0.85f, 0.5f, 1.0f) : ImVec4(1.0f, 0.65f, 0.3f, 1.0f), "%s",
                       floor ? "yes" : "no");
    itemTooltip(std::string(metricDescription(row.metric)).c_str());
    ImGui::TableNextColumn();
    // The notes break at spaces only: ImGui's wrapping breaks after a '.', which split "rho 0.50" as "rho 0." over
    // "50" at 1920x1080.
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyle().Colors[ImGuiCol_TextDisabled]);
    const auto width = [](const std::string& text) { return double(ImGui::CalcTextSize(text.c_str()).x); };
    std::string lines;
    for (const std::string& line : plot::wrapWords(row.detail, ImGui::GetContentRegionAvail().x, width))
      lines += (lines.empty() ? "" : "\n") + line;
    ImGui::TextUnformatted(lines.c_str());
    ImGui::PopStyleColor();
    ImGui::PopTextWrapPos();
  }
  ImGui::EndTable();
}

/// `chosen`: the series shown when only one plot fits (the view keeps it).
void drawHistory(AppContext& ctx, float height, int& chosen) {
  const gui::DivergenceHistory& history = ctx.divergenceHistory();
  // Presenter mode: the plots only (no reset button, no series chooser).
  const bool controls = showViewControls(ctx);
  if (controls) {
    if (ImGui::Button("Reset history")) ctx.clearDivergenceHistory();
    itemTooltip("Forget the recorded values; the series restart from the current scene.");
    probeControl(ctx, "divergence/reset");
    ImGui::SameLine();
    ImGui::TextDisabled("%d edits recorded (one sample per scene change)", int(history.size()));
  }
  struct Series {
    const char* name;
    const std::vector<float>* values;
  };
  const Series series[] = {{"CT", &history.ct},
                           {"MMD\xC2\xB2", &history.mmd},
                           {"Sinkhorn", &history.sinkhorn},
                           {"Gauss KL", &history.gaussianKl},
                           {"Frechet W2\xC2\xB2", &history.frechet}};
  // Five small plots side by side when they fit; otherwise one plot and a chooser.
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const bool allFit = (avail.x - spacing * 4) / 5.0f > ImGui::GetFontSize() * 11.0f;
  if (!allFit && controls) {
    sameLineIfFits(ImGui::GetFontSize() * 9.0f);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9.0f);
    const char* names[] = {series[0].name, series[1].name, series[2].name, series[3].name, series[4].name};
    ImGui::Combo("##series", &chosen, names, 5);
  }
  const int first = allFit ? 0 : chosen, count = allFit ? 5 : 1;
  const float width = std::floor((avail.x - spacing * (count - 1)) / count);
  height = std::max(height - (controls ? ImGui::GetFrameHeightWithSpacing() : 0.0f), ImGui::GetFontSize() * 7.0f);
  for (int s = first; s < first + count; ++s) {
    if (s > first) ImGui::SameLine();
    const plot::Rect rect = reserveRect(("##history" + std::to_string(s)).c_str(), ImVec2(width, height));
    const std::vector<float>& values = *series[s].values;
    std::vector<double> xs(values.size()), ys(values.begin(), values.end());
    for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = double(i);
    double lo = 0.0, hi = 1e-9;
    if (!ys.empty()) {
      lo = *std::min_element(ys.begin(), ys.end());
      hi = *std::max_element(ys.begin(), ys.end());
    }
    const double pad = 0.1 * std::max(hi - lo, std::abs(hi) * 0.05 + 1e-9);
    plot::FrameSpec spec;
    spec.title = series[s].name;
    spec.x.range = plot::Range{0.0, std::max<double>(4.0, double(values.size()) - 1.0)};  // whole-number ticks
    spec.x.label = "edit";
    spec.x.maxTicks = 4;
    spec.y.range = plot::Range{lo - pad, hi + pad};
    spec.y.maxTicks = 4;
    plot::Frame frame(ImGui::GetWindowDrawList(), rect, spec);
    const ImU32 color = plot::seriesColor(s);
    plot::line(frame, xs, ys, color, 2.0f);
    if (!ys.empty()) plot::scatter(frame, std::span(xs).last(1), std::span(ys).last(1), color, 4.0f);
    const std::vector<std::span<const double>> hoverYs{ys};
    const ImU32 colors[] = {color};
    if (const auto index = plot::hoverSeries(frame, xs, hoverYs, colors)) {
      ImGui::BeginTooltip();
      ImGui::Text("%s after edit %d: %.5g", series[s].name, int(*index), ys[*index]);
      ImGui::EndTooltip();
    }
  }
}

class DivergenceView final : public gui::View {
 public:
  void draw(AppContext& ctx) override;

 private:
  int chosenSeries_ = 0;  // the history series shown when the five plots do not fit side by side
};

}  // namespace

void DivergenceView::draw(AppContext& ctx) {
  const Scene& scene = ctx.scene();
  const Derived& derived = ctx.derived();
  const gui::Divergences& d = derived.divergences;
  const Cloud cloud{derived.plane.keys2d, derived.plane.queries2d};
  if (cloud.keys2d.rows() != scene.keyCount() || cloud.queries2d.rows() != scene.queryCount()) {
    ImGui::TextDisabled("(no projection computed for this scene yet)");
    return;
  }
  ImGui::TextUnformatted("Do the keys and the queries of this head form the same distribution?");
  helpMarker(
      "Alignment attention (Zhang et al. 2021) penalises the mismatch between a head's key cloud and query "
      "cloud. Conditional transport moves each key's mass to queries with a navigator plan (forward) and each "
      "query's mass to keys (backward); its value is the expected transport cost.");
  if (derived.plane.isPca) {
    ImGui::SameLine();
    ImGui::TextColored(ImVec4(1.0f, 0.75f, 0.3f, 1.0f), "(d = %d: joint-PCA projection)", scene.dimension());
  }

  const float fontSize = ImGui::GetFontSize();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float tableHeight = ImGui::GetTextLineHeightWithSpacing() * 7.5f;
  const float historyHeight = std::clamp(avail.y * 0.26f, fontSize * 9.0f, fontSize * 16.0f);
  const float cloudHeight =
      std::max(avail.y - tableHeight - historyHeight - ImGui::GetStyle().ItemSpacing.y * 3, fontSize * 12.0f);
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const float cloudWidth = std::floor((avail.x - spacing) * 0.5f);
  const bool wide = cloudWidth > fontSize * 30.0f;  // room for long titles and a legend inside each cloud

  // Yellow and vermillion: both stand out on the dark plot background and from the sky-blue keys.
  const ImU32 forwardColor = plot::seriesColor(6), backwardColor = plot::seriesColor(1);
  const struct {
    const char* id;
    std::string title;
    const RowMatrix& plan;
    bool forward;
    ImU32 color;
  } panels[] = {
      {"##forward",
       formatted(wide ? "Forward plan P(q | k): each key to queries   (term %.4f)" : "Forward P(q | k)  %.4f",
                 d.ctForward),
       d.ctForwardPlan, true, forwardColor},
      {"##backward",
       formatted(wide ? "Backward plan P(k | q): each query to keys   (term %.4f)" : "Backward P(k | q)  %.4f",
                 d.ctBackward),
       d.ctBackwardPlan, false, backwardColor},
  };
  const int points = int(cloud.keys2d.rows() + cloud.queries2d.rows());
  const char* const edgeNote = points > 1024 ? "strongest plan edge per point (width ~ probability)"
                               : points > 40 ? "2 strongest plan edges per point (width ~ probability)"
                                             : "plan edge (width ~ probability)";
  for (int p = 0; p < 2; ++p) {
    if (p > 0) ImGui::SameLine();
    const plot::Rect rect =
        reserveRect(panels[p].id, ImVec2(p == 0 ? cloudWidth : avail.x - spacing - cloudWidth, cloudHeight));
    plot::Frame frame(ImGui::GetWindowDrawList(), rect, cloudSpec(scene, derived, panels[p].title));
    drawPlan(frame, cloud, panels[p].plan, panels[p].forward, panels[p].color);
    drawPoints(frame, cloud, scene);
    const plot::LegendEntry legend[] = {
        {"key", keyColor(), plot::LegendEntry::Kind::Marker},
        {"query", queryColor(), plot::LegendEntry::Kind::Marker},
        // A crowd shows each point's strongest edges only (drawPlan): the legend says so.
        {edgeNote, panels[p].color, plot::LegendEntry::Kind::Line}};
    if (wide) plot::legend(frame, legend, plot::Corner::TopLeft);
  }
  if (!wide)
    ImGui::TextDisabled(
        points > 1024 ? "circles: keys, diamonds: queries; strongest edge per point, width ~ probability"
        : points > 40 ? "circles: keys, diamonds: queries; 2 strongest edges per point, width ~ probability"
                      : "circles: keys, diamonds: queries; edge width ~ transport probability");
  drawTable(scene, derived);
  drawHistory(ctx, historyHeight, chosenSeries_);
}

std::unique_ptr<gui::View> makeDivergenceView() {
  return std::make_unique<DivergenceView>();
}

}  // namespace attnscope::views
