// Gaussian-key density: the MGK mixture over the plane as a colour-mapped texture (normalised density, attention
// kernel, or the arg-max component map), iso-contours, component centres with sigma rings and prior bars, queries
// overlaid, soft/hard toggle; dragging a centre edits its shift/offset and the field follows live.
#include <algorithm>
#include <cmath>

#include "app/plot/paint.h"
#include "app/plot/plot_math.h"
#include "app/views/view_common.h"
#include "app/views/views.h"
#include "core/contours.h"

namespace attnscope::views {
namespace {

enum class FieldMode { Density = 0, Kernel = 1, Argmax = 2 };

/// UI state and per-revision caches (contours and the float copy of the arg-max map are derived from Derived once
/// per scene revision, not per frame).
struct DensityState {
  FieldMode mode = FieldMode::Density;
  bool contours = true;
  bool rings = true;
  // Drag of a component centre.
  int dragComponent = -1;
  Vector dragStartValue;  // the shift or offset row being edited, when the drag began
  Eigen::Vector2f dragStart2d;
  RowMatrix dragBasis;
  // Caches.
  std::uint64_t cachedRevision = 0;
  int cachedResolution = 0;  // the field is refined to full resolution after a drag without a new revision
  FieldMode cachedMode = FieldMode::Density;
  std::vector<ContourLevel> contourLevels;
  RowMatrix argmaxValues;
  std::uint64_t argmaxRevision = 0;
};
class DensityView final : public gui::View {
 public:
  /// Contours are derived data: computed here, before any view draws, only when the scene revision, the field mode
  /// or the resolution changed (a mode switched in this frame's controls shows from the next frame on).
  void update(AppContext& ctx) override {
    if (fieldReady(ctx.scene(), ctx.derived().density)) refreshContours(ctx.derived());
  }
  void draw(AppContext& ctx) override;

 private:
  DensityState state;  // this view's own UI state and caches: one per AppContext

  static bool fieldReady(const Scene& scene, const gui::DensityField& field) {
    const int R = std::max(scene.kernel.mgkComponents, 1);
    return field.resolution >= 2 && field.density.rows() >= 2 && field.centres2d.rows() == scene.keyCount() * R;
  }

  const RowMatrix& shownField(const gui::DensityField& field) {
    return state.mode == FieldMode::Kernel ? field.kernel : field.density;
  }

  void refreshContours(const Derived& derived) {
    if (state.cachedRevision == derived.sceneRevision && state.cachedMode == state.mode &&
        state.cachedResolution == derived.density.resolution)
      return;
    state.cachedRevision = derived.sceneRevision;
    state.cachedResolution = derived.density.resolution;
    state.cachedMode = state.mode;
    state.contourLevels.clear();
    const gui::DensityField& field = derived.density;
    const RowMatrix& values = shownField(field);
    if (state.mode == FieldMode::Argmax || values.rows() < 2 || values.cols() < 2) return;
    // Derived stores row 0 at yMin; the contour extractor expects row 0 at the top (largest v), as images do.
    // Contours come from at most 128 x 128 samples: on screen they look the same, and llvmpipe pays per segment.
    const int step = static_cast<int>(std::max<Eigen::Index>(1, (std::max(values.rows(), values.cols()) + 127) / 128));
    const int rows = static_cast<int>((values.rows() + step - 1) / step),
              cols = static_cast<int>((values.cols() + step - 1) / step);
    RowMatrix topDown(rows, cols);
    for (int y = 0; y < rows; ++y)
      for (int x = 0; x < cols; ++x)
        topDown(y, x) = values(values.rows() - 1 - std::min<Eigen::Index>(y * step, values.rows() - 1),
                               std::min<Eigen::Index>(x * step, values.cols() - 1));
    PlaneGrid grid;
    // Sample (y, x) of the subsampled field sits at the centre of original pixel (y * step, x * step).
    const float pixelU = (field.xMax - field.xMin) / float(values.cols()),
                pixelV = (field.yMax - field.yMin) / float(values.rows());
    grid.uMin = field.xMin + 0.5f * pixelU - 0.5f * step * pixelU;
    grid.uMax = grid.uMin + cols * step * pixelU;
    grid.vMax = field.yMax - 0.5f * pixelV + 0.5f * step * pixelV;
    grid.vMin = grid.vMax - rows * step * pixelV;
    grid.width = cols;
    grid.height = rows;
    try {
      state.contourLevels = isoContours(topDown, grid, evenlySpacedLevels(values.minCoeff(), values.maxCoeff(), 6));
    } catch (const std::exception&) {
      state.contourLevels.clear();  // a field the extractor refuses (NaN) simply shows no contours
    }
  }

