// Vector canvas: queries and keys as arrows on a plane with the unit circle; drag tips to edit (Shift snaps the
// query-key angle to 45-degree steps), add/remove/select vectors, numeric entry, and for d > 2 a table editor with a
// seeded random generator while the canvas shows the joint-PCA projection.
#include <cmath>
#include <numbers>
#include <random>

#include "app/plot/paint.h"
#include "app/plot/plot_math.h"
#include "app/views/view_common.h"
#include "app/views/view_probe.h"
#include "app/views/views.h"

namespace attnscope::views {
namespace {

enum class VectorKind { None, Query, Key };

/// UI state only (never part of the document): the drag in progress.
struct CanvasState {
  VectorKind dragKind = VectorKind::None;
  int dragIndex = -1;
  Vector dragStartVector;       // d: the vector when the drag began
  Eigen::Vector2f dragStart2d;  // its projected tip then
  RowMatrix dragBasis;          // d x 2 projection frozen for the whole drag (PCA would otherwise move under the mouse)
};
class VectorCanvasView final : public gui::View {
 public:
  void draw(AppContext& ctx) override;

 private:
  CanvasState state;  // this view's own UI state and caches: one per AppContext

  static constexpr float kPickRadius = 14.0f;  // pixels around an arrow tip that grab it

  struct Picked {
    VectorKind kind = VectorKind::None;
    int index = -1;
  };

  const char* kindName(VectorKind kind) { return kind == VectorKind::Query ? "query" : "key"; }

  Picked pickTip(const plot::Frame& frame, const Derived& derived, ImVec2 mouse) {
    Picked best;
    float bestDistance = kPickRadius * kPickRadius;
    const auto consider = [&](const RowMatrix& points, VectorKind kind) {
      for (int i = 0; i < points.rows(); ++i) {
        const ImVec2 p = frame.toPixel(points(i, 0), points(i, 1));
        const float dx = p.x - mouse.x, dy = p.y - mouse.y, distance = dx * dx + dy * dy;
        if (distance <= bestDistance) best = Picked{kind, i}, bestDistance = distance;
      }
    };
    consider(derived.plane.keys2d, VectorKind::Key);
    consider(derived.plane.queries2d, VectorKind::Query);  // queries win ties: drawn on top
    return best;
  }

  /// Snaps `target` (2D) so its angle to `reference` (2D) is a multiple of 45 degrees, keeping its length.
  Eigen::Vector2f snapAngle(Eigen::Vector2f target, Eigen::Vector2f reference) {
    if (reference.norm() < 1e-12f || target.norm() < 1e-12f) return target;
    const double base = std::atan2(reference.y(), reference.x());
    const double relative = std::atan2(target.y(), target.x()) - base;
    const double step = std::numbers::pi / 4.0;
    const double snapped = base + std::round(relative / step) * step;
    return target.norm() * Eigen::Vector2f(float(std::cos(snapped)), float(std::sin(snapped)));
  }

  std::string vectorText(const Vector& v) {
    std::string text = "(";
    for (int c = 0; c < v.size() && c < 6; ++c) text += (c ? ", " : "") + formatted("%.3g", v(c));
    if (v.size() > 6) text += ", ...";
    return text + ")";
  }

