// Model explorer: open a real transformer (path box, recent list, example model, drag and drop), run a prompt with a
// progress bar and cancel, pick a query token from the token strip and a head from the layer x head grids
// (attention-map thumbnails and any per-head statistic, both single GL textures). The picked head's Q/K become the
// scene's vectors, so every geometry view shows it; the model's own attention is drawn beside the what-if maps.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>

#include "app/gui/long_map.h"
#include "app/gui/model_session.h"
#include "app/views/view_common.h"
#include "app/views/views.h"
#include "core/error.h"

namespace attnscope::views {
namespace {

using gui::HeadStatistic;
using gui::ModelRequest;
using gui::ModelResult;
using gui::ModelSession;

/// UI state of the view (never part of the document).
struct ExplorerState {
  char pathBuffer[1024] = {};
  char tokenizerBuffer[1024] = {};
  char promptBuffer[2048] = "Once upon a time, there was a little girl named Lily.";
  char idsBuffer[2048] = {};
  int statistic = int(HeadStatistic::Ct);
  bool ranked = false;               ///< the statistic as a ranked list of heads instead of the grid
  char csvPath[1024] = "heads.csv";  ///< where "Export CSV" writes
  std::string csvMessage;            ///< what the last CSV export did (shown in its popup)
  bool buffersFromScene = false;
  std::string inFlightKey;  ///< key of the scene-driven request running now (to remember it if it fails)
  std::string exampleModel;
  bool exampleSearched = false;
};
class ModelExplorerView final : public gui::View {
 public:
  /// Polls the model session, applies finished runs and starts the run the scene names (syncWithScene).
  void update(AppContext& ctx) override { syncWithScene(ctx, ctx.modelSession()); }
  void draw(AppContext& ctx) override;

 private:
  ExplorerState state;  // this view's own UI state and caches: one per AppContext

  void copyInto(char* buffer, std::size_t size, const std::string& text) {
    std::snprintf(buffer, size, "%s", text.c_str());
  }

  std::string sceneKey(const Scene& scene) {
    return gui::requestKey(scene.model.path, scene.model.tokenizerPath, scene.model.tokenIds);
  }

  /// True when `result` is the run the scene names: same model and ids, or (a hand-written scene without ids) the same
  /// prompt.
  bool resultServesScene(const ModelResult& result, const Scene& scene) {
    const gui::ModelSource& m = scene.model;
    if (m.path != result.request.path || m.tokenizerPath != result.request.tokenizerPath) return false;
    if (!m.tokenIds.empty()) return m.tokenIds == result.capture.tokenIds;
    return result.capture.tokens > 0 && m.prompt == result.request.prompt;
  }

  /// Makes `next` the document. A headless export draws frames without the shell's end-of-frame step, so there the
  /// scene is replaced at once (and Derived refreshed) for the later frames to show it.
  void submitScene(AppContext& ctx, Scene next, const std::string& label) {
    if (ctx.exporting()) {
      ctx.resetScene(std::move(next), label);
      ctx.refreshDerived();
    } else {
      ctx.submit(std::move(next), label);
    }
  }

  /// Starts a user request (Open / Run): prompt through the tokenizer, or typed ids when the model has none.
  void requestRun(AppContext& ctx, ModelSession& session, const std::string& path, bool useIds) {
    try {
      if (gui::openLongCapture(ctx, path)) return;  // too long for the dense views: the long map view shows it
    } catch (const std::exception& e) {
      ctx.reportError(e.what());
      return;
    }
    ModelRequest request;
    request.path = path;
    request.tokenizerPath = state.tokenizerBuffer;
    request.prompt = state.promptBuffer;
    try {
      if (useIds) request.tokenIds = gui::parseTokenIds(state.idsBuffer);
    } catch (const std::exception& e) {
      ctx.reportError(e.what());
      return;
    }
    request.fromUser = true;
    if (ctx.exporting()) {
      session.runNow(std::move(request));
    } else if (!session.start(std::move(request))) {
      ctx.reportError("a model job is still running: cancel it first");
    }
  }

