// Drawing half of the plotting module: frames, series, bars, legends, polar axes and colour bars on ImDrawList.
#include "app/plot/plot.h"

#include "app/plot/paint.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>

namespace attnscope::plot {

namespace {

float currentFontSize(float requested) {
  return requested > 0.0f ? requested : ImGui::GetFontSize();
}

ImVec2 textSize(const std::string& text, float fontSize) {
  return ImGui::GetFont()->CalcTextSizeA(fontSize, FLT_MAX, 0.0f, text.c_str());
}

void addText(ImDrawList* drawList, ImVec2 pos, ImU32 color, const std::string& text, float fontSize) {
  paint::addText(drawList, ImVec2(std::round(pos.x), std::round(pos.y)), color, text.c_str(), fontSize);
}

// Integer thickness keeps ImGui on its textured anti-aliased path (half the vertices of the fractional path).
float wholePixels(float thickness) {
  return std::max(1.0f, std::round(thickness));
}

ImU32 mixColor(ImU32 a, ImU32 b, float t) {
  const ImVec4 ca = ImGui::ColorConvertU32ToFloat4(a);
  const ImVec4 cb = ImGui::ColorConvertU32ToFloat4(b);
  return ImGui::ColorConvertFloat4ToU32(
      ImVec4(ca.x + (cb.x - ca.x) * t, ca.y + (cb.y - ca.y) * t, ca.z + (cb.z - ca.z) * t, ca.w + (cb.w - ca.w) * t));
}

struct AxisTicks {
  Ticks ticks;
  std::vector<std::string> labels;
};

/// The least free space between two tick labels: most of a character across, a third of a line up the y axis.
double labelGap(float fontSize, bool isX) {
  return isX ? 0.6 * fontSize : 0.3 * fontSize;
}

double toAxisUnits(double value, Scale scale);

AxisTicks computeTicksWithLabels(const Axis& axis, Range range, float lengthPixels, float pixelsPerTick, float fontSize,
                                 bool isX, int labelRows);

/// `labelRows`: 2 when category labels along x alternate between two rows (each row then needs half the room).
AxisTicks computeTicks(const Axis& axis, Range range, float lengthPixels, float pixelsPerTick, float fontSize, bool isX,
                       int labelRows = 1) {
  AxisTicks result = computeTicksWithLabels(axis, range, lengthPixels, pixelsPerTick, fontSize, isX, labelRows);
  if (!axis.tickLabels)
    for (std::string& label : result.labels) label.clear();
  return result;
}

/// Whether category labels along an x axis of `lengthPixels` need two rows: one row would have to skip categories,
/// two rows (alternating) hold them all. A map of a handful of keys then names every key instead of every other one.
bool staggerCategoryLabels(const Axis& axis, float lengthPixels, float fontSize) {
  if (axis.categories.size() < 2 || !axis.tickLabels) return false;
  float widest = 0.0f;
  for (const auto& label : axis.categories) widest = std::max(widest, textSize(label, fontSize).x);
  const double needed = widest + fontSize * 0.8, n = double(axis.categories.size());
  return n * needed > lengthPixels && n * needed / 2 <= lengthPixels;
}

AxisTicks computeTicksWithLabels(const Axis& axis, Range range, float lengthPixels, float pixelsPerTick, float fontSize,
                                 bool isX, int labelRows) {
  AxisTicks result;
  if (!axis.categories.empty()) {
    // Label every stride-th category when they do not fit (a 256-key heatmap keeps a readable axis).
    float widest = 0.0f;
    if (isX)
      for (const auto& label : axis.categories) widest = std::max(widest, textSize(label, fontSize).x);
    const double needed = isX ? (widest + fontSize * 0.8) / labelRows : fontSize * 1.25;
    const std::size_t n = axis.categories.size();
    const std::size_t stride =
        std::max<std::size_t>(1, std::size_t(std::ceil(n * needed / std::max(lengthPixels, 1.0f))));
    for (std::size_t i = 0; i < n; i += stride) {
      result.ticks.values.push_back(static_cast<double>(i));
      result.ticks.major.push_back(true);
      result.labels.push_back(axis.categories[i]);
    }
    result.ticks.step = static_cast<double>(stride);
    return result;
  }
  if (!axis.fixedTicks.empty()) {
    result.ticks.values = axis.fixedTicks;
    result.ticks.major.assign(axis.fixedTicks.size(), true);
    double step = 0.0;
    for (std::size_t i = 1; i < axis.fixedTicks.size(); ++i) {
      const double gap = std::abs(axis.fixedTicks[i] - axis.fixedTicks[i - 1]);
      if (gap > 0 && (step == 0.0 || gap < step)) step = gap;
    }
    // The labels carry the digits the smallest gap needs (0.25 apart: "0.25", "0.75").
    result.ticks.step = step > 0 ? step : 1.0;
  }
  const auto makeLabels = [&] {
    result.labels.clear();
    for (std::size_t i = 0; i < result.ticks.values.size(); ++i) {
      const bool labelled = result.ticks.major.empty() || result.ticks.major[i];
      if (!labelled)
        result.labels.emplace_back();
      else if (axis.scale == Scale::Log)
        result.labels.push_back(formatTick(result.ticks.values[i], 0.0));
      else
        result.labels.push_back(formatTick(result.ticks.values[i], result.ticks.step));
    }
  };
  if (!axis.fixedTicks.empty()) {
    makeLabels();
    return result;
  }
  // Chosen ticks: from as many as the length allows down to 2, the most whose labels do not touch (wide labels such
  // as "-0.0005" on a short axis get a coarser step instead of a crowd); the frame thins whatever still collides.
  // At least three to try: with two (the ends) the far label often does not fit at the plot's edge and is dropped,
  // leaving an axis with one number (the Train view's "step" axis in presenter mode showed only "0"); the collision
  // test below falls back to two when three labels do not fit.
  const int mostTicks = axis.maxTicks > 0 ? axis.maxTicks : std::clamp(int(lengthPixels / pixelsPerTick), 3, 12);
  for (int maxTicks = mostTicks; maxTicks >= 2; --maxTicks) {
    result.ticks = axis.scale == Scale::Log ? logTicks(range, maxTicks) : linearTicks(range, maxTicks);
    makeLabels();
    if (axis.maxTicks > 0 || result.ticks.values.size() < 2) break;
    const double lo = toAxisUnits(range.min, axis.scale), hi = toAxisUnits(range.max, axis.scale);
    std::vector<double> centres, extents;
    for (std::size_t i = 0; i < result.ticks.values.size(); ++i) {
      if (result.labels[i].empty()) continue;
      centres.push_back((toAxisUnits(result.ticks.values[i], axis.scale) - lo) / (hi - lo) * lengthPixels);
      extents.push_back(isX ? textSize(result.labels[i], fontSize).x : fontSize);
    }
    const double inf = std::numeric_limits<double>::infinity();
    const std::vector<bool> all(centres.size(), true);
    if (!tickLabelsCollide(centres, extents, all, labelGap(fontSize, isX), -inf, inf)) break;
  }
  return result;
}

Range visibleRange(const Axis& axis) {
  if (!axis.categories.empty()) return Range{-0.5, static_cast<double>(axis.categories.size()) - 0.5};
  Range range = axis.range;
  if (axis.scale == Scale::Log) {
    range.min = std::max(range.min, 1e-300);
    range.max = std::max(range.max, range.min * 10.0 > range.max ? range.min * 10.0 : range.max);
    return range;
  }
  return widened(range);
}

double toAxisUnits(double value, Scale scale) {
  return scale == Scale::Log ? std::log10(std::max(value, 1e-300)) : value;
}

double fromAxisUnits(double value, Scale scale) {
  return scale == Scale::Log ? std::pow(10.0, value) : value;
}

}  // namespace

std::string numberCrowdedCategories(std::vector<std::string>& categories, float lengthPixels, float fontSize) {
  constexpr std::size_t kMostNumberedCategories = 12;
  const std::size_t n = categories.size();
  if (n < 2 || n > kMostNumberedCategories) return "";
  float widest = 0.0f;
  for (const auto& label : categories) widest = std::max(widest, textSize(label, fontSize).x);
  const double needed = widest + fontSize * 0.8;
  if (double(n) * needed / 2 <= lengthPixels) return "";  // one or two rows hold the names themselves
  // Labels that already begin with their own number ("0:<s>", "1: Once": a model's tokens) keep it: the axis shows
  // "0", "1", ... and the legend the labels as they are. Others are numbered 1..n.
  const auto ownNumber = [](const std::string& label) {
    const std::size_t colon = label.find(':');
    if (colon == 0 || colon == std::string::npos) return std::string();
    for (std::size_t i = 0; i < colon; ++i)
      if (label[i] < '0' || label[i] > '9') return std::string();
    return label.substr(0, colon);
  };
  bool ownNumbers = true;
  for (const auto& label : categories) ownNumbers = ownNumbers && !ownNumber(label).empty();
  std::vector<std::string> numbers;
  float numberWidth = 0.0f;
  for (std::size_t i = 0; i < n; ++i) {
    numbers.push_back(ownNumbers ? ownNumber(categories[i]) : std::to_string(i + 1));
    numberWidth = std::max(numberWidth, textSize(numbers.back(), fontSize).x);
  }
  // Numbers that do not fit either (a dozen keys in a strip), or names hardly longer than their numbers ("k0" ..
  // "k11"), would name nothing more: the names stay, thinned.
  if (double(n) * (numberWidth + fontSize * 0.8) / 2 > lengthPixels || widest < 2.0f * numberWidth) return "";
  std::string legend;
  for (std::size_t i = 0; i < n; ++i) {
    // A no-break space (U+00A0) keeps each number with its name when the legend wraps (wrapWords breaks at ' ').
    legend += (i == 0 ? "" : ", ") + (ownNumbers ? categories[i] : numbers[i] + "\xC2\xA0" + categories[i]);
    categories[i] = numbers[i];
  }
  return legend;
}

Style Style::fromImGui() {
  Style style;
  const ImGuiStyle& imgui = ImGui::GetStyle();
  const ImVec4 window = imgui.Colors[ImGuiCol_WindowBg];
  const bool dark = (window.x + window.y + window.z) < 1.5f;
  if (dark) {
    style.background = IM_COL32(28, 30, 34, 255);
    style.border = IM_COL32(120, 124, 130, 255);
    style.grid = IM_COL32(255, 255, 255, 28);
    style.axis = IM_COL32(200, 200, 200, 255);
    style.text = ImGui::ColorConvertFloat4ToU32(imgui.Colors[ImGuiCol_Text]);
    style.textDim = ImGui::ColorConvertFloat4ToU32(imgui.Colors[ImGuiCol_TextDisabled]);
  } else {
    style.text = ImGui::ColorConvertFloat4ToU32(imgui.Colors[ImGuiCol_Text]);
    style.textDim = mixColor(style.text, IM_COL32(255, 255, 255, 255), 0.4f);
  }
  return style;
}

ImU32 seriesColor(int index, float alpha) {
  // Okabe & Ito (2008): distinguishable with the common colour-vision deficiencies and on projectors.
  static constexpr ImU32 kPalette[] = {
      IM_COL32(0, 114, 178, 255),    // blue
      IM_COL32(213, 94, 0, 255),     // vermillion
      IM_COL32(0, 158, 115, 255),    // bluish green
      IM_COL32(204, 121, 167, 255),  // reddish purple
      IM_COL32(230, 159, 0, 255),    // orange
      IM_COL32(86, 180, 233, 255),   // sky blue
      IM_COL32(240, 228, 66, 255),   // yellow
  };
  constexpr int count = sizeof(kPalette) / sizeof(kPalette[0]);
  const ImU32 base = kPalette[((index % count) + count) % count];
  const ImU32 a = static_cast<ImU32>(std::clamp(alpha, 0.0f, 1.0f) * 255.0f + 0.5f);
  return (base & ~IM_COL32_A_MASK) | (a << IM_COL32_A_SHIFT);
}

void addCentredText(ImDrawList* drawList, ImVec2 centre, ImU32 color, const std::string& text, float fontSize) {
  fontSize = currentFontSize(fontSize);
  const ImVec2 size = textSize(text, fontSize);
  addText(drawList, ImVec2(centre.x - size.x * 0.5f, centre.y - size.y * 0.5f), color, text, fontSize);
}

void addVerticalText(ImDrawList* drawList, ImVec2 centre, ImU32 color, const std::string& text, float fontSize) {
  fontSize = currentFontSize(fontSize);
  const ImVec2 size = textSize(text, fontSize);
  // ImGui has no rotated text: draw it horizontally, then rotate the vertices it produced about the centre.
  const int firstVertex = drawList->VtxBuffer.Size;
  // AddText culls glyphs outside the clip rectangle before we rotate them; a long label centred in a narrow margin
  // would lose its ends. Widen the clip rectangle sideways for the unrotated line only: up and down it stays the
  // window's (plus a line), so a label of a plot scrolled out of its view does not spill over the next window.
  const ImVec4 clip = drawList->_ClipRectStack.back();
  drawList->PushClipRect(ImVec2(std::min(clip.x, centre.x - size.x), std::min(clip.y, centre.y - size.y)),
                         ImVec2(std::max(clip.z, centre.x + size.x), std::max(clip.w, centre.y + size.y)), false);
  // Drawn directly (not through the painter): a vector sink gets the text once, already rotated.
  drawList->AddText(ImGui::GetFont(), fontSize,
                    ImVec2(std::round(centre.x - size.x * 0.5f), std::round(centre.y - size.y * 0.5f)), color,
                    text.c_str());
  drawList->PopClipRect();
  paint::recordVerticalText(centre, size, fontSize, color, text);
  for (int i = firstVertex; i < drawList->VtxBuffer.Size; ++i) {
    ImVec2& p = drawList->VtxBuffer[i].pos;
    const float dx = p.x - centre.x, dy = p.y - centre.y;
    p = ImVec2(centre.x + dy, centre.y - dx);  // 90 degrees counter-clockwise on screen (y points down)
  }
}

void polylinePixels(ImDrawList* drawList, std::span<const ImVec2> points, ImU32 color, float thickness) {
  thickness = wholePixels(thickness);
  std::size_t start = 0;
  const auto drawRun = [&](std::size_t begin, std::size_t end) {
    if (end - begin < 2) return;
    for (const auto& [b, e] : polylineChunks(end - begin, kMaxPointsPerPolyline))
      paint::addPolyline(drawList, points.data() + begin + b, static_cast<int>(e - b), color, ImDrawFlags_None,
                         thickness);
  };
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (std::isnan(points[i].x) || std::isnan(points[i].y)) {
      drawRun(start, i);
      start = i + 1;
    }
  }
  drawRun(start, points.size());
}

