// The Train view (issue 15): set up one to four runs of the training lab side by side, Start / Pause / Step / Reset
// them, and watch their loss and accuracy curves and, per layer x head, the attention map on the probe sequence with
// its CT divergence and attention-weighted parallel / orthogonal / antiparallel fractions, scrubbing back through the
// snapshots. A head goes to the playground (an undoable edit) or the run to the Model explorer (a checkpoint folder).
// The runs live in the context's TrainSession (app/gui/train_session.h); this object only holds what the user edits.
#include <imgui.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>

#include "app/gui/model_session.h"
#include "app/gui/train_figure.h"
#include "app/gui/train_session.h"
#include "app/gui/workspaces.h"
#include "app/views/view_common.h"
#include "app/views/views.h"
#include "core/atomic_file.h"

namespace attnscope::views {
namespace {

using gui::RunStatus;
using gui::TrainSession;
using gui::TrainSetup;

/// Model sizes offered (layers, heads, dim): the default is `attnscope train`'s.
struct SizePreset {
  const char* name;
  int layers, heads, dim;
};
constexpr std::array<SizePreset, 3> kSizes{{
    {"tiny (1 x 2, d 16)", 1, 2, 16},
    {"small (2 x 2, d 32)", 2, 2, 32},
    {"default (2 x 4, d 64)", 2, 4, 64},
}};
constexpr std::array<const char*, 4> kTasks{"copy", "recall", "ladder", "multitask"};
constexpr std::array<const char*, 3> kRegularisers{"none", "CT", "MMD"};

std::string runLabel(const gui::TrainRunOptions& run) {
  std::string label = kernelShortLabel(run.kernel);
  if (run.alignment != train::AlignmentKind::None) {
    label += std::string(" + ") + (run.alignment == train::AlignmentKind::Ct ? "CT " : "MMD ") +
             formatted("%g", run.alignmentWeight);
  }
  return label;
}

class TrainView final : public gui::View {
 public:
  TrainView() { setup_.context = 24; }

  /// Configures the session on first use (paused: nothing trains before Start) and reports divergences once.
  void update(AppContext& ctx) override {
    TrainSession& session = ctx.trainSession();
    if (session.runCount() == 0 && !refused_) apply(ctx);
    reported_.resize(static_cast<size_t>(session.runCount()), false);
    for (int r = 0; r < session.runCount(); ++r) {
      const gui::RunState state = session.state(r);
      const bool bad = state.status == RunStatus::Diverged || state.status == RunStatus::Failed;
      if (bad && !reported_[static_cast<size_t>(r)]) ctx.reportError(state.message);
      reported_[static_cast<size_t>(r)] = bad;
    }
  }

  void draw(AppContext& ctx) override {
    TrainSession& session = ctx.trainSession();
    if (showViewControls(ctx)) {
      drawSetup(ctx);
      drawRunControls(ctx, session);
    }
    drawBanners(session);
    if (session.runCount() == 0) {
      ImGui::TextDisabled("No runs: fix the setup above and press Apply.");
      return;
    }
    selectedRun_ = std::clamp(selectedRun_, 0, session.runCount() - 1);
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float curvesWidth = std::floor(avail.x * 0.42f);
    const float height = std::max(avail.y, minPlotHeight() * 2.0f);
    ImGui::BeginChild("##train-curves", ImVec2(curvesWidth, height), false, ImGuiWindowFlags_NoScrollbar);
    drawCurves(ctx, session);
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("##train-heads", ImVec2(0, height), false);
    drawHeads(ctx, session);
    ImGui::EndChild();
  }

 private:
  TrainSetup setup_;
  int sizeIndex_ = 2;
  bool dirty_ = false;    // the setup differs from the session's (Apply restarts)
  bool refused_ = false;  // the last Apply was refused: wait for the user
  std::vector<bool> reported_;
  int selectedRun_ = 0;
  int layer_ = 0, head_ = 0;
  bool live_ = true;  // the timeline follows the newest snapshot
  int snapshotIndex_ = 0;
  char exportBase_[256] = "train_curves";
  std::vector<gui::TrainCurve> curves_;
  std::uint64_t curvesRevision_ = 0;
  std::string exportMessage_;

