// Load-independent frame cost counters for --bench-frames: ImGui draw-list vertices, indices and draw calls per window
// and colour-map texture renders, averaged over the measured frames (wall times vary several-fold with machine load).
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

struct ImDrawData;

namespace attnscope::gui {

class FrameStats {
 public:
  /// Adds one frame's draw data (after ImGui::Render()); each ImDrawList is attributed to its owner window.
  void addFrame(const ImDrawData& drawData);
  /// Number of colour-map texture renders (uploads) during the measured frames.
  void setTextureRenders(std::uint64_t renders) { textureRenders_ = renders; }
  /// Prints a per-window table of per-frame averages: vertices, indices (triangles x 3), draw calls and the pixels
  /// the rasteriser shades (triangle areas clipped to their scissor rectangles: overdraw counts every layer), split
  /// into big triangles (window and plot backgrounds, images) and small ones (lines, text, markers).
  void print(std::FILE* out) const;

 private:
  struct Totals {
    std::uint64_t vertices = 0, indices = 0, drawCalls = 0;
    double bigPixels = 0, smallPixels = 0;
  };
  std::map<std::string, Totals> windows_;
  Totals all_;
  std::uint64_t frames_ = 0, textureRenders_ = 0;
};

/// Wall time of each part of a --bench-frames frame, so a slow frame can be attributed: the views building ImGui's
/// draw lists (CPU), ImGui::Render, issuing the GL draw calls, glFinish (llvmpipe rasterising them), glfwSwapBuffers
/// (the copy of the back buffer to the X server), recomputing Derived after the edit, and everything else.
class FramePhases {
 public:
  enum Phase { Build, Render, Submit, Finish, Swap, Derived, Other, PhaseCount };
  /// Starts a frame at `now` (seconds on a steady clock).
  void begin(double now);
  /// Charges the time since the previous mark to `phase`.
  void mark(Phase phase, double now);
  /// Charges the time since the previous mark to nothing (the bench's own bookkeeping, on the main thread): it is
  /// also taken out of the CPU times.
  void skip(double now) {
    excluded_ += now - last_;
    currentExcluded_ += now - last_;
    last_ = now;
  }
  /// Ends the frame: the rest since the last mark goes to Other. Also records the process CPU time of the frame
  /// (all threads: the main thread, llvmpipe's rasteriser threads and the background divergence worker).
  void end(double now);
  /// Prints the median of each phase in ms, the median process CPU time per frame, and the CPU time per frame of the
  /// main thread, of llvmpipe's rasteriser threads and of the other threads (the background divergence worker), taken
  /// from /proc/self/task/*/schedstat between the first and the last measured frame. Unlike wall times these hardly
  /// depend on the machine's load, except the worker's, which rests as long as it computed and so gets more CPU per
  /// frame when frames are slow.
  void print(std::FILE* out) const;

 private:
  std::array<std::vector<float>, PhaseCount> samples_;
  std::array<float, PhaseCount> current_{};
  struct ThreadCpu {
    double main = 0, rasteriser = 0, other = 0;  ///< seconds
  };
  static ThreadCpu threadCpu();
  std::vector<float> cpu_;
  double last_ = 0.0, cpuStart_ = 0.0;
  double excluded_ = 0.0, currentExcluded_ = 0.0, excludedAtFirst_ = 0.0;  ///< seconds of skip()
  ThreadCpu firstThreads_, lastThreads_;
};

/// Diagnostics for --bench-frames (ATTNSCOPE_BENCH_DROP=KIND): makes one class of triangles degenerate before the GL
/// submit, so the rasteriser's cost of that class is the difference to a normal run. KIND: all, big, small,
/// small-solid (fills, markers, anti-aliasing fringes) or small-textured (text glyphs, textured anti-aliased lines).
/// The pictures are then wrong on purpose: never used outside the benchmark.
void dropTrianglesForBench(ImDrawData& drawData, const std::string& kind);

}  // namespace attnscope::gui
