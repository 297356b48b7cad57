// Shared view helpers: kernel labels and colours, colour-map tables for ImGui, layout and tooltips.
#include "app/views/view_common.h"
#include "app/plot/paint.h"

#include "app/views/view_probe.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <map>

namespace attnscope::views {

std::span<const Kernel> shownKernels(const Scene& scene) {
  return scene.display.shownKernels;
}

std::string kernelLabel(Kernel kernel, const Scene& scene) {
  switch (kernel) {
    case Kernel::Dpa:
      return "DPA";
    case Kernel::Ea:
      return scene.kernel.eaForm == ExpressiveForm::Saturating ? "EA  x\xC2\xB2/(1+x\xC2\xB2)" : "EA  x\xC2\xB2 (pure)";
    case Kernel::EaPure:
      return "EA  x\xC2\xB2 (pure)";
    case Kernel::Mgk:
      return "MGK soft";
    case Kernel::MgkHard:
      return "MGK hard";
    case Kernel::Mlk:
      return "MLK linear";
    case Kernel::Cosine:
      return formatted("cosine tau=%.3g", scene.kernel.cosineTemperature);
  }
  return "?";
}

std::string kernelShortLabel(Kernel kernel) {
  switch (kernel) {
    case Kernel::Dpa:
      return "DPA";
    case Kernel::Ea:
      return "EA";
    case Kernel::EaPure:
      return "EA pure";
    case Kernel::Mgk:
      return "MGK";
    case Kernel::MgkHard:
      return "MGK hard";
    case Kernel::Mlk:
      return "MLK";
    case Kernel::Cosine:
      return "cosine";
  }
  return "?";
}

ImU32 kernelColor(Kernel kernel, float alpha) {
  // Palette indices (plot::seriesColor): 3 and 5 are taken by queries and keys.
  switch (kernel) {
    case Kernel::Dpa:
      return plot::seriesColor(0, alpha);  // blue
    case Kernel::Ea:
      return plot::seriesColor(1, alpha);  // vermillion
    case Kernel::EaPure:
      return withAlpha(IM_COL32(140, 60, 0, 255), alpha);  // dark vermillion
    case Kernel::Mgk:
      return plot::seriesColor(2, alpha);  // bluish green
    case Kernel::MgkHard:
      return withAlpha(IM_COL32(0, 95, 70, 255), alpha);  // dark bluish green
    case Kernel::Mlk:
      return plot::seriesColor(4, alpha);  // orange
    case Kernel::Cosine:
      return plot::seriesColor(6, alpha);  // yellow
  }
  return plot::seriesColor(0, alpha);
}

const gui::KernelResult& kernelResult(const Derived& derived, Kernel kernel) {
  return derived.result(kernel);
}

bool showViewControls(const AppContext& ctx) {
  return !ctx.presenting();
}

void probeControl(AppContext& ctx, const std::string& name) {
  if (ctx.exporting()) return;
  const ImVec2 min = ImGui::GetItemRectMin(), max = ImGui::GetItemRectMax();
  ctx.publishProbe("control/" + name, 0.5f * (min.x + max.x), 0.5f * (min.y + max.y));
}

// Queries and keys use the palette's purple and sky blue so they never clash with the three kernel colours.
ImU32 queryColor(float alpha) {
  return plot::seriesColor(3, alpha);
}
ImU32 keyColor(float alpha) {
  return plot::seriesColor(5, alpha);
}

std::span<const ImU32> colorMapColors(ColorMap map) {
  // Immutable once built (thread-safe static initialisation): the three tables packed as ImGui colours.
  static const std::array<std::vector<ImU32>, 3> packed = [] {
    std::array<std::vector<ImU32>, 3> tables;
    for (ColorMap m : {ColorMap::Viridis, ColorMap::Magma, ColorMap::Diverging})
      for (const Rgb8& rgb : colorMapTable(m))
        tables[static_cast<std::size_t>(m)].push_back(IM_COL32(rgb[0], rgb[1], rgb[2], 255));
    return tables;
  }();
  return packed[static_cast<std::size_t>(map)];
}

plot::Rect reserveRect(const char* id, ImVec2 size) {
  size.x = std::max(size.x, 20.0f);
  size.y = std::max(size.y, 20.0f);
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton(id, size, ImGuiButtonFlags_MouseButtonLeft | ImGuiButtonFlags_MouseButtonRight);
  return plot::Rect(origin, ImVec2(origin.x + size.x, origin.y + size.y));
}

void sameLineIfFits(float width) {
  const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  if (ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x + width <= right) ImGui::SameLine();
}

float toggleWidth(const char* label) {
  return ImGui::GetFrameHeight() + ImGui::GetStyle().ItemInnerSpacing.x + ImGui::CalcTextSize(label, nullptr, true).x;
}

float labelledWidth(float fieldWidth, const char* label) {
  return fieldWidth + ImGui::GetStyle().ItemInnerSpacing.x + ImGui::CalcTextSize(label, nullptr, true).x;
}

float wrappedTextHeight(const std::string& text, float width) {
  if (text.empty()) return 0.0f;
  return ImGui::CalcTextSize(text.c_str(), nullptr, false, width).y + ImGui::GetStyle().ItemSpacing.y;
}

void itemTooltip(const char* text) {
  if (ImGui::IsItemHovered()) {
    ImGui::BeginTooltip();
    ImGui::PushTextWrapPos(ImGui::GetFontSize() * 32.0f);
    ImGui::TextUnformatted(text);
    ImGui::PopTextWrapPos();
    ImGui::EndTooltip();
  }
}

void helpMarker(const char* text) {
  sameLineIfFits(ImGui::CalcTextSize("(?)").x);
  ImGui::TextDisabled("(?)");
  itemTooltip(text);
}

ImU32 withAlpha(ImU32 color, float alpha) {
  const ImU32 a = static_cast<ImU32>(std::clamp(alpha, 0.0f, 1.0f) * 255.0f + 0.5f);
  return (color & ~IM_COL32_A_MASK) | (a << IM_COL32_A_SHIFT);
}

std::string formatted(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

double angleDegrees(const Vector& a, const Vector& b) {
  const double na = a.cast<double>().norm(), nb = b.cast<double>().norm();
  if (na == 0.0 || nb == 0.0) return 90.0;
  const double c = std::clamp(a.cast<double>().dot(b.cast<double>()) / (na * nb), -1.0, 1.0);
  return std::acos(c) * 180.0 / 3.14159265358979323846;
}

void labelWithBackdrop(ImDrawList* drawList, ImVec2 pos, ImU32 color, const std::string& text, ImU32 backdrop) {
  const ImVec2 size = ImGui::CalcTextSize(text.c_str());
  plot::paint::addRectFilled(drawList, ImVec2(pos.x - 2, pos.y - 1), ImVec2(pos.x + size.x + 2, pos.y + size.y + 1),
                             backdrop, 3.0f);
  plot::paint::addText(drawList, pos, color, text.c_str());
}

}  // namespace attnscope::views
