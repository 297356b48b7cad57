// Load-independent frame cost counters for --bench-frames: ImGui draw-list vertices, indices and draw calls per window
// and colour-map texture renders, averaged over the measured frames (wall times vary several-fold with machine load).
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>

struct ImDrawData;

namespace attnscope::gui {

class FrameStats {
 public:
  /// Adds one frame's draw data (after ImGui::Render()); each ImDrawList is attributed to its owner window.
  void addFrame(const ImDrawData& drawData);
  /// Number of colour-map texture renders (uploads) during the measured frames.
  void setTextureRenders(std::uint64_t renders) { textureRenders_ = renders; }
  /// Prints a per-window table of per-frame averages: vertices, indices (triangles x 3) and draw calls.
  void print(std::FILE* out) const;

 private:
  struct Totals {
    std::uint64_t vertices = 0, indices = 0, drawCalls = 0;
  };
  std::map<std::string, Totals> windows_;
  Totals all_;
  std::uint64_t frames_ = 0, textureRenders_ = 0;
};

}  // namespace attnscope::gui