  void publish(AppContext& ctx, const std::string& name) {
    probeControl(ctx, name);
    const ImVec2 min = ImGui::GetItemRectMin(), max = ImGui::GetItemRectMax();
    ctx.publishProbe(name, 0.5f * (min.x + max.x), 0.5f * (min.y + max.y));
  }

  void apply(AppContext& ctx) {
    try {
      ctx.trainSession().configure(setup_);
      dirty_ = refused_ = false;
      live_ = true;
      reported_.clear();
    } catch (const std::exception& e) {
      refused_ = true;
      ctx.reportError(e.what());
    }
  }

  void drawSetup(AppContext& ctx) {
    const float font = ImGui::GetFontSize();
    bool changed = false;
    int task = static_cast<int>(setup_.task.kind);
    ImGui::SetNextItemWidth(7 * font);
    changed |= ImGui::Combo("task", &task, kTasks.data(), static_cast<int>(kTasks.size()));
    setup_.task.kind = static_cast<train::TaskKind>(task);
    itemTooltip(
        "What the runs learn (README, Training lab): copy repeats the sequence, recall answers a query from key-value "
        "pairs, ladder chains lookups (level 1 = copy, L = L - 1 hops), multitask mixes them.");
    if (setup_.task.kind == train::TaskKind::Ladder) {
      sameLineIfFits(labelledWidth(5 * font, "level"));
      ImGui::SetNextItemWidth(5 * font);
      changed |= ImGui::InputInt("level", &setup_.task.level);
      setup_.task.level = std::clamp(setup_.task.level, 1, 16);
      itemTooltip("Ladder rung: 1 = copy (positional), L >= 2 = L - 1 chained lookups.");
    }
    sameLineIfFits(labelledWidth(5 * font, "symbols"));
    ImGui::SetNextItemWidth(5 * font);
    changed |= ImGui::InputInt("symbols", &setup_.task.symbols);
    setup_.task.symbols = std::clamp(setup_.task.symbols, 2, 64);
    itemTooltip("Alphabet size S of the task's content tokens.");
    sameLineIfFits(labelledWidth(11 * font, "size"));
    ImGui::SetNextItemWidth(11 * font);
    if (ImGui::BeginCombo("size", kSizes[static_cast<size_t>(sizeIndex_)].name)) {
      for (int i = 0; i < static_cast<int>(kSizes.size()); ++i)
        if (ImGui::Selectable(kSizes[static_cast<size_t>(i)].name, i == sizeIndex_)) {
          sizeIndex_ = i;
          changed = true;
        }
      ImGui::EndCombo();
    }
    itemTooltip(
        "Model size of every run: layers x heads per layer, and the model width d (head dimension = d / heads).");
    const SizePreset& size = kSizes[static_cast<size_t>(sizeIndex_)];
    setup_.layers = size.layers;
    setup_.heads = size.heads;
    setup_.dim = size.dim;
    sameLineIfFits(labelledWidth(5 * font, "context"));
    ImGui::SetNextItemWidth(5 * font);
    changed |= ImGui::InputInt("context", &setup_.context);
    setup_.context = std::clamp(setup_.context, 3, 256);
    itemTooltip("Sequence length T of the batches and of the probe sequence the maps show.");
    sameLineIfFits(labelledWidth(6 * font, "learning rate"));
    ImGui::SetNextItemWidth(6 * font);
    float lr = static_cast<float>(setup_.optimizer.learningRate);
    if (ImGui::InputFloat("learning rate", &lr, 0.0f, 0.0f, "%.4g")) {
      setup_.optimizer.learningRate = std::clamp(lr, 1e-6f, 10.0f);
      changed = true;
    }
    itemTooltip(
        "AdamW learning rate shared by every run (default 3e-3). Too high and a run's loss stops being finite.");
    sameLineIfFits(labelledWidth(6 * font, "steps"));
    ImGui::SetNextItemWidth(6 * font);
    changed |= ImGui::InputInt("steps", &setup_.steps, 100);
    setup_.steps = std::clamp(setup_.steps, 1, 100000);
    itemTooltip("Each run stops (finished) after this many optimiser steps.");
    sameLineIfFits(labelledWidth(5 * font, "snapshot every"));
    ImGui::SetNextItemWidth(5 * font);
    changed |= ImGui::InputInt("snapshot every", &setup_.snapshotEvery);
    setup_.snapshotEvery = std::clamp(setup_.snapshotEvery, 1, 10000);
    itemTooltip("Steps between snapshots of the heads (attention map, divergence, fractions) for the timeline.");

    // One group per run: kernel, regulariser, its weight, and a remove button.
    for (int r = 0; r < static_cast<int>(setup_.runs.size()); ++r) {
      gui::TrainRunOptions& run = setup_.runs[static_cast<size_t>(r)];
      ImGui::PushID(r);
      if (r > 0) sameLineIfFits(28 * font);
      ImGui::AlignTextToFramePadding();
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(plot::seriesColor(r)), "run %d", r + 1);
      ImGui::SameLine();
      ImGui::SetNextItemWidth(6 * font);
      if (ImGui::BeginCombo("##kernel", kernelShortLabel(run.kernel).c_str())) {
        for (Kernel k : kAllKernels)
          if (ImGui::Selectable(kernelShortLabel(k).c_str(), k == run.kernel)) {
            run.kernel = k;
            changed = true;
          }
        ImGui::EndCombo();
      }
      itemTooltip("This run's attention kernel: DPA (softmax), EA (expressive), MGK (Gaussian keys), ...");
      ImGui::SameLine();
      ImGui::SetNextItemWidth(5 * font);
      int align = static_cast<int>(run.alignment);
      if (ImGui::Combo("##align", &align, kRegularisers.data(), static_cast<int>(kRegularisers.size()))) {
        run.alignment = static_cast<train::AlignmentKind>(align);
        changed = true;
      }
      itemTooltip(
          "The alignment regulariser added to this run's loss: CT or MMD between each head's queries and keys.");
      if (run.alignment != train::AlignmentKind::None) {
        ImGui::SameLine();
        ImGui::SetNextItemWidth(4 * font);
        float weight = static_cast<float>(run.alignmentWeight);
        if (ImGui::InputFloat("##lambda", &weight, 0.0f, 0.0f, "%.3g")) {
          run.alignmentWeight = std::clamp(weight, 0.0f, 100.0f);
          changed = true;
        }
        itemTooltip("lambda: the regulariser's weight in the loss.");
      }
      if (setup_.runs.size() > 1) {
        ImGui::SameLine();
        if (ImGui::SmallButton("x")) {
          setup_.runs.erase(setup_.runs.begin() + r);
          changed = true;
          ImGui::PopID();
          break;
        }
        itemTooltip("Remove this run from the comparison.");
      }
      ImGui::PopID();
    }
    if (static_cast<int>(setup_.runs.size()) < gui::kMaxTrainRuns) {
      sameLineIfFits(5 * font);
      if (ImGui::SmallButton("+ run")) {
        const Kernel next[] = {Kernel::Dpa, Kernel::Ea, Kernel::Mgk, Kernel::Dpa};
        setup_.runs.push_back({next[setup_.runs.size() % 4],
                               setup_.runs.size() == 3 ? train::AlignmentKind::Ct : train::AlignmentKind::None, 0.1});
        changed = true;
      }
      itemTooltip("Add a run (up to 4): same task, size, seed and data; its own kernel and regulariser.");
    }
    dirty_ |= changed;
    if (changed) refused_ = false;
    sameLineIfFits(6 * font);
    ImGui::BeginDisabled(!dirty_);
    if (ImGui::Button("Apply")) apply(ctx);
    ImGui::EndDisabled();
    publish(ctx, "train/apply");
    itemTooltip(
        "Restart every run with this setup (from the seed, paused at step 0). Sizes beyond the memory budget "
        "are refused before anything starts.");
    if (dirty_) {
      ImGui::SameLine();
      ImGui::TextDisabled("(changed: Apply restarts the runs)");
    }
  }

