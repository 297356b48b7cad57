// Long map: the attention map of a whole long sequence (one head of a capture without attention, or the scene's
// vectors) for every ticked kernel side by side at the same zoom, computed exactly and in the background by
// MapImageWorker (coarse first; the frame never waits). Wheel zoom about the cursor down to single cells, drag to
// pan, token labels once cells are large enough, hover values (exact weight per kernel), minimap, one colour scale.
#include <algorithm>
#include <cmath>
#include <string>

#include "app/gui/imgui_bridge.h"
#include "app/gui/long_map.h"
#include "app/views/view_common.h"
#include "app/views/view_probe.h"
#include "app/views/views.h"

namespace attnscope::views {
namespace {

using Eigen::Index;
using gui::LongMapState;

constexpr double kWheelZoom = 1.25, kKeyZoom = 2.0, kKeyPanFraction = 0.125;

/// `text` cut (with "..") to at most `width` pixels.
std::string fitted(const std::string& text, float width) {
  if (ImGui::CalcTextSize(text.c_str()).x <= width) return text;
  std::string cut = text;
  while (!cut.empty() && ImGui::CalcTextSize((cut + "..").c_str()).x > width) cut.pop_back();
  return cut.empty() ? std::string() : cut + "..";
}

/// Label every `stride`-th cell, stride from 1, 2, 5, 10, 20, 50, ...: the smallest that gives each label
/// `labelPixels` when cells are `cellPixels` wide.
Index tickStride(double cellPixels, float labelPixels) {
  for (Index decade = 1;; decade *= 10)
    for (Index step : {Index(1), Index(2), Index(5)})
      if (double(step * decade) * cellPixels >= labelPixels || decade > (Index(1) << 40)) return step * decade;
}

constexpr const char* kShortcuts =
    "Mouse wheel: zoom about the cursor (down to single cells); drag: pan.\n"
    "Keys (window focused): + / - zoom, arrows pan, 0 resets the zoom.";

/// Places widgets left to right, starting a new line when the next one (its width estimated) would pass the window's
/// right edge: a narrow view wraps its controls instead of cutting them off.
class ControlFlow {
 public:
  ControlFlow() : right_(ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x) {}
  void next(float width) {
    if (!first_ && ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x + width <= right_) ImGui::SameLine();
    first_ = false;
  }
  static float labelled(float fieldWidth, const char* label) {
    return fieldWidth + ImGui::GetStyle().ItemInnerSpacing.x + ImGui::CalcTextSize(label).x;
  }
  static float button(const char* label) {
    return ImGui::CalcTextSize(label).x + 2.0f * ImGui::GetStyle().FramePadding.x;
  }
  static float checkbox(const char* label) { return labelled(ImGui::GetFrameHeight(), label); }

