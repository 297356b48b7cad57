// Marching squares over a field sampled at pixel centres; segments come out in plane coordinates.
#include "core/contours.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include <omp.h>
#include <string>

#include "core/error.h"
#include "core/validate.h"

namespace attnscope {
namespace {

// Corners of a cell in clockwise order from the top left; edge e joins corner e and corner (e + 1) % 4:
// 0 top, 1 right, 2 bottom, 3 left.
struct Cell {
  std::array<float, 4> value;
  std::array<float, 4> u;
  std::array<float, 4> v;
};

/// Point where the level crosses edge `edge`, by linear interpolation between its corners. Only called for edges
/// whose corners lie on different sides, so the two values differ.
void edgePoint(const Cell& cell, int edge, float level, float& u, float& v) {
  const int a = edge, b = (edge + 1) % 4;
  const float t = (level - cell.value[a]) / (cell.value[b] - cell.value[a]);
  u = cell.u[a] + t * (cell.u[b] - cell.u[a]);
  v = cell.v[a] + t * (cell.v[b] - cell.v[a]);
}

void addSegment(const Cell& cell, int edgeA, int edgeB, float level, std::vector<ContourSegment>& out) {
  ContourSegment segment;
  edgePoint(cell, edgeA, level, segment.u0, segment.v0);
  edgePoint(cell, edgeB, level, segment.u1, segment.v1);
  out.push_back(segment);
}

void contourCell(const Cell& cell, float level, std::vector<ContourSegment>& out) {
  std::array<bool, 4> above;
  int aboveCount = 0;
  for (int corner = 0; corner < 4; ++corner) aboveCount += (above[corner] = cell.value[corner] >= level);
  if (aboveCount == 0 || aboveCount == 4) return;
  std::array<int, 4> crossed;
  int crossedCount = 0;
  for (int edge = 0; edge < 4; ++edge)
    if (above[edge] != above[(edge + 1) % 4]) crossed[crossedCount++] = edge;
  if (crossedCount == 2) {
    addSegment(cell, crossed[0], crossed[1], level, out);
    return;
  }
  // Saddle: two diagonal corners above. If the cell centre (mean of the corners) is on their side, the above region
  // joins them through the middle and the lines cut off the two other corners; otherwise they cut off these two.
  const float centre = 0.25f * (cell.value[0] + cell.value[1] + cell.value[2] + cell.value[3]);
  const bool centreAbove = centre >= level;
  const int cutCorner = (above[0] == centreAbove) ? 1 : 0;  // corners cutCorner and cutCorner + 2 are isolated
  // The corner k is isolated by its two edges: edge k - 1 (entering) and edge k (leaving).
  addSegment(cell, (cutCorner + 3) % 4, cutCorner, level, out);
  addSegment(cell, (cutCorner + 1) % 4, cutCorner + 2, level, out);
}

}  // namespace

std::vector<ContourLevel> isoContours(const MatrixView& field, const PlaneGrid& grid,
                                      const std::vector<float>& levels) {
  requireValidGrid(grid);
  if (field.rows() != grid.height || field.cols() != grid.width)
    throw InputError("contour field is " + std::to_string(field.rows()) + " x " + std::to_string(field.cols()) +
                     " but the grid is " + std::to_string(grid.height) + " x " + std::to_string(grid.width) +
                     " (height x width)");
  requireFinite(field, "contour field");
  for (size_t l = 0; l < levels.size(); ++l)
    if (!std::isfinite(levels[l])) throw InputError("contour level " + std::to_string(l) + " is not finite");

  std::vector<float> u(static_cast<size_t>(grid.width)), v(static_cast<size_t>(grid.height));
  for (int x = 0; x < grid.width; ++x) u[static_cast<size_t>(x)] = grid.columnToU(static_cast<float>(x));
  for (int y = 0; y < grid.height; ++y) v[static_cast<size_t>(y)] = grid.rowToV(static_cast<float>(y));

  // One pass over the cells for all levels: a cell's min and max select, by binary search in the sorted levels,
  // the few levels that cross it (low < level <= high), so flat regions cost one comparison per cell.
  std::vector<size_t> order(levels.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return levels[a] < levels[b]; });
  std::vector<float> sorted(levels.size());
  for (size_t k = 0; k < order.size(); ++k) sorted[k] = levels[order[k]];

  const int cellRows = grid.height - 1;
  std::vector<ContourLevel> result(levels.size());
  for (size_t l = 0; l < levels.size(); ++l) result[l].level = levels[l];
  if (levels.empty() || cellRows < 1 || grid.width < 2) return result;
  // Threads own contiguous blocks of rows (static schedule) and are merged in thread order afterwards, so the output
  // is the same as a serial run.
  std::vector<std::vector<std::vector<ContourSegment>>> perThread(static_cast<size_t>(omp_get_max_threads()));
#pragma omp parallel if (static_cast <long>(grid.width) * grid.height > 65536)
  {
    auto& local = perThread[static_cast<size_t>(omp_get_thread_num())];
    local.resize(levels.size());
#pragma omp for schedule(static)
    for (int y = 0; y < cellRows; ++y) {
      for (int x = 0; x + 1 < grid.width; ++x) {
        const Cell cell{{field(y, x), field(y, x + 1), field(y + 1, x + 1), field(y + 1, x)},
                        {u[x], u[x + 1], u[x + 1], u[x]},
                        {v[y], v[y], v[y + 1], v[y + 1]}};
        const float low = std::min(std::min(cell.value[0], cell.value[1]), std::min(cell.value[2], cell.value[3]));
        const float high = std::max(std::max(cell.value[0], cell.value[1]), std::max(cell.value[2], cell.value[3]));
        for (auto k = static_cast<size_t>(std::upper_bound(sorted.begin(), sorted.end(), low) - sorted.begin());
             k < sorted.size() && sorted[k] <= high; ++k)
          contourCell(cell, sorted[k], local[order[k]]);
      }
    }
  }
  for (const auto& local : perThread)
    for (size_t l = 0; l < local.size(); ++l)
      result[l].segments.insert(result[l].segments.end(), local[l].begin(), local[l].end());
  return result;
}

std::vector<float> evenlySpacedLevels(float low, float high, int count) {
  std::vector<float> levels;
  if (count < 1 || !(low < high)) return levels;
  levels.reserve(static_cast<size_t>(count));
  for (int k = 1; k <= count; ++k)
    levels.push_back(low + static_cast<float>(k) * (high - low) / static_cast<float>(count + 1));
  return levels;
}

}  // namespace attnscope