  /// Applies a finished run to the scene: a user's run becomes an undoable step; a scene-driven run replaces the
  /// vectors only if they differ from the capture (a scene file that named only the model).
  void applyResult(AppContext& ctx, ModelSession& session) {
    const ModelResult* result = session.result();
    if (result == nullptr || result->generation == session.appliedGeneration) return;
    session.appliedGeneration = result->generation;
    copyInto(state.pathBuffer, sizeof state.pathBuffer, result->request.path);
    if (result->capture.tokens == 0) return;  // loaded, waiting for token ids
    const Scene& scene = ctx.scene();
    const model::ModelCapture& capture = result->capture;
    std::string ids;
    for (int id : capture.tokenIds) ids += (ids.empty() ? "" : " ") + std::to_string(id);
    copyInto(state.idsBuffer, sizeof state.idsBuffer, ids);
    try {
      if (result->request.fromUser) {
        const bool sameModel = scene.model.path == result->request.path;
        const int layer = sameModel ? std::clamp(scene.model.layer, 0, capture.layers - 1) : 0;
        const int head = sameModel ? std::clamp(scene.model.head, 0, capture.heads - 1) : 0;
        Scene next = gui::sceneForHead(scene, *result, layer, head, capture.tokens - 1, scene.model.preRope);
        next.setViewOpen(gui::ViewKind::Model, true);
        submitScene(ctx, std::move(next), "Run model");
      } else if (resultServesScene(*result, scene) &&
                 (scene.model.tokenIds.empty() || !gui::sceneMatchesHead(scene, capture))) {
        const int layer = std::clamp(scene.model.layer, 0, capture.layers - 1);
        const int head = std::clamp(scene.model.head, 0, capture.heads - 1);
        submitScene(ctx, gui::sceneForHead(scene, *result, layer, head, scene.selectedQuery, scene.model.preRope),
                    "Load model head");
      }
    } catch (const std::exception& e) {
      ctx.reportError(e.what());
    }
  }

  /// Keeps the session in step with the document: a scene (opened file, undo) naming a model capture that is not loaded
  /// starts a run; the headless export runs it on the spot so the image shows it.
  void syncWithScene(AppContext& ctx, ModelSession& session) {
    // A result applied this frame changes the scene only at the end of the frame: wait for it before comparing.
    bool appliedNow = false;
    // An export from inside the window must not apply a background result (that would replace the document
    // mid-export); only the export's own synchronous run below is applied there.
    if (!ctx.exporting() && session.poll()) {
      state.inFlightKey.clear();
      applyResult(ctx, session);
      appliedNow = true;
    }
    const std::string error = session.takeError();
    if (!error.empty()) {
      if (!state.inFlightKey.empty()) session.failedKey = state.inFlightKey;
      state.inFlightKey.clear();
      if (error != "cancelled") ctx.reportError(error);
    }
    const Scene& scene = ctx.scene();
    if (!state.buffersFromScene && scene.model.active()) {
      state.buffersFromScene = true;
      copyInto(state.pathBuffer, sizeof state.pathBuffer, scene.model.path);
      copyInto(state.tokenizerBuffer, sizeof state.tokenizerBuffer, scene.model.tokenizerPath);
      if (!scene.model.prompt.empty()) copyInto(state.promptBuffer, sizeof state.promptBuffer, scene.model.prompt);
    }
    if (!scene.model.active() || session.busy() || appliedNow) return;
    const std::string key = sceneKey(scene);
    const ModelResult* result = session.result();
    if ((result != nullptr && resultServesScene(*result, scene)) || key == session.failedKey) return;
    ModelRequest request;
    request.path = scene.model.path;
    request.tokenizerPath = scene.model.tokenizerPath;
    request.prompt = scene.model.prompt;
    request.tokenIds = scene.model.tokenIds;
    request.fromUser = false;
    state.inFlightKey = key;
    if (ctx.exporting()) {
      try {
        session.runNow(std::move(request));
        session.poll();
        state.inFlightKey.clear();
        applyResult(ctx, session);
      } catch (const std::exception& e) {
        session.failedKey = key;
        ctx.reportError(scene.model.path + ": " + e.what());
      }
    } else {
      session.start(std::move(request));
    }
  }

  void drawOpenControls(AppContext& ctx, ModelSession& session) {
    const bool busy = session.busy();
    if (!state.exampleSearched) {
      state.exampleSearched = true;
      state.exampleModel = gui::findExampleModel();
    }
    ImGui::BeginDisabled(busy);
    ImGui::SetNextItemWidth(
        std::max(ImGui::GetContentRegionAvail().x - 20 * ImGui::GetFontSize(), 8 * ImGui::GetFontSize()));
    const bool entered =
        ImGui::InputTextWithHint("##model-path", "model: llama2.c .bin, HF folder or capture file", state.pathBuffer,
                                 sizeof state.pathBuffer, ImGuiInputTextFlags_EnterReturnsTrue);
    itemTooltip(
        "Path of a llama2.c checkpoint, a Hugging Face folder (config.json + safetensors) or a capture file. "
        "You can also drop a model onto the window.");
    ImGui::SameLine();
    if (ImGui::Button("Open") || entered) requestRun(ctx, session, state.pathBuffer, false);
    ImGui::SameLine();
    if (ImGui::BeginCombo("##recent", "Recent", ImGuiComboFlags_NoPreview | ImGuiComboFlags_HeightLarge)) {
      if (session.recentPaths.empty()) ImGui::TextDisabled("(no models opened yet)");
      for (const std::string& path : session.recentPaths)
        if (ImGui::Selectable(path.c_str())) {
          copyInto(state.pathBuffer, sizeof state.pathBuffer, path);
          requestRun(ctx, session, path, false);
        }
      ImGui::EndCombo();
    }
    ImGui::SameLine();
    ImGui::TextDisabled("Recent");
    if (!state.exampleModel.empty()) {
      ImGui::SameLine();
      if (ImGui::Button("Open example model")) {
        copyInto(state.pathBuffer, sizeof state.pathBuffer, state.exampleModel);
        state.tokenizerBuffer[0] = '\0';
        requestRun(ctx, session, state.exampleModel, false);
      }
      const ImVec2 min = ImGui::GetItemRectMin(), max = ImGui::GetItemRectMax();
      ctx.publishProbe("model/open-example", 0.5f * (min.x + max.x), 0.5f * (min.y + max.y));
      itemTooltip(state.exampleModel.c_str());
    }
    ImGui::EndDisabled();
    if (busy) {
      const std::string stage = session.stage();
      ImGui::ProgressBar(session.progress(),
                         ImVec2(std::max(ImGui::GetContentRegionAvail().x - 6 * ImGui::GetFontSize(), 40.0f), 0),
                         stage.empty() ? nullptr : stage.c_str());
      ImGui::SameLine();
      if (ImGui::Button("Cancel")) session.cancel();
    }
  }

