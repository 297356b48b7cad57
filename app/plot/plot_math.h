// The pure half of the plotting module: tick placement, tick labels, series decimation and polyline chunking.
// No ImGui here, so it is unit-tested on its own (tests/app/plot_test.cpp) and shared by screen and export paths.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace attnscope::plot {

/// A closed interval of data values. Degenerate ranges (min == max) are legal and widened when drawn.
struct Range {
  double min = 0.0;
  double max = 1.0;
  double span() const { return max - min; }
};

/// How an axis maps data to pixels.
enum class Scale { Linear, Log };

/// Ticks of one axis: positions in data units plus the step that produced them (used to pick label precision).
struct Ticks {
  std::vector<double> values;  ///< ascending, all inside the range
  double step = 0.0;           ///< linear step; for log axes the decade exponent step (1, 2, ...)
  std::vector<bool> major;     ///< one flag per value: true where the tick gets a label (all, or decades on log)
};

/// The smallest "nice" number (1, 2 or 5 times a power of ten) that is >= x. x must be > 0.
double niceStep(double x);

/// Linear ticks on 1-2-5 steps: at most maxTicks values inside range (at least 2 when the range is not degenerate).
/// A degenerate or reversed range is widened around its centre first, so the caller always gets ticks.
Ticks linearTicks(Range range, int maxTicks = 8);

/// Logarithmic ticks for range (both ends > 0): powers of ten, and 2x/5x in between when the range spans
/// fewer than about three decades. Non-positive ends are clamped to a tiny positive value rather than rejected.
Ticks logTicks(Range range, int maxTicks = 8);

/// Formats a tick value with just enough decimals for the step (0.25 step -> "0.25", 20 step -> "20"),
/// switching to exponent form for very large or very small magnitudes; "-0" never appears.
std::string formatTick(double value, double step);

/// Range widened so that it is never degenerate: equal ends are opened by +-0.5 (or +-5% of |value|).
Range widened(Range range);

/// Which tick labels of one axis to draw so that none overlaps its neighbour and none sticks out of [lo, hi].
/// centres: each label's centre along the axis in pixels (ascending); extents: each label's length along the axis in
/// pixels (width on x, line height on y), same length as centres; gap: the least free space between two drawn labels.
/// Keeps every stride-th label for the smallest stride that fits, so the drawn labels stay evenly spaced (the
/// 0 45 90 135 180 degree axis of a narrow plot becomes 0 90 180, never "0 4590135180"); labels outside [lo, hi]
/// are dropped. Returns one flag per label (true: draw it).
std::vector<bool> fitTickLabels(std::span<const double> centres, std::span<const double> extents, double gap, double lo,
                                double hi);
/// True when two of the `kept` labels (ascending centres, extents as in fitTickLabels) are closer than `gap` or one
/// of them leaves [lo, hi]: what fitTickLabels avoids, stated on its own so tests check the result independently.
bool tickLabelsCollide(std::span<const double> centres, std::span<const double> extents, const std::vector<bool>& kept,
                       double gap, double lo, double hi);

/// Greedy word wrap: `text` split at spaces into lines no wider than maxWidth as measured by `width` (a word longer
/// than maxWidth gets a line of its own). Plot titles and axis labels wrap instead of spilling over their neighbours.
std::vector<std::string> wrapWords(const std::string& text, double maxWidth,
                                   const std::function<double(const std::string&)>& width);

/// A point of a series in data units.
struct Point {
  double x = 0.0;
  double y = 0.0;
};

/// An axis-aligned box in pixels: x0 <= x1, y0 <= y1.
struct Box {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool overlaps(const Box& other) const { return x0 < other.x1 && other.x0 < x1 && y0 < other.y1 && other.y0 < y1; }
  bool inside(const Box& outer) const { return x0 >= outer.x0 && y0 >= outer.y0 && x1 <= outer.x1 && y1 <= outer.y1; }
};

/// Point labels without overlaps or clipping, placed greedily: each label (in the order asked, so the most important
/// first) takes the first of its candidate positions that lies inside the bounds and overlaps no label placed before
/// and no obstacle (the markers themselves). A label with no free position is left out rather than drawn over
/// another or cut at the frame: the views' hover readouts still name every point.
class LabelPlacer {
 public:
  explicit LabelPlacer(Box bounds) : bounds_(bounds) {}
  /// Something labels must not cover (a marker).
  void addObstacle(Box box) { taken_.push_back(box); }
  /// The top-left corner for a width x height label: the `preferred` top-left corners first (in order), then the
  /// eight positions around `anchor` at `gap` pixels (right, left, above, below, then the diagonals), then the same
  /// eight 1.5 label heights farther out. Records the label's box when placed.
  std::optional<Point> place(Point anchor, double width, double height, double gap,
                             std::span<const Point> preferred = {});

 private:
  Box bounds_;
  std::vector<Box> taken_;
};

/// Min/max decimation of a series to pixel columns.
/// xs, ys: n samples each (same length), xs non-decreasing; xRange: the visible x range mapped to `columns` pixels.
/// Returns at most 4 points per column (first, min and max in order of occurrence, last) so vertical extent and
/// the joins between columns are preserved exactly; series no longer than 4 * columns are returned unchanged.
/// Samples with a non-finite y are kept as NaN points so the caller can break the line there (a gap).
std::vector<Point> decimateToColumns(std::span<const double> xs, std::span<const double> ys, Range xRange, int columns);

/// Splits a polyline of n points into chunks of at most maxPoints points that overlap by one point, so the
/// drawn line is continuous. Returns [begin, end) index pairs. maxPoints must be >= 2.
std::vector<std::pair<std::size_t, std::size_t>> polylineChunks(std::size_t n, std::size_t maxPoints);

/// Points per AddPolyline call. ImDrawIdx is 16-bit in Debian's prebuilt ImGui: one call that emits more than
/// 65,535 vertices wraps its indices. An anti-aliased thick line emits at most 4 vertices per point (plus the
/// closing pair), so 8,000 points stay far below the limit for any thickness.
inline constexpr std::size_t kMaxPointsPerPolyline = 8000;

/// Index of the sample whose x is nearest to x (xs non-decreasing, n >= 1); binary search, O(log n).
std::size_t nearestIndex(std::span<const double> xs, double x);

}  // namespace attnscope::plot