ScopedAliasedFill::ScopedAliasedFill(ImDrawList* drawList, bool enabled)
    : drawList_(drawList), saved_(drawList->Flags) {
  if (enabled) drawList_->Flags &= ~ImDrawListFlags_AntiAliasedFill;
}

ScopedAliasedFill::~ScopedAliasedFill() {
  drawList_->Flags = saved_;
}

void arrow(ImDrawList* drawList, ImVec2 from, ImVec2 to, ImU32 color, float thickness, float headSize) {
  const float dx = to.x - from.x, dy = to.y - from.y;
  const float length = std::sqrt(dx * dx + dy * dy);
  if (length < 1e-3f) {
    paint::addCircleFilled(drawList, to, thickness + 1.0f, color);
    return;
  }
  const float ux = dx / length, uy = dy / length;
  headSize = std::min(headSize, length * 0.6f);
  const ImVec2 base(to.x - ux * headSize, to.y - uy * headSize);
  paint::addLine(drawList, from, base, color, wholePixels(thickness));
  const float half = headSize * 0.45f;
  paint::addTriangleFilled(drawList, to, ImVec2(base.x - uy * half, base.y + ux * half),
                           ImVec2(base.x + uy * half, base.y - ux * half), color);
}

Frame::Frame(ImDrawList* drawList, plot::Rect outer, const FrameSpec& spec, const Style& style)
    : drawList_(drawList), style_(style), spec_(spec) {
  fontSize_ = currentFontSize(style.fontSize);
  const float pad = style.padding;
  // The x axis as drawn: crowded category names numbered (the axis's width less the y label and the y tick labels:
  // a category axis's widest name, none without labels, else a rough four characters' allowance, as for staggering
  // below). The data coordinates (0..n-1) are the same either way.
  float yTickRoom = fontSize_ * 4.0f;
  if (!spec.y.tickLabels) {
    yTickRoom = 0.0f;
  } else if (!spec.y.categories.empty()) {
    yTickRoom = 0.0f;
    for (const auto& label : spec.y.categories) yTickRoom = std::max(yTickRoom, textSize(label, fontSize_).x);
    yTickRoom += style.tickLength + pad;
  }
  if (spec_.x.tickLabels) {
    std::vector<std::string> numbered = spec_.x.categories;
    const std::string legend =
        numberCrowdedCategories(numbered,
                                float(outer.GetWidth()) - 2 * pad - (spec.y.label.empty() ? 0.0f : fontSize_ + pad) -
                                    fontSize_ * 0.8f - yTickRoom,
                                fontSize_);
    const std::string label = spec_.x.label.empty() ? legend : spec_.x.label + ": " + legend;
    // Only when the plot keeps three lines' height under its title and the wrapped legend (a short exported figure
    // keeps the thinned names rather than a plot a few pixels tall).
    const auto lines = [&](const std::string& text) {
      const double width = std::max(outer.GetWidth() - 2 * pad, fontSize_);
      return text.empty() ? 0.0f : float(wrapWords(text, width, [&](const std::string& t) {
                                           return double(textSize(t, fontSize_).x);
                                         }).size());
    };
    const float left =
        outer.GetHeight() - fontSize_ * (lines(spec.title) + 1.0f + lines(label)) - style.tickLength - 4 * pad;
    if (!legend.empty() && left >= 3.0f * fontSize_) {
      spec_.x.categories = std::move(numbered);
      spec_.x.label = label;
    }
  }
  xRange_ = visibleRange(spec.x);
  yRange_ = visibleRange(spec.y);

  // Layout: title on top, y label + tick labels on the left, tick labels + x label below.
  // Titles and x labels wider than the plot wrap onto more lines (the plot gets shorter) rather than spill over the
  // neighbouring plot or get cut at the window's edge.
  const auto measure = [&](const std::string& text) { return double(textSize(text, fontSize_).x); };
  const double textWidth = std::max(outer.GetWidth() - 2 * pad, fontSize_);
  const std::vector<std::string> titleLines =
      spec.title.empty() ? std::vector<std::string>{} : wrapWords(spec.title, textWidth, measure);
  const std::vector<std::string> xLabelLines =
      spec_.x.label.empty() ? std::vector<std::string>{} : wrapWords(spec_.x.label, textWidth, measure);
  const float titleHeight = spec.title.empty() ? pad : fontSize_ * float(titleLines.size()) + 2 * pad;
  const float xLabelHeight = spec_.x.label.empty() ? 0.0f : fontSize_ * float(xLabelLines.size()) + pad;
  const float yLabelWidth = spec.y.label.empty() ? 0.0f : fontSize_ + pad;
  const float right = pad + fontSize_ * 0.8f;  // room for the last x tick label's right half
  // Category labels that do not fit side by side alternate between two rows (decided on the width less a rough
  // allowance for the y tick labels, which are measured below; the second row's line is reserved either way).
  const int xLabelRows =
      staggerCategoryLabels(spec_.x, float(outer.GetWidth()) - pad - yLabelWidth - right - yTickRoom, fontSize_) ? 2
                                                                                                                 : 1;
  const float bottom = style.tickLength + fontSize_ * float(xLabelRows) + pad + xLabelHeight + pad;
  const float roughHeight = std::max(outer.GetHeight() - titleHeight - bottom, 10.0f);
  AxisTicks yTicks = computeTicks(spec.y, yRange_, roughHeight, fontSize_ * 3.0f, fontSize_, false);
  float yTickWidth = 0.0f;
  for (const auto& label : yTicks.labels) yTickWidth = std::max(yTickWidth, textSize(label, fontSize_).x);
  const float left = pad + yLabelWidth + yTickWidth + style.tickLength + pad;
  area_ = plot::Rect(ImVec2(std::floor(outer.Min.x + left), std::floor(outer.Min.y + titleHeight)),
                     ImVec2(std::floor(outer.Max.x - right), std::floor(outer.Max.y - bottom)));
  if (area_.GetWidth() < 10.0f) area_.Max.x = area_.Min.x + 10.0f;
  if (area_.GetHeight() < 10.0f) area_.Max.y = area_.Min.y + 10.0f;

  if (spec.equalAspect && spec.x.scale == Scale::Linear && spec.y.scale == Scale::Linear) {
    // Grow the range that is too short so a data unit spans the same number of pixels on both axes.
    const double xPerPixel = xRange_.span() / area_.GetWidth();
    const double yPerPixel = yRange_.span() / area_.GetHeight();
    if (xPerPixel > yPerPixel) {
      const double half = 0.5 * xPerPixel * area_.GetHeight(), centre = 0.5 * (yRange_.min + yRange_.max);
      yRange_ = Range{centre - half, centre + half};
    } else {
      const double half = 0.5 * yPerPixel * area_.GetWidth(), centre = 0.5 * (xRange_.min + xRange_.max);
      xRange_ = Range{centre - half, centre + half};
    }
    yTicks = computeTicks(spec.y, yRange_, area_.GetHeight(), fontSize_ * 3.0f, fontSize_, false);
  }
  const AxisTicks xTicks =
      computeTicks(spec_.x, xRange_, area_.GetWidth(), fontSize_ * 6.0f, fontSize_, true, xLabelRows);
  // The row of each x label: alternating among the labelled ticks when staggered.
  std::vector<int> xRow(xTicks.labels.size(), 0);
  for (std::size_t i = 0, labelled = 0; i < xTicks.labels.size(); ++i)
    if (!xTicks.labels[i].empty()) xRow[i] = xLabelRows == 2 ? int(labelled++ % 2) : 0;

  paint::addRectFilled(drawList_, area_.Min, area_.Max, style.background);
  // Whatever the tick choice, no two labels overlap and none leaves the plot's rectangle (fitTickLabels).
  const auto thinLabels = [&](AxisTicks& ticks, bool isX, int row) {
    std::vector<std::pair<double, std::size_t>> order;  // (centre in pixels, tick index), ascending
    for (std::size_t i = 0; i < ticks.labels.size(); ++i) {
      if (ticks.labels[i].empty() || (isX && xRow[i] != row)) continue;
      order.emplace_back(isX ? mapX(ticks.ticks.values[i]) : mapY(ticks.ticks.values[i]), i);
    }
    std::sort(order.begin(), order.end());
    std::vector<double> centres, extents;
    for (const auto& [centre, i] : order) {
      centres.push_back(centre);
      extents.push_back(isX ? textSize(ticks.labels[i], fontSize_).x : fontSize_);
    }
    const std::vector<bool> kept = fitTickLabels(centres, extents, labelGap(fontSize_, isX),
                                                 isX ? outer.Min.x : outer.Min.y, isX ? outer.Max.x : outer.Max.y);
    for (std::size_t k = 0; k < order.size(); ++k)
      if (!kept[k]) ticks.labels[order[k].second].clear();
  };
  AxisTicks xTicksShown = xTicks;
  for (int row = 0; row < xLabelRows; ++row) thinLabels(xTicksShown, true, row);
  thinLabels(yTicks, false, 0);
  const auto drawTicks = [&](const AxisTicks& ticks, bool isX, const Axis& axis) {
    for (std::size_t i = 0; i < ticks.ticks.values.size(); ++i) {
      const double v = ticks.ticks.values[i];
      const bool labelled = !ticks.labels[i].empty();
      if (isX) {
        const float px = static_cast<float>(mapX(v));
        if (px < area_.Min.x - 0.5f || px > area_.Max.x + 0.5f) continue;
        if (axis.grid && axis.categories.empty())
          paint::addLine(drawList_, ImVec2(px, area_.Min.y), ImVec2(px, area_.Max.y), style.grid, 1.0f);
        paint::addLine(drawList_, ImVec2(px, area_.Max.y),
                       ImVec2(px, area_.Max.y + style.tickLength * (labelled ? 1 : 0.6f)), style.axis, 1.0f);
        if (labelled) {
          const ImVec2 size = textSize(ticks.labels[i], fontSize_);
          addText(drawList_,
                  ImVec2(px - size.x * 0.5f, area_.Max.y + style.tickLength + 2.0f + fontSize_ * float(xRow[i])),
                  style.text, ticks.labels[i], fontSize_);
        }
      } else {
        const float py = static_cast<float>(mapY(v));
        if (py < area_.Min.y - 0.5f || py > area_.Max.y + 0.5f) continue;
        if (axis.grid) paint::addLine(drawList_, ImVec2(area_.Min.x, py), ImVec2(area_.Max.x, py), style.grid, 1.0f);
        paint::addLine(drawList_, ImVec2(area_.Min.x - style.tickLength * (labelled ? 1 : 0.6f), py),
                       ImVec2(area_.Min.x, py), style.axis, 1.0f);
        if (labelled) {
          const ImVec2 size = textSize(ticks.labels[i], fontSize_);
          addText(drawList_, ImVec2(area_.Min.x - style.tickLength - 3.0f - size.x, py - size.y * 0.5f), style.text,
                  ticks.labels[i], fontSize_);
        }
      }
    }
  };
  drawTicks(xTicksShown, true, spec_.x);
  drawTicks(yTicks, false, spec.y);

  // Each line centred over the plot area, moved inwards where it would stick out of the outer rectangle.
  const auto centreX = [&](const std::string& line) {
    const float half = 0.5f * textSize(line, fontSize_).x, centre = 0.5f * (area_.Min.x + area_.Max.x);
    return std::max(std::min(centre, outer.Max.x - pad - half), outer.Min.x + pad + half);
  };
  for (std::size_t i = 0; i < titleLines.size(); ++i)
    addCentredText(drawList_, ImVec2(centreX(titleLines[i]), outer.Min.y + pad + fontSize_ * (float(i) + 0.5f)),
                   style.text, titleLines[i], fontSize_);
  for (std::size_t i = 0; i < xLabelLines.size(); ++i)
    addCentredText(drawList_,
                   ImVec2(centreX(xLabelLines[i]), area_.Max.y + style.tickLength + fontSize_ * float(xLabelRows) +
                                                       pad + fontSize_ * (float(i) + 0.5f)),
                   style.textDim, xLabelLines[i], fontSize_);
  if (!spec.y.label.empty())
    addVerticalText(drawList_, ImVec2(outer.Min.x + pad + fontSize_ * 0.5f, 0.5f * (area_.Min.y + area_.Max.y)),
                    style.textDim, spec.y.label, fontSize_);
  paint::pushClipRect(drawList_, area_.Min, area_.Max, true);
}

