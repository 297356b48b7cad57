// Tick placement, tick labels, decimation and chunking for the plotting module (pure, no ImGui).
#include "app/plot/plot_math.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>

namespace attnscope::plot {

double niceStep(double x) {
  if (!(x > 0.0) || !std::isfinite(x)) return 1.0;
  const double exponent = std::floor(std::log10(x));
  const double power = std::pow(10.0, exponent);
  const double fraction = x / power;
  // Tolerance so that 0.2 (which is 1.9999999 * 0.1 after log/pow round-off) stays 0.2 and not 0.5.
  constexpr double kSlack = 1.0 + 1e-9;
  double nice = 10.0;
  if (fraction <= 1.0 * kSlack)
    nice = 1.0;
  else if (fraction <= 2.0 * kSlack)
    nice = 2.0;
  else if (fraction <= 5.0 * kSlack)
    nice = 5.0;
  return nice * power;
}

Range widened(Range range) {
  if (!std::isfinite(range.min) || !std::isfinite(range.max)) return Range{0.0, 1.0};
  if (range.min > range.max) std::swap(range.min, range.max);
  if (range.max - range.min > std::abs(range.max) * 1e-12 && range.max > range.min) return range;
  const double centre = 0.5 * (range.min + range.max);
  const double half = centre == 0.0 ? 0.5 : std::abs(centre) * 0.05;
  return Range{centre - half, centre + half};
}

namespace {

// One step smaller on the 1-2-5 ladder (5 -> 2 -> 1 -> 0.5).
double smallerNiceStep(double step) {
  const double power = std::pow(10.0, std::floor(std::log10(step) + 1e-9));
  const double fraction = step / power;
  if (fraction > 4.0) return 2.0 * power;
  if (fraction > 1.5) return 1.0 * power;
  return 0.5 * power;
}

std::vector<double> ticksWithStep(Range range, double step) {
  std::vector<double> values;
  const double first = std::ceil(range.min / step - 1e-9) * step;
  for (int i = 0;; ++i) {
    double value = first + i * step;
    if (value > range.max + step * 1e-9) break;
    if (std::abs(value) < step * 1e-9) value = 0.0;  // exact zero, so the label is "0", not "-1.4e-17"
    values.push_back(value);
    if (values.size() > 1000) break;  // cannot happen for sane inputs; guards a runaway loop
  }
  return values;
}

}  // namespace

Ticks linearTicks(Range range, int maxTicks) {
  range = widened(range);
  maxTicks = std::max(maxTicks, 2);
  Ticks ticks;
  ticks.step = niceStep(range.span() / (maxTicks - 1));
  ticks.values = ticksWithStep(range, ticks.step);
  while (ticks.values.size() < 2) {
    ticks.step = smallerNiceStep(ticks.step);
    ticks.values = ticksWithStep(range, ticks.step);
  }
  ticks.major.assign(ticks.values.size(), true);
  return ticks;
}

Ticks logTicks(Range range, int maxTicks) {
  constexpr double kTiny = 1e-300;
  range.min = std::max(range.min, kTiny);
  range.max = std::max(range.max, kTiny);
  if (range.min > range.max) std::swap(range.min, range.max);
  if (range.max <= range.min * (1.0 + 1e-12)) range = Range{range.min / 2.0, range.min * 2.0};
  maxTicks = std::max(maxTicks, 2);

  const double lowDecade = std::floor(std::log10(range.min));
  const double highDecade = std::ceil(std::log10(range.max));
  const double decades = std::log10(range.max) - std::log10(range.min);
  Ticks ticks;
  ticks.step = 1.0;
  const auto inside = [&](double v) { return v >= range.min * (1 - 1e-9) && v <= range.max * (1 + 1e-9); };
  if (decades <= 3.0) {
    // 1, 2, 5 per decade; label them all on short ranges, only the decades once there are several.
    const bool labelAll = decades <= 1.5;
    for (double e = lowDecade; e <= highDecade; e += 1.0) {
      for (double mantissa : {1.0, 2.0, 5.0}) {
        const double value = mantissa * std::pow(10.0, e);
        if (!inside(value)) continue;
        ticks.values.push_back(value);
        ticks.major.push_back(labelAll || mantissa == 1.0);
      }
    }
  } else {
    ticks.step = std::ceil((highDecade - lowDecade) / (maxTicks - 1));
    const double start = std::ceil(lowDecade / ticks.step) * ticks.step;
    for (double e = start; e <= highDecade; e += ticks.step) {
      const double value = std::pow(10.0, e);
      if (!inside(value)) continue;
      ticks.values.push_back(value);
      ticks.major.push_back(true);
    }
  }
  if (ticks.values.size() < 2) {
    // Less than one 1-2-5 tick inside (e.g. 3..4.5): linear ticks read better than a single label.
    Ticks linear = linearTicks(range, maxTicks);
    linear.values.erase(std::remove_if(linear.values.begin(), linear.values.end(), [](double v) { return v <= 0; }),
                        linear.values.end());
    linear.major.assign(linear.values.size(), true);
    return linear;
  }
  return ticks;
}

std::string formatTick(double value, double step) {
  if (!std::isfinite(value)) return value != value ? "nan" : (value > 0 ? "inf" : "-inf");
  if (value == 0.0 || (step > 0.0 && std::abs(value) < step * 1e-9)) return "0";
  const double magnitude = std::abs(value);
  char buffer[64];
  if (magnitude >= 1e5 || magnitude < 1e-3) {
    // Exponent form with as many mantissa digits as the step needs, then tidied: 1e-05 -> 1e-5, 2.0e+06 -> 2e6.
    int digits = 0;
    if (step > 0.0)
      digits = std::clamp(static_cast<int>(std::ceil(std::log10(magnitude / step) - 1e-9)), 0, 6);
    else
      digits = 2;
    std::snprintf(buffer, sizeof buffer, "%.*e", digits, value);
    std::string text = buffer;
    const auto e = text.find('e');
    std::string mantissa = text.substr(0, e);
    if (mantissa.find('.') != std::string::npos) {
      while (!mantissa.empty() && mantissa.back() == '0') mantissa.pop_back();
      if (!mantissa.empty() && mantissa.back() == '.') mantissa.pop_back();
    }
    int exponent = std::atoi(text.c_str() + e + 1);
    return mantissa + "e" + std::to_string(exponent);
  }
  int decimals = 0;
  if (step > 0.0) {
    decimals = std::clamp(static_cast<int>(-std::floor(std::log10(step) + 1e-9)), 0, 12);
    // A step that is not 1, 2 or 5 x 10^k (fixed ticks 0.25 apart) needs more digits: "0.25", not "0.2".
    while (decimals < 12) {
      const double scaled = step * std::pow(10.0, decimals);
      if (std::abs(scaled - std::round(scaled)) <= 1e-6 * std::max(1.0, scaled)) break;
      ++decimals;
    }
  } else {
    // No step (log-axis labels, readouts): three significant digits.
    std::snprintf(buffer, sizeof buffer, "%.3g", value);
    return buffer;
  }
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  std::string text = buffer;
  if (text == "-0" || text.find_first_not_of("-0.") == std::string::npos) return "0";
  return text;
}

std::vector<Point> decimateToColumns(std::span<const double> xs, std::span<const double> ys, Range xRange,
                                     int columns) {
  const std::size_t n = std::min(xs.size(), ys.size());
  std::vector<Point> out;
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  const auto finite = [&](std::size_t i) { return std::isfinite(xs[i]) && std::isfinite(ys[i]); };
  columns = std::max(columns, 1);
  if (n <= 4 * static_cast<std::size_t>(columns)) {
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) out.push_back(finite(i) ? Point{xs[i], ys[i]} : Point{xs[i], kNaN});
    return out;
  }
  out.reserve(4 * static_cast<std::size_t>(columns) + 16);
  xRange = widened(xRange);
  const double perColumn = columns / xRange.span();
  // Samples left or right of the visible range land in columns -1 and `columns`: they keep their own first/last
  // point, so the segment entering the plot has its true slope.
  const auto columnOf = [&](double x) {
    const double c = std::floor((x - xRange.min) * perColumn);
    return static_cast<long>(std::clamp(c, -1.0, static_cast<double>(columns)));
  };

