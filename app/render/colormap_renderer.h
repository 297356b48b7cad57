// Colour-mapped float fields on the GPU: a matrix is uploaded as an R32F texture and turned into an RGBA8 texture
// by shaders/colormap.frag.glsl using the LUTs of core/colormap (the same tables the CPU path uses).
#pragma once

#include <array>

#include "app/render/gl_objects.h"
#include "core/colormap.h"
#include "core/types.h"

namespace attnscope::render {

struct ColormapStyle {
  ColorMap map = ColorMap::Viridis;
  float lo = 0.0f;
  float hi = 1.0f;
  bool logScale = false;
  /// Size of the target texture; 0: one texel per cell. Smaller than the matrix: every texel shows the cell under
  /// its centre (nearest-cell downsampling, what a full-size texture sampled with GL_NEAREST shows at that size).
  int width = 0, height = 0;
};

/// Holds the shader program and one LUT texture per colour map. Needs a current GL context for its lifetime.
class ColormapRenderer {
 public:
  ColormapRenderer();
  /// Renders `values` (rows x cols, row 0 first) into `target` (cols x rows texels, or style.width x style.height),
  /// reallocating it when the size changed.
  /// Row 0 of the data becomes row 0 of the texture (the top when shown with ImGui's default UVs).
  void render(const MatrixView& values, const ColormapStyle& style, Texture& target);
  const Texture& lut(ColorMap map) const { return luts_[static_cast<int>(map)]; }

 private:
  ShaderProgram program_;
  VertexArray emptyVertexArray_;
  std::array<Texture, 3> luts_;
  Texture values_;  ///< R32F staging texture, reused while the size stays the same
};

}  // namespace attnscope::render