  const RowMatrix& argmaxAsFloat(const Derived& derived) {
    if (state.argmaxRevision != derived.sceneRevision || state.argmaxValues.rows() != derived.density.resolution ||
        state.argmaxValues.size() == 0) {
      state.argmaxValues = derived.density.argmaxComponent.cast<float>();
      state.argmaxRevision = derived.sceneRevision;
    }
    return state.argmaxValues;
  }

  std::string componentName(const Scene& scene, int flat) {
    const int R = std::max(scene.kernel.mgkComponents, 1);
    const int j = flat / R, r = flat % R;
    const std::string key = j < int(scene.keyLabels.size()) ? scene.keyLabels[j] : "k" + std::to_string(j);
    return key + "." + std::to_string(r + 1);
  }

  void drawControls(AppContext& ctx) {
    const Scene& scene = ctx.scene();
    int mode = static_cast<int>(state.mode);
    ImGui::RadioButton("density p(x)", &mode, 0);
    itemTooltip("Normalised mixture p(x) = sum w N(x; k_jr, sigma_jr^2 I): a true probability density.");
    probeControl(ctx, "density/mode");
    sameLineIfFits(toggleWidth("attention kernel"));
    ImGui::RadioButton("attention kernel", &mode, 1);
    itemTooltip(
        "Unnormalised kernel sum pi_jr exp(-|x - k_jr|^2 / 2 sigma_jr^2): the MGK score a query at x would get.");
    sameLineIfFits(toggleWidth("arg-max component"));
    ImGui::RadioButton("arg-max component", &mode, 2);
    itemTooltip("Which component explains each point best: the region a query must be in to be claimed by it.");
    state.mode = static_cast<FieldMode>(mode);
    sameLineIfFits(toggleWidth("contours"));
    ImGui::Checkbox("contours", &state.contours);
    sameLineIfFits(toggleWidth("sigma rings"));
    ImGui::Checkbox("sigma rings", &state.rings);
    itemTooltip("Solid ring at 1 sigma, dashed ring at 2 sigma around every component centre.");
    sameLineIfFits(ImGui::CalcTextSize(" MGK:").x + ImGui::GetStyle().ItemSpacing.x + toggleWidth("soft"));
    ImGui::TextUnformatted(" MGK:");
    ImGui::SameLine();
    int variant = scene.display.mgkHard() ? 1 : 0;
    const bool soft = ImGui::RadioButton("soft", &variant, 0);
    itemTooltip("Soft MGK: S_ij = sum_r pi_jr exp(-|q - k_jr|^2 / 2 sigma^2), every component contributes.");
    sameLineIfFits(toggleWidth("hard"));
    const bool hard = ImGui::RadioButton("hard", &variant, 1);
    itemTooltip(
        "Hard MGK: S_ij = max_r exp(-|q - k_jr|^2 / 2 sigma^2), only the best component counts, priors ignored.");
    if (soft || hard) {
      Scene next = scene;
      next.display.showMgkVariant(variant == 1);
      if (next.display.shownKernels != scene.display.shownKernels) ctx.submit(std::move(next), "MGK variant");
    }
  }
};

}  // namespace

void DensityView::draw(AppContext& ctx) {
  const Scene& scene = ctx.scene();
  const Derived& derived = ctx.derived();
  if (showViewControls(ctx)) drawControls(ctx);  // presenter mode: the field only
  const gui::DensityField& field = derived.density;
  const int R = std::max(scene.kernel.mgkComponents, 1);
  if (!fieldReady(scene, field)) {
    ImGui::TextDisabled("(no density field computed for this scene yet)");
    return;
  }
  if (derived.plane.isPca)
    ImGui::TextColored(ImVec4(1.0f, 0.75f, 0.3f, 1.0f), "d = %d: the field is shown on the joint-PCA plane.",
                       scene.dimension());

  const float fontSize = ImGui::GetFontSize();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  // The hint under the plots, with the height it wraps to in this view (one line reserved left its second line below
  // the view at 1280x800 and 1920x1080).
  const std::string hint =
      ctx.exporting() || !showViewControls(ctx) ? std::string()
      : scene.kernel.mgkCentres == gui::MgkCentres::Shifted
          ? "Drag a centre to move it. Centres are shifted copies (sMGK): moving component r moves it for every key."
          : "Drag a centre to move that component's own offset from its key.";
  const float hintHeight = wrappedTextHeight(hint, avail.x);
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  // A wide window puts the priors beside the (square) field; a narrow one (the default 3 x 2 layout) below it.
  const bool stacked = avail.x < avail.y * 1.5f;
  const float usableHeight = avail.y - hintHeight - ImGui::GetStyle().ItemSpacing.y * (stacked ? 2 : 1);
  const float fieldHeight = std::max(stacked ? usableHeight * 0.7f : usableHeight, fontSize * 12.0f);
  const float priorsHeight = stacked ? std::max(usableHeight - fieldHeight, fontSize * 6.0f) : fieldHeight;

  gui::HeatmapStyle style;
  style.colorMap = scene.display.colorMap;
  const RowMatrix& values = state.mode == FieldMode::Argmax ? argmaxAsFloat(derived) : shownField(field);
  style.minValue = state.mode == FieldMode::Argmax ? 0.0f : values.minCoeff();
  style.maxValue = state.mode == FieldMode::Argmax ? float(std::max(scene.keyCount() * R - 1, 1)) : values.maxCoeff();
  if (!(style.maxValue > style.minValue)) style.maxValue = style.minValue + 1.0f;
  const plot::ColorBarSpec barSpec{state.mode == FieldMode::Kernel ? "kernel value" : "density p(x)",
                                   plot::Range{style.minValue, style.maxValue}, plot::Scale::Linear, true};
  const float barRoom = state.mode == FieldMode::Argmax
                            ? fontSize * 9.0f
                            : fontSize * 1.2f + plot::colorBarLabelWidth(barSpec, fontSize) + fontSize;

  // The field is square (equal aspect): give it a square-ish rectangle and the rest of the width to the priors.
  const float fieldWidth = stacked ? avail.x - barRoom - spacing
                                   : std::min(fieldHeight + fontSize * 3.0f, (avail.x - barRoom - 2 * spacing) * 0.72f);
  const float priorsWidth = stacked ? avail.x : avail.x - fieldWidth - barRoom - 2 * spacing;
  const plot::Rect rect = reserveRect("##density", ImVec2(fieldWidth, fieldHeight));
  const bool active = ImGui::IsItemActive(), activated = ImGui::IsItemActivated(), hovered = ImGui::IsItemHovered();
  plot::FrameSpec spec;
  spec.title = std::string(state.mode == FieldMode::Density  ? "Gaussian-key mixture density"
                           : state.mode == FieldMode::Kernel ? "MGK attention kernel over the plane"
                                                             : "Component that wins each point") +
               (scene.display.mgkHard() ? "  (hard)" : "  (soft)");
  spec.x.range = plot::Range{field.xMin, field.xMax};
  spec.y.range = plot::Range{field.yMin, field.yMax};
  spec.x.label = derived.plane.isPca ? "PC 1" : "x";
  spec.y.label = derived.plane.isPca ? "PC 2" : "y";
  spec.x.grid = spec.y.grid = false;
  spec.equalAspect = true;
  ImDrawList* drawList = ImGui::GetWindowDrawList();
  plot::Frame frame(drawList, rect, spec);

  // The field texture covers exactly [xMin, xMax] x [yMin, yMax]; Derived's row 0 is at yMin, so flip v.
  const unsigned texture = ctx.heatmaps().texture(state.mode == FieldMode::Argmax ? "density/argmax" : "density/field",
                                                  derived.sceneRevision, values, style);
  const ImVec2 fieldMin = frame.toPixel(field.xMin, field.yMax), fieldMax = frame.toPixel(field.xMax, field.yMin);
  if (texture != 0)
    drawList->AddImage((ImTextureID)(intptr_t)texture, fieldMin, fieldMax, ImVec2(0, 1), ImVec2(1, 0));
  else
    plot::addCentredText(drawList, frame.area().GetCenter(), frame.style().textDim, "(no GL: field unavailable)");
  if (field.coarse)
    plot::paint::addText(drawList, ImVec2(frame.area().Min.x + 4, frame.area().Min.y + 2), frame.style().text,
                         "coarse field while dragging");

  if (state.contours) {
    for (std::size_t l = 0; l < state.contourLevels.size(); ++l) {
      const ImU32 color =
          IM_COL32(255, 255, 255, 110 + int(100 * l / std::max<std::size_t>(state.contourLevels.size(), 1)));
      for (const ContourSegment& s : state.contourLevels[l].segments)
        drawList->AddLine(frame.toPixel(s.u0, s.v0), frame.toPixel(s.u1, s.v1), color, 1.0f);
    }
  }

  // Component centres with sigma rings and prior bars.
  const float pixelsPerUnit = frame.toPixel(1.0, 0.0).x - frame.toPixel(0.0, 0.0).x;
  // Many components (random clouds, the benchmark): 1-sigma rings only and labels only for the selected key's
  // components; hundreds of labels and dashed rings would hide the field and dominate the frame time.
  const bool crowded = field.centres2d.rows() > 24;
  // Beyond 256 components every ring overlaps dozens of others (and 1024 rings were half the frame's triangles):
  // only the selected key's rings are drawn, and the plot says so.
  const bool ringsSelectedOnly = field.centres2d.rows() > 256;
  // Labels are placed after every marker is drawn, where they fit inside the plot without covering a marker or each
  // other (plot::LabelPlacer); a label with no room is left out (the hover readout names every component).
  struct PendingLabel {
    ImVec2 anchor;
    std::string text;
    ImU32 backdrop;
    bool preferLeft;
  };
  std::vector<PendingLabel> pending;
  const plot::Rect& area = frame.area();
  plot::LabelPlacer placer({area.Min.x, area.Min.y, area.Max.x, area.Max.y});
  for (int c = 0; c < field.centres2d.rows(); ++c) {
    const int j = c / R, r = c % R;
    const ImVec2 p = frame.toPixel(field.centres2d(c, 0), field.centres2d(c, 1));
    const float variance = j < scene.kernel.mgkVariances.rows() && r < scene.kernel.mgkVariances.cols()
                               ? scene.kernel.mgkVariances(j, r)
                               : 0.0f;
    const float sigma = std::sqrt(std::max(variance, 0.0f)) * pixelsPerUnit;
    const ImU32 color = plot::seriesColor(5 + r, 1.0f);
    if (state.rings && sigma > 1.0f && crowded && (!ringsSelectedOnly || j == scene.selectedKey))
      drawList->AddCircle(p, sigma, withAlpha(color, 0.6f), 16, 1.0f);
    if (state.rings && sigma > 1.0f && !crowded) {
      drawList->AddCircle(p, sigma, withAlpha(color, 0.95f), 64, 2.0f);
      const int dashes = 48;
      for (int k = 0; k < dashes; k += 2) {
        const float a0 = 2.0f * 3.14159265f * k / dashes, a1 = 2.0f * 3.14159265f * (k + 1) / dashes;
        drawList->AddLine(ImVec2(p.x + 2 * sigma * std::cos(a0), p.y + 2 * sigma * std::sin(a0)),
                          ImVec2(p.x + 2 * sigma * std::cos(a1), p.y + 2 * sigma * std::sin(a1)),
                          withAlpha(color, 0.4f), 1.0f);
      }
    }
    if (crowded && j != scene.selectedKey) {
      drawList->AddRectFilled(ImVec2(p.x - 2.5f, p.y - 2.5f), ImVec2(p.x + 2.5f, p.y + 2.5f), color);
      continue;
    }
    drawList->AddCircleFilled(p, 5.0f, color, 16);
    drawList->AddCircle(p, 5.0f, IM_COL32(0, 0, 0, 255), 16, 1.0f);
    placer.addObstacle({p.x - 6.0, p.y - 6.0, p.x + 6.0, p.y + 6.0});
    // Component 1 prefers the left of its centre, the others the right: a key's components then label outwards.
    pending.push_back({p, R > 1 ? componentName(scene, c) : scene.keyLabels[j], IM_COL32(0, 0, 0, 150), r == 0});
  }
  if (state.rings && ringsSelectedOnly)
    plot::paint::addText(drawList, ImVec2(frame.area().Min.x + 4, frame.area().Max.y - fontSize - 2),
                         frame.style().text, "sigma rings: selected key only");
  // Queries on top (labelled all when few, only the selected one in a crowd).
  for (int i = 0; i < derived.plane.queries2d.rows(); ++i) {
    const ImVec2 p = frame.toPixel(derived.plane.queries2d(i, 0), derived.plane.queries2d(i, 1));
    if (crowded && i != scene.selectedQuery) {
      plot::ScopedAliasedFill aliased(drawList);  // a crowd's diamonds: no fringe triangles
      drawList->AddQuadFilled(ImVec2(p.x, p.y - 4), ImVec2(p.x + 4, p.y), ImVec2(p.x, p.y + 4), ImVec2(p.x - 4, p.y),
                              queryColor());
      continue;
    }
    drawList->AddQuadFilled(ImVec2(p.x, p.y - 7), ImVec2(p.x + 7, p.y), ImVec2(p.x, p.y + 7), ImVec2(p.x - 7, p.y),
                            queryColor());
    drawList->AddQuad(ImVec2(p.x, p.y - 7), ImVec2(p.x + 7, p.y), ImVec2(p.x, p.y + 7), ImVec2(p.x - 7, p.y),
                      IM_COL32(255, 255, 255, 255), 1.5f);
    placer.addObstacle({p.x - 8.0, p.y - 8.0, p.x + 8.0, p.y + 8.0});
    pending.push_back({p, scene.queryLabels[i], withAlpha(queryColor(), 0.75f), false});
  }
  for (const PendingLabel& label : pending) {
    // The backdrop reaches 2 px beyond the text sideways and 1 px up and down (labelWithBackdrop).
    const ImVec2 text = ImGui::CalcTextSize(label.text.c_str());
    const double width = text.x + 4.0, height = text.y + 2.0;
    const plot::Point side{label.preferLeft ? label.anchor.x - 9.0 - width : label.anchor.x + 9.0,
                           label.anchor.y - height * 0.5};
    if (const auto at = placer.place({label.anchor.x, label.anchor.y}, width, height, 9.0, {&side, 1}))
      labelWithBackdrop(drawList, ImVec2(float(at->x + 2.0), float(at->y + 1.0)), IM_COL32(255, 255, 255, 255),
                        label.text, label.backdrop);
  }

  // Dragging a centre: its shift (sMGK, shared by every key) or its own offset moves within the projection plane.
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  if (activated) {
    state.dragComponent = -1;
    float best = 14.0f * 14.0f;
    for (int c = 0; c < field.centres2d.rows(); ++c) {
      const ImVec2 p = frame.toPixel(field.centres2d(c, 0), field.centres2d(c, 1));
      const float d2 = (p.x - mouse.x) * (p.x - mouse.x) + (p.y - mouse.y) * (p.y - mouse.y);
      if (d2 <= best) best = d2, state.dragComponent = c;
    }
    if (state.dragComponent >= 0) {
      const int c = state.dragComponent;
      state.dragStartValue = scene.kernel.mgkCentres == gui::MgkCentres::Shifted
                                 ? Vector(scene.kernel.mgkShifts.row(c % R).transpose())
                                 : Vector(scene.kernel.mgkOffsets.row(c).transpose());
      state.dragStart2d = field.centres2d.row(c).transpose();
      state.dragBasis = derived.plane.basis;
    }
  }
  if (!active) state.dragComponent = -1;
  if (active && !activated && state.dragComponent >= 0 && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 0.0f) &&
      state.dragBasis.rows() == scene.dimension()) {
    const plot::Point p = frame.toData(mouse);
    const Eigen::Vector2f delta = Eigen::Vector2f(float(p.x), float(p.y)) - state.dragStart2d;
    const Vector moved = state.dragStartValue + state.dragBasis * delta;
    Scene next = scene;
    const int c = state.dragComponent;
    if (scene.kernel.mgkCentres == gui::MgkCentres::Shifted) {
      if (c % R < next.kernel.mgkShifts.rows()) next.kernel.mgkShifts.row(c % R) = moved.transpose();
    } else if (c < next.kernel.mgkOffsets.rows()) {
      next.kernel.mgkOffsets.row(c) = moved.transpose();
    }
    ctx.submit(std::move(next), "Move component " + componentName(scene, c), gui::EditMerge::Continuous);
  }
  if (hovered && state.dragComponent < 0) {
    if (const auto at = frame.hovered()) {
      const int res = field.resolution;
      const int column = std::clamp(int((at->x - field.xMin) / (field.xMax - field.xMin) * res), 0, res - 1);
      const int row = std::clamp(int((at->y - field.yMin) / (field.yMax - field.yMin) * res), 0, res - 1);
      ImGui::BeginTooltip();
      ImGui::Text("(%.3f, %.3f)", at->x, at->y);
      if (row < field.density.rows() && column < field.density.cols())
        ImGui::Text("density p(x) = %.5g\nkernel = %.5g\nbest component: %s", field.density(row, column),
                    field.kernel(row, column), componentName(scene, field.argmaxComponent(row, column)).c_str());
      ImGui::EndTooltip();
    }
  }
  frame.end();

