// Standalone figures (figure_export.h): one ImGui frame drawn on the background draw list, rasterised by the OpenGL3
// backend into an offscreen target for the PNG while the plot painter records the same primitives for the SVG.
#include "app/gui/figure_export.h"

#include <backends/imgui_impl_opengl3.h>

#include <cmath>
#include <memory>

#include "app/gui/shell.h"
#include "app/plot/paint.h"
#include "app/render/offscreen.h"
#include "app/render/png_io.h"
#include "core/atomic_file.h"
#include "core/error.h"

namespace attnscope::gui {
namespace {

std::string cssColour(ImU32 colour) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x", static_cast<unsigned>(colour >> IM_COL32_R_SHIFT) & 0xff,
                static_cast<unsigned>(colour >> IM_COL32_G_SHIFT) & 0xff,
                static_cast<unsigned>(colour >> IM_COL32_B_SHIFT) & 0xff);
  return buffer;
}

}  // namespace

void exportFigure(const FigureExportOptions& options, const FigureDrawer& draw) {
  if (options.width < 16 || options.height < 16 || options.width > 8192 || options.height > 8192)
    throw InputError("figure size " + std::to_string(options.width) + " x " + std::to_string(options.height) +
                     " is outside 16..8192 per side");
  if (!(options.scale >= 0.25f && options.scale <= 8.0f))
    throw InputError("figure scale " + std::to_string(options.scale) + " is outside 0.25..8");
  const int pixelWidth = static_cast<int>(std::lround(options.width * options.scale));
  const int pixelHeight = static_cast<int>(std::lround(options.height * options.scale));
  render::OffscreenTarget target(pixelWidth, pixelHeight);

  // A private context as renderUiImage's: its own font atlas at the figure's scale, no ini file, no input.
  ImGuiContext* previous = ImGui::GetCurrentContext();
  ImFontAtlas* atlas = IM_NEW(ImFontAtlas)();
  ImGuiContext* figureContext = ImGui::CreateContext(atlas);
  ImGui::SetCurrentContext(figureContext);
  ImGui::GetIO().IniFilename = nullptr;
  ImGui::GetIO().LogFilename = nullptr;
  bool backendUp = false;
  auto cleanUp = [&] {
    if (backendUp) ImGui_ImplOpenGL3_Shutdown();
    ImGui::DestroyContext(figureContext);
    IM_DELETE(atlas);
    ImGui::SetCurrentContext(previous);
  };
  plot::SvgSink sink;
  render::Image image;
  try {
    setupFontsAndStyle(options.scale);
    ImGui_ImplOpenGL3_Init("#version 330 core");
    backendUp = true;
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(static_cast<float>(pixelWidth), static_cast<float>(pixelHeight));
    io.DeltaTime = 1.0f / 60.0f;
    io.MousePos = ImVec2(-1e6f, -1e6f);  // no hover readout in a file
    const ImVec4 clear = ImGui::ColorConvertU32ToFloat4(options.background);
    // Two frames, as every export here: the first builds the font texture; the sink keeps only the last frame.
    for (int frame = 0; frame < 2; ++frame) {
      plot::ScopedVectorSink recording(&sink);
      ImGui_ImplOpenGL3_NewFrame();
      ImGui::NewFrame();
      draw(ImGui::GetBackgroundDrawList(), plot::Rect(0, 0, io.DisplaySize.x, io.DisplaySize.y));
      ImGui::Render();
      target.bind();
      glClearColor(clear.x, clear.y, clear.z, 1.0f);
      glClear(GL_COLOR_BUFFER_BIT);
      ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
    }
    glFinish();
    image = target.read();
  } catch (...) {
    cleanUp();
    throw;
  }
  cleanUp();
  if (!options.pngPath.empty()) {
    render::PngWriteOptions png;
    png.text["Software"] = "attnscope 0.1.0";
    if (!options.title.empty()) png.text["Title"] = options.title;
    render::writePngAtomic(options.pngPath, image, png);
  }
  if (!options.svgPath.empty()) {
    plot::SvgOptions svg;
    svg.width = static_cast<float>(pixelWidth);
    svg.height = static_cast<float>(pixelHeight);
    svg.title = options.title;
    svg.background = cssColour(options.background);
    writeFileAtomically(options.svgPath, sink.document(svg));
  }
}

}  // namespace attnscope::gui
