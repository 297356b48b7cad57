// The GPU implementation of HeatmapCache: one RGBA texture per slot, re-rendered by the colour-map shader only when
// the slot's data revision or style changed.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "app/gui/app_state.h"
#include "app/render/colormap_renderer.h"

namespace attnscope::gui {

class GpuHeatmapCache final : public HeatmapCache {
 public:
  /// Needs a current GL context; the cache must be destroyed while that context is still current.
  GpuHeatmapCache();
  unsigned texture(const std::string& slot, std::uint64_t revision, const MatrixView& values,
                   const HeatmapStyle& style) override;
  /// Number of GPU re-renders so far (tests check that unchanged data is not re-rendered).
  std::uint64_t renderCount() const { return renderCount_; }

 private:
  struct Slot {
    render::Texture texture;
    std::uint64_t revision = 0;
    HeatmapStyle style;
    long rows = -1, cols = -1;
    int width = 0, height = 0;  ///< texture size
  };
  render::ColormapRenderer renderer_;
  std::map<std::string, Slot> slots_;
  std::uint64_t renderCount_ = 0;
};

}  // namespace attnscope::gui
