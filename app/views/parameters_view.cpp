// Parameters: every number behind the kernels, the divergences and the display, each with a tooltip saying what it
// does. Slider drags merge into one undo step.
#include <cmath>

#include "app/views/view_common.h"
#include "app/views/views.h"

namespace attnscope::views {
namespace {

/// A section title followed by a rule (ImGui 1.86 has no SeparatorText).
void sectionHeader(const char* title) {
  ImGui::Spacing();
  ImGui::TextColored(ImGui::GetStyleColorVec4(ImGuiCol_CheckMark), "%s", title);
  ImGui::Separator();
}

/// Submits `next` as a continuous (drag-merged) edit when `changed`.
void commit(AppContext& ctx, bool changed, Scene&& next, const char* label) {
  if (changed) ctx.submit(std::move(next), label, gui::EditMerge::Continuous);
}

void kernelSection(AppContext& ctx) {
  const Scene& scene = ctx.scene();
  sectionHeader("Score scale");
  {
    gui::KernelParams kernel = scene.kernel;  // small; the whole scene is copied only for an actual edit
    bool changed = ImGui::Checkbox("override scale s", &kernel.useScaleOverride);
    itemTooltip(
        "x_ij = s q_i . k_j feeds DPA and EA. Off: s = 1/sqrt(d), the usual transformer scale. For DPA the "
        "scale acts as an inverse temperature (larger s = sharper weights); for pure EA any common scale "
        "cancels, for saturating EA it sets where x^2/(1+x^2) saturates.");
    sameLineIfFits(labelledWidth(ImGui::GetFontSize() * 12.0f, "s"));
    ImGui::BeginDisabled(!kernel.useScaleOverride);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12.0f);
    changed |= ImGui::SliderFloat("s", &kernel.scaleOverride, 0.01f, 20.0f, "%.3f", ImGuiSliderFlags_Logarithmic);
    ImGui::EndDisabled();
    const std::string inUse = formatted("(in use: %.4f)", scene.effectiveScale());
    sameLineIfFits(ImGui::CalcTextSize(inUse.c_str()).x);
    ImGui::TextDisabled("%s", inUse.c_str());
    if (changed) {
      Scene next = scene;
      next.kernel.useScaleOverride = kernel.useScaleOverride;
      next.kernel.scaleOverride = kernel.scaleOverride;
      commit(ctx, true, std::move(next), "Scale");
    }
  }

  sectionHeader("Expressive attention");
  {
    int form = scene.kernel.eaForm == ExpressiveForm::Saturating ? 0 : 1;
    const bool a = ImGui::RadioButton("saturating  f(x) = x^2 / (1 + x^2)", &form, 0);
    itemTooltip(
        "The form used by public reimplementations of Gros (2024): bounded, so very long vectors cannot "
        "take all the weight.");
    sameLineIfFits(toggleWidth("pure  f(x) = x^2"));
    const bool b = ImGui::RadioButton("pure  f(x) = x^2", &form, 1);
    itemTooltip("The plain square: weights are x_ij^2 / sum x^2; a common scale cancels.");
    if (a || b) {
      Scene next = scene;
      next.kernel.eaForm = form == 0 ? ExpressiveForm::Saturating : ExpressiveForm::Pure;
      if (next.kernel.eaForm != scene.kernel.eaForm) ctx.submit(std::move(next), "EA form");
    }
    bool causal = scene.kernel.causal;
    const bool changed = ImGui::Checkbox("causal mask", &causal);
    itemTooltip("Query i sees keys j <= i only. Masking is multiplicative for EA (f = 0 for a masked key).");
    if (changed) {
      Scene next = scene;
      next.kernel.causal = causal;
      ctx.submit(std::move(next), "Causal mask");
    }
  }