  void drawPromptControls(AppContext& ctx, ModelSession& session, const ModelResult& result) {
    const model::ModelInfo& info = result.info;
    ImGui::TextDisabled("%s  %s  |  %d layers x %d heads (%d KV), head dim %d, vocab %d  |  tokenizer: %s",
                        info.format.c_str(), info.architecture.c_str(), info.layers, info.heads, info.keyValueHeads,
                        info.headDim, info.vocabSize,
                        result.tokenizer ? (result.tokenizerPath.empty() ? "attached" : result.tokenizerPath.c_str())
                                         : "none (enter token ids)");
    if (info.format == "capture") return;  // a capture file holds one fixed run
    const bool busy = session.busy();
    ImGui::BeginDisabled(busy);
    const float buttonWidth = 5 * ImGui::GetFontSize();
    if (result.tokenizer) {
      ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - buttonWidth);
      const bool entered = ImGui::InputTextWithHint("##prompt", "prompt", state.promptBuffer, sizeof state.promptBuffer,
                                                    ImGuiInputTextFlags_EnterReturnsTrue);
      ImGui::SameLine();
      if (ImGui::Button("Run", ImVec2(-1, 0)) || entered) requestRun(ctx, session, result.request.path, false);
    } else {
      ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x - buttonWidth);
      const bool entered = ImGui::InputTextWithHint("##ids", "token ids, e.g. 1 403 407", state.idsBuffer,
                                                    sizeof state.idsBuffer, ImGuiInputTextFlags_EnterReturnsTrue);
      ImGui::SameLine();
      if (ImGui::Button("Run", ImVec2(-1, 0)) || entered) requestRun(ctx, session, result.request.path, true);
    }
    ImGui::EndDisabled();
  }

  /// One clickable chip per token; the selected query row is highlighted. Wraps like text.
  void drawTokenStrip(AppContext& ctx, const model::ModelCapture& capture) {
    const Scene& scene = ctx.scene();
    const float right = ImGui::GetCursorScreenPos().x + ImGui::GetContentRegionAvail().x;
    const ImGuiStyle& style = ImGui::GetStyle();
    for (int i = 0; i < capture.tokens; ++i) {
      std::string piece =
          i < int(capture.tokenTexts.size()) ? capture.tokenTexts[i] : std::to_string(capture.tokenIds[i]);
      std::replace(piece.begin(), piece.end(), '\n', ' ');
      if (piece.empty()) piece = "[" + std::to_string(capture.tokenIds[i]) + "]";
      const std::string label = piece + "##token" + std::to_string(i);
      const float width = ImGui::CalcTextSize(piece.c_str()).x + 2 * style.FramePadding.x;
      if (i > 0) {
        ImGui::SameLine(0, 2);
        if (ImGui::GetCursorScreenPos().x + width > right) ImGui::NewLine();
      }
      const bool selected = scene.selectedQuery == i;
      ImGui::PushStyleColor(ImGuiCol_Button, selected ? queryColor(0.85f) : ImGui::GetColorU32(ImGuiCol_FrameBg));
      if (ImGui::Button(label.c_str())) {
        Scene next = scene;
        next.selectedQuery = i;
        next.selectedKey = i;
        ctx.submit(std::move(next), "Select query token");
      }
      ImGui::PopStyleColor();
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("token %d, id %d: query row %d", i, capture.tokenIds[i], i);
      const ImVec2 min = ImGui::GetItemRectMin(), max = ImGui::GetItemRectMax();
      ctx.publishProbe("model/token/" + std::to_string(i), 0.5f * (min.x + max.x), 0.5f * (min.y + max.y));
    }
  }

