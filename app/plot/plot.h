// attnscope's plotting module on ImGui's ImDrawList (Debian has no ImPlot): axes, series, bars, polar axes,
// colour bars, legends, hover readouts. Every function takes an explicit pixel rectangle and its data, so the same
// code draws into a window and into the headless export's draw list.
#pragma once

#include <imgui.h>
#include "app/plot/rect.h"

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "app/plot/plot_math.h"

namespace attnscope::plot {

/// Colours and sizes of every plot. Defaults follow the current ImGui style (fromImGui) so plots match the theme.
struct Style {
  ImU32 background = IM_COL32(250, 250, 250, 255);
  ImU32 border = IM_COL32(110, 110, 110, 255);
  ImU32 grid = IM_COL32(0, 0, 0, 30);
  ImU32 axis = IM_COL32(60, 60, 60, 255);
  ImU32 text = IM_COL32(20, 20, 20, 255);
  ImU32 textDim = IM_COL32(90, 90, 90, 255);
  float fontSize = 0.0f;    ///< 0: the current ImGui font size
  float tickLength = 5.0f;  ///< pixels
  float padding = 6.0f;     ///< pixels around labels

  /// Plot colours derived from the current ImGui style (dark or light); needs an ImGui context.
  static Style fromImGui();
};

/// Colour-blind-safe categorical colours (Okabe-Ito order); index wraps around.
ImU32 seriesColor(int index, float alpha = 1.0f);

/// One axis of a Cartesian frame.
struct Axis {
  std::string label;
  Range range;
  Scale scale = Scale::Linear;
  bool grid = true;
  int maxTicks = 0;                     ///< 0: chosen from the axis length in pixels
  std::vector<double> fixedTicks;       ///< when non-empty, exactly these ticks (e.g. 0, 45, 90, 135, 180 degrees)
  std::vector<std::string> categories;  ///< when non-empty, ticks at 0..n-1 labelled with these (thinned if crowded)
  bool inverted = false;                ///< values grow right-to-left (x) or top-to-bottom (y), as matrix rows do
  bool tickLabels = true;               ///< false: tick marks only (plots side by side sharing the first one's labels)
};

/// What a Cartesian frame shows around its data.
struct FrameSpec {
  std::string title;
  Axis x;
  Axis y;
  bool equalAspect = false;  ///< one data unit is as long on x as on y (the vector canvas's circle stays round)
};

/// The drawn frame of one plot: maps data to pixels and clips series to the plot area between begin and end.
class Frame {
 public:
  /// Draws background, grid, ticks, tick labels, axis labels and title into outer (screen pixels), and pushes a
  /// clip rectangle for the plot area. Call end() after the series.
  Frame(ImDrawList* drawList, plot::Rect outer, const FrameSpec& spec, const Style& style = Style::fromImGui());
  Frame(const Frame&) = delete;
  Frame& operator=(const Frame&) = delete;
  ~Frame();

  /// Pops the clip rectangle and draws the border (idempotent; the destructor calls it too).
  void end();

  ImVec2 toPixel(double x, double y) const;
  Point toData(ImVec2 pixel) const;
  const plot::Rect& area() const { return area_; }
  const Range& xRange() const { return xRange_; }
  const Range& yRange() const { return yRange_; }
  ImDrawList* drawList() const { return drawList_; }
  const Style& style() const { return style_; }
  float fontSize() const { return fontSize_; }
  /// The x axis as drawn: category names too wide for the plot even in two rows are numbered 1..n and named in full
  /// in the axis label ("key: 1 parallel, 2 orthogonal, ..."), for up to 12 categories (plot.cpp).
  const Axis& xAxisShown() const { return spec_.x; }
  /// Mouse position in data units when the mouse is over the plot area of a hovered window, else nothing.
  std::optional<Point> hovered() const;

 private:
  double mapX(double x) const;
  double mapY(double y) const;