  ImGui::SameLine();
  const plot::Rect side = reserveRect("##densityside", ImVec2(barRoom, fieldHeight));
  if (state.mode == FieldMode::Argmax) {
    // Legend of the arg-max colours: component c gets the colour map at c / (C - 1), as the texture does.
    const int count = field.centres2d.rows();
    float y = side.Min.y + fontSize * 2.0f;
    for (int c = 0; c < count && y < side.Max.y - fontSize; ++c, y += fontSize + 4) {
      const float t = normaliseValue(float(c), style.minValue, style.maxValue, false);
      const Rgb8 rgb = colorMapLookup(style.colorMap, t);
      drawList->AddRectFilled(ImVec2(side.Min.x + 4, y), ImVec2(side.Min.x + 4 + fontSize, y + fontSize),
                              IM_COL32(rgb[0], rgb[1], rgb[2], 255));
      drawList->AddText(ImVec2(side.Min.x + 8 + fontSize, y), ImGui::GetColorU32(ImGuiCol_Text),
                        componentName(scene, c).c_str());
    }
  } else {
    plot::colorBar(drawList,
                   plot::Rect(side.Min.x, side.Min.y + fontSize * 2.0f, side.Min.x + fontSize * 1.2f,
                              side.Max.y - fontSize * 3.5f),
                   barSpec, colorMapColors(style.colorMap));
  }

