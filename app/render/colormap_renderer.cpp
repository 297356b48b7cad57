// GPU colour mapping: upload, one full-screen triangle into the target texture, state restored afterwards.
#include "app/render/colormap_renderer.h"

#include <vector>

#include "app/render/shaders.h"

namespace attnscope::render {

ColormapRenderer::ColormapRenderer()
    : program_("fullscreen.vert.glsl", shaderSource("fullscreen.vert.glsl"), "colormap.frag.glsl",
               shaderSource("colormap.frag.glsl")) {
  GLuint vao = 0;
  glGenVertexArrays(1, &vao);
  emptyVertexArray_ = VertexArray(vao);
  for (ColorMap map : kAllColorMaps) {
    std::vector<std::uint8_t> rgba(kColorMapEntries * 4);
    const auto table = colorMapTable(map);
    for (int i = 0; i < kColorMapEntries; ++i) {
      for (int c = 0; c < 3; ++c) rgba[i * 4 + c] = table[i][c];
      rgba[i * 4 + 3] = 255;
    }
    luts_[static_cast<int>(map)] = Texture(kColorMapEntries, 1, GL_RGBA8, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());
  }
}

void ColormapRenderer::render(const MatrixView& values, const ColormapStyle& style, Texture& target) {
  const int rows = static_cast<int>(values.rows());
  const int cols = static_cast<int>(values.cols());
  if (rows < 1 || cols < 1) return;
  ScopedGlState saved;
  if (values_.width() != cols || values_.height() != rows)
    values_ = Texture(cols, rows, GL_R32F, GL_RED, GL_FLOAT, nullptr);
  // MatrixView is row-major with possibly padded rows (a block): copy when not contiguous.
  if (values.outerStride() == cols) {
    values_.upload(GL_RED, GL_FLOAT, values.data());
  } else {
    const RowMatrix packed = values;
    values_.upload(GL_RED, GL_FLOAT, packed.data());
  }
  const int width = style.width > 0 ? style.width : cols, height = style.height > 0 ? style.height : rows;
  if (target.width() != width || target.height() != height)
    target = Texture(width, height, GL_RGBA8, GL_RGBA, GL_UNSIGNED_BYTE, nullptr);

  GLuint framebuffer = 0;
  glGenFramebuffers(1, &framebuffer);
  GlHandle<detail::deleteFramebuffer> owned(framebuffer);
  glBindFramebuffer(GL_FRAMEBUFFER, framebuffer);
  glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, target.id(), 0);
  glViewport(0, 0, width, height);
  glDisable(GL_BLEND);
  glDisable(GL_SCISSOR_TEST);
  glUseProgram(program_.id());
  glActiveTexture(GL_TEXTURE0);
  glBindTexture(GL_TEXTURE_2D, values_.id());
  glActiveTexture(GL_TEXTURE1);
  glBindTexture(GL_TEXTURE_2D, lut(style.map).id());
  glUniform1i(program_.uniform("values"), 0);
  glUniform1i(program_.uniform("lut"), 1);
  glUniform1f(program_.uniform("lo"), style.lo);
  glUniform1f(program_.uniform("hi"), style.hi);
  glUniform1i(program_.uniform("logScale"), style.logScale ? 1 : 0);
  glUniform2i(program_.uniform("cells"), cols, rows);
  glUniform2i(program_.uniform("targetSize"), width, height);
  glBindVertexArray(emptyVertexArray_.get());
  glDrawArrays(GL_TRIANGLES, 0, 3);
}

}  // namespace attnscope::render