  ImDrawList* drawList_;
  Style style_;
  FrameSpec spec_;
  plot::Rect area_;
  Range xRange_, yRange_;
  float fontSize_ = 13.0f;
  bool open_ = true;
};

/// Line series: xs, ys of equal length (xs non-decreasing for decimation to apply; otherwise drawn as given).
/// Decimated to the frame's pixel width, broken at non-finite samples, chunked below the 16-bit index limit.
/// Thickness is rounded to a whole pixel (fractional thickness doubles the vertex count in ImGui 1.86).
void line(Frame& frame, std::span<const double> xs, std::span<const double> ys, ImU32 color, float thickness = 2.0f);

enum class Marker { Circle, Square, Diamond, Cross };

/// Scatter series: one marker of `radius` pixels per finite (x, y).
void scatter(Frame& frame, std::span<const double> xs, std::span<const double> ys, ImU32 color, float radius = 4.0f,
             Marker marker = Marker::Circle);

/// Vertical marker line at x with an optional label at its top; dashed lines mark references, solid the current.
void verticalMarker(Frame& frame, double x, ImU32 color, const std::string& label = {}, float thickness = 1.0f,
                    bool dashed = false, bool labelAtBottom = false);
/// Horizontal marker line at y.
void horizontalMarker(Frame& frame, double y, ImU32 color, float thickness = 1.0f, bool dashed = false);

/// Grouped bars on a categorical x axis (frame x categories 0..C-1): values[s][c] is the bar of series s in
/// category c; the series of one category sit side by side inside 80% of the category's width.
void groupedBars(Frame& frame, const std::vector<std::vector<double>>& values, std::span<const ImU32> colors,
                 double baseline = 0.0);

/// One legend row.
struct LegendEntry {
  std::string label;
  ImU32 color = 0;
  enum class Kind { Line, Marker, Box } kind = Kind::Line;
};
enum class Corner { TopLeft, TopRight, BottomLeft, BottomRight };
/// Legend box inside the plot area's corner, drawn over the series.
void legend(Frame& frame, std::span<const LegendEntry> entries, Corner corner = Corner::TopRight);
/// Where legend() draws its box (labels placed before it can keep clear of it).
plot::Rect legendRect(Frame& frame, std::span<const LegendEntry> entries, Corner corner = Corner::TopRight);

/// Crosshair at the hovered x and a dot on every series value (ys[s][i] at the nearest sample); returns the
/// sample index under the mouse, or nothing when the plot is not hovered. xs non-decreasing.
std::optional<std::size_t> hoverSeries(Frame& frame, std::span<const double> xs,
                                       const std::vector<std::span<const double>>& ys, std::span<const ImU32> colors);

/// Polar axes for an angle sweep: a half (or full) disc, angles in degrees counter-clockwise from the +x axis,
/// radius from 0 at the centre to radiusMax on the rim.
struct PolarSpec {
  std::string title;
  double radiusMax = 1.0;
  double angleMinDeg = 0.0;
  double angleMaxDeg = 180.0;
  std::string radiusLabel;
};

class PolarFrame {
 public:
  PolarFrame(ImDrawList* drawList, plot::Rect outer, const PolarSpec& spec, const Style& style = Style::fromImGui());
  PolarFrame(const PolarFrame&) = delete;
  PolarFrame& operator=(const PolarFrame&) = delete;
  ImVec2 toPixel(double angleDeg, double radius) const;
  ImDrawList* drawList() const { return drawList_; }
  const Style& style() const { return style_; }
  const plot::Rect& outer() const { return outer_; }

 private:
  ImDrawList* drawList_;
  Style style_;
  PolarSpec spec_;
  plot::Rect outer_;
  ImVec2 centre_;
  float pixelsPerUnit_ = 1.0f;
};

/// Polar line: anglesDeg and radii of equal length; radii are clamped to [0, radiusMax].
void polarLine(PolarFrame& frame, std::span<const double> anglesDeg, std::span<const double> radii, ImU32 color,
               float thickness = 2.0f);

/// A colour bar beside a heatmap or field.
struct ColorBarSpec {
  std::string label;
  Range range;
  Scale scale = Scale::Linear;
  bool vertical = true;
};

/// Draws the colour bar into rect (the gradient plus ticks and labels on its right/bottom side).
/// lut: the colour map sampled evenly from 0 (range.min) to 1 (range.max); the same table the heatmap shader
/// samples, so the bar shows exactly the on-screen colours. On a log scale the table maps log10(value) linearly.
void colorBar(ImDrawList* drawList, plot::Rect rect, const ColorBarSpec& spec, std::span<const ImU32> lut,
              const Style& style = Style::fromImGui());
/// Width a vertical colour bar needs for its labels at the current font size (to lay out a view).
float colorBarLabelWidth(const ColorBarSpec& spec, float fontSize);

/// Category names too wide for an axis of `lengthPixels` even in two rows (a 3-key map in presenter mode's narrow
/// column): up to 12 of them are replaced by their numbers 1..n, and the legend that names them is returned ("1
/// parallel, 2 orthogonal, 3 antiparallel", each number joined to its name by a no-break space so a wrapped legend
/// keeps them together); labels that begin with their own number ("0:<s>", "1: Once") are shown by that number and
/// listed as they are. Returns "" and leaves the names when they fit, when there are more than 12 (a model's tokens
/// keep every other name), when the numbers would not fit either, or when the names are hardly wider than numbers.
/// Frame does this for its x axis (the legend then follows the axis label); a view with several plots sharing one
/// axis calls it once and shows the legend once.
std::string numberCrowdedCategories(std::vector<std::string>& categories, float lengthPixels, float fontSize);

/// Text rotated 90 degrees counter-clockwise (reads bottom to top), centred on `centre`. For y-axis labels.
void addVerticalText(ImDrawList* drawList, ImVec2 centre, ImU32 color, const std::string& text, float fontSize = 0);

/// Text centred on `centre`.
void addCentredText(ImDrawList* drawList, ImVec2 centre, ImU32 color, const std::string& text, float fontSize = 0);

/// Draws a polyline through pixel points, broken at NaN points and chunked below the 16-bit index limit.
void polylinePixels(ImDrawList* drawList, std::span<const ImVec2> points, ImU32 color, float thickness);

/// While alive, filled shapes on `drawList` get no anti-aliased fringe: a filled triangle is 3 vertices and 1 triangle
/// instead of 6 and 7 (a diamond 4 and 2 instead of 8 and 10). For crowds of small markers (hundreds of arrowheads or
/// diamonds), where llvmpipe's cost follows the number of thin fringe triangles and a soft 1-pixel edge is invisible.
class ScopedAliasedFill {
 public:
  explicit ScopedAliasedFill(ImDrawList* drawList, bool enabled = true);
  ~ScopedAliasedFill();
  ScopedAliasedFill(const ScopedAliasedFill&) = delete;
  ScopedAliasedFill& operator=(const ScopedAliasedFill&) = delete;

 private:
  ImDrawList* drawList_;
  ImDrawListFlags saved_;
};

/// Arrow from `from` to `to` in pixels with a filled head of `headSize` pixels.
void arrow(ImDrawList* drawList, ImVec2 from, ImVec2 to, ImU32 color, float thickness = 2.0f, float headSize = 10.0f);

}  // namespace attnscope::plot
