// A CPU-side RGBA8 image, row 0 at the top (PNG order).
#pragma once

#include <cstdint>
#include <vector>

namespace attnscope::render {

struct Image {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> rgba;  ///< width * height * 4 bytes, rows top to bottom

  const std::uint8_t* pixel(int x, int y) const { return rgba.data() + (static_cast<std::size_t>(y) * width + x) * 4; }
};

}  // namespace attnscope::render