Frame::~Frame() {
  end();
}

void Frame::end() {
  if (!open_) return;
  open_ = false;
  paint::popClipRect(drawList_);
  paint::addRect(drawList_, area_.Min, area_.Max, style_.border, 0.0f, 0, 1.0f);
}

double Frame::mapX(double x) const {
  const double lo = toAxisUnits(xRange_.min, spec_.x.scale), hi = toAxisUnits(xRange_.max, spec_.x.scale);
  double t = (toAxisUnits(x, spec_.x.scale) - lo) / (hi - lo);
  if (spec_.x.inverted) t = 1.0 - t;
  return area_.Min.x + t * area_.GetWidth();
}

double Frame::mapY(double y) const {
  const double lo = toAxisUnits(yRange_.min, spec_.y.scale), hi = toAxisUnits(yRange_.max, spec_.y.scale);
  double t = (toAxisUnits(y, spec_.y.scale) - lo) / (hi - lo);
  if (spec_.y.inverted) t = 1.0 - t;
  return area_.Max.y - t * area_.GetHeight();
}

ImVec2 Frame::toPixel(double x, double y) const {
  // Clamp far-away points so float conversion never overflows; they are clipped anyway.
  const double px = std::clamp(mapX(x), -1e6, 1e6), py = std::clamp(mapY(y), -1e6, 1e6);
  return ImVec2(static_cast<float>(px), static_cast<float>(py));
}