  void drawRunControls(AppContext& ctx, TrainSession& session) {
    if (ImGui::Button("Start")) session.start();
    publish(ctx, "train/start");
    itemTooltip("Train every run on its own thread until Pause, the step limit or a non-finite loss.");
    ImGui::SameLine();
    if (ImGui::Button("Pause")) session.pause();
    publish(ctx, "train/pause");
    itemTooltip("Stop every run now (a step in flight is dropped and run again on Start).");
    ImGui::SameLine();
    // While a Step's update is being computed the button reads "Stepping" and is disabled (a second Step would
    // queue behind it); the runs' lines say which step is being computed, so the click shows in the next frame.
    bool stepping = false;
    for (int r = 0; r < session.runCount(); ++r) stepping = stepping || session.state(r).stepping > 0;
    ImGui::BeginDisabled(stepping);
    if (ImGui::Button(stepping ? "Stepping###step" : "Step###step")) session.step();
    ImGui::EndDisabled();
    publish(ctx, "train/step");
    itemTooltip("One optimiser step of every paused run, then pause again (a running run pauses).");
    ImGui::SameLine();
    if (ImGui::Button("Reset")) {
      session.reset();
      live_ = true;
    }
    publish(ctx, "train/reset");
    itemTooltip("Back to the seed's initial weights, step 0, paused. The setup is unchanged.");
    for (int r = 0; r < session.runCount(); ++r) {
      const gui::RunState state = session.state(r);
      const std::string status = state.stepping > 0 ? "computing step " + std::to_string(state.stepping)
                                                    : std::string(gui::runStatusName(state.status));
      const std::string text = "run " + std::to_string(r + 1) + " " + runLabel(session.setup().runs[size_t(r)]) +
                               ": step " + std::to_string(state.stepsDone) + " " + status;
      sameLineIfFits(ImGui::CalcTextSize(text.c_str()).x + ImGui::GetFontSize());
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(plot::seriesColor(r)), "%s", text.c_str());
    }
  }