  /// Range of the valid entries of a statistic (for its colour scale).
  std::pair<float, float> statisticRange(const gui::HeadStatistics& stats, HeadStatistic s) {
    float lo = INFINITY, hi = -INFINITY;
    for (int l = 0; l < stats.layers; ++l)
      for (int h = 0; h < stats.heads; ++h)
        if (stats.isValid(s, l, h)) {
          lo = std::min(lo, float(stats.value(s, l, h)));
          hi = std::max(hi, float(stats.value(s, l, h)));
        }
    if (!(lo <= hi)) return {0.0f, 1.0f};
    if (hi - lo < 1e-12f) return {lo - 0.5f, hi + 0.5f};
    return {lo, hi};
  }

  void selectHead(AppContext& ctx, const ModelResult& result, int layer, int head) {
    const Scene& scene = ctx.scene();
    if (scene.model.layer == layer && scene.model.head == head && gui::sceneMatchesHead(scene, result.capture)) return;
    try {
      ctx.submit(gui::sceneForHead(scene, result, layer, head, scene.selectedQuery, scene.model.preRope),
                 "Select head L" + std::to_string(layer) + " H" + std::to_string(head));
    } catch (const std::exception& e) {
      ctx.reportError(e.what());
    }
  }

  /// A layer x head grid drawn from ONE texture: `uv(l, h)` gives each cell's sub-rectangle of it. Returns the hovered
  /// cell (or -1) and selects a head on click.
  void drawHeadGrid(AppContext& ctx, const ModelResult& result, const char* id, unsigned texture, ImVec2 cellSize,
                    float gap, const std::function<std::array<float, 4>(int, int)>& uv,
                    const std::function<void(ImDrawList*, ImVec2, ImVec2, int, int)>& overlay, const char* probePrefix,
                    int& hoverLayer, int& hoverHead) {
    const gui::HeadStatistics& stats = result.statistics;
    const float labelWidth = ImGui::CalcTextSize("L00 ").x;
    const float labelHeight = ImGui::GetTextLineHeight();
    const ImVec2 size(labelWidth + stats.heads * (cellSize.x + gap), labelHeight + stats.layers * (cellSize.y + gap));
    const plot::Rect rect = reserveRect(id, size);
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const ImVec2 origin(rect.Min.x + labelWidth, rect.Min.y + labelHeight);
    const Scene& scene = ctx.scene();
    const bool sceneIsThisModel = scene.model.path == result.request.path;
    for (int h = 0; h < stats.heads; ++h) {
      const std::string text = "H" + std::to_string(h);
      if (cellSize.x >= ImGui::CalcTextSize(text.c_str()).x || h % 2 == 0)
        draw->AddText(ImVec2(origin.x + h * (cellSize.x + gap), rect.Min.y), ImGui::GetColorU32(ImGuiCol_TextDisabled),
                      text.c_str());
    }
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    hoverLayer = hoverHead = -1;
    for (int l = 0; l < stats.layers; ++l) {
      const std::string text = "L" + std::to_string(l);
      draw->AddText(ImVec2(rect.Min.x, origin.y + l * (cellSize.y + gap) + 0.5f * (cellSize.y - labelHeight)),
                    ImGui::GetColorU32(ImGuiCol_TextDisabled), text.c_str());
      for (int h = 0; h < stats.heads; ++h) {
        const ImVec2 a(origin.x + h * (cellSize.x + gap), origin.y + l * (cellSize.y + gap));
        const ImVec2 b(a.x + cellSize.x, a.y + cellSize.y);
        const std::array<float, 4> t = uv(l, h);
        if (texture != 0) draw->AddImage((ImTextureID)(intptr_t)texture, a, b, ImVec2(t[0], t[1]), ImVec2(t[2], t[3]));
        if (overlay) overlay(draw, a, b, l, h);
        const bool selected = sceneIsThisModel && scene.model.layer == l && scene.model.head == h;
        if (selected)
          draw->AddRect(ImVec2(a.x - 2, a.y - 2), ImVec2(b.x + 2, b.y + 2), queryColor(), 0, 0, 2.0f * ctx.uiScale());
        if (ImGui::IsItemHovered() && mouse.x >= a.x && mouse.x < b.x && mouse.y >= a.y && mouse.y < b.y) {
          hoverLayer = l;
          hoverHead = h;
          draw->AddRect(a, b, IM_COL32(255, 255, 255, 200));
        }
        ctx.publishProbe(std::string(probePrefix) + std::to_string(l) + "/" + std::to_string(h), 0.5f * (a.x + b.x),
                         0.5f * (a.y + b.y));
      }
    }
    if (hoverLayer >= 0 && ImGui::IsItemClicked()) selectHead(ctx, result, hoverLayer, hoverHead);
  }

  ImVec2 gridCellSize(const gui::HeadStatistics& stats, float width, float height, float gap) {
    const float labelWidth = ImGui::CalcTextSize("L00 ").x;
    const float labelHeight = ImGui::GetTextLineHeight();
    const float w = (width - labelWidth) / std::max(stats.heads, 1) - gap;
    const float h = (height - labelHeight) / std::max(stats.layers, 1) - gap;
    const float side = std::clamp(std::min(w, h), 6.0f, 160.0f * ImGui::GetFontSize() / 15.0f);
    return ImVec2(side, side);
  }

