// Marching squares over a field sampled at pixel centres; segments come out in plane coordinates.
#include "core/contours.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <unordered_map>
#include <utility>

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
/// whose corners lie on different sides, so the two values differ. Every edge is interpolated in the same grid
/// direction (left to right, top to bottom) whichever of its two cells asks, so neighbouring cells produce
/// bitwise-identical endpoints: lines have no hairline gaps and chainContour can join them exactly.
void edgePoint(const Cell& cell, int edge, float level, float& u, float& v) {
  int a = edge, b = (edge + 1) % 4;
  if (edge >= 2) std::swap(a, b);  // bottom edge runs right to left and left edge bottom to top in corner order
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

std::vector<ContourPolyline> chainContour(const std::vector<ContourSegment>& segments) {
  // Endpoints are bitwise identical where cells meet (see edgePoint), so exact float bit patterns identify them.
  // Each point is shared by at most two segments (the two cells of its grid edge).
  const auto key = [](float u, float v) {
    std::uint32_t bu, bv;
    std::memcpy(&bu, &u, sizeof bu);
    std::memcpy(&bv, &v, sizeof bv);
    return (static_cast<std::uint64_t>(bu) << 32) | bv;
  };
  std::unordered_multimap<std::uint64_t, size_t> endpoints;  // point -> 2 s + end (end 0: (u0, v0), 1: (u1, v1))
  endpoints.reserve(2 * segments.size());
  for (size_t s = 0; s < segments.size(); ++s) {
    endpoints.emplace(key(segments[s].u0, segments[s].v0), 2 * s);
    endpoints.emplace(key(segments[s].u1, segments[s].v1), 2 * s + 1);
  }
  std::vector<bool> used(segments.size(), false);
  const auto point = [&](size_t end) {
    const ContourSegment& s = segments[end / 2];
    return end % 2 == 0 ? Eigen::Vector2f(s.u0, s.v0) : Eigen::Vector2f(s.u1, s.v1);
  };
  // An end of a not yet used segment lying at p, or SIZE_MAX when the line stops there.
  const auto next = [&](const Eigen::Vector2f& p) {
    const auto [first, last] = endpoints.equal_range(key(p.x(), p.y()));
    for (auto it = first; it != last; ++it)
      if (!used[it->second / 2]) return it->second;
    return static_cast<size_t>(-1);
  };
  const auto extend = [&](std::vector<Eigen::Vector2f>& line) {
    for (size_t end = next(line.back()); end != static_cast<size_t>(-1); end = next(line.back())) {
      used[end / 2] = true;
      line.push_back(point(end ^ 1));  // walk through the segment to its other end
    }
  };
  std::vector<ContourPolyline> lines;
  for (size_t s = 0; s < segments.size(); ++s) {
    if (used[s]) continue;
    used[s] = true;
    ContourPolyline line;
    line.points = {point(2 * s), point(2 * s + 1)};
    extend(line.points);
    // Grow the other way from the first point too (an open line may have started in its middle).
    std::reverse(line.points.begin(), line.points.end());
    extend(line.points);
    line.closed = line.points.size() > 2 && line.points.front() == line.points.back();
    lines.push_back(std::move(line));
  }
  return lines;
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