  void drawBanners(TrainSession& session) {
    for (int r = 0; r < session.runCount(); ++r) {
      const gui::RunState state = session.state(r);
      if (state.message.empty()) continue;
      ImGui::PushTextWrapPos(0.0f);
      ImGui::TextColored(ImVec4(0.85f, 0.25f, 0.2f, 1.0f), "%s", state.message.c_str());
      ImGui::PopTextWrapPos();
    }
  }

  /// Every run's curve, copied out of the session only when it changed (a long history is not copied every frame).
  const std::vector<gui::TrainCurve>& curves(const TrainSession& session) {
    if (session.revision() != curvesRevision_) {
      curvesRevision_ = session.revision();
      curves_.clear();
      for (int r = 0; r < session.runCount(); ++r)
        curves_.push_back({runLabel(session.setup().runs[size_t(r)]), session.history(r)});
    }
    return curves_;
  }

  void drawCurves(AppContext& ctx, TrainSession& session) {
    const std::vector<gui::TrainCurve>& data = curves(session);
    const float font = ImGui::GetFontSize();
    if (showViewControls(ctx)) {
      ImGui::SetNextItemWidth(std::max(ImGui::GetContentRegionAvail().x - 14 * font, 6 * font));
      ImGui::InputText("##export", exportBase_, sizeof exportBase_);
      itemTooltip("File name without extension for the exports: NAME.csv, NAME.png, NAME.svg.");
      for (const char* format : {"CSV", "PNG", "SVG"}) {
        ImGui::SameLine();
        if (ImGui::Button(format)) exportCurves(data, format);
        publish(ctx, std::string("train/export/") + format);
        itemTooltip(
            std::string(format) == "CSV"
                ? "Every run's loss, cross-entropy, alignment, accuracy, gradient norm and learning rate per step."
                : "The curves as drawn here (light theme), through the same plotting code.");
      }
      if (!exportMessage_.empty()) ImGui::TextDisabled("%s", exportMessage_.c_str());
    }
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const plot::Rect rect = reserveRect("##curves", ImVec2(avail.x, std::max(avail.y, 2 * minPlotHeight())));
    gui::TrainCurvesOptions options;
    options.stepLimit = session.setup().steps;
    const auto snapshot = shownSnapshot(session);
    if (snapshot) options.markerStep = snapshot->step;
    drawTrainCurves(ImGui::GetWindowDrawList(), rect, data, options);
  }