Point Frame::toData(ImVec2 pixel) const {
  const double xlo = toAxisUnits(xRange_.min, spec_.x.scale), xhi = toAxisUnits(xRange_.max, spec_.x.scale);
  const double ylo = toAxisUnits(yRange_.min, spec_.y.scale), yhi = toAxisUnits(yRange_.max, spec_.y.scale);
  double tx = (pixel.x - area_.Min.x) / area_.GetWidth(), ty = (area_.Max.y - pixel.y) / area_.GetHeight();
  if (spec_.x.inverted) tx = 1.0 - tx;
  if (spec_.y.inverted) ty = 1.0 - ty;
  const double ux = xlo + tx * (xhi - xlo), uy = ylo + ty * (yhi - ylo);
  return Point{fromAxisUnits(ux, spec_.x.scale), fromAxisUnits(uy, spec_.y.scale)};
}

std::optional<Point> Frame::hovered() const {
  if (!ImGui::IsWindowHovered(ImGuiHoveredFlags_AllowWhenBlockedByActiveItem)) return std::nullopt;
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  if (!area_.Contains(mouse)) return std::nullopt;
  return toData(mouse);
}

void line(Frame& frame, std::span<const double> xs, std::span<const double> ys, ImU32 color, float thickness) {
  const std::size_t n = std::min(xs.size(), ys.size());
  const bool sorted = std::is_sorted(xs.begin(), xs.begin() + n);
  std::vector<Point> points;
  if (sorted) {
    points = decimateToColumns(xs.first(n), ys.first(n), frame.xRange(), static_cast<int>(frame.area().GetWidth()));
  } else {
    points.reserve(n);
    for (std::size_t i = 0; i < n; ++i) points.push_back(Point{xs[i], ys[i]});
  }
  std::vector<ImVec2> pixels;
  pixels.reserve(points.size());
  for (const Point& p : points) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y))
      pixels.emplace_back(NAN, NAN);
    else
      pixels.push_back(frame.toPixel(p.x, p.y));
  }
  polylinePixels(frame.drawList(), pixels, color, thickness);
}

