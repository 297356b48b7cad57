// Attention maps: the N x M weight matrix of every kernel side by side as GL textures colour-mapped in the heatmap
// shader (one shared colour scale and colour bar), linear or log scale, causal toggle, hover readout of row, column,
// value and labels, and EA rows that fell back to uniform weights flagged.
#include <algorithm>
#include <cmath>
#include <optional>

#include "app/views/view_common.h"
#include "app/views/view_probe.h"
#include "app/views/views.h"

namespace attnscope::views {
namespace {

/// The cell hovered in the previous frame, highlighted in every map so the kernels compare at a glance.
struct MapsState {
  int hoverRow = -1, hoverColumn = -1;
};
class AttentionMapsView final : public gui::View {
 public:
  void draw(AppContext& ctx) override;

 private:
  MapsState state;  // this view's own UI state and caches: one per AppContext

  /// Shared colour range of all maps: [0, max] linear, or a log range ending at the max (four decades at most).
  gui::HeatmapStyle sharedStyle(const Scene& scene, const Derived& derived) {
    float maxValue = 0.0f, minPositive = 1.0f;
    for (Kernel kernel : shownKernels(scene)) {
      const RowMatrix& w = kernelResult(derived, kernel).weights;
      if (w.size() == 0) continue;
      maxValue = std::max(maxValue, w.maxCoeff());
      for (Eigen::Index i = 0; i < w.size(); ++i)
        if (w.data()[i] > 0.0f) minPositive = std::min(minPositive, w.data()[i]);
    }
    gui::HeatmapStyle style;
    style.colorMap = scene.display.colorMap;
    style.logScale = scene.display.heatmapLogScale;
    style.maxValue = maxValue > 0.0f ? maxValue : 1.0f;
    style.minValue = style.logScale ? std::max(minPositive, style.maxValue * 1e-4f) : 0.0f;
    if (style.logScale && style.minValue >= style.maxValue) style.minValue = style.maxValue * 0.1f;
    return style;
  }

  /// Text colour readable on a colour-map entry (black on light, white on dark).
  ImU32 contrastingText(ColorMap map, float t) {
    const Rgb8 rgb = colorMapLookup(map, t);
    const float luminance = 0.2126f * rgb[0] + 0.7152f * rgb[1] + 0.0722f * rgb[2];
    return luminance > 140.0f ? IM_COL32(0, 0, 0, 255) : IM_COL32(255, 255, 255, 255);
  }

  void drawControls(AppContext& ctx) {
    const Scene& scene = ctx.scene();
    bool causal = scene.kernel.causal;
    if (ImGui::Checkbox("causal mask", &causal)) {
      Scene next = scene;
      next.kernel.causal = causal;
      ctx.submit(std::move(next), causal ? "Causal mask on" : "Causal mask off");
    }
    itemTooltip(
        "Query i sees only keys j <= i. EA masks multiplicatively (f = 0), never by adding -inf before squaring.");
    probeControl(ctx, "maps/causal");
    sameLineIfFits(toggleWidth("log colour scale"));
    bool logScale = scene.display.heatmapLogScale;
    if (ImGui::Checkbox("log colour scale", &logScale)) {
      Scene next = scene;
      next.display.heatmapLogScale = logScale;
      ctx.submit(std::move(next), "Heatmap scale");
    }
    itemTooltip(
        "Colour by log10(weight) over at most four decades below the largest weight: small weights become "
        "visible. Zero weights (masked keys, EA orthogonal keys) take the lowest colour.");
    sameLineIfFits(labelledWidth(ImGui::GetFontSize() * 7.0f, "colour map"));
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7.0f);
    if (ImGui::BeginCombo("colour map", colorMapName(scene.display.colorMap))) {
      for (ColorMap map : kAllColorMaps) {
        if (ImGui::Selectable(colorMapName(map), map == scene.display.colorMap) && map != scene.display.colorMap) {
          Scene next = scene;
          next.display.colorMap = map;
          ctx.submit(std::move(next), "Colour map");
        }
      }
      ImGui::EndCombo();
    }
    itemTooltip("Viridis and magma are perceptually uniform; the diverging map puts the middle of the range in white.");
  }
};

}  // namespace

