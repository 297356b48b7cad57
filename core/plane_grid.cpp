// Checks of a PlaneGrid shared by the density field and the contour extractor.
#include "core/plane_grid.h"

#include <cmath>
#include <string>

#include "core/error.h"

namespace attnscope {

void requireValidGrid(const PlaneGrid& grid) {
  constexpr int kMaxSide = 16384;
  if (grid.width < 1 || grid.height < 1 || grid.width > kMaxSide || grid.height > kMaxSide)
    throw InputError("grid size must be between 1 x 1 and 16384 x 16384 pixels; got " + std::to_string(grid.width) +
                     " x " + std::to_string(grid.height));
  if (!(std::isfinite(grid.uMin) && std::isfinite(grid.uMax) && std::isfinite(grid.vMin) && std::isfinite(grid.vMax)))
    throw InputError("grid range must be finite");
  if (!(grid.uMin < grid.uMax) || !(grid.vMin < grid.vMax))
    throw InputError("grid range must satisfy uMin < uMax and vMin < vMax; got u in [" + std::to_string(grid.uMin) +
                     ", " + std::to_string(grid.uMax) + "], v in [" + std::to_string(grid.vMin) + ", " +
                     std::to_string(grid.vMax) + "]");
}

}  // namespace attnscope