  void drawToolbar(AppContext& ctx) {
    const Scene& scene = ctx.scene();
    if (ImGui::Button("+ Key")) {
      Scene next = scene;
      // A new key at 45 degrees from the selected query, so it is visible and distinct at once.
      Vector key = Vector::Zero(scene.dimension());
      key(0) = 0.7071f, key(1) = 0.7071f;
      next.selectedKey = next.addKey(key);
      ctx.submit(std::move(next), "Add key");
    }
    itemTooltip("Add a key vector (unit length, 45 degrees).");
    probeControl(ctx, "canvas/add-key");
    ImGui::SameLine();
    if (ImGui::Button("+ Query")) {
      Scene next = scene;
      Vector query = Vector::Zero(scene.dimension());
      query(0) = 1.0f;
      next.selectedQuery = next.addQuery(query);
      ctx.submit(std::move(next), "Add query");
    }
    itemTooltip("Add a query vector (unit length along the first axis).");
    ImGui::SameLine();
    ImGui::BeginDisabled(scene.keyCount() <= 1);
    if (ImGui::Button("- Key")) {
      Scene next = scene;
      next.removeKey(scene.selectedKey);
      next.selectedKey = std::min(next.selectedKey, next.keyCount() - 1);
      ctx.submit(std::move(next), "Remove key");
    }
    ImGui::EndDisabled();
    itemTooltip("Remove the selected key (at least one key stays).");
    ImGui::SameLine();
    ImGui::BeginDisabled(scene.queryCount() <= 1);
    if (ImGui::Button("- Query")) {
      Scene next = scene;
      next.removeQuery(scene.selectedQuery);
      next.selectedQuery = std::min(next.selectedQuery, next.queryCount() - 1);
      ctx.submit(std::move(next), "Remove query");
    }
    ImGui::EndDisabled();
    itemTooltip("Remove the selected query (at least one query stays).");

    // Selection combos (also reachable by clicking a tip).
    const auto selector = [&](const char* label, const std::vector<std::string>& names, int selected, bool isQuery) {
      sameLineIfFits(labelledWidth(ImGui::GetFontSize() * 6.0f, label));
      ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6.0f);
      if (ImGui::BeginCombo(label, selected < int(names.size()) ? names[selected].c_str() : "")) {
        for (int i = 0; i < int(names.size()); ++i) {
          if (ImGui::Selectable(names[i].c_str(), i == selected) && i != selected) {
            Scene next = scene;
            (isQuery ? next.selectedQuery : next.selectedKey) = i;
            ctx.submit(std::move(next), isQuery ? "Select query" : "Select key");
          }
        }
        ImGui::EndCombo();
      }
    };
    selector("query##select", scene.queryLabels, scene.selectedQuery, true);
    selector("key##select", scene.keyLabels, scene.selectedKey, false);

