// Offscreen render target: a framebuffer object the UI frame is drawn into, and the readback into an Image.
#pragma once

#include "app/render/gl_objects.h"
#include "app/render/image.h"

namespace attnscope::render {

class OffscreenTarget {
 public:
  /// Throws ResourceError when the size is beyond the driver's limits.
  OffscreenTarget(int width, int height) : framebuffer_(width, height) {}
  /// Binds the framebuffer and sets the viewport to its size.
  void bind() const;
  /// Reads the colour attachment back, flipped so row 0 is the top (GL's row 0 is the bottom).
  Image read() const;
  int width() const { return framebuffer_.width(); }
  int height() const { return framebuffer_.height(); }

 private:
  Framebuffer framebuffer_;
};

/// Reads the currently bound read framebuffer (window back buffer or FBO) of width x height, top row first.
Image readFramebuffer(int width, int height);

}  // namespace attnscope::render