  void exportCurves(const std::vector<gui::TrainCurve>& data, const std::string& format) {
    const std::string path = std::string(exportBase_) + (format == "CSV" ? ".csv" : format == "PNG" ? ".png" : ".svg");
    try {
      if (format == "CSV") {
        writeFileAtomically(path, gui::trainCurvesCsv(data));
      } else {
        gui::writeTrainCurvesFigure(data, format == "PNG" ? path : "", format == "SVG" ? path : "");
      }
      exportMessage_ = "wrote " + path;
    } catch (const std::exception& e) {
      exportMessage_ = e.what();
    }
  }

  std::shared_ptr<const gui::TrainSnapshot> shownSnapshot(const TrainSession& session) {
    if (session.runCount() == 0) return nullptr;
    const auto snapshots = session.snapshots(std::clamp(selectedRun_, 0, session.runCount() - 1));
    if (snapshots.empty()) return nullptr;
    if (live_) snapshotIndex_ = static_cast<int>(snapshots.size()) - 1;
    snapshotIndex_ = std::clamp(snapshotIndex_, 0, static_cast<int>(snapshots.size()) - 1);
    return snapshots[static_cast<size_t>(snapshotIndex_)];
  }

  void drawHeads(AppContext& ctx, TrainSession& session) {
    const float font = ImGui::GetFontSize();
    // Which run, and where on its timeline.
    for (int r = 0; r < session.runCount(); ++r) {
      if (r > 0) ImGui::SameLine();
      ImGui::PushStyleColor(ImGuiCol_Text, ImGui::ColorConvertU32ToFloat4(plot::seriesColor(r)));
      if (ImGui::RadioButton(("run " + std::to_string(r + 1) + "##show").c_str(), selectedRun_ == r)) selectedRun_ = r;
      ImGui::PopStyleColor();
      publish(ctx, "train/run/" + std::to_string(r));
      itemTooltip("Show this run's heads in the grid.");
    }
    const int count = static_cast<int>(session.snapshots(selectedRun_).size());
    const auto snapshot = shownSnapshot(session);
    if (!snapshot) {
      ImGui::TextDisabled("taking the first snapshot...");
      return;
    }
    if (showViewControls(ctx)) {
      ImGui::SameLine();
      ImGui::Checkbox("live", &live_);
      itemTooltip("Follow the newest snapshot while the run trains; untick (or drag the timeline) to look back.");
      ImGui::SetNextItemWidth(std::max(ImGui::GetContentRegionAvail().x - 8 * font, 6 * font));
      const std::string format = "step " + std::to_string(snapshot->step);
      if (ImGui::SliderInt("timeline", &snapshotIndex_, 0, std::max(count - 1, 0), format.c_str())) live_ = false;
      publish(ctx, "train/timeline");
      itemTooltip("Scrub back through the snapshots of the shown run (one every 'snapshot every' steps).");
    }
    layer_ = std::clamp(layer_, 0, snapshot->layers - 1);
    head_ = std::clamp(head_, 0, snapshot->heads - 1);
    if (showViewControls(ctx)) {
      if (ImGui::Button("Send to playground")) {
        try {
          Scene next = gui::sceneForTrainHead(ctx.scene(), *snapshot, layer_, head_, trainProbeTokens(session.setup()));
          gui::switchWorkspace(next, gui::workspaceInfo(gui::WorkspaceKind::Playground));
          ctx.submit(std::move(next), "Train head " + std::to_string(layer_) + "." + std::to_string(head_) +
                                          " at step " + std::to_string(snapshot->step));
        } catch (const std::exception& e) {
          ctx.reportError(e.what());
        }
      }
      publish(ctx, "train/send");
      itemTooltip(
          "Replace the scene's queries and keys by the selected head's on the probe sequence (undoable) and "
          "show them in the playground: canvas, sweep, maps; density and divergence in Ctrl+2.");
      ImGui::SameLine();
      // The explorer opens the shown step when its weights are kept (TrainSetup::keptWeights), else the nearest kept
      // step, and the button says which.
      const int opened = session.nearestKeptStep(selectedRun_, snapshot->step);
      const std::string label = opened == snapshot->step
                                    ? std::string("Open in Model explorer###explorer")
                                    : "Open step " + std::to_string(opened) + " in Model explorer###explorer";
      if (ImGui::Button(label.c_str())) openInExplorer(ctx, session, opened);
      publish(ctx, "train/explorer");
      const std::string tip =
          opened == snapshot->step
              ? "Write this run's weights at the shown step as a checkpoint folder (Hugging Face GPT-2 layout) in "
                "the temporary folder and open it in the Model explorer on the probe's token ids."
              : "The weights of step " + std::to_string(snapshot->step) + " are not kept (a run keeps " +
                    std::to_string(session.setup().keptWeights) +
                    " snapshots' weights, thinned as it trains): this opens step " + std::to_string(opened) +
                    ", the nearest kept, as a checkpoint folder in the Model explorer on the probe's token ids.";
      itemTooltip(tip.c_str());
      ImGui::SameLine();
      ImGui::TextDisabled("head %d.%d", layer_, head_);
      std::string probe = "probe:";
      for (int id : trainProbeTokens(session.setup())) probe += " " + std::to_string(id);
      sameLineIfFits(ImGui::CalcTextSize(probe.c_str()).x);
      ImGui::TextDisabled("%s", probe.c_str());
      itemTooltip(
          "The token ids every map shows: one fixed sequence of the task (the same for every run and snapshot), "
          "so the maps change only because the weights do.");
    }
    drawGrid(ctx, *snapshot);
  }