    // Numeric entry for the selected pair: Cartesian in d = 2, and length / angle (degrees from the first axis).
    if (scene.dimension() == 2) {
      const auto entry = [&](bool isQuery) {
        const int index = isQuery ? scene.selectedQuery : scene.selectedKey;
        const RowMatrix& matrix = isQuery ? scene.queries : scene.keys;
        if (index < 0 || index >= matrix.rows()) return;
        const std::string& name = isQuery ? scene.queryLabels[index] : scene.keyLabels[index];
        float xy[2] = {matrix(index, 0), matrix(index, 1)};
        float polar[2] = {std::hypot(xy[0], xy[1]), float(std::atan2(xy[1], xy[0]) * 180.0 / std::numbers::pi)};
        ImGui::PushID(isQuery ? "q" : "k");
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9.0f);
        bool changed = ImGui::DragFloat2(("x, y##" + name).c_str(), xy, 0.005f, -10.0f, 10.0f, "%.3f");
        itemTooltip("Coordinates of the selected vector; drag or double-click to type.");
        sameLineIfFits(labelledWidth(ImGui::GetFontSize() * 9.0f, "|v|, angle"));
        ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9.0f);
        const bool polarChanged = ImGui::DragFloat2(("|v|, angle##" + name).c_str(), polar, 0.005f, 0.0f, 0.0f, "%.3f");
        itemTooltip("Length and direction in degrees (counter-clockwise from +x).");
        ImGui::PopID();
        if (polarChanged) {
          const double a = polar[1] * std::numbers::pi / 180.0;
          xy[0] = polar[0] * float(std::cos(a));
          xy[1] = polar[0] * float(std::sin(a));
          changed = true;
        }
        if (changed) {
          Scene next = scene;
          RowMatrix& target = isQuery ? next.queries : next.keys;
          target(index, 0) = xy[0];
          target(index, 1) = xy[1];
          ctx.submit(std::move(next), "Edit " + name, gui::EditMerge::Continuous);
        }
      };
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(queryColor()), "%s",
                         scene.queryLabels[scene.selectedQuery].c_str());
      const float entryWidth = labelledWidth(ImGui::GetFontSize() * 9.0f, "x, y");
      sameLineIfFits(entryWidth);
      entry(true);
      const std::string& keyLabel = scene.keyLabels[scene.selectedKey];
      sameLineIfFits(ImGui::CalcTextSize(keyLabel.c_str()).x);
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(keyColor()), "%s", keyLabel.c_str());
      sameLineIfFits(entryWidth);
      entry(false);
    }
  }

  /// d > 2: every vector as a row of sliders, the dimension, and a seeded random generator.
  void drawTableEditor(AppContext& ctx, float height) {
    const Scene& scene = ctx.scene();
    const int d = scene.dimension();
    int dimension = d;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8.0f);
    if (ImGui::SliderInt("dimension d", &dimension, gui::kMinDimension, 64)) {
      Scene next = scene;
      next.setDimension(dimension);
      ctx.submit(std::move(next), "Change dimension", gui::EditMerge::Continuous);
    }
    itemTooltip("Number of entries of every query and key. Going down truncates, going up pads with zeros.");
    ImGui::SameLine();
    int seed = static_cast<int>(scene.randomSeed % 1000000);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6.0f);
    if (ImGui::InputInt("seed", &seed)) {
      Scene next = scene;
      next.randomSeed = static_cast<std::uint64_t>(std::max(seed, 0));
      ctx.submit(std::move(next), "Change seed");
    }
    itemTooltip("Seed of the random generator: the same seed always gives the same vectors.");
    ImGui::SameLine();
    if (ImGui::Button("Randomise all")) {
      Scene next = scene;
      std::mt19937_64 generator(scene.randomSeed);
      std::normal_distribution<float> normal(0.0f, 1.0f / std::sqrt(float(d)));  // expected norm about 1
      for (int i = 0; i < next.queries.rows(); ++i)
        for (int c = 0; c < d; ++c) next.queries(i, c) = normal(generator);
      for (int j = 0; j < next.keys.rows(); ++j)
        for (int c = 0; c < d; ++c) next.keys(j, c) = normal(generator);
      next.randomSeed = scene.randomSeed + 1;
      ctx.submit(std::move(next), "Randomise vectors");
    }
    itemTooltip("Replace every query and key by seeded Gaussian vectors (norm about 1), then advance the seed.");

    const int rows = scene.queryCount() + scene.keyCount();
    const ImGuiTableFlags flags = ImGuiTableFlags_ScrollX | ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg |
                                  ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit;
    const int columns = std::min(d, 63) + 1;
    if (!ImGui::BeginTable("vectors", columns, flags, ImVec2(0, std::max(height, 60.0f)))) return;
    ImGui::TableSetupScrollFreeze(1, 1);
    ImGui::TableSetupColumn("vector");
    for (int c = 0; c + 1 < columns; ++c) ImGui::TableSetupColumn(("x" + std::to_string(c)).c_str());
    ImGui::TableHeadersRow();
    ImGuiListClipper clipper;
    clipper.Begin(rows);
    while (clipper.Step()) {
      for (int row = clipper.DisplayStart; row < clipper.DisplayEnd; ++row) {
        const bool isQuery = row < scene.queryCount();
        const int index = isQuery ? row : row - scene.queryCount();
        const RowMatrix& matrix = isQuery ? scene.queries : scene.keys;
        const std::string& name = isQuery ? scene.queryLabels[index] : scene.keyLabels[index];
        ImGui::TableNextRow();
        ImGui::TableNextColumn();
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(isQuery ? queryColor() : keyColor()), "%s", name.c_str());
        for (int c = 0; c + 1 < columns; ++c) {
          ImGui::TableNextColumn();
          ImGui::PushID(row * 1024 + c);
          float value = matrix(index, c);
          ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5.0f);
          if (ImGui::SliderFloat("##v", &value, -2.0f, 2.0f, "%.2f")) {
            Scene next = scene;
            (isQuery ? next.queries : next.keys)(index, c) = value;
            ctx.submit(std::move(next), "Edit " + name, gui::EditMerge::Continuous);
          }
          ImGui::PopID();
        }
      }
    }
    ImGui::EndTable();
  }
};

}  // namespace