  sectionHeader("Mixture of Gaussian keys");
  {
    int components = scene.kernel.mgkComponents;
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 8.0f);
    if (ImGui::SliderInt("components R", &components, 1, gui::kMaxMgkComponents)) {
      Scene next = scene;
      next.setMgkComponents(components);
      ctx.submit(std::move(next), "MGK components", gui::EditMerge::Continuous);
    }
    itemTooltip("Gaussian components per key position. The paper's language models use 2.");
    sameLineIfFits(toggleWidth("soft"));
    int variant = scene.display.mgkHard() ? 1 : 0;
    const bool soft = ImGui::RadioButton("soft", &variant, 0);
    itemTooltip("S_ij = sum_r pi_jr exp(-|q_i - k_jr|^2 / (2 sigma_jr^2)).");
    sameLineIfFits(toggleWidth("hard"));
    const bool hard = ImGui::RadioButton("hard", &variant, 1);
    itemTooltip("S_ij = max_r exp(-|q_i - k_jr|^2 / (2 sigma_jr^2)); priors are ignored.");
    if (soft || hard) {
      Scene next = scene;
      next.display.showMgkVariant(variant == 1);
      if (next.display.shownKernels != scene.display.shownKernels) ctx.submit(std::move(next), "MGK variant");
    }
    sameLineIfFits(toggleWidth("shifted (sMGK)"));
    int centres = scene.kernel.mgkCentres == gui::MgkCentres::Shifted ? 0 : 1;
    const bool shifted = ImGui::RadioButton("shifted (sMGK)", &centres, 0);
    itemTooltip("k_jr = k_j + b_r: one shift per component shared by every key (the cheap sMGK variant).");
    sameLineIfFits(toggleWidth("per-key offsets"));
    const bool perKey = ImGui::RadioButton("per-key offsets", &centres, 1);
    itemTooltip("k_jr = k_j + o_jr: every key position has its own component offsets (like separate projections).");
    if (shifted || perKey) {
      Scene next = scene;
      next.kernel.mgkCentres = centres == 0 ? gui::MgkCentres::Shifted : gui::MgkCentres::PerKeyOffsets;
      if (next.kernel.mgkCentres != scene.kernel.mgkCentres) ctx.submit(std::move(next), "MGK centres");
    }

    const int R = scene.kernel.mgkComponents, M = scene.keyCount();
    if (scene.kernel.mgkPriors.rows() == M && scene.kernel.mgkPriors.cols() == R &&
        scene.kernel.mgkVariances.rows() == M && scene.kernel.mgkVariances.cols() == R) {
      // Scrolls both ways inside the view (the key column frozen): columns beyond the view's width are reached by
      // scrolling, never cut off.
      const ImGuiTableFlags flags = ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY |
                                    ImGuiTableFlags_ScrollX | ImGuiTableFlags_SizingFixedFit;
      const float height =
          std::min(ImGui::GetFrameHeightWithSpacing() * (M + 1.2f) + 8.0f, ImGui::GetFontSize() * 18.0f);
      if (ImGui::BeginTable("mgk", 1 + 2 * R, flags, ImVec2(0, height))) {
        ImGui::TableSetupScrollFreeze(1, 1);
        ImGui::TableSetupColumn("key");
        for (int r = 0; r < R; ++r) {
          ImGui::TableSetupColumn(("prior pi." + std::to_string(r + 1)).c_str());
          ImGui::TableSetupColumn(("variance sigma\xC2\xB2." + std::to_string(r + 1)).c_str());
        }
        ImGui::TableHeadersRow();
        // Only visible rows are built, and the scene is copied only for an actual edit: a 256-key scene must not
        // pay for hundreds of scene copies every frame.
        ImGuiListClipper clipper;
        clipper.Begin(M);
        while (clipper.Step())
          for (int j = clipper.DisplayStart; j < clipper.DisplayEnd; ++j) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(scene.keyLabels[j].c_str());
            for (int r = 0; r < R; ++r) {
              ImGui::PushID(j * 16 + r);
              ImGui::TableNextColumn();
              float prior = scene.kernel.mgkPriors(j, r);
              ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7.0f);
              bool changed = ImGui::SliderFloat("##prior", &prior, 0.0f, 1.0f, "%.2f");
              itemTooltip(
                  "Prior pi_jr of this component (soft MGK). Kept in [0, 1] without renormalising, as the "
                  "official code does.");
              if (changed) {
                Scene next = scene;
                next.kernel.mgkPriors(j, r) = prior;
                commit(ctx, true, std::move(next), "MGK prior");
              }
              ImGui::TableNextColumn();
              float variance = scene.kernel.mgkVariances(j, r);
              ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7.0f);
              changed = ImGui::SliderFloat("##variance", &variance, 0.005f, 4.0f, "%.3f", ImGuiSliderFlags_Logarithmic);
              itemTooltip(
                  "Variance sigma_jr^2: how far from its centre a query still scores. The paper fixes "
                  "sigma^2 = sqrt(d); the official LM code uses sqrt(d) and sqrt(d)/3.");
              if (changed) {
                Scene next = scene;
                next.kernel.mgkVariances(j, r) = variance;
                commit(ctx, true, std::move(next), "MGK variance");
              }
              ImGui::PopID();
            }
          }
        ImGui::EndTable();
      }
    }
  }
}

