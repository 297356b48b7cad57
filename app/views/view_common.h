// Helpers shared by the six views: kernel names and colours (the same in every view and legend), layout of plot
// rectangles inside a window, colour-map tables as ImGui colours, and small UI idioms (help markers).
#pragma once

#include <imgui.h>
#include "app/plot/rect.h"

#include <array>
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "app/gui/app_state.h"
#include "app/plot/plot.h"
#include "core/colormap.h"

namespace attnscope::views {

using gui::AppContext;
using gui::Derived;
using gui::Scene;

using attnscope::Kernel;

/// The least height of a plot (frame, ticks and labels included): 160 px at the base 15 px font, scaled with the font
/// (presenter mode, --ui-scale). A view too short for its plots at this height scrolls rather than squeezing them.
inline float minPlotHeight() {
  return std::floor(ImGui::GetFontSize() * (160.0f / 15.0f));
}

/// The kernels every view draws side by side, in kAllKernels order (DisplayParams::shownKernels).
std::span<const Kernel> shownKernels(const Scene& scene);

/// Short name for legends ("DPA", "EA  x^2/(1+x^2)", "EA  x^2 (pure)", "MGK soft", "MGK hard", "MLK linear",
/// "cosine tau=0.1").
std::string kernelLabel(Kernel kernel, const Scene& scene);
/// The shortest name ("DPA", "EA", "EA pure", "MGK", "MGK hard", "MLK", "cosine"), for titles of small maps.
std::string kernelShortLabel(Kernel kernel);
/// The kernel's colour, identical in every view, from the Okabe-Ito palette (colour-blind safe): DPA blue, EA
/// vermillion, MGK bluish green, MLK orange, cosine yellow (purple and sky blue are the query and key colours). The
/// pure EA and the hard MGK, variants shown beside their siblings, take darker shades of the sibling's hue.
ImU32 kernelColor(Kernel kernel, float alpha = 1.0f);
/// The derived result of that kernel (empty matrices while it is not shown).
const gui::KernelResult& kernelResult(const Derived& derived, Kernel kernel);

/// False in presenter mode: views then leave out their widgets (checkboxes, combos, buttons, numeric entry) so a
/// class sees the plots large; mouse interaction on the plots and the presentation keys keep working.
bool showViewControls(const AppContext& ctx);
/// Publishes the centre of the last widget as probe "control/<name>" (not during an export). The shell clears the
/// "control/" probes every frame, so the state dump lists the widgets drawn last frame (the presenter test checks
/// that presenter mode hides them).
void probeControl(AppContext& ctx, const std::string& name);

/// Colours of queries and keys in every view.
ImU32 queryColor(float alpha = 1.0f);
ImU32 keyColor(float alpha = 1.0f);

/// The 256 entries of a colour map as ImGui colours, for colour bars and legends (same table as the shader).
std::span<const ImU32> colorMapColors(ColorMap map);

/// Reserves a rectangle of the given size at the cursor (an invisible button so the window does not drag when the
/// user presses inside it) and returns it. id must be unique within the window.
plot::Rect reserveRect(const char* id, ImVec2 size);

/// "(?)" with a tooltip, after the previous item on the same line.
void helpMarker(const char* text);
/// Tooltip on the previous item when hovered.
void itemTooltip(const char* text);

/// Toolbars that wrap instead of running off the view's right edge (issue 13): call in place of ImGui::SameLine()
/// before an item `width` pixels wide; it stays on the line when it fits, else starts the next line.
void sameLineIfFits(float width);
/// Width of a checkbox or radio button labelled `label` (the part before "##").
float toggleWidth(const char* label);
/// Width of a field `fieldWidth` pixels wide followed by its label.
float labelledWidth(float fieldWidth, const char* label);
/// Height a line of text takes, with the spacing after it, when it wraps at `width` pixels (views wrap text at their
/// right edge, shell.cpp): what a plot above a hint must leave free, or the hint's last line falls below the view.
/// Empty text takes nothing.
float wrappedTextHeight(const std::string& text, float width);

/// The same colour with alpha replaced (0..1).
ImU32 withAlpha(ImU32 color, float alpha);

/// Formats a float with printf-style `format` (e.g. "%.3f").
std::string formatted(const char* format, double value);

/// Degrees between two vectors of equal length (90 when either is zero: no direction).
double angleDegrees(const Vector& a, const Vector& b);

/// Draws a text with a translucent backdrop so it stays readable over fields and lines.
void labelWithBackdrop(ImDrawList* drawList, ImVec2 pos, ImU32 color, const std::string& text, ImU32 backdrop);

}  // namespace attnscope::views