 private:
  float right_;
  bool first_ = true;
};

void drawControls(AppContext& ctx, LongMapState& state) {
  ControlFlow flow;
  const float fieldWidth = ImGui::GetFontSize() * 5.0f;
  if (const model::CaptureSummary* summary = state.captureSummary()) {
    int layer = state.layer(), head = state.head();
    flow.next(ControlFlow::labelled(fieldWidth, "layer"));
    ImGui::SetNextItemWidth(fieldWidth);
    bool changed = ImGui::InputInt("layer", &layer);
    flow.next(ControlFlow::labelled(fieldWidth, "head"));
    ImGui::SetNextItemWidth(fieldWidth);
    changed |= ImGui::InputInt("head", &head);
    if (changed) {
      try {
        state.selectHead(std::clamp(layer, 0, summary->layers - 1), std::clamp(head, 0, summary->heads - 1));
      } catch (const std::exception& e) {
        ctx.reportError(e.what());
      }
    }
    probeControl(ctx, "longmap/head");
    flow.next(ControlFlow::button("show the scene"));
    if (ImGui::Button("show the scene")) state.closeCapture();
    itemTooltip("Leave the capture and show the scene's queries and keys.");
  }
  for (Kernel kernel : kAllKernels) {
    bool shown = state.kernelShown(kernel);
    flow.next(ControlFlow::checkbox(kernelShortLabel(kernel).c_str()));
    ImGui::PushStyleColor(ImGuiCol_CheckMark, kernelColor(kernel));
    if (ImGui::Checkbox(kernelShortLabel(kernel).c_str(), &shown)) state.setKernelShown(kernel, shown);
    ImGui::PopStyleColor();
    itemTooltip("Kernels shown side by side at the same zoom (each adds one normaliser pass over the map).");
  }
  flow.next(ControlFlow::labelled(fieldWidth, "pooling"));
  ImGui::SetNextItemWidth(fieldWidth);
  int pooling = static_cast<int>(state.pooling);
  if (ImGui::Combo("pooling", &pooling, "max\0mean\0sum\0")) state.pooling = static_cast<Pooling>(pooling);
  itemTooltip(
      "What a pixel covering many cells shows: the largest weight (a single sharp cell stays visible), the mean, or "
      "the sum. Once a pixel covers at most one cell, the exact weights are shown.");
  flow.next(ControlFlow::checkbox("log colour scale"));
  ImGui::Checkbox("log colour scale", &state.logScale);
  itemTooltip("Colour by log10(weight) over six decades below the largest shown value.");
  flow.next(ControlFlow::button("reset zoom"));
  if (ImGui::Button("reset zoom")) state.resetZoom();
  itemTooltip(kShortcuts);
  probeControl(ctx, "longmap/reset");
  flow.next(ImGui::CalcTextSize("(?)").x);
  ImGui::TextDisabled("(?)");
  itemTooltip(kShortcuts);
}

void handleKeys(LongMapState& state) {
  if (!ImGui::IsWindowFocused(ImGuiFocusedFlags_RootAndChildWindows) || ImGui::GetIO().WantTextInput) return;
  const MapViewport& v = state.viewport();
  // + - 0 as typed characters (main keyboard or keypad, any layout): ImGui 1.86 samples key state once per frame and
  // would lose a press and release between two frames, but it queues every character.
  for (const ImWchar c : ImGui::GetIO().InputQueueCharacters) {
    if (c == '+' || c == '=') state.zoomCentre(kKeyZoom);
    if (c == '-') state.zoomCentre(1.0 / kKeyZoom);
    if (c == '0') state.resetZoom();
  }
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_LeftArrow))) state.pan(0, -kKeyPanFraction * v.colSpan);
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_RightArrow))) state.pan(0, kKeyPanFraction * v.colSpan);
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_UpArrow))) state.pan(-kKeyPanFraction * v.rowSpan, 0);
  if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_DownArrow))) state.pan(kKeyPanFraction * v.rowSpan, 0);
}

/// Screen rectangle of a map region under the viewport `v` drawn into `area`.
plot::Rect regionRect(const plot::Rect& area, const MapViewport& v, double row0, double row1, double col0,
                      double col1) {
  const double sx = area.GetWidth() / v.colSpan, sy = area.GetHeight() / v.rowSpan;
  return plot::Rect(float(area.Min.x + (col0 - v.colBegin) * sx), float(area.Min.y + (row0 - v.rowBegin) * sy),
                    float(area.Min.x + (col1 - v.colBegin) * sx), float(area.Min.y + (row1 - v.rowBegin) * sy));
}