void AttentionMapsView::draw(AppContext& ctx) {
  const Scene& scene = ctx.scene();
  const Derived& derived = ctx.derived();
  if (showViewControls(ctx)) drawControls(ctx);  // presenter mode: the maps only
  const int rows = scene.queryCount(), columns = scene.keyCount();
  const std::span<const Kernel> kernels = shownKernels(scene);
  const auto computed = [&](Kernel kernel) {
    const RowMatrix& w = kernelResult(derived, kernel).weights;
    return w.rows() == rows && w.cols() == columns;
  };
  if (kernels.empty()) {
    ImGui::TextDisabled("(no kernel is shown)");
    return;
  }
  if (!std::all_of(kernels.begin(), kernels.end(), computed)) {
    ImGui::TextDisabled("(no weights computed for this scene yet)");
    return;
  }
  const gui::HeatmapStyle style = sharedStyle(scene, derived);
  const plot::ColorBarSpec barSpec{"attention weight" + std::string(style.logScale ? " (log)" : ""),
                                   plot::Range{style.minValue, style.maxValue},
                                   style.logScale ? plot::Scale::Log : plot::Scale::Linear, true};

  const float fontSize = ImGui::GetFontSize();
  const ImVec2 avail = ImGui::GetContentRegionAvail();
  const float barWidth = fontSize * 1.2f, barLabels = plot::colorBarLabelWidth(barSpec, fontSize) + fontSize;
  const float spacing = ImGui::GetStyle().ItemSpacing.x;
  // The maps share their rows: only the first carries the query labels and the "query" axis title, and it is that
  // much wider, so every matrix is drawn the same size (with a model's token labels, a label column per map left
  // each map a strip a dozen pixels wide).
  const std::vector<std::string>& rowLabels = scene.queryLabels;
  float widestRowLabel = 0.0f;
  for (const std::string& label : rowLabels)
    widestRowLabel = std::max(widestRowLabel, ImGui::CalcTextSize(label.c_str()).x);
  const float rowLabelRoom = widestRowLabel + fontSize + plot::Style::fromImGui().padding;
  // All side by side, one above the other, or a grid of rows: whichever shows the biggest legible cells. A layout's
  // worth is the smaller side of its cells, since a cell is kept from being much taller than wide (at most 2.5 : 1:
  // a 2 x 4 matrix should not fill a tall window with slabs) and a wide, flat cell reads no better than a square of
  // its height (three 12 x 12 maps stacked in a wide column were strips a dozen pixels tall; as a 2 x 2 grid they are
  // near square). In a narrow, tall view (the Playground's maps column, presenter mode's large font) the maps stack
  // and grow to fill it instead of becoming strips or leaving the view's lower half empty. The first map of each row
  // carries the query labels. The frame around a map takes about 1.5 font sizes of its width (tick marks, padding)
  // and 4.5 of its height (title, key labels, axis title).
  const float frameWidth = fontSize * 1.5f, frameHeight = fontSize * 4.5f;
  const int mapCount = static_cast<int>(kernels.size());
  const float itemSpacingY = ImGui::GetStyle().ItemSpacing.y;
  const auto mapWidthFor = [&](int perRow) {
    return std::floor((avail.x - barWidth - barLabels - (perRow + 1.0f) * spacing - rowLabelRoom) / float(perRow));
  };
  // The note under the maps, measured as it wraps at this width (at presenter mode's font it takes three lines in a
  // narrow column, and the maps must leave it room, or the view scrolls).
  static constexpr const char* kCountWords[] = {"", "", "two", "three", "four", "five", "six", "seven"};
  // Presenter mode leaves out how to read the maps (the presenter says it; the maps need the height).
  std::string note = !showViewControls(ctx)
                         ? std::string()
                         : std::string("Rows: queries, columns: keys; each row sums to 1.") +
                               (kernels.size() >= 2 && kernels.size() < std::size(kCountWords)
                                    ? std::string(" One colour scale for all ") + kCountWords[kernels.size()] + " maps."
                                    : std::string());
  struct Layout {
    int perRow = 1;  // maps in a row
    float mapWidth = 0, mapHeight = 0, noteHeight = 0;
  };
  // `keepPerRow`: the arrangement decided before (the key numbers were chosen for its map width).
  const auto layoutFor = [&](const std::string& text, std::optional<int> keepPerRow) {
    Layout layout;
    layout.noteHeight =
        text.empty() ? 0.0f : ImGui::CalcTextSize(text.c_str(), nullptr, false, avail.x).y + itemSpacingY;
    // The height each row of maps may take when the rows share the view.
    const auto rowHeightFor = [&](int perRow) {
      const int mapRows = (mapCount + perRow - 1) / perRow;
      return std::floor((avail.y - layout.noteHeight - (mapRows + 1.0f) * itemSpacingY) / float(mapRows));
    };
    const auto cellSide = [&](int perRow) {
      const float cellWidth = std::max(mapWidthFor(perRow) - frameWidth, 0.0f) / float(columns);
      const float cellHeight =
          std::min(2.5f * cellWidth, std::max(rowHeightFor(perRow) - frameHeight, 0.0f) / float(rows));
      return std::min(cellWidth, cellHeight);
    };
    if (keepPerRow) {
      layout.perRow = *keepPerRow;
    } else {
      // Side by side (the maps compared at a glance) unless fewer in a row show cells 1.2 times as big; a row of
      // maps needs 6.5 font sizes of height.
      layout.perRow = mapCount;
      float best = cellSide(mapCount);
      for (int perRow = mapCount - 1; perRow >= 1; --perRow)
        if (rowHeightFor(perRow) >= fontSize * 6.5f && cellSide(perRow) > 1.2f * best) {
          layout.perRow = perRow;
          best = cellSide(perRow);
        }
    }
    layout.mapWidth = mapWidthFor(layout.perRow);
    // Maps in several rows fit their share (6.5 font sizes each at least), else the view scrolled and the last map
    // was cut off at presenter mode's font; a single row may be taller than the view has (it scrolls).
    const bool oneRow = layout.perRow >= mapCount;
    const float roomHeight = oneRow ? avail.y - layout.noteHeight : rowHeightFor(layout.perRow);
    const float least = fontSize * (oneRow ? 10.0f : 6.5f);
    const float most = std::max(least, oneRow ? std::max(roomHeight, fontSize * 10.0f) : roomHeight);
    layout.mapHeight =
        std::clamp(2.5f * (layout.mapWidth - frameWidth) * float(rows) / float(columns) + frameHeight, least, most);
    return layout;
  };
  Layout layout = layoutFor(note, std::nullopt);
  // Key names too wide for a map even in two rows (a 3-key scene in presenter mode's maps column): the maps number
  // the keys and the note names them once, instead of each map naming every other key or repeating the names
  // (plot::numberCrowdedCategories). The note's extra line can only make the maps narrower or shorter, and numbers
  // that fit the wider map are checked again against the final one by the frame (which thins them if need be).
  std::vector<std::string> keyLabels = scene.keyLabels;
  const std::string keyLegend = plot::numberCrowdedCategories(keyLabels, layout.mapWidth - frameWidth, fontSize);
  if (!keyLegend.empty()) {
    note = "Keys: " + keyLegend + "." + (note.empty() ? "" : " ") + note;
    layout = layoutFor(note, layout.perRow);
  }
  const int perRow = layout.perRow;
  const float mapWidth = layout.mapWidth, mapHeight = layout.mapHeight, noteHeight = layout.noteHeight;

  int hoverRow = -1, hoverColumn = -1;
  ImGui::BeginGroup();  // the maps, then the colour bar to their right
  ctx.viewProbe().heatmapAreas.assign(kernels.size(), {});
  for (std::size_t index = 0; index < kernels.size(); ++index) {
    const Kernel kernel = kernels[index];
    const gui::KernelResult& result = kernelResult(derived, kernel);
    const bool rowLabelled = index % static_cast<std::size_t>(perRow) == 0;
    if (!rowLabelled) ImGui::SameLine();
    const float width = rowLabelled ? mapWidth + rowLabelRoom : mapWidth;
    const plot::Rect rect = reserveRect(("##map" + std::to_string(index)).c_str(), ImVec2(width, mapHeight));
    plot::FrameSpec spec;
    spec.title = kernelLabel(kernel, scene) + (scene.kernel.causal ? "  (causal)" : "");
    spec.x.categories = keyLabels;
    spec.x.label = "key";
    spec.x.grid = false;
    spec.y.categories = rowLabels;
    spec.y.inverted = true;  // row 0 at the top, as the matrix is written
    spec.y.label = rowLabelled ? "query" : "";
    spec.y.tickLabels = rowLabelled;
    spec.y.grid = false;
    plot::Frame frame(ImGui::GetWindowDrawList(), rect, spec);
    const plot::Rect& area = frame.area();
    ctx.viewProbe().heatmapAreas[index] = {area.Min.x, area.Min.y, area.Max.x, area.Max.y};
    ctx.viewProbe().heatmapRows = rows, ctx.viewProbe().heatmapColumns = columns;
    // Colour-mapped at the size it is shown (1024 x 1024 weights in a 300-pixel frame: a tenth of the fragments).
    gui::HeatmapStyle shown = style;
    const ImVec2 framebufferScale = ImGui::GetIO().DisplayFramebufferScale;
    shown.shownWidth = std::max(1, int(std::lround(area.GetWidth() * framebufferScale.x)));
    shown.shownHeight = std::max(1, int(std::lround(area.GetHeight() * framebufferScale.y)));
    const unsigned texture =
        ctx.heatmaps().texture("maps/" + std::string(kernelName(kernel)), derived.sceneRevision, result.weights, shown);
    if (texture != 0) {
      frame.drawList()->AddImage((ImTextureID)(intptr_t)texture, area.Min, area.Max);
    } else {
      plot::addCentredText(frame.drawList(), area.GetCenter(), frame.style().textDim, "(no GL: heatmap unavailable)");
    }
    const float cellWidth = area.GetWidth() / float(columns), cellHeight = area.GetHeight() / float(rows);
    // Grid lines and values when cells are big enough to read (small teaching scenes).
    if (cellWidth >= 10.0f && cellHeight >= 10.0f) {
      const ImU32 gridColor = IM_COL32(0, 0, 0, 90);
      for (int j = 1; j < columns; ++j) {
        const float x = std::round(area.Min.x + j * cellWidth);
        frame.drawList()->AddLine(ImVec2(x, area.Min.y), ImVec2(x, area.Max.y), gridColor);
      }
      for (int i = 1; i < rows; ++i) {
        const float y = std::round(area.Min.y + i * cellHeight);
        frame.drawList()->AddLine(ImVec2(area.Min.x, y), ImVec2(area.Max.x, y), gridColor);
      }
    }
    if (cellWidth >= fontSize * 3.2f && cellHeight >= fontSize * 1.4f) {
      for (int i = 0; i < rows; ++i)
        for (int j = 0; j < columns; ++j) {
          const float value = result.weights(i, j);
          const float t = normaliseValue(value, style.minValue, style.maxValue, style.logScale);
          plot::addCentredText(frame.drawList(),
                               ImVec2(area.Min.x + (j + 0.5f) * cellWidth, area.Min.y + (i + 0.5f) * cellHeight),
                               contrastingText(style.colorMap, t), formatted("%.3f", value));
        }
    }
    // EA rows that fell back to uniform weights (every visible key orthogonal): outlined and marked.
    for (int row : result.fallbackRows) {
      if (row < 0 || row >= rows) continue;
      const float y0 = area.Min.y + row * cellHeight, y1 = y0 + cellHeight;
      frame.drawList()->AddRect(ImVec2(area.Min.x + 1, y0 + 1), ImVec2(area.Max.x - 1, y1 - 1),
                                IM_COL32(255, 60, 60, 255), 0.0f, 0, 2.0f);
      labelWithBackdrop(frame.drawList(), ImVec2(area.Max.x - fontSize * 4.2f, y0 + 2), IM_COL32(255, 60, 60, 255),
                        "fallback", IM_COL32(0, 0, 0, 170));
    }
    if (state.hoverRow >= 0 && state.hoverRow < rows && state.hoverColumn >= 0 && state.hoverColumn < columns) {
      const ImVec2 a(area.Min.x + state.hoverColumn * cellWidth, area.Min.y + state.hoverRow * cellHeight);
      frame.drawList()->AddRect(a, ImVec2(a.x + cellWidth, a.y + cellHeight), IM_COL32(255, 255, 255, 255), 0.0f, 0,
                                2.0f);
    }
    if (const auto at = frame.hovered()) {
      const int j = static_cast<int>(std::floor(at->x + 0.5)), i = static_cast<int>(std::floor(at->y + 0.5));
      if (i >= 0 && i < rows && j >= 0 && j < columns) {
        hoverRow = i, hoverColumn = j;
        ImGui::BeginTooltip();
        ImGui::Text("%s   row %d (query %s), column %d (key %s)", kernelLabel(kernel, scene).c_str(), i,
                    scene.queryLabels[i].c_str(), j, scene.keyLabels[j].c_str());
        for (Kernel other : kernels) {
          const gui::KernelResult& r = kernelResult(derived, other);
          ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kernelColor(other)), "%-18s weight %.5f   score %.5g",
                             kernelLabel(other, scene).c_str(), r.weights(i, j),
                             r.scores.rows() == rows && r.scores.cols() == columns ? r.scores(i, j) : NAN);
        }
        if (scene.kernel.causal && j > i) ImGui::TextDisabled("masked by the causal mask (key after query)");
        ImGui::EndTooltip();
      }
    }
  }
  state.hoverRow = hoverRow, state.hoverColumn = hoverColumn;
  ImGui::EndGroup();

  ImGui::SameLine();
  // The bar stays tall enough for several ticks even when the maps are short (a 2 x 4 scene).
  const plot::Rect barRect = reserveRect(
      "##colorbar",
      ImVec2(barWidth + barLabels,
             std::max(mapHeight,
                      std::min(fontSize * 20.0f, avail.y - noteHeight - 2.0f * ImGui::GetStyle().ItemSpacing.y))));
  const float top = barRect.Min.y + fontSize * 1.8f, bottom = barRect.Max.y - fontSize * 2.5f;
  plot::colorBar(ImGui::GetWindowDrawList(), plot::Rect(barRect.Min.x, top, barRect.Min.x + barWidth, bottom), barSpec,
                 colorMapColors(style.colorMap));

  for (Kernel kernel : {Kernel::Ea, Kernel::EaPure}) {
    const std::size_t fallbacks = kernelResult(derived, kernel).fallbackRows.size();
    if (fallbacks > 0)
      ImGui::TextColored(ImVec4(1.0f, 0.35f, 0.35f, 1.0f),
                         "%s: %d row(s) have every visible key orthogonal to the query (sum f = 0); their weights "
                         "fall back to uniform over the visible keys.",
                         kernel == Kernel::Ea ? "EA" : "EA pure", int(fallbacks));
  }
  if (!note.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyle().Colors[ImGuiCol_TextDisabled]);
    ImGui::TextWrapped("%s", note.c_str());
    ImGui::PopStyleColor();
  }
}

std::unique_ptr<gui::View> makeAttentionMapsView() {
  return std::make_unique<AttentionMapsView>();
}

}  // namespace attnscope::views