  void drawThumbnailGrid(AppContext& ctx, const ModelResult& result, float width, float height) {
    const gui::HeadStatistics& stats = result.statistics;
    const Scene& scene = ctx.scene();
    gui::HeatmapStyle style;
    style.colorMap = scene.display.colorMap;
    style.minValue = 0.0f;
    style.maxValue = 1.0f;
    const unsigned texture =
        stats.thumbnailAtlas.size() > 0
            ? ctx.heatmaps().texture("model/thumbnails", result.generation, stats.thumbnailAtlas, style)
            : 0u;
    const float W = float(stats.thumbnailAtlas.cols()), H = float(stats.thumbnailAtlas.rows());
    const int t = stats.thumbnailSize;
    const float gap = 3.0f * ctx.uiScale();
    int hl = -1, hh = -1;
    drawHeadGrid(
        ctx, result, "##thumbnails", texture, gridCellSize(stats, width, height, gap), gap,
        [&](int l, int h) {
          return std::array<float, 4>{h * (t + 1) / W, l * (t + 1) / H, (h * (t + 1) + t) / W, (l * (t + 1) + t) / H};
        },
        {}, "model/thumb/", hl, hh);
    if (hl >= 0)
      ImGui::SetTooltip(
          "layer %d, head %d: the model's attention (%d x %d tokens, scaled to its maximum)\nclick to "
          "explore this head",
          hl, hh, result.capture.tokens, result.capture.tokens);
  }

  void drawStatisticGrid(AppContext& ctx, const ModelResult& result, float width, float height) {
    const gui::HeadStatistics& stats = result.statistics;
    const HeadStatistic s = HeadStatistic(state.statistic);
    if (showViewControls(ctx)) {
      ImGui::SetNextItemWidth(std::min(width, 14 * ImGui::GetFontSize()));
      if (ImGui::BeginCombo("##statistic", gui::headStatisticName(s))) {
        for (int i = 0; i < gui::kHeadStatisticCount; ++i) {
          if (ImGui::Selectable(gui::headStatisticName(HeadStatistic(i)), i == state.statistic)) state.statistic = i;
          itemTooltip(gui::headStatisticDescription(HeadStatistic(i)));
        }
        ImGui::EndCombo();
      }
      helpMarker(gui::headStatisticDescription(s));
      ImGui::SameLine();
      ImGui::Checkbox("ranked", &state.ranked);
      itemTooltip("Sort heads by this statistic: a list, largest first (click a row to explore that head)");
      {
        const ImVec2 min = ImGui::GetItemRectMin(), max = ImGui::GetItemRectMax();
        ctx.publishProbe("model/ranked", 0.5f * (min.x + max.x), 0.5f * (min.y + max.y));
      }
      ImGui::SameLine();
      if (ImGui::SmallButton("CSV")) {
        state.csvMessage.clear();
        ImGui::OpenPopup("##heads-csv");
      }
      itemTooltip(
          "Export every statistic of every head as CSV: the file `attnscope model heads --csv` writes for this model "
          "and prompt");
      drawCsvPopup(result);
    } else {
      ImGui::TextUnformatted(gui::headStatisticName(s));  // presenter mode: the statistic's name, no chooser
    }
    if (state.ranked && showViewControls(ctx)) {
      drawRankedHeads(ctx, result, s, width, height - ImGui::GetFrameHeightWithSpacing());
      return;
    }
    // Plain variables, not a structured binding: the cell painter below captures them, and clang 14 (the sanitizer and
    // fuzz builds) does not yet allow lambdas to capture structured bindings.
    const std::pair<float, float> range = statisticRange(stats, s);
    const float lo = range.first, hi = range.second;
    ImGui::SameLine();
    ImGui::TextDisabled("%.4g .. %.4g", lo, hi);
    // Invalid cells get the low end in the texture and a grey hatch on top.
    RowMatrix values = stats.values[int(s)];
    for (Eigen::Index i = 0; i < values.size(); ++i)
      if (!std::isfinite(values.data()[i])) values.data()[i] = lo;
    gui::HeatmapStyle style;
    style.colorMap = ctx.scene().display.colorMap;
    style.minValue = lo;
    style.maxValue = hi;
    const unsigned texture =
        ctx.heatmaps().texture("model/statistic", result.generation * 64 + state.statistic, values, style);
    const float gap = 3.0f * ctx.uiScale();
    const ImVec2 cell = gridCellSize(stats, width, height - ImGui::GetFrameHeightWithSpacing(), gap);
    const bool showNumbers = cell.x >= ImGui::CalcTextSize("0.000").x + 2;
    const auto colors = colorMapColors(style.colorMap);
    int hl = -1, hh = -1;
    drawHeadGrid(
        ctx, result, "##statistic-grid", texture, cell, gap,
        [&](int l, int h) {
          return std::array<float, 4>{h / float(stats.heads), l / float(stats.layers), (h + 1) / float(stats.heads),
                                      (l + 1) / float(stats.layers)};
        },
        [&](ImDrawList* draw, ImVec2 a, ImVec2 b, int l, int h) {
          if (!stats.isValid(s, l, h)) {
            draw->AddRectFilled(a, b, IM_COL32(90, 90, 90, 255));
            if (showNumbers) draw->AddText(ImVec2(a.x + 2, a.y + 2), IM_COL32(220, 220, 220, 255), "n/a");
            return;
          }
          if (!showNumbers) return;
          const float value = float(stats.value(s, l, h));
          const float t = std::clamp((value - lo) / (hi - lo), 0.0f, 1.0f);
          const ImU32 bg = colors[std::min<std::size_t>(colors.size() - 1, std::size_t(t * (colors.size() - 1)))];
          const ImVec4 c = ImGui::ColorConvertU32ToFloat4(bg);
          const bool light = 0.2126f * c.x + 0.7152f * c.y + 0.0722f * c.z > 0.55f;
          const std::string text = s == HeadStatistic::Rank ? formatted("%.0f", value) : formatted("%.3g", value);
          const ImVec2 size = ImGui::CalcTextSize(text.c_str());
          draw->AddText(ImVec2(0.5f * (a.x + b.x - size.x), 0.5f * (a.y + b.y - size.y)),
                        light ? IM_COL32(0, 0, 0, 255) : IM_COL32(255, 255, 255, 255), text.c_str());
        },
        "model/stat/", hl, hh);
    if (hl >= 0) {
      if (stats.isValid(s, hl, hh))
        ImGui::SetTooltip("layer %d, head %d\n%s = %.6g\nclick to explore this head", hl, hh, gui::headStatisticName(s),
                          stats.value(s, hl, hh));
      else
        ImGui::SetTooltip("layer %d, head %d\n%s: not defined for this head", hl, hh, gui::headStatisticName(s));
    }
  }