  void openInExplorer(AppContext& ctx, TrainSession& session, int step) {
    try {
      gui::ModelRequest request;
      request.path = session.explorerCheckpoint(selectedRun_, step).string();
      request.tokenIds = trainProbeTokens(session.setup());
      request.fromUser = true;
      if (!ctx.modelSession().start(std::move(request))) {
        ctx.reportError("a model job is still running: cancel it in the Model explorer first");
        return;
      }
      Scene next = ctx.scene();
      gui::switchWorkspace(next, gui::workspaceInfo(gui::WorkspaceKind::Model));
      ctx.submit(std::move(next), "Open training run in the Model explorer");
    } catch (const std::exception& e) {
      ctx.reportError(e.what());
    }
  }

  void drawGrid(AppContext& ctx, const gui::TrainSnapshot& snapshot) {
    const float font = ImGui::GetFontSize(), pad = 0.5f * font;
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float labelWidth = 2.5f * font, textHeight = 2.0f * ImGui::GetTextLineHeightWithSpacing();
    const float side = std::floor(std::max(
        std::min((avail.x - labelWidth) / snapshot.heads - pad, (avail.y - font) / snapshot.layers - textHeight - pad),
        2.0f * font));
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    ImDrawList* draw = ImGui::GetWindowDrawList();
    const plot::Style style = plot::Style::fromImGui();
    for (int l = 0; l < snapshot.layers; ++l) {
      const float y = origin.y + l * (side + textHeight + pad);
      draw->AddText(ImVec2(origin.x, y + 0.5f * side - 0.5f * font), style.text, ("L" + std::to_string(l)).c_str());
      for (int h = 0; h < snapshot.heads; ++h) {
        const gui::HeadSnapshot& head = snapshot.head(l, h);
        const ImVec2 a(origin.x + labelWidth + h * (side + pad), y), b(a.x + side, a.y + side);
        gui::HeatmapStyle heat;
        heat.colorMap = ctx.scene().display.colorMap;
        heat.maxValue = std::max(head.weights.maxCoeff(), 1e-6f);
        heat.shownWidth = heat.shownHeight = static_cast<int>(side);
        const std::string slot = "train/" + std::to_string(l) + "/" + std::to_string(h);
        const unsigned texture = ctx.heatmaps().texture(slot, snapshot.id, head.weights, heat);
        if (texture != 0) draw->AddImage((ImTextureID)(intptr_t)texture, a, b);
        const bool selected = l == layer_ && h == head_;
        draw->AddRect(a, b, selected ? style.axis : style.border, 0.0f, 0, selected ? 3.0f : 1.0f);
        ImGui::SetCursorScreenPos(a);
        ImGui::PushID(l * 64 + h);
        if (ImGui::InvisibleButton("##head", ImVec2(side, side))) {
          layer_ = l;
          head_ = h;
        }
        if (ImGui::IsItemHovered()) {
          ImGui::SetTooltip(
              "layer %d head %d at step %d\nCT divergence %.4f\nattention on parallel pairs %.3f, orthogonal %.3f, "
              "antiparallel %.3f, other %.3f (band %.0f degrees)\nclick to select; Send to playground takes it",
              l, h, snapshot.step, head.ct, head.fractions.parallel, head.fractions.orthogonal,
              head.fractions.antiparallel, head.fractions.other, double(ctx.trainSession().setup().bandDegrees));
        }
        ImGui::PopID();
        ctx.publishProbe("train/head/" + std::to_string(l) + "/" + std::to_string(h), 0.5f * (a.x + b.x),
                         0.5f * (a.y + b.y));
        // Under the map, the widest form that fits its width, or nothing (the tooltip has every number): a line cut
        // at the map's edge ran into the next map's text at presenter mode's font ("A0P0.00").
        const auto fitting = [&](std::initializer_list<std::string> forms) {
          for (const std::string& form : forms)
            if (ImGui::CalcTextSize(form.c_str()).x <= side + 0.5f * pad) return form;
          return std::string();
        };
        const train::WeightedPairFractions& f = head.fractions;
        // Two decimals, without the leading zero in the short form (".22"; 1 stays "1.00").
        const auto fraction = [](double value, bool shortForm) {
          std::string text = formatted("%.2f", value);
          if (shortForm && text.starts_with("0.")) text.erase(0, 1);
          return text;
        };
        const auto fractionsLine = [&](bool shortForm) {
          return "P" + fraction(f.parallel, shortForm) + " O" + fraction(f.orthogonal, shortForm) + " A" +
                 fraction(f.antiparallel, shortForm);
        };
        const std::string line1 = fitting({formatted("CT %.3f", head.ct), formatted("%.3f", head.ct)});
        const std::string line2 = fitting({fractionsLine(false), fractionsLine(true)});
        draw->AddText(ImVec2(a.x, b.y + 2.0f), style.text, line1.c_str());
        draw->AddText(ImVec2(a.x, b.y + 2.0f + ImGui::GetTextLineHeightWithSpacing()), style.textDim, line2.c_str());
      }
    }
    ImGui::SetCursorScreenPos(ImVec2(origin.x, origin.y + snapshot.layers * (side + textHeight + pad)));
    ImGui::Dummy(ImVec2(1, 1));
  }
};

}  // namespace

std::unique_ptr<gui::View> makeTrainView() {
  return std::make_unique<TrainView>();
}

}  // namespace attnscope::views