void scatter(Frame& frame, std::span<const double> xs, std::span<const double> ys, ImU32 color, float radius,
             Marker marker) {
  ImDrawList* drawList = frame.drawList();
  const std::size_t n = std::min(xs.size(), ys.size());
  const plot::Rect visible(frame.area().Min.x - radius, frame.area().Min.y - radius, frame.area().Max.x + radius,
                           frame.area().Max.y + radius);
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(xs[i]) || !std::isfinite(ys[i])) continue;
    const ImVec2 p = frame.toPixel(xs[i], ys[i]);
    if (!visible.Contains(p)) continue;
    switch (marker) {
      case Marker::Circle:
        paint::addCircleFilled(drawList, p, radius, color, 12);
        break;
      case Marker::Square:
        paint::addRectFilled(drawList, ImVec2(p.x - radius, p.y - radius), ImVec2(p.x + radius, p.y + radius), color);
        break;
      case Marker::Diamond:
        paint::addQuadFilled(drawList, ImVec2(p.x, p.y - radius * 1.3f), ImVec2(p.x + radius * 1.3f, p.y),
                             ImVec2(p.x, p.y + radius * 1.3f), ImVec2(p.x - radius * 1.3f, p.y), color);
        break;
      case Marker::Cross:
        paint::addLine(drawList, ImVec2(p.x - radius, p.y - radius), ImVec2(p.x + radius, p.y + radius), color, 2.0f);
        paint::addLine(drawList, ImVec2(p.x - radius, p.y + radius), ImVec2(p.x + radius, p.y - radius), color, 2.0f);
        break;
    }
  }
}

namespace {

void dashedLine(ImDrawList* drawList, ImVec2 a, ImVec2 b, ImU32 color, float thickness) {
  const float dx = b.x - a.x, dy = b.y - a.y;
  const float length = std::sqrt(dx * dx + dy * dy);
  if (length < 1.0f) return;
  constexpr float kDash = 6.0f, kGap = 4.0f;
  for (float t = 0.0f; t < length; t += kDash + kGap) {
    const float t1 = std::min(t + kDash, length);
    paint::addLine(drawList, ImVec2(a.x + dx * t / length, a.y + dy * t / length),
                   ImVec2(a.x + dx * t1 / length, a.y + dy * t1 / length), color, thickness);
  }
}

}  // namespace

