// Where the views drew the things tests need to find: the attention-map plot areas and the canvas arrow tips, in
// frame pixels of the last frame. Written by the views every frame (UI state only, never part of the document); read
// by the headless pixel tests and the end-to-end X test, so they locate a cell or an arrow without guessing layout.
#pragma once

#include <array>
#include <vector>

namespace attnscope::views {

struct ViewProbe {
  struct Rect {
    float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  };
  /// Plot areas of the attention maps, one per shown kernel in DisplayParams::shownKernels order (the texture fills
  /// each area; cell (i, j) is the j-th of heatmapColumns equal columns and i-th of heatmapRows equal rows, row 0 at
  /// the top).
  std::vector<Rect> heatmapAreas;
  int heatmapRows = 0, heatmapColumns = 0;
  /// Canvas: pixel position of the projected origin and of every query / key arrow tip.
  std::array<float, 2> canvasOrigin{};
  std::vector<std::array<float, 2>> queryTips, keyTips;
  /// Kernel sweep: the rectangles of the weight plot, the polar plot, the score plot and the per-key bars (titles and
  /// axes included).
  Rect sweepWeights, sweepPolar, sweepScores, sweepBars;
  /// Long map: the map area of every shown kernel (in LongMapState::shownKernels() order; the image fills the area,
  /// pixel (x, y) showing viewport row rowBegin + (y - y0) / height * rowSpan) and the minimap's whole-map rectangle.
  std::vector<Rect> longMapAreas;
  Rect longMapMinimap;
};

}  // namespace attnscope::views
