// Revision-keyed cache of colour-mapped textures.
#include "app/gui/heatmap_cache.h"

#include <algorithm>

namespace attnscope::gui {

GpuHeatmapCache::GpuHeatmapCache() = default;

unsigned GpuHeatmapCache::texture(const std::string& slot, std::uint64_t revision, const MatrixView& values,
                                  const HeatmapStyle& style) {
  if (values.rows() < 1 || values.cols() < 1) return 0;
  Slot& entry = slots_[slot];
  const bool sameStyle = entry.style.colorMap == style.colorMap && entry.style.minValue == style.minValue &&
                         entry.style.maxValue == style.maxValue && entry.style.logScale == style.logScale;
  // Never more texels than cells, nor than the pixels the texture is shown at.
  const int width = int(style.shownWidth > 0 ? std::min<long>(values.cols(), style.shownWidth) : values.cols());
  const int height = int(style.shownHeight > 0 ? std::min<long>(values.rows(), style.shownHeight) : values.rows());
  if (!entry.texture || entry.revision != revision || !sameStyle || entry.rows != values.rows() ||
      entry.cols != values.cols() || entry.width != width || entry.height != height) {
    renderer_.render(values, {style.colorMap, style.minValue, style.maxValue, style.logScale, width, height},
                     entry.texture);
    entry.width = width;
    entry.height = height;
    entry.revision = revision;
    entry.style = style;
    entry.rows = values.rows();
    entry.cols = values.cols();
    ++renderCount_;
  }
  return entry.texture.id();
}

}  // namespace attnscope::gui