void divergenceSection(AppContext& ctx) {
  const Scene& scene = ctx.scene();
  sectionHeader("Alignment divergences");
  gui::DivergenceParams params = scene.divergence;  // the scene is copied only for an actual edit
  bool changed = false;
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10.0f);
  changed |= ImGui::SliderFloat("CT rho", &params.ctRho, 0.0f, 1.0f, "%.2f");
  itemTooltip(
      "Weight of the forward (key -> query) transport term; 1 - rho weighs the backward term. 0.5 is "
      "symmetric.");
  sameLineIfFits(labelledWidth(ImGui::GetFontSize() * 10.0f, "CT tau"));
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10.0f);
  changed |= ImGui::SliderFloat("CT tau", &params.ctTau, 0.01f, 10.0f, "%.3f", ImGuiSliderFlags_Logarithmic);
  itemTooltip(
      "Navigator temperature: small tau sends each point to its nearest partner (CT -> Chamfer distance), "
      "large tau spreads the plan uniformly (CT -> mean cost).");
  int cost = scene.divergence.ctCost == TransportCost::Euclid ? 0 : 1;
  const bool euclid = ImGui::RadioButton("cost |t(k) - t(q)| = sqrt(2 (1 - cos))", &cost, 0);
  itemTooltip("Euclidean distance between the L2-normalised vectors (the authors' cost).");
  sameLineIfFits(toggleWidth("cost 1 - cos"));
  const bool cosine = ImGui::RadioButton("cost 1 - cos", &cost, 1);
  itemTooltip("One minus the cosine: the same ordering, squared-distance-like near 0.");
  if (euclid || cosine) {
    params.ctCost = cost == 0 ? TransportCost::Euclid : TransportCost::OneMinusCos;
    changed |= params.ctCost != scene.divergence.ctCost;
  }
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10.0f);
  changed |= ImGui::SliderFloat("Sinkhorn epsilon", &params.sinkhornEpsilon, 0.005f, 5.0f, "%.3f",
                                ImGuiSliderFlags_Logarithmic);
  itemTooltip(
      "Entropic regularisation of the Sinkhorn divergence (log-domain iterations). Small = closer to exact "
      "optimal transport but slower to converge.");
  if (changed) {
    Scene next = scene;
    next.divergence = params;
    commit(ctx, true, std::move(next), "Divergence parameters");
  }
}

void displaySection(AppContext& ctx) {
  const Scene& scene = ctx.scene();
  sectionHeader("Display");
  gui::DisplayParams params = scene.display;  // the scene is copied only for an actual edit
  bool changed = false;
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10.0f);
  changed |= ImGui::SliderFloat("classification band (deg)", &params.classificationBandDegrees, 0.0f, 44.0f, "%.1f");
  itemTooltip(
      "A key counts as parallel / orthogonal / antiparallel to a query when its angle is within this many "
      "degrees of 0 / 90 / 180.");
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10.0f);
  changed |= ImGui::SliderFloat("plane extent", &params.planeExtent, 0.5f, 10.0f, "%.2f");
  itemTooltip("Half-width of the square shown by the vector canvas, the density field and the divergence clouds.");
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10.0f);
  changed |= ImGui::SliderInt("density resolution", &params.densityResolution, 32, 1024);
  itemTooltip("Samples per side of the density field. Higher is smoother and slower to recompute while dragging.");
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10.0f);
  if (ImGui::BeginCombo("colour map", colorMapName(scene.display.colorMap))) {
    for (ColorMap map : kAllColorMaps)
      if (ImGui::Selectable(colorMapName(map), map == scene.display.colorMap)) {
        params.colorMap = map;
        changed |= map != scene.display.colorMap;
      }
    ImGui::EndCombo();
  }
  itemTooltip("Colour map of heatmaps and the density field (viridis and magma are perceptually uniform).");
  changed |= ImGui::Checkbox("log colour scale for heatmaps", &params.heatmapLogScale);
  itemTooltip("Colour attention maps by log10(weight) so small weights remain distinguishable.");
  if (changed) {
    Scene next = scene;
    next.display = params;
    commit(ctx, true, std::move(next), "Display parameters");
  }
}

class ParametersView final : public gui::View {
 public:
  void draw(AppContext& ctx) override;
};

}  // namespace

void ParametersView::draw(AppContext& ctx) {
  kernelSection(ctx);
  divergenceSection(ctx);
  displaySection(ctx);
}

std::unique_ptr<gui::View> makeParametersView() {
  return std::make_unique<ParametersView>();
}

}  // namespace attnscope::views