void drawMinimap(AppContext& ctx, LongMapState& state, const plot::Rect& box, const gui::HeatmapStyle& style) {
  ImDrawList* drawList = ImGui::GetWindowDrawList();
  const plot::Style plotStyle = plot::Style::fromImGui();
  // The whole map keeps its aspect ratio inside the box.
  const double aspect = double(state.cols()) / double(state.rows());
  const float w = aspect >= 1 ? box.GetWidth() : float(box.GetHeight() * aspect);
  const float h = aspect >= 1 ? float(box.GetWidth() / aspect) : box.GetHeight();
  const plot::Rect whole(box.Min, ImVec2(box.Min.x + w, box.Min.y + h));
  drawList->AddRectFilled(whole.Min, whole.Max, withAlpha(plotStyle.textDim, 0.25f));
  if (state.minimap().size() > 0) {
    gui::HeatmapStyle minimapStyle = style;
    minimapStyle.maxValue = std::max(state.minimap().maxCoeff(), 1e-30f);
    minimapStyle.minValue = style.logScale ? minimapStyle.maxValue * 1e-6f : 0.0f;
    const unsigned texture =
        ctx.heatmaps().texture("longmap/minimap", state.minimapRevision(), state.minimap(), minimapStyle);
    if (texture != 0) drawList->AddImage((ImTextureID)(intptr_t)texture, whole.Min, whole.Max);
  }
  const MapViewport& v = state.viewport();
  const float sx = w / float(state.cols()), sy = h / float(state.rows());
  ImVec2 a(whole.Min.x + float(v.colBegin) * sx, whole.Min.y + float(v.rowBegin) * sy);
  ImVec2 b(a.x + float(v.colSpan) * sx, a.y + float(v.rowSpan) * sy);
  // At deep zoom the viewport is a fraction of a pixel: keep a marker of at least 5 pixels centred on it.
  const ImVec2 centre((a.x + b.x) * 0.5f, (a.y + b.y) * 0.5f);
  if (b.x - a.x < 5) a.x = centre.x - 2.5f, b.x = centre.x + 2.5f;
  if (b.y - a.y < 5) a.y = centre.y - 2.5f, b.y = centre.y + 2.5f;
  drawList->AddRect(ImVec2(a.x - 1, a.y - 1), ImVec2(b.x + 1, b.y + 1), IM_COL32(0, 0, 0, 255), 0, 0, 1.0f);
  drawList->AddRect(a, b, IM_COL32(255, 255, 255, 255), 0, 0, 1.0f);
  drawList->AddRect(whole.Min, whole.Max, plotStyle.border);
  auto& probe = ctx.viewProbe();
  probe.longMapMinimap = {whole.Min.x, whole.Min.y, whole.Max.x, whole.Max.y};
  // Click or drag on the minimap centres the viewport there.
  ImGui::SetCursorScreenPos(whole.Min);
  ImGui::InvisibleButton("##minimap", ImVec2(std::max(w, 1.0f), std::max(h, 1.0f)));
  if (ImGui::IsItemActive()) {
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    MapViewport moved = v;
    moved.rowBegin = (mouse.y - whole.Min.y) / sy - 0.5 * v.rowSpan;
    moved.colBegin = (mouse.x - whole.Min.x) / sx - 0.5 * v.colSpan;
    state.setViewport(moved);
  }
  itemTooltip("The whole map; the white rectangle is the part shown. Click or drag to move there.");
}

/// The view object holds nothing itself: what it shows (capture, viewport, worker, images) is the context's
/// LongMapState, which the opening paths (drop, --open, the explorer) set too.
class LongMapView final : public gui::View {
 public:
  void draw(AppContext& ctx) override;
};

}  // namespace