  // Priors of every component as grouped bars: one group per key, one bar per component.
  if (!stacked) ImGui::SameLine();
  const plot::Rect priorsRect = reserveRect("##priors", ImVec2(priorsWidth, priorsHeight));
  {
    plot::FrameSpec bars;
    bars.title = scene.display.mgkHard() ? "Priors pi_jr (ignored by hard MGK)" : "Priors pi_jr (clamped to [0, 1])";
    bars.x.categories = scene.keyLabels;
    bars.y.range = plot::Range{0.0, 1.0};
    bars.y.label = "prior";
    plot::Frame priorFrame(drawList, priorsRect, bars);
    std::vector<std::vector<double>> values(R);
    std::vector<ImU32> colors;
    for (int r = 0; r < R; ++r) {
      colors.push_back(plot::seriesColor(5 + r));
      for (int j = 0; j < scene.keyCount(); ++j)
        values[r].push_back(j < scene.kernel.mgkPriors.rows() && r < scene.kernel.mgkPriors.cols()
                                ? scene.kernel.mgkPriors(j, r)
                                : 0.0);
    }
    plot::groupedBars(priorFrame, values, colors);
    std::vector<plot::LegendEntry> legend;
    for (int r = 0; r < R; ++r)
      legend.push_back({"component " + std::to_string(r + 1), colors[r], plot::LegendEntry::Kind::Box});
    plot::legend(priorFrame, legend, plot::Corner::TopRight);
  }
  // How to edit: not in an exported figure, nor in presenter mode (no controls; the plots need the height).
  if (!hint.empty()) ImGui::TextDisabled("%s", hint.c_str());
}

std::unique_ptr<gui::View> makeDensityView() {
  return std::make_unique<DensityView>();
}

}  // namespace attnscope::views