  /// "Export CSV": a path and a button; writes gui::writeHeadsCsv (the same writer as `model heads --csv`).
  void drawCsvPopup(const ModelResult& result) {
    if (!ImGui::BeginPopup("##heads-csv")) return;
    ImGui::TextUnformatted("Every head's statistics as `attnscope model heads --csv` writes them");
    ImGui::SetNextItemWidth(24 * ImGui::GetFontSize());
    const bool entered =
        ImGui::InputText("##csv-path", state.csvPath, sizeof state.csvPath, ImGuiInputTextFlags_EnterReturnsTrue);
    ImGui::SameLine();
    if (ImGui::Button("Write") || entered) {
      try {
        if (result.headTable.rows.empty()) throw InputError("no run to export yet: run a prompt first");
        gui::writeHeadsCsv(result, state.csvPath);
        state.csvMessage =
            "wrote " + std::string(state.csvPath) + " (" + std::to_string(result.headTable.rows.size()) + " heads)";
      } catch (const std::exception& e) {
        state.csvMessage = e.what();
      }
    }
    if (!state.csvMessage.empty()) ImGui::TextWrapped("%s", state.csvMessage.c_str());
    ImGui::EndPopup();
  }

  /// The heads ranked by statistic `s` (gui::rankedHeads: largest first, undefined last), one row each; clicking a row
  /// selects that head as a click on the grid does.
  void drawRankedHeads(AppContext& ctx, const ModelResult& result, HeadStatistic s, float width, float height) {
    const gui::HeadStatistics& stats = result.statistics;
    const std::vector<std::pair<int, int>> order = gui::rankedHeads(stats, s);
    const Scene& scene = ctx.scene();
    const bool sceneIsThisModel = scene.model.path == result.request.path;
    const ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV |
                                  ImGuiTableFlags_SizingStretchProp;
    if (!ImGui::BeginTable("##ranked-heads", 4, flags, ImVec2(width, std::max(height, 60.0f)))) return;
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("rank");
    ImGui::TableSetupColumn("layer");
    ImGui::TableSetupColumn("head");
    ImGui::TableSetupColumn(gui::headStatisticName(s), ImGuiTableColumnFlags_WidthStretch, 3.0f);
    ImGui::TableHeadersRow();
    ImGuiListClipper clipper;
    clipper.Begin(int(order.size()));
    while (clipper.Step()) {
      for (int row = clipper.DisplayStart; row < clipper.DisplayEnd; ++row) {
        const int l = order[size_t(row)].first, h = order[size_t(row)].second;
        ImGui::TableNextRow();
        ImGui::TableSetColumnIndex(0);
        const bool selected = sceneIsThisModel && scene.model.layer == l && scene.model.head == h;
        const std::string label = std::to_string(row + 1) + "##rank" + std::to_string(row);
        if (ImGui::Selectable(label.c_str(), selected, ImGuiSelectableFlags_SpanAllColumns))
          selectHead(ctx, result, l, h);
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("layer %d, head %d\nclick to explore this head", l, h);
        const ImVec2 min = ImGui::GetItemRectMin(), max = ImGui::GetItemRectMax();
        ctx.publishProbe("model/rank/" + std::to_string(row), 0.5f * (min.x + max.x), 0.5f * (min.y + max.y));
        ImGui::TableSetColumnIndex(1);
        ImGui::Text("L%d", l);
        ImGui::TableSetColumnIndex(2);
        ImGui::Text("H%d", h);
        ImGui::TableSetColumnIndex(3);
        if (stats.isValid(s, l, h))
          ImGui::Text("%.6g", stats.value(s, l, h));
        else
          ImGui::TextDisabled("n/a");
      }
    }
    ImGui::EndTable();
  }