void verticalMarker(Frame& frame, double x, ImU32 color, const std::string& label, float thickness, bool dashed,
                    bool labelAtBottom) {
  const float px = std::round(frame.toPixel(x, 0.0).x);
  const plot::Rect& area = frame.area();
  if (px < area.Min.x - 1 || px > area.Max.x + 1) return;
  thickness = wholePixels(thickness);
  if (dashed)
    dashedLine(frame.drawList(), ImVec2(px, area.Min.y), ImVec2(px, area.Max.y), color, thickness);
  else
    paint::addLine(frame.drawList(), ImVec2(px, area.Min.y), ImVec2(px, area.Max.y), color, thickness);
  if (!label.empty()) {
    const float fontSize = frame.fontSize();
    const ImVec2 size = textSize(label, fontSize);
    // Keep the label inside the plot: flip it to the left of the line near the right edge, and in a plot too narrow
    // for either side (presenter mode's lower sweep plots) slide it in over the line rather than cut it at the
    // plot's left edge; a label wider than the plot is left out.
    if (size.x > area.GetWidth() - 4.0f) return;
    const float labelY = labelAtBottom ? area.Max.y - size.y - 3.0f : area.Min.y + 2.0f;
    float lx = px + 3.0f;
    if (lx + size.x > area.Max.x - 2.0f) lx = px - 3.0f - size.x;
    lx = std::clamp(lx, area.Min.x + 2.0f, area.Max.x - 2.0f - size.x);
    paint::addRectFilled(frame.drawList(), ImVec2(lx - 1, labelY), ImVec2(lx + size.x + 1, labelY + size.y),
                         (frame.style().background & ~IM_COL32_A_MASK) | IM_COL32(0, 0, 0, 200));
    addText(frame.drawList(), ImVec2(lx, labelY), color, label, fontSize);
  }
}

void horizontalMarker(Frame& frame, double y, ImU32 color, float thickness, bool dashed) {
  const float py = std::round(frame.toPixel(0.0, y).y);
  const plot::Rect& area = frame.area();
  thickness = wholePixels(thickness);
  if (dashed)
    dashedLine(frame.drawList(), ImVec2(area.Min.x, py), ImVec2(area.Max.x, py), color, thickness);
  else
    paint::addLine(frame.drawList(), ImVec2(area.Min.x, py), ImVec2(area.Max.x, py), color, thickness);
}

void groupedBars(Frame& frame, const std::vector<std::vector<double>>& values, std::span<const ImU32> colors,
                 double baseline) {
  const std::size_t seriesCount = values.size();
  if (seriesCount == 0) return;
  const double groupWidth = 0.8, barWidth = groupWidth / static_cast<double>(seriesCount);
  for (std::size_t s = 0; s < seriesCount; ++s) {
    const ImU32 color = s < colors.size() ? colors[s] : seriesColor(static_cast<int>(s));
    // Bars of one series that round to the same pixel columns (hundreds of keys in a few hundred pixels) are drawn
    // as one rectangle spanning all of them: every bar contains the baseline, so their union is that rectangle and
    // the pixels are exactly those of the separate bars, for a fraction of the triangles.
    bool pending = false;
    ImVec2 pendingMin, pendingMax;
    for (std::size_t c = 0; c < values[s].size(); ++c) {
      const double v = values[s][c];
      if (!std::isfinite(v)) continue;
      const double left = static_cast<double>(c) - 0.5 * groupWidth + s * barWidth;
      ImVec2 a = frame.toPixel(left, std::max(v, baseline));
      ImVec2 b = frame.toPixel(left + barWidth, std::min(v, baseline));
      a.x = std::round(a.x) + 1.0f;  // a one-pixel gap between neighbouring bars
      b.x = std::round(b.x);
      if (b.y - a.y < 1.0f) b.y = a.y + 1.0f;  // a zero weight still shows as a hairline
      if (pending && a.x == pendingMin.x && b.x == pendingMax.x) {
        pendingMin.y = std::min(pendingMin.y, a.y);
        pendingMax.y = std::max(pendingMax.y, b.y);
        continue;
      }
      if (pending) paint::addRectFilled(frame.drawList(), pendingMin, pendingMax, color);
      pending = true;
      pendingMin = a;
      pendingMax = b;
    }
    if (pending) paint::addRectFilled(frame.drawList(), pendingMin, pendingMax, color);
  }
}

plot::Rect legendRect(Frame& frame, std::span<const LegendEntry> entries, Corner corner) {
  const float fontSize = frame.fontSize();
  const float pad = frame.style().padding;
  const float swatch = fontSize * 1.6f;
  float width = 0.0f;
  for (const auto& entry : entries) width = std::max(width, textSize(entry.label, fontSize).x);
  width += swatch + 3 * pad;
  const float rowHeight = fontSize + 4.0f;
  const float height = rowHeight * entries.size() + 2 * pad - 4.0f;
  const plot::Rect& area = frame.area();
  const bool right = corner == Corner::TopRight || corner == Corner::BottomRight;
  const bool top = corner == Corner::TopLeft || corner == Corner::TopRight;
  const ImVec2 min(right ? area.Max.x - width - pad : area.Min.x + pad,
                   top ? area.Min.y + pad : area.Max.y - height - pad);
  return plot::Rect(min, ImVec2(min.x + width, min.y + height));
}

void legend(Frame& frame, std::span<const LegendEntry> entries, Corner corner) {
  if (entries.empty()) return;
  const float fontSize = frame.fontSize();
  const float pad = frame.style().padding;
  const float swatch = fontSize * 1.6f;
  const float rowHeight = fontSize + 4.0f;
  const plot::Rect box = legendRect(frame, entries, corner);
  const ImVec2 min = box.Min;
  const float width = box.GetWidth(), height = box.GetHeight();
  ImDrawList* drawList = frame.drawList();
  paint::addRectFilled(drawList, min, ImVec2(min.x + width, min.y + height),
                       (frame.style().background & ~IM_COL32_A_MASK) | IM_COL32(0, 0, 0, 225), 3.0f);
  paint::addRect(drawList, min, ImVec2(min.x + width, min.y + height), frame.style().grid, 3.0f);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const float y = min.y + pad + rowHeight * i + fontSize * 0.5f;
    const float x = min.x + pad;
    switch (entries[i].kind) {
      case LegendEntry::Kind::Line:
        paint::addLine(drawList, ImVec2(x, y), ImVec2(x + swatch, y), entries[i].color, 3.0f);
        break;
      case LegendEntry::Kind::Marker:
        paint::addCircleFilled(drawList, ImVec2(x + swatch * 0.5f, y), fontSize * 0.3f, entries[i].color, 12);
        break;
      case LegendEntry::Kind::Box:
        paint::addRectFilled(drawList, ImVec2(x + swatch * 0.15f, y - fontSize * 0.35f),
                             ImVec2(x + swatch * 0.85f, y + fontSize * 0.35f), entries[i].color);
        break;
    }
    addText(drawList, ImVec2(x + swatch + pad, y - fontSize * 0.5f), frame.style().text, entries[i].label, fontSize);
  }
}