void VectorCanvasView::draw(AppContext& ctx) {
  const Scene& scene = ctx.scene();
  const Derived& derived = ctx.derived();
  // Presenter mode: the canvas alone (tips still drag), no toolbar, table or hint.
  const bool controls = showViewControls(ctx);
  if (controls) drawToolbar(ctx);
  const auto& plane = derived.plane;
  if (plane.keys2d.rows() != scene.keyCount() || plane.queries2d.rows() != scene.queryCount()) {
    ImGui::TextDisabled("(waiting for the projection of the current scene)");
    return;
  }

  const bool pca = plane.isPca;
  if (pca) {
    ImGui::TextColored(ImVec4(1.0f, 0.75f, 0.3f, 1.0f),
                       "d = %d: showing the joint PCA projection of queries and keys (axes explain %.0f%% + %.0f%% of "
                       "the variance). Angles on screen are not the true angles.",
                       scene.dimension(), 100.0f * plane.explainedVariance(0), 100.0f * plane.explainedVariance(1));
  }
  // The d > 2 table needs room: in a short window (e.g. the model layout at 1280 x 1000) it would squeeze the plot to
  // a strip, so it waits until the window is taller (the hint line says so).
  const bool roomForTable = ImGui::GetContentRegionAvail().y > ImGui::GetFontSize() * 20.0f;
  const bool table = pca && controls && roomForTable;
  const float tableHeight =
      table ? std::min(ImGui::GetContentRegionAvail().y * 0.35f, ImGui::GetFontSize() * 14.0f) : 0;
  // The hint under the plot, measured as it wraps at the view's width (shell.cpp wraps text at the right edge): in
  // a narrow canvas it takes two lines, and reserving one left its second line below the view.
  std::string hint;
  if (!ctx.exporting() && controls)
    hint = pca && !roomForTable
               ? "Drag a tip to move it. Make the window taller for the table of all " +
                     std::to_string(scene.dimension()) + " entries."
               : "Drag an arrow tip to move it; click a tip to select; hold Shift to snap the query-key angle to "
                 "0/45/90/135/180\xC2\xB0.";
  ImVec2 avail = ImGui::GetContentRegionAvail();
  const float hintHeight = wrappedTextHeight(hint, avail.x);
  avail.y -= tableHeight + hintHeight + (table ? ImGui::GetFrameHeightWithSpacing() * 2 : 0);
  const plot::Rect rect = reserveRect("##canvas", avail);
  const bool canvasActive = ImGui::IsItemActive(), canvasActivated = ImGui::IsItemActivated();
  const bool canvasHovered = ImGui::IsItemHovered();

  const float extent = scene.display.planeExtent;
  plot::FrameSpec spec;
  spec.x.range = plot::Range{-extent, extent};
  spec.y.range = plot::Range{-extent, extent};
  spec.x.label = pca ? "PC 1" : "x";
  spec.y.label = pca ? "PC 2" : "y";
  spec.equalAspect = true;
  ImDrawList* drawList = ImGui::GetWindowDrawList();
  plot::Frame frame(drawList, rect, spec);
  const plot::Style& style = frame.style();

  // Origin (the projection of the zero vector), axes and unit circle (only meaningful in d = 2).
  Eigen::Vector2f origin2d = Eigen::Vector2f::Zero();
  if (pca) origin2d = -(plane.mean.transpose() * plane.basis).transpose();
  const ImVec2 origin = frame.toPixel(origin2d.x(), origin2d.y());
  const plot::Rect& area = frame.area();
  // Every label goes where it fits inside the plot without covering another label or an arrow tip (LabelPlacer): the
  // angle first, then the selected pair, then the other vectors; one with no room left is not drawn.
  plot::LabelPlacer placer({area.Min.x, area.Min.y, area.Max.x, area.Max.y});
  plot::paint::addLine(drawList, ImVec2(area.Min.x, origin.y), ImVec2(area.Max.x, origin.y), style.border, 1.0f);
  plot::paint::addLine(drawList, ImVec2(origin.x, area.Min.y), ImVec2(origin.x, area.Max.y), style.border, 1.0f);
  // The unit circle's label, placed last (below the vectors' labels) where it fits: at the circle's lower right, or
  // nearby, or not at all (at the plot's edge in presenter mode's narrow canvas it was cut).
  std::optional<plot::Point> unitLabel;
  if (!pca) {
    const float unit = frame.toPixel(1.0, 0.0).x - frame.toPixel(0.0, 0.0).x;
    plot::paint::addCircle(drawList, origin, unit, withAlpha(style.axis, 0.55f), 128, 1.0f);
    unitLabel = plot::Point{origin.x + unit * 0.7071f + 4, origin.y + unit * 0.7071f + 2};
  }

  const int q = scene.selectedQuery, k = scene.selectedKey;
  const Eigen::Vector2f q2d = plane.queries2d.row(q).transpose(), k2d = plane.keys2d.row(k).transpose();
  const double pairAngle = angleDegrees(scene.queries.row(q).transpose(), scene.keys.row(k).transpose());

  // Angle arc between the selected query and key (true angle in the label; arc drawn in the projection).
  {
    const Eigen::Vector2f qd = q2d - origin2d, kd = k2d - origin2d;
    if (qd.norm() > 1e-6f && kd.norm() > 1e-6f) {
      double a0 = std::atan2(qd.y(), qd.x()), a1 = std::atan2(kd.y(), kd.x());
      double delta = std::remainder(a1 - a0, 2 * std::numbers::pi);
      const float radius = 38.0f;
      std::vector<ImVec2> arc;
      for (int s = 0; s <= 32; ++s) {
        const double a = a0 + delta * s / 32.0;
        arc.emplace_back(origin.x + radius * float(std::cos(a)), origin.y - radius * float(std::sin(a)));
      }
      plot::polylinePixels(drawList, arc, style.text, 2.0f);
      // Small angles put the label on the arrows: lift it off them.
      const double mid = a0 + delta * 0.5 + (std::abs(delta) < 0.5 ? 0.5 : 0.0);
      const std::string text = formatted("%.1f\xC2\xB0", pairAngle);
      const ImVec2 size = ImGui::CalcTextSize(text.c_str());
      const ImVec2 at(origin.x + (radius + 8) * float(std::cos(mid)) - 10,
                      origin.y - (radius + 8) * float(std::sin(mid)) - frame.fontSize() * 0.5f);
      placer.addObstacle({at.x - 2.0, at.y - 1.0, at.x + size.x + 2.0, at.y + size.y + 1.0});
      labelWithBackdrop(drawList, at, style.text, text, withAlpha(style.background, 0.75f));
    }
  }

  // Arrows: keys first, then queries on top; the selected pair thicker and ringed.
  const float band = scene.display.classificationBandDegrees;
  // A crowded scene (a teacher's random cloud, the 256-vector benchmark) draws thin arrows and labels only the
  // selected pair: hundreds of overlapping labels are unreadable and cost more than everything else on the canvas.
  const bool crowded = scene.queryCount() + scene.keyCount() > 40;
  // Beyond 1024 vectors the arrows' shafts are a solid starburst around the origin (and most of the frame's pixels
  // for llvmpipe): every vector but the selected pair is drawn as its tip, and the legend says so.
  const bool tipsOnly = scene.queryCount() + scene.keyCount() > 1024;
  const Vector selectedQuery = scene.queries.row(q).transpose();
  struct PendingLabel {
    plot::Point anchor, preferred;  // the tip, and the label's top-left corner beyond it
    std::string text;
    ImU32 color;
    bool selected;
  };
  std::vector<PendingLabel> pending;
  const auto drawArrows = [&](const RowMatrix& points, const std::vector<std::string>& labels, ImU32 color,
                              int selected, bool isQuery) {
    for (int i = 0; i < points.rows(); ++i) {
      const ImVec2 tip = frame.toPixel(points(i, 0), points(i, 1));
      const bool isSelected = i == selected;
      if (tipsOnly && !isSelected) {
        plot::paint::addRectFilled(drawList, ImVec2(tip.x - 2, tip.y - 2), ImVec2(tip.x + 2, tip.y + 2),
                                   withAlpha(color, 0.8f));
        continue;
      }
      plot::ScopedAliasedFill aliased(drawList, crowded && !isSelected);  // a crowd's heads: no fringe triangles
      plot::arrow(drawList, origin, tip, isSelected || !crowded ? color : withAlpha(color, 0.6f),
                  isSelected ? 4.0f : (crowded ? 1.0f : 2.0f), isSelected ? 14.0f : (crowded ? 7.0f : 11.0f));
      if (isSelected) plot::paint::addCircle(drawList, tip, 8.0f, style.text, 20, 2.0f);
      if (crowded && !isSelected) continue;
      placer.addObstacle({tip.x - 7.0, tip.y - 7.0, tip.x + 7.0, tip.y + 7.0});
      std::string label = i < int(labels.size()) ? labels[i] : std::string();
      if (!isQuery) {
        // Classify each key against the selected query with the parameter band (true d-dimensional angle), unless
        // its name already says it (the default scene names keys after their class).
        const double angle = angleDegrees(selectedQuery, scene.keys.row(i).transpose());
        const char* pairClass = angle <= band                    ? "parallel"
                                : std::abs(angle - 90.0) <= band ? "orthogonal"
                                : angle >= 180.0 - band          ? "antiparallel"
                                                                 : nullptr;
        if (pairClass && label != pairClass) label += std::string(" (") + pairClass + ")";
      }
      // Keys label beyond their tip; queries below theirs, so a query lying on a key keeps a readable label.
      const float dx = tip.x - origin.x, dy = tip.y - origin.y, length = std::max(std::hypot(dx, dy), 1.0f);
      const float width = ImGui::CalcTextSize(label.c_str()).x;
      ImVec2 labelAt = isQuery ? ImVec2(tip.x - width * 0.5f, tip.y + 10.0f)
                               : ImVec2(tip.x + dx / length * 12.0f - (dx < 0 ? width : 0.0f),
                                        tip.y + dy / length * 12.0f - frame.fontSize() * 0.5f);
      // Kept inside the plot area (a tip near the edge would have its label cut: "paralle"), when the area is wider
      // than the label.
      if (area.GetWidth() > width + 4.0f)
        labelAt.x = std::clamp(labelAt.x, area.Min.x + 2.0f, area.Max.x - width - 2.0f);
      if (area.GetHeight() > frame.fontSize() + 4.0f)
        labelAt.y = std::clamp(labelAt.y, area.Min.y + 2.0f, area.Max.y - frame.fontSize() - 2.0f);
      pending.push_back({{tip.x, tip.y}, {labelAt.x - 2.0, labelAt.y - 1.0}, label, color, isSelected});
    }
  };
  ViewProbe& probe = ctx.viewProbe();
  probe.canvasOrigin = {origin.x, origin.y};
  probe.queryTips.clear(), probe.keyTips.clear();
  for (int i = 0; i < plane.queries2d.rows(); ++i) {
    const ImVec2 p = frame.toPixel(plane.queries2d(i, 0), plane.queries2d(i, 1));
    probe.queryTips.push_back({p.x, p.y});
  }
  for (int j = 0; j < plane.keys2d.rows(); ++j) {
    const ImVec2 p = frame.toPixel(plane.keys2d(j, 0), plane.keys2d(j, 1));
    probe.keyTips.push_back({p.x, p.y});
  }
  drawArrows(plane.keys2d, scene.keyLabels, keyColor(), k, false);
  drawArrows(plane.queries2d, scene.queryLabels, queryColor(), q, true);
  std::stable_partition(pending.begin(), pending.end(), [](const PendingLabel& l) { return l.selected; });
  const plot::LegendEntry entries[] = {
      {tipsOnly ? "query (tips only, selected as arrow)" : "query", queryColor(), plot::LegendEntry::Kind::Line},
      {tipsOnly ? "key (tips only, selected as arrow)" : "key", keyColor(), plot::LegendEntry::Kind::Line}};
  const plot::Rect legendBox = plot::legendRect(frame, entries, plot::Corner::TopLeft);
  placer.addObstacle({legendBox.Min.x, legendBox.Min.y, legendBox.Max.x, legendBox.Max.y});
  for (const PendingLabel& label : pending) {
    // The backdrop reaches 2 px beyond the text sideways and 1 px up and down (labelWithBackdrop).
    const ImVec2 text = ImGui::CalcTextSize(label.text.c_str());
    if (const auto at = placer.place(label.anchor, text.x + 4.0, text.y + 2.0, 10.0, {&label.preferred, 1}))
      labelWithBackdrop(drawList, ImVec2(float(at->x + 2.0), float(at->y + 1.0)), label.color, label.text,
                        withAlpha(style.background, 0.67f));
  }
  if (unitLabel) {
    const ImVec2 text = ImGui::CalcTextSize("|v| = 1");
    if (const auto at = placer.place(*unitLabel, text.x, text.y, 4.0, {&*unitLabel, 1}))
      plot::paint::addText(drawList, ImVec2(float(at->x), float(at->y)), style.textDim, "|v| = 1");
  }
  plot::legend(frame, entries, plot::Corner::TopLeft);

  // Interaction: press on a tip selects it and starts a drag; Shift snaps the query-key angle to 45 degree steps.
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  if (canvasActivated) {
    const Picked picked = pickTip(frame, derived, mouse);
    state.dragKind = picked.kind;
    state.dragIndex = picked.index;
    if (picked.kind != VectorKind::None) {
      const bool isQuery = picked.kind == VectorKind::Query;
      state.dragStartVector = (isQuery ? scene.queries : scene.keys).row(picked.index).transpose();
      state.dragStart2d = (isQuery ? plane.queries2d : plane.keys2d).row(picked.index).transpose();
      state.dragBasis = plane.basis;
      if ((isQuery ? scene.selectedQuery : scene.selectedKey) != picked.index) {
        Scene next = scene;
        (isQuery ? next.selectedQuery : next.selectedKey) = picked.index;
        ctx.submit(std::move(next), isQuery ? "Select query" : "Select key");
      }
    }
  }
  if (!canvasActive) state.dragKind = VectorKind::None;
  if (canvasActive && state.dragKind != VectorKind::None && !canvasActivated) {
    const bool isQuery = state.dragKind == VectorKind::Query;
    const int index = state.dragIndex;
    const RowMatrix& points = isQuery ? scene.queries : scene.keys;
    if (index < points.rows() && state.dragBasis.rows() == scene.dimension() &&
        ImGui::IsMouseDragging(ImGuiMouseButton_Left, 0.0f)) {
      const plot::Point p = frame.toData(mouse);
      Eigen::Vector2f target(float(p.x), float(p.y));
      if (ImGui::GetIO().KeyShift) {
        const Eigen::Vector2f reference = (isQuery ? k2d : q2d) - origin2d;
        target = origin2d + snapAngle(target - origin2d, reference);
      }
      // Move the vector within the frozen projection plane: exact for d = 2, in-plane for PCA views.
      const Vector moved = state.dragStartVector + state.dragBasis * (target - state.dragStart2d);
      Scene next = scene;
      (isQuery ? next.queries : next.keys).row(index) = moved.transpose();
      const std::string& name = (isQuery ? scene.queryLabels : scene.keyLabels)[index];
      ctx.submit(std::move(next), "Drag " + name, gui::EditMerge::Continuous);
    }
  }

  // Hover readout: the vector under the mouse, its angle to the selected partner and the dot product.
  if (canvasHovered && state.dragKind == VectorKind::None) {
    const Picked picked = pickTip(frame, derived, mouse);
    if (picked.kind != VectorKind::None) {
      const bool isQuery = picked.kind == VectorKind::Query;
      const Vector v = (isQuery ? scene.queries : scene.keys).row(picked.index).transpose();
      const int partnerIndex = isQuery ? k : q;
      const Vector partner = (isQuery ? scene.keys : scene.queries).row(partnerIndex).transpose();
      const std::string& name = (isQuery ? scene.queryLabels : scene.keyLabels)[picked.index];
      const std::string& partnerName = (isQuery ? scene.keyLabels : scene.queryLabels)[partnerIndex];
      const double dot = v.cast<double>().dot(partner.cast<double>());
      ImGui::BeginTooltip();
      ImGui::Text("%s %s = %s, |%s| = %.3f", kindName(picked.kind), name.c_str(), vectorText(v).c_str(), name.c_str(),
                  v.norm());
      ImGui::Text("angle to %s: %.2f\xC2\xB0", partnerName.c_str(), angleDegrees(v, partner));
      ImGui::Text("%s . %s = %.4f    scaled x = s q.k = %.4f  (s = %.3f)", name.c_str(), partnerName.c_str(), dot,
                  dot * derived.scale, derived.scale);
      ImGui::TextDisabled("drag to move, Shift snaps the angle to 45\xC2\xB0 steps");
      ImGui::EndTooltip();
    } else if (const auto at = frame.hovered()) {
      ImGui::BeginTooltip();
      ImGui::Text("(%.3f, %.3f)", at->x, at->y);
      ImGui::EndTooltip();
    }
  }
  frame.end();

  if (!hint.empty()) ImGui::TextDisabled("%s", hint.c_str());
  if (table) drawTableEditor(ctx, tableHeight);
}

std::unique_ptr<gui::View> makeVectorCanvasView() {
  return std::make_unique<VectorCanvasView>();
}

}  // namespace attnscope::views