  /// The selected head's attention as the model computed it, beside every shown kernel on the same Q/K (scene
  /// results).
  void drawSelectedHead(AppContext& ctx, const ModelResult& result, float width, float height) {
    const Scene& scene = ctx.scene();
    const model::ModelCapture& capture = result.capture;
    if (!gui::sceneMatchesHead(scene, capture)) {
      ImGui::TextDisabled("The scene's vectors were edited or come from another run: pick a head to reload it.");
      return;
    }
    const int index = capture.headIndex(scene.model.layer, scene.model.head);
    const Derived& derived = ctx.derived();
    // The model's own map, then every shown kernel on the same Q/K.
    const std::span<const Kernel> kernels = shownKernels(scene);
    const int mapCount = 1 + static_cast<int>(kernels.size());
    std::vector<const RowMatrix*> maps{&capture.attention[index]};
    std::vector<std::string> longTitles{"model (used)"}, shortTitles{"model"}, slots{"model/head/model"};
    std::vector<std::uint64_t> revisions{result.generation * 100000 + std::uint64_t(index)};
    for (Kernel kernel : kernels) {
      maps.push_back(&derived.result(kernel).weights);
      shortTitles.push_back(kernelShortLabel(kernel));
      longTitles.push_back(shortTitles.back() + " (what-if)");
      slots.push_back("model/head/" + std::string(kernelName(kernel)));
      revisions.push_back(derived.sceneRevision);
    }
    ImGui::Text(
        "Layer %d, head %d  |  query row %d (%s)  |  d = %d%s", scene.model.layer, scene.model.head,
        scene.selectedQuery,
        scene.selectedQuery < int(scene.queryLabels.size()) ? scene.queryLabels[scene.selectedQuery].c_str() : "",
        capture.headDim, capture.rope ? (scene.model.preRope ? ", before RoPE" : ", after RoPE") : "");
    if (capture.rope && showViewControls(ctx)) {
      sameLineIfFits(toggleWidth("Q/K before RoPE"));
      bool pre = scene.model.preRope;
      if (ImGui::Checkbox("Q/K before RoPE", &pre)) {
        try {
          ctx.submit(gui::sceneForHead(scene, result, scene.model.layer, scene.model.head, scene.selectedQuery, pre),
                     pre ? "Q/K before RoPE" : "Q/K after RoPE");
        } catch (const std::exception& e) {
          ctx.reportError(e.what());
        }
      }
    }
    const float gap = 6.0f * ctx.uiScale();
    const float side = std::max(8.0f, std::min((width - float(mapCount - 1) * gap) / float(mapCount),
                                               height - 2 * ImGui::GetTextLineHeightWithSpacing()));
    gui::HeatmapStyle style;
    style.colorMap = scene.display.colorMap;
    style.minValue = 0.0f;
    style.maxValue = 1.0f;
    const ImVec2 start = ImGui::GetCursorScreenPos();
    ImDrawList* draw = ImGui::GetWindowDrawList();
    bool longFit = true;
    for (const std::string& title : longTitles) longFit = longFit && ImGui::CalcTextSize(title.c_str()).x < side;
    for (int m = 0; m < mapCount; ++m) {
      const ImVec2 a(start.x + m * (side + gap), start.y + ImGui::GetTextLineHeightWithSpacing());
      // Long titles only where every one fits above its map (narrow windows would run them into each other).
      const char* title = (longFit ? longTitles[m] : shortTitles[m]).c_str();
      draw->AddText(ImVec2(a.x, start.y), ImGui::GetColorU32(m == 0 ? ImGuiCol_Text : ImGuiCol_TextDisabled), title);
      if (maps[m]->size() == 0) continue;
      const unsigned texture = ctx.heatmaps().texture(slots[m], revisions[m], *maps[m], style);
      if (texture != 0) draw->AddImage((ImTextureID)(intptr_t)texture, a, ImVec2(a.x + side, a.y + side));
      // The selected query row, outlined.
      const float rowHeight = side / float(maps[m]->rows());
      const float y = a.y + scene.selectedQuery * rowHeight;
      draw->AddRect(ImVec2(a.x, y), ImVec2(a.x + side, y + rowHeight), queryColor(), 0, 0, 1.5f * ctx.uiScale());
    }
    reserveRect("##selected-head", ImVec2(float(mapCount) * side + float(mapCount - 1) * gap,
                                          side + ImGui::GetTextLineHeightWithSpacing()));
    itemTooltip(
        "Colour scale 0..1 (weights). The model's map is what it used; DPA should match it, the other kernels show "
        "what they would do with the same queries and keys (see the Attention maps view).");
  }
};

}  // namespace