  bool open = false;
  long column = 0;
  std::size_t first = 0, last = 0, lowest = 0, highest = 0;
  const auto flush = [&]() {
    if (!open) return;
    std::array<std::size_t, 4> picks{first, lowest, highest, last};
    std::sort(picks.begin(), picks.end());
    const auto end = std::unique(picks.begin(), picks.end());
    for (auto it = picks.begin(); it != end; ++it) out.push_back(Point{xs[*it], ys[*it]});
    open = false;
  };
  for (std::size_t i = 0; i < n; ++i) {
    if (!finite(i)) {
      flush();
      if (out.empty() || !std::isnan(out.back().y)) out.push_back(Point{xs[i], kNaN});
      continue;
    }
    const long c = columnOf(xs[i]);
    if (!open || c != column) {
      flush();
      open = true;
      column = c;
      first = last = lowest = highest = i;
      continue;
    }
    last = i;
    if (ys[i] < ys[lowest]) lowest = i;
    if (ys[i] > ys[highest]) highest = i;
  }
  flush();
  return out;
}

std::vector<std::pair<std::size_t, std::size_t>> polylineChunks(std::size_t n, std::size_t maxPoints) {
  std::vector<std::pair<std::size_t, std::size_t>> chunks;
  maxPoints = std::max<std::size_t>(maxPoints, 2);
  if (n == 0) return chunks;
  if (n == 1) return {{0, 1}};
  for (std::size_t begin = 0; begin + 1 < n;) {
    const std::size_t end = std::min(n, begin + maxPoints);
    chunks.emplace_back(begin, end);
    begin = end - 1;  // overlap by one point: the next chunk starts where this one ended
  }
  return chunks;
}