void LongMapView::draw(AppContext& ctx) {
  LongMapState& state = ctx.longMap();
  const Scene& scene = ctx.scene();
  state.sync(scene);
  if (showViewControls(ctx)) drawControls(ctx, state);
  if (state.rows() < 1 || state.cols() < 1) {
    ImGui::TextDisabled("(no queries or keys to map)");
    return;
  }
  handleKeys(state);

  const std::vector<Kernel> kernels = state.shownKernels();
  const MapViewport& v0 = state.viewport();
  const MapRegion region = viewportRegion(v0, state.limits());
  {
    std::string source = state.hasCapture() ? state.capturePath() + "  layer " + std::to_string(state.layer()) +
                                                  ", head " + std::to_string(state.head())
                                            : std::string("scene");
    ImGui::TextWrapped("%s  %lld x %lld%s   rows %lld-%lld, columns %lld-%lld   zoom %.4gx", source.c_str(),
                       (long long)state.rows(), (long long)state.cols(), state.causal() ? " causal" : "",
                       (long long)region.rowBegin, (long long)region.rowEnd - 1, (long long)region.colBegin,
                       (long long)region.colEnd - 1, double(state.rows()) / v0.rowSpan);
    if (state.computing() && !ctx.exporting()) {
      ImGui::SameLine();
      ImGui::TextDisabled("computing...");
    }
  }
  if (const std::string error = state.error(); !error.empty())
    ImGui::TextColored(ImVec4(1, 0.35f, 0.35f, 1), "%s", error.c_str());

  const float fontSize = ImGui::GetFontSize();
  const float lineHeight = ImGui::GetTextLineHeight();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  const plot::Style plotStyle = plot::Style::fromImGui();
  const ImVec2 framebufferScale = ImGui::GetIO().DisplayFramebufferScale;

  // Right of the maps: the shared colour bar with its labels, then the minimap.
  const plot::ColorBarSpec barSpec{"weight" + std::string(state.logScale ? " (log)" : ""),
                                   plot::Range{state.colourMin(), state.colourMax()},
                                   state.logScale ? plot::Scale::Log : plot::Scale::Linear, true};
  const float barWidth = fontSize * 1.2f, barLabels = plot::colorBarLabelWidth(barSpec, fontSize) + fontSize;
  const float minimapSide = std::floor(std::clamp(avail.x * 0.12f, fontSize * 6.0f, fontSize * 9.0f));
  const float rightWidth = std::ceil(spacing) + barWidth + barLabels + std::ceil(spacing) + minimapSide;
  // Row labels only left of the first map, room for "32767:token".
  // Whole pixels, so that texel p of an image lands exactly on pixel p of its map (tests read cells back).
  const float rowLabelRoom = std::ceil(ImGui::CalcTextSize("000000:wwwww").x + plotStyle.padding);
  const float titleHeight = std::ceil(lineHeight + plotStyle.padding);
  const float columnLabelRoom = 2.0f * lineHeight + plotStyle.padding * 2.0f;  // labels, then the axis title
  const float count = float(kernels.size());
  const float mapWidthAvail = std::floor((avail.x - rowLabelRoom - rightWidth - spacing * (count + 1.0f)) / count);
  const float mapHeightAvail = avail.y - titleHeight - columnLabelRoom - lineHeight;
  // Square pixels per cell when the whole map is shown: the maps keep the N : M shape.
  const double aspect = double(state.cols()) / double(state.rows());
  float mapWidth = mapWidthAvail, mapHeight = float(mapWidthAvail / aspect);
  if (mapHeight > mapHeightAvail) mapHeight = mapHeightAvail, mapWidth = float(mapHeightAvail * aspect);
  mapWidth = std::floor(std::max(mapWidth, fontSize * 4.0f));
  mapHeight = std::floor(std::max(mapHeight, fontSize * 4.0f));

  const Index pixelRows = std::max<Index>(1, Index(std::lround(mapHeight * framebufferScale.y)));
  const Index pixelCols = std::max<Index>(1, Index(std::lround(mapWidth * framebufferScale.x)));
  state.request(pixelRows, pixelCols);
  if (ctx.exporting()) {
    state.waitForImages();  // an exported frame shows the finished map (the window never waits)
  } else {
    state.collect();
  }

  gui::HeatmapStyle style;
  style.colorMap = scene.display.colorMap;
  style.logScale = state.logScale;
  style.maxValue = state.colourMax();
  style.minValue = state.logScale ? state.colourMin() : 0.0f;

  ImDrawList* drawList = ImGui::GetWindowDrawList();
  const ImVec2 origin(std::floor(ImGui::GetCursorScreenPos().x), std::floor(ImGui::GetCursorScreenPos().y));
  auto& probe = ctx.viewProbe();
  probe.longMapAreas.assign(kernels.size(), {});
  const MapViewport v = state.viewport();
  const double cellWidth = mapWidth / v.colSpan, cellHeight = mapHeight / v.rowSpan;
  std::optional<std::pair<Index, Index>> hovered;
  bool zoomed = false;

  for (std::size_t k = 0; k < kernels.size(); ++k) {
    const float x0 = origin.x + rowLabelRoom + float(k) * (mapWidth + std::ceil(spacing));
    const plot::Rect area(ImVec2(x0, origin.y + titleHeight),
                          ImVec2(x0 + mapWidth, origin.y + titleHeight + mapHeight));
    probe.longMapAreas[k] = {area.Min.x, area.Min.y, area.Max.x, area.Max.y};
    plot::addCentredText(drawList, ImVec2(area.GetCenter().x, origin.y + lineHeight * 0.5f), kernelColor(kernels[k]),
                         fitted(kernelShortLabel(kernels[k]) + (state.causal() ? "  (causal)" : ""), mapWidth));
    ImGui::SetCursorScreenPos(area.Min);
    reserveRect(("##longmap" + std::to_string(k)).c_str(), area.GetSize());
    gui::claimMouseWheelForItem();  // the wheel zooms the map instead of scrolling the window
    const bool active = ImGui::IsItemActive(), hoveredItem = ImGui::IsItemHovered();
    drawList->AddRectFilled(area.Min, area.Max, withAlpha(plotStyle.textDim, 0.25f));
    drawList->PushClipRect(area.Min, area.Max, true);
    if (k < state.images().size()) {
      const LongMapState::ShownImage& shown = state.images()[k];
      const MapImage& image = shown.image;
      if (image.values.size() > 0) {
        gui::HeatmapStyle imageStyle = style;
        imageStyle.shownWidth = int(image.values.cols());
        imageStyle.shownHeight = int(image.values.rows());
        const unsigned texture = ctx.heatmaps().texture("longmap/" + std::string(kernelName(kernels[k])),
                                                        shown.revision, image.values, imageStyle);
        // An older answer is drawn where its region lies in the current viewport: zooming stays smooth while the
        // worker computes the new one.
        const plot::Rect at = regionRect(area, v, double(image.region.rowBegin), double(image.region.rowEnd),
                                         double(image.region.colBegin), double(image.region.colEnd));
        if (texture != 0) {
          drawList->AddImage((ImTextureID)(intptr_t)texture, at.Min, at.Max);
        } else {
          plot::addCentredText(drawList, area.GetCenter(), plotStyle.textDim, "(no GL: map unavailable)");
        }
      }
    }
    // Cell grid once cells are large.
    if (cellWidth >= 12.0 && cellHeight >= 12.0) {
      const ImU32 grid = IM_COL32(0, 0, 0, 70);
      for (Index j = region.colBegin; j <= region.colEnd; ++j) {
        const float x = std::round(float(area.Min.x + (double(j) - v.colBegin) * cellWidth));
        drawList->AddLine(ImVec2(x, area.Min.y), ImVec2(x, area.Max.y), grid);
      }
      for (Index i = region.rowBegin; i <= region.rowEnd; ++i) {
        const float y = std::round(float(area.Min.y + (double(i) - v.rowBegin) * cellHeight));
        drawList->AddLine(ImVec2(area.Min.x, y), ImVec2(area.Max.x, y), grid);
      }
    }
    drawList->PopClipRect();
    // The frame lies outside the area: the first and last pixel rows and columns are map cells too (a sink column).
    drawList->AddRect(ImVec2(area.Min.x - 1, area.Min.y - 1), ImVec2(area.Max.x + 1, area.Max.y + 1), plotStyle.border);

    // Mouse: wheel zooms about the cell under the cursor, dragging pans (one viewport for every map).
    if (hoveredItem && !ctx.exporting()) {
      const ImVec2 mouse = ImGui::GetIO().MousePos;
      const double row = v.rowBegin + (mouse.y - area.Min.y) / cellHeight;
      const double col = v.colBegin + (mouse.x - area.Min.x) / cellWidth;
      const float wheel = ImGui::GetIO().MouseWheel;
      if (wheel != 0.0f && !zoomed) {
        state.zoom(std::pow(kWheelZoom, double(wheel)), row, col);
        zoomed = true;
      }
      hovered = std::make_pair(std::clamp<Index>(Index(std::floor(row)), 0, state.rows() - 1),
                               std::clamp<Index>(Index(std::floor(col)), 0, state.cols() - 1));
    }
    if (active && ImGui::IsMouseDragging(ImGuiMouseButton_Left, 0.0f)) {
      const ImVec2 delta = ImGui::GetIO().MouseDelta;
      state.pan(-delta.y / cellHeight, -delta.x / cellWidth);
    }

    // Column labels under every map: the tokens once each fits its cell, else the column indices at a stride that
    // leaves room between them. A label is drawn only when all of it lies beside its own map.
    const float labelY = area.Max.y + plotStyle.padding * 0.5f;
    const float halfGap = std::ceil(spacing) * 0.5f;
    auto columnText = [&](Index j, bool tokens) { return tokens ? state.columnLabel(j) : std::to_string(j); };
    bool columnTokens = cellWidth >= fontSize * 2.0;
    if (columnTokens)
      for (Index j = region.colBegin; j < region.colEnd && columnTokens; ++j)
        columnTokens = ImGui::CalcTextSize(state.columnLabel(j).c_str()).x + plotStyle.padding <= cellWidth;
    const Index columnStride =
        columnTokens ? 1
                     : tickStride(cellWidth, ImGui::CalcTextSize(std::to_string(region.colEnd - 1).c_str()).x +
                                                 2.0f * plotStyle.padding);
    for (Index j = (region.colBegin + columnStride - 1) / columnStride * columnStride; j < region.colEnd;
         j += columnStride) {
      const std::string text = columnText(j, columnTokens);
      const float x = float(area.Min.x + (double(j) + 0.5 - v.colBegin) * cellWidth);
      const float half = ImGui::CalcTextSize(text.c_str()).x * 0.5f;
      if (x - half < area.Min.x - halfGap || x + half > area.Max.x + halfGap) continue;
      plot::addCentredText(drawList, ImVec2(x, labelY + lineHeight * 0.5f), plotStyle.text, text);
    }
    plot::addCentredText(drawList, ImVec2(area.GetCenter().x, labelY + lineHeight * 1.5f + plotStyle.padding * 0.5f),
                         plotStyle.textDim, "key");

    // Row labels left of the first map only (the maps share their rows): tokens once a line fits a cell, else the
    // row indices at a stride.
    if (k == 0) {
      const float right = area.Min.x - plotStyle.padding * 0.5f;
      const float room = rowLabelRoom - plotStyle.padding - lineHeight;  // the vertical "query" takes the left edge
      const bool rowTokens = cellHeight >= lineHeight;
      const Index rowStride = rowTokens ? 1 : tickStride(cellHeight, lineHeight * 1.5f);
      for (Index i = (region.rowBegin + rowStride - 1) / rowStride * rowStride; i < region.rowEnd; i += rowStride) {
        const float y = float(area.Min.y + (double(i) + 0.5 - v.rowBegin) * cellHeight);
        if (y - lineHeight * 0.5f < area.Min.y - 1.0f || y + lineHeight * 0.5f > area.Max.y + 1.0f) continue;
        const std::string text = fitted(rowTokens ? state.rowLabel(i) : std::to_string(i), room);
        drawList->AddText(ImVec2(right - ImGui::CalcTextSize(text.c_str()).x, y - lineHeight * 0.5f), plotStyle.text,
                          text.c_str());
      }
      plot::addVerticalText(drawList, ImVec2(origin.x + lineHeight * 0.5f, area.GetCenter().y), plotStyle.textDim,
                            "query");
    }
  }

  // Hover: the cell's tokens and exact weight under every kernel, and the cell outlined in every map.
  if (hovered) {
    const auto [row, col] = *hovered;
    for (std::size_t k = 0; k < kernels.size(); ++k) {
      const auto& a = probe.longMapAreas[k];
      const plot::Rect area(ImVec2(a.x0, a.y0), ImVec2(a.x1, a.y1));
      const plot::Rect cell = regionRect(area, v, double(row), double(row + 1), double(col), double(col + 1));
      if (cell.GetWidth() >= 3.0f && cell.GetHeight() >= 3.0f) {
        drawList->PushClipRect(area.Min, area.Max, true);
        drawList->AddRect(cell.Min, cell.Max, IM_COL32(255, 255, 255, 255), 0, 0, 2.0f);
        drawList->PopClipRect();
      }
    }
    std::vector<float> exact;
    std::string failure;
    try {
      exact = state.exactWeights(row, col);
    } catch (const std::exception& e) {
      failure = e.what();  // e.g. a scene option the kernel refuses: said in the tooltip, not every frame's banner
    }
    ImGui::BeginTooltip();
    ImGui::Text("row %lld (query %s), column %lld (key %s)", (long long)row, state.rowLabel(row).c_str(),
                (long long)col, state.columnLabel(col).c_str());
    for (std::size_t k = 0; k < kernels.size() && k < exact.size(); ++k)
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kernelColor(kernels[k])), "%-9s exact weight %.6g",
                         kernelShortLabel(kernels[k]).c_str(), double(exact[k]));
    if (!failure.empty()) ImGui::TextColored(ImVec4(1, 0.35f, 0.35f, 1), "%s", failure.c_str());
    if (state.causal() && col > row) ImGui::TextDisabled("masked by the causal mask (key after query)");
    ImGui::EndTooltip();
  }

  // Right of the maps: the colour bar (at least 8 lines tall, so a short wide map keeps a readable scale), then the
  // minimap.
  const float barX = origin.x + rowLabelRoom + count * (mapWidth + std::ceil(spacing));
  const float barTop = origin.y + titleHeight, barHeight = std::max(mapHeight, fontSize * 8.0f);
  const plot::ColorBarSpec shownBar{barSpec.label, plot::Range{style.minValue, style.maxValue}, barSpec.scale, true};
  plot::colorBar(drawList, plot::Rect(barX, barTop, barX + barWidth, barTop + barHeight), shownBar,
                 colorMapColors(style.colorMap));
  const float minimapX = barX + barWidth + barLabels + std::ceil(spacing);
  drawMinimap(ctx, state, plot::Rect(ImVec2(minimapX, barTop), ImVec2(minimapX + minimapSide, barTop + minimapSide)),
              style);

  ImGui::SetCursorScreenPos(
      ImVec2(origin.x, barTop + std::max(mapHeight + columnLabelRoom, std::max(barHeight, minimapSide) + lineHeight)));
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
  ImGui::TextWrapped("%s pooling of each pixel's cells; one colour scale for all maps (max %.4g).",
                     std::string(poolingName(state.pooling)).c_str(), double(style.maxValue));
  ImGui::PopStyleColor();
}

std::unique_ptr<gui::View> makeLongMapView() {
  return std::make_unique<LongMapView>();
}

}  // namespace attnscope::views
