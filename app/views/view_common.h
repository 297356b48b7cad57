// Helpers shared by the six views: kernel names and colours (the same in every view and legend), layout of plot
// rectangles inside a window, colour-map tables as ImGui colours, and small UI idioms (help markers).
#pragma once

#include <imgui.h>
#include <imgui_internal.h>

#include <array>
#include <string>
#include <vector>

#include "app/gui/app_state.h"
#include "app/plot/plot.h"
#include "core/colormap.h"

namespace attnscope::views {

using gui::AppContext;
using gui::Derived;
using gui::Scene;

/// The three kernels every view compares, in this order.
enum class ShownKernel { Dpa = 0, Ea = 1, Mgk = 2 };
inline constexpr std::array<ShownKernel, 3> kShownKernels{ShownKernel::Dpa, ShownKernel::Ea, ShownKernel::Mgk};

/// Short name for legends ("DPA", "EA (x^2/(1+x^2))", "MGK soft").
std::string kernelLabel(ShownKernel kernel, const Scene& scene);
/// The kernel's colour, identical in every view (DPA blue, EA vermillion, MGK green).
ImU32 kernelColor(ShownKernel kernel, float alpha = 1.0f);
/// The derived result of that kernel.
const gui::KernelResult& kernelResult(const Derived& derived, ShownKernel kernel);

/// Colours of queries and keys in every view.
ImU32 queryColor(float alpha = 1.0f);
ImU32 keyColor(float alpha = 1.0f);

/// The 256 entries of a colour map as ImGui colours, for colour bars and legends (same table as the shader).
std::span<const ImU32> colorMapColors(ColorMap map);

/// Reserves a rectangle of the given size at the cursor (an invisible button so the window does not drag when the
/// user presses inside it) and returns it. id must be unique within the window.
ImRect reserveRect(const char* id, ImVec2 size);

/// "(?)" with a tooltip, after the previous item on the same line.
void helpMarker(const char* text);
/// Tooltip on the previous item when hovered.
void itemTooltip(const char* text);

/// The same colour with alpha replaced (0..1).
ImU32 withAlpha(ImU32 color, float alpha);

/// Formats a float with printf-style `format` (e.g. "%.3f").
std::string formatted(const char* format, double value);

/// Degrees between two vectors of equal length (90 when either is zero: no direction).
double angleDegrees(const Vector& a, const Vector& b);

/// Draws a text with a translucent backdrop so it stays readable over fields and lines.
void labelWithBackdrop(ImDrawList* drawList, ImVec2 pos, ImU32 color, const std::string& text, ImU32 backdrop);

}  // namespace attnscope::views
