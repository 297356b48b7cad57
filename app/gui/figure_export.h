// Standalone figures that are not views (the `attnscope ladder` plot): a draw function of the plot module rendered
// once into an offscreen framebuffer for the PNG and, in the same frame, recorded by the SVG sink, so both files show
// the same primitives. Needs a current GL 3.3 context (a render::HeadlessContext on the command line).
#pragma once

#include <imgui.h>
#include "app/plot/rect.h"

#include <functional>
#include <string>

namespace attnscope::gui {

struct FigureExportOptions {
  int width = 900;      ///< logical width; the PNG is width * scale pixels wide
  int height = 560;     ///< logical height
  float scale = 1.0f;   ///< fonts and line widths rendered at that resolution, not upscaled
  std::string title;    ///< SVG <title> and PNG Title
  std::string pngPath;  ///< empty: no PNG
  std::string svgPath;  ///< empty: no SVG
  ImU32 background = IM_COL32(255, 255, 255, 255);
};

/// Draws the figure into `rect` (the whole image, in pixels) of `drawList`, at the current ImGui font.
using FigureDrawer = std::function<void(ImDrawList* drawList, const plot::Rect& rect)>;

/// Renders `draw` with a private ImGui context (DejaVu Sans at options.scale, no ini file) into an offscreen target of
/// width*scale x height*scale pixels and writes the PNG and/or SVG atomically. Restores the caller's ImGui context.
/// Throws InputError (size outside 16..8192, scale outside 0.25..8), ResourceError (GL) or FileError (writing).
void exportFigure(const FigureExportOptions& options, const FigureDrawer& draw);

}  // namespace attnscope::gui