std::optional<std::size_t> hoverSeries(Frame& frame, std::span<const double> xs,
                                       const std::vector<std::span<const double>>& ys, std::span<const ImU32> colors) {
  const auto mouse = frame.hovered();
  if (!mouse || xs.empty()) return std::nullopt;
  const std::size_t index = nearestIndex(xs, mouse->x);
  const ImVec2 top = frame.toPixel(xs[index], 0.0);
  paint::addLine(frame.drawList(), ImVec2(std::round(top.x), frame.area().Min.y),
                 ImVec2(std::round(top.x), frame.area().Max.y), frame.style().textDim, 1.0f);
  for (std::size_t s = 0; s < ys.size(); ++s) {
    if (index >= ys[s].size() || !std::isfinite(ys[s][index])) continue;
    const ImU32 color = s < colors.size() ? colors[s] : seriesColor(static_cast<int>(s));
    const ImVec2 p = frame.toPixel(xs[index], ys[s][index]);
    paint::addCircleFilled(frame.drawList(), p, 4.5f, frame.style().background, 12);
    paint::addCircle(frame.drawList(), p, 4.5f, color, 12, 2.0f);
  }
  return index;
}

PolarFrame::PolarFrame(ImDrawList* drawList, plot::Rect outer, const PolarSpec& spec, const Style& style)
    : drawList_(drawList), style_(style), spec_(spec), outer_(outer) {
  const float fontSize = currentFontSize(style.fontSize);
  const float pad = style.padding;
  const float titleHeight = spec.title.empty() ? pad : fontSize + 2 * pad;
  const double lo = spec.angleMinDeg * std::numbers::pi / 180.0, hi = spec.angleMaxDeg * std::numbers::pi / 180.0;
  // Bounding box of the sector on the unit circle, so a half disc fills the rectangle instead of half of it.
  double minX = std::min(0.0, std::min(std::cos(lo), std::cos(hi))),
         maxX = std::max(0.0, std::max(std::cos(lo), std::cos(hi)));
  double minY = std::min(0.0, std::min(std::sin(lo), std::sin(hi))),
         maxY = std::max(0.0, std::max(std::sin(lo), std::sin(hi)));
  for (double a = -2 * std::numbers::pi; a <= 2 * std::numbers::pi; a += std::numbers::pi / 2) {
    if (a < lo || a > hi) continue;
    minX = std::min(minX, std::cos(a)), maxX = std::max(maxX, std::cos(a));
    minY = std::min(minY, std::sin(a)), maxY = std::max(maxY, std::sin(a));
  }
  const float labelRoom = fontSize * 2.6f;  // angle labels outside the rim
  const float width = outer.GetWidth() - 2 * labelRoom, height = outer.GetHeight() - titleHeight - 2 * labelRoom;
  pixelsPerUnit_ = std::max(10.0f, std::min(width / float(maxX - minX), height / float(maxY - minY)));
  const float usedW = pixelsPerUnit_ * float(maxX - minX), usedH = pixelsPerUnit_ * float(maxY - minY);
  const float left = outer.Min.x + 0.5f * (outer.GetWidth() - usedW);
  const float topY = outer.Min.y + titleHeight + labelRoom + 0.5f * (height - usedH);
  centre_ = ImVec2(std::round(left - float(minX) * pixelsPerUnit_), std::round(topY + float(maxY) * pixelsPerUnit_));

  const float rim = pixelsPerUnit_;
  // Background sector and rings at nice radii.
  std::vector<ImVec2> sector;
  sector.push_back(centre_);
  for (int i = 0; i <= 64; ++i) {
    const double a = lo + (hi - lo) * i / 64.0;
    sector.emplace_back(centre_.x + rim * float(std::cos(a)), centre_.y - rim * float(std::sin(a)));
  }
  paint::addConvexPolyFilled(drawList, sector.data(), static_cast<int>(sector.size()), style.background);
  const Ticks rings = linearTicks(Range{0.0, std::max(spec.radiusMax, 1e-12)}, 5);
  // Ring labels along the first spoke: one that would touch the last one drawn is left out (a small polar plot at
  // presenter mode's font printed "0.20.40.60.8"); the ring itself stays.
  std::optional<std::pair<ImVec2, float>> lastLabel;  // centre and half width
  for (std::size_t r = 0; r < rings.values.size(); ++r) {
    const double radius = rings.values[r];
    if (radius <= 0.0) continue;
    std::vector<ImVec2> arc;
    for (int i = 0; i <= 64; ++i) {
      const double a = lo + (hi - lo) * i / 64.0;
      arc.push_back(toPixel(a * 180.0 / std::numbers::pi, radius));
    }
    paint::addPolyline(drawList, arc.data(), static_cast<int>(arc.size()), style.grid, 0, 1.0f);
    const ImVec2 at = toPixel(spec.angleMinDeg, radius);
    const std::string text = formatTick(radius, rings.step);
    const float half = 0.5f * textSize(text, fontSize).x;
    if (lastLabel) {
      const float dx = at.x - lastLabel->first.x, dy = at.y - lastLabel->first.y;
      if (std::sqrt(dx * dx + dy * dy) < lastLabel->second + half + 0.6f * fontSize) continue;
    }
    lastLabel = std::pair{at, half};
    addCentredText(drawList, ImVec2(at.x, at.y + fontSize * 0.8f), style.textDim, text, fontSize);
  }
  // Spokes every 30 degrees (45 on a full circle), labelled outside the rim.
  const double spokeStep = (spec.angleMaxDeg - spec.angleMinDeg) > 200.0 ? 45.0 : 30.0;
  for (double deg = std::ceil(spec.angleMinDeg / spokeStep) * spokeStep; deg <= spec.angleMaxDeg + 1e-9;
       deg += spokeStep) {
    const ImVec2 tip = toPixel(deg, spec.radiusMax);
    paint::addLine(drawList, centre_, tip, style.grid, 1.0f);
    const double a = deg * std::numbers::pi / 180.0;
    const ImVec2 labelAt(centre_.x + (rim + fontSize * 1.3f) * float(std::cos(a)),
                         centre_.y - (rim + fontSize * 1.0f) * float(std::sin(a)));
    char text[16];
    std::snprintf(text, sizeof text, "%g\xC2\xB0", deg);  // degree sign, UTF-8
    addCentredText(drawList, labelAt, style.text, text, fontSize);
  }
  std::vector<ImVec2> outline(sector.begin() + 1, sector.end());
  paint::addPolyline(drawList, outline.data(), static_cast<int>(outline.size()), style.border, 0, 1.0f);
  if (!spec.title.empty())
    addCentredText(drawList, ImVec2(0.5f * (outer.Min.x + outer.Max.x), outer.Min.y + pad + fontSize * 0.5f),
                   style.text, spec.title, fontSize);
  if (!spec.radiusLabel.empty()) {
    const ImVec2 at = toPixel(spec.angleMinDeg, 0.5 * spec.radiusMax);
    addCentredText(drawList, ImVec2(at.x, at.y + fontSize * 2.0f), style.textDim, spec.radiusLabel, fontSize);
  }
}

