// Iso-contours of a scalar field sampled on a PlaneGrid (marching squares), as line segments in plane coordinates,
// for the density view's contour overlay.
#pragma once

#include <vector>

#include "core/plane_grid.h"
#include "core/types.h"

namespace attnscope {

/// One piece of an iso-line, from (u0, v0) to (u1, v1) in plane coordinates.
struct ContourSegment {
  float u0, v0, u1, v1;
};

/// The contours of one level.
struct ContourLevel {
  float level = 0;
  std::vector<ContourSegment> segments;
};

/// field: H x W samples at the pixel centres of `grid` (row 0 = top, as DensityField stores it); levels: any finite
/// values. Each grid cell between four neighbouring samples is cut by linear interpolation along its edges; the
/// ambiguous saddle cells are resolved by the cell's mean value, so lines never cross. A sample exactly equal to the
/// level counts as above it. Returns one ContourLevel per level, in the given order. Throws InputError when the
/// field shape differs from the grid or contains NaN/Inf.
std::vector<ContourLevel> isoContours(const MatrixView& field, const PlaneGrid& grid, const std::vector<float>& levels);

/// `count` evenly spaced levels strictly inside (low, high): low + k (high - low) / (count + 1), k = 1..count.
/// Returns an empty list when count < 1 or low >= high.
std::vector<float> evenlySpacedLevels(float low, float high, int count);

}  // namespace attnscope