void ModelExplorerView::draw(AppContext& ctx) {
  ModelSession& session = ctx.modelSession();
  // Presenter mode shows the grids and maps without the open / prompt / statistic widgets, as an export does.
  const bool controls = showViewControls(ctx) && !ctx.exporting();
  if (controls) drawOpenControls(ctx, session);
  const gui::LongMapState& longMap = ctx.longMap();
  if (const model::CaptureSummary* summary = longMap.captureSummary()) {
    ImGui::TextWrapped(
        "%s: %d tokens, %d layers x %d heads: too long for the dense views (a %d x %d map per head): use the Long "
        "map view, which computes the maps from q and k.",
        longMap.capturePath().c_str(), summary->tokens, summary->layers, summary->heads, summary->tokens,
        summary->tokens);
    if (controls && !ctx.scene().isViewOpen(gui::ViewKind::LongMap) && ImGui::Button("Open the Long map view")) {
      Scene next = ctx.scene();
      next.setViewOpen(gui::ViewKind::LongMap, true);
      ctx.submit(std::move(next), "Open view longmap");
    }
  }
  const ModelResult* result = session.result();
  if (result == nullptr) {
    if (!session.busy() && !longMap.hasCapture())
      ImGui::TextWrapped(
          "No model loaded. Open a llama2.c checkpoint, a Hugging Face folder or a capture file%s, or "
          "drop one onto the window.",
          state.exampleModel.empty() ? "" : " (or the example model)");
    return;
  }
  if (controls)
    drawPromptControls(ctx, session, *result);
  else
    ImGui::TextDisabled("%s  |  %d layers x %d heads, head dim %d", result->request.path.c_str(), result->info.layers,
                        result->info.heads, result->info.headDim);
  const model::ModelCapture& capture = result->capture;
  if (capture.tokens == 0) {
    ImGui::TextDisabled("Enter token ids and press Run.");
    return;
  }
  drawTokenStrip(ctx, capture);
  // Timings vary from run to run: kept out of exports so the same scene renders the same pixels.
  if (controls)
    ImGui::TextDisabled("run %.0f ms, statistics %.0f ms, %d tokens", 1000 * result->runSeconds,
                        1000 * result->statisticsSeconds, capture.tokens);

  const ImVec2 avail = ImGui::GetContentRegionAvail();
  if (avail.x > 3.0f * avail.y) {
    // Wide and short (docked along the bottom of the default layout): the selected head's maps go beside the grids
    // instead of under them, so neither shrinks to a strip.
    const float spacing = ImGui::GetStyle().ItemSpacing.x;
    const float gridsWidth = std::floor(avail.x * 0.56f);
    const float gridHeight = std::max(avail.y - ImGui::GetTextLineHeightWithSpacing(), 60.0f);
    const float halfGrid = 0.5f * (gridsWidth - spacing);
    ImGui::BeginGroup();
    ImGui::TextUnformatted("Attention per head");
    drawThumbnailGrid(ctx, *result, halfGrid, gridHeight);
    ImGui::EndGroup();
    ImGui::SameLine();
    ImGui::BeginGroup();
    drawStatisticGrid(ctx, *result, halfGrid, gridHeight);
    ImGui::EndGroup();
    ImGui::SameLine();
    ImGui::BeginGroup();
    // What is left right of the grids as drawn (their header rows can be wider than the grids themselves).
    drawSelectedHead(ctx, *result, std::min(avail.x - gridsWidth - 2 * spacing, ImGui::GetContentRegionAvail().x),
                     avail.y);
    ImGui::EndGroup();
    return;
  }
  const float headRowHeight = std::clamp(avail.y * 0.34f, 6 * ImGui::GetFontSize(), 20 * ImGui::GetFontSize());
  const float gridHeight = std::max(avail.y - headRowHeight - 2 * ImGui::GetTextLineHeightWithSpacing(), 60.0f);
  const float half = 0.5f * (avail.x - ImGui::GetStyle().ItemSpacing.x);
  ImGui::BeginGroup();
  ImGui::TextUnformatted("Attention per head");
  drawThumbnailGrid(ctx, *result, half, gridHeight);
  ImGui::EndGroup();
  ImGui::SameLine();
  ImGui::BeginGroup();
  drawStatisticGrid(ctx, *result, half, gridHeight);
  ImGui::EndGroup();
  drawSelectedHead(ctx, *result, avail.x, headRowHeight);
}

std::unique_ptr<gui::View> makeModelExplorerView() {
  return std::make_unique<ModelExplorerView>();
}

}  // namespace attnscope::views