std::size_t nearestIndex(std::span<const double> xs, double x) {
  if (xs.empty()) return 0;
  const auto it = std::lower_bound(xs.begin(), xs.end(), x);
  if (it == xs.begin()) return 0;
  if (it == xs.end()) return xs.size() - 1;
  const std::size_t right = static_cast<std::size_t>(it - xs.begin());
  return (x - xs[right - 1] <= xs[right] - x) ? right - 1 : right;
}

bool tickLabelsCollide(std::span<const double> centres, std::span<const double> extents, const std::vector<bool>& kept,
                       double gap, double lo, double hi) {
  double previousEnd = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < centres.size() && i < kept.size(); ++i) {
    if (!kept[i]) continue;
    const double begin = centres[i] - 0.5 * extents[i], end = centres[i] + 0.5 * extents[i];
    if (begin < lo || end > hi) return true;
    if (begin < previousEnd + gap) return true;
    previousEnd = end;
  }
  return false;
}

std::vector<bool> fitTickLabels(std::span<const double> centres, std::span<const double> extents, double gap, double lo,
                                double hi) {
  const std::size_t n = std::min(centres.size(), extents.size());
  std::vector<bool> inside(n);
  for (std::size_t i = 0; i < n; ++i)
    inside[i] = centres[i] - 0.5 * extents[i] >= lo && centres[i] + 0.5 * extents[i] <= hi;
  std::vector<bool> kept(n, false);
  for (std::size_t stride = 1; stride <= std::max<std::size_t>(n, 1); ++stride) {
    // Every stride-th label counted from the first one that fits inside, so 0 (or the axis start) stays labelled.
    std::size_t first = 0;
    while (first < n && !inside[first]) ++first;
    for (std::size_t i = 0; i < n; ++i) kept[i] = i >= first && (i - first) % stride == 0 && inside[i];
    if (!tickLabelsCollide(centres.first(n), extents.first(n), kept, gap, lo, hi)) return kept;
  }
  // Unreachable for a single label (it is inside or dropped); kept for clarity: draw nothing rather than overlap.
  return std::vector<bool>(n, false);
}

std::vector<std::string> wrapWords(const std::string& text, double maxWidth,
                                   const std::function<double(const std::string&)>& width) {
  std::vector<std::string> lines;
  std::string line;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t space = text.find(' ', at);
    const std::string word = text.substr(at, space == std::string::npos ? std::string::npos : space - at);
    at = space == std::string::npos ? text.size() : space + 1;
    if (word.empty()) continue;
    const std::string joined = line.empty() ? word : line + " " + word;
    if (line.empty() || width(joined) <= maxWidth) {
      line = joined;
    } else {
      lines.push_back(line);
      line = word;
    }
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

std::optional<Point> LabelPlacer::place(Point anchor, double width, double height, double gap,
                                        std::span<const Point> preferred) {
  const auto fits = [&](Point topLeft) {
    const Box box{topLeft.x, topLeft.y, topLeft.x + width, topLeft.y + height};
    if (!box.inside(bounds_)) return false;
    for (const Box& other : taken_)
      if (box.overlaps(other)) return false;
    taken_.push_back(box);
    return true;
  };
  for (const Point& candidate : preferred)
    if (fits(candidate)) return candidate;
  // Two rings: right next to the anchor, then a label's height and a half farther out (a crowded spot).
  for (const double distance : {gap, gap + 1.5 * height}) {
    const double right = anchor.x + distance, left = anchor.x - distance - width;
    const double above = anchor.y - distance - height, below = anchor.y + distance, middle = anchor.y - height / 2;
    const double centre = anchor.x - width / 2;
    const Point around[8] = {{right, middle}, {left, middle}, {centre, above}, {centre, below},
                             {right, above},  {right, below}, {left, above},   {left, below}};
    for (const Point& candidate : around)
      if (fits(candidate)) return candidate;
  }
  return std::nullopt;
}

}  // namespace attnscope::plot