ImVec2 PolarFrame::toPixel(double angleDeg, double radius) const {
  const double a = angleDeg * std::numbers::pi / 180.0;
  const double r = std::clamp(radius / std::max(spec_.radiusMax, 1e-300), 0.0, 1.0) * pixelsPerUnit_;
  return ImVec2(centre_.x + float(r * std::cos(a)), centre_.y - float(r * std::sin(a)));
}

void polarLine(PolarFrame& frame, std::span<const double> anglesDeg, std::span<const double> radii, ImU32 color,
               float thickness) {
  const std::size_t n = std::min(anglesDeg.size(), radii.size());
  std::vector<ImVec2> pixels;
  pixels.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(anglesDeg[i]) || !std::isfinite(radii[i]))
      pixels.emplace_back(NAN, NAN);
    else
      pixels.push_back(frame.toPixel(anglesDeg[i], radii[i]));
  }
  polylinePixels(frame.drawList(), pixels, color, thickness);
}

namespace {

std::vector<std::string> colorBarLabels(const ColorBarSpec& spec, const Ticks& ticks) {
  std::vector<std::string> labels;
  for (std::size_t i = 0; i < ticks.values.size(); ++i) {
    if (!ticks.major.empty() && !ticks.major[i])
      labels.emplace_back();
    else
      labels.push_back(formatTick(ticks.values[i], spec.scale == Scale::Log ? 0.0 : ticks.step));
  }
  return labels;
}

}  // namespace

float colorBarLabelWidth(const ColorBarSpec& spec, float fontSize) {
  fontSize = currentFontSize(fontSize);
  const Ticks ticks = spec.scale == Scale::Log ? logTicks(spec.range, 6) : linearTicks(spec.range, 6);
  float width = 0.0f;
  for (const auto& label : colorBarLabels(spec, ticks)) width = std::max(width, textSize(label, fontSize).x);
  return width + 10.0f + (spec.label.empty() ? 0.0f : fontSize + 6.0f);
}

void colorBar(ImDrawList* drawList, plot::Rect rect, const ColorBarSpec& spec, std::span<const ImU32> lut,
              const Style& style) {
  const float fontSize = currentFontSize(style.fontSize);
  if (lut.empty()) return;
  const std::size_t n = lut.size();
  // Gradient: one quad per table entry, so every colour the shader can produce appears exactly once.
  for (std::size_t i = 0; i < n; ++i) {
    const float t0 = float(i) / float(n), t1 = float(i + 1) / float(n);
    if (spec.vertical) {
      const float y0 = rect.Max.y - rect.GetHeight() * t1, y1 = rect.Max.y - rect.GetHeight() * t0;
      paint::addRectFilled(drawList, ImVec2(rect.Min.x, std::floor(y0)), ImVec2(rect.Max.x, std::ceil(y1)), lut[i]);
    } else {
      const float x0 = rect.Min.x + rect.GetWidth() * t0, x1 = rect.Min.x + rect.GetWidth() * t1;
      paint::addRectFilled(drawList, ImVec2(std::floor(x0), rect.Min.y), ImVec2(std::ceil(x1), rect.Max.y), lut[i]);
    }
  }
  paint::addRect(drawList, rect.Min, rect.Max, style.border);

  Range range = spec.range;
  if (spec.scale == Scale::Linear) range = widened(range);
  const float length = spec.vertical ? rect.GetHeight() : rect.GetWidth();
  const int maxTicks = std::clamp(int(length / (fontSize * (spec.vertical ? 2.5f : 6.0f))), 2, 10);
  const Ticks ticks = spec.scale == Scale::Log ? logTicks(range, maxTicks) : linearTicks(range, maxTicks);
  const std::vector<std::string> labels = colorBarLabels(spec, ticks);
  const double lo = toAxisUnits(range.min, spec.scale), hi = toAxisUnits(std::max(range.max, range.min), spec.scale);
  float labelWidth = 0.0f;
  for (std::size_t i = 0; i < ticks.values.size(); ++i) {
    const double t = hi > lo ? (toAxisUnits(ticks.values[i], spec.scale) - lo) / (hi - lo) : 0.5;
    if (t < -1e-6 || t > 1 + 1e-6) continue;
    const bool labelled = !labels[i].empty();
    if (spec.vertical) {
      const float y = std::round(rect.Max.y - float(t) * rect.GetHeight());
      paint::addLine(drawList, ImVec2(rect.Max.x, y), ImVec2(rect.Max.x + (labelled ? 5.0f : 3.0f), y), style.axis);
      if (labelled) {
        const ImVec2 size = textSize(labels[i], fontSize);
        labelWidth = std::max(labelWidth, size.x);
        addText(drawList, ImVec2(rect.Max.x + 7.0f, y - size.y * 0.5f), style.text, labels[i], fontSize);
      }
    } else {
      const float x = std::round(rect.Min.x + float(t) * rect.GetWidth());
      paint::addLine(drawList, ImVec2(x, rect.Max.y), ImVec2(x, rect.Max.y + (labelled ? 5.0f : 3.0f)), style.axis);
      if (labelled) {
        const ImVec2 size = textSize(labels[i], fontSize);
        addText(drawList, ImVec2(x - size.x * 0.5f, rect.Max.y + 6.0f), style.text, labels[i], fontSize);
      }
    }
  }
  if (!spec.label.empty()) {
    if (spec.vertical)
      addVerticalText(drawList,
                      ImVec2(rect.Max.x + 12.0f + labelWidth + fontSize * 0.5f, 0.5f * (rect.Min.y + rect.Max.y)),
                      style.textDim, spec.label, fontSize);
    else
      addCentredText(drawList, ImVec2(0.5f * (rect.Min.x + rect.Max.x), rect.Max.y + 8.0f + fontSize * 1.5f),
                     style.textDim, spec.label, fontSize);
  }
}

}  // namespace attnscope::plot
