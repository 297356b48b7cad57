// Tests of app/plot: tick placement and labels, decimation, chunking (pure), and the geometry the drawing
// functions emit into an ImDrawList (no GL needed: the draw list is inspected directly).
#include <gtest/gtest.h>
#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "app/plot/plot.h"
#include "app/plot/plot_math.h"

namespace attnscope::plot {
namespace {

TEST(PlotMath, NiceStepIsOneTwoFiveTimesPowerOfTen) {
  EXPECT_DOUBLE_EQ(niceStep(0.13), 0.2);
  EXPECT_DOUBLE_EQ(niceStep(0.2), 0.2);
  EXPECT_DOUBLE_EQ(niceStep(0.21), 0.5);
  EXPECT_DOUBLE_EQ(niceStep(3.0), 5.0);
  EXPECT_DOUBLE_EQ(niceStep(7.0), 10.0);
  EXPECT_DOUBLE_EQ(niceStep(1.0), 1.0);
  EXPECT_DOUBLE_EQ(niceStep(4500.0), 5000.0);
}

TEST(PlotMath, LinearTicksOfUnitInterval) {
  const Ticks ticks = linearTicks(Range{0.0, 1.0}, 6);  // 1/5 = 0.2 -> 0, 0.2, ..., 1
  EXPECT_DOUBLE_EQ(ticks.step, 0.2);
  ASSERT_EQ(ticks.values.size(), 6u);
  EXPECT_DOUBLE_EQ(ticks.values.front(), 0.0);
  EXPECT_NEAR(ticks.values.back(), 1.0, 1e-12);
}

TEST(PlotMath, LinearTicksOfAngleRange) {
  const Ticks ticks = linearTicks(Range{0.0, 180.0}, 5);  // 45 -> nice 50: 0, 50, 100, 150
  EXPECT_DOUBLE_EQ(ticks.step, 50.0);
  EXPECT_EQ(ticks.values, (std::vector<double>{0.0, 50.0, 100.0, 150.0}));
}

TEST(PlotMath, LinearTicksCrossingZeroHaveExactZero) {
  const Ticks ticks = linearTicks(Range{-0.3, 0.7}, 11);  // step 0.1
  EXPECT_DOUBLE_EQ(ticks.step, 0.1);
  bool sawZero = false;
  for (double v : ticks.values) sawZero |= (v == 0.0 && !std::signbit(v));
  EXPECT_TRUE(sawZero);
  EXPECT_EQ(ticks.values.size(), 11u);
}

TEST(PlotMath, DegenerateRangeStillGetsTwoTicks) {
  for (Range r : {Range{1.0, 1.0}, Range{0.0, 0.0}, Range{5.0, -5.0}, Range{1e6, 1e6}}) {
    const Ticks ticks = linearTicks(r, 5);
    EXPECT_GE(ticks.values.size(), 2u) << r.min << " " << r.max;
    for (double v : ticks.values) EXPECT_TRUE(std::isfinite(v));
  }
  // Two ticks asked for on a range where the nice step overshoots: the step shrinks instead.
  EXPECT_GE(linearTicks(Range{0.1, 0.9}, 2).values.size(), 2u);
}

TEST(PlotMath, LogTicksOfFourDecadesAreDecades) {
  const Ticks ticks = logTicks(Range{1e-4, 1.0}, 8);
  EXPECT_EQ(ticks.values.size(), 5u);
  EXPECT_NEAR(ticks.values[0], 1e-4, 1e-16);
  EXPECT_NEAR(ticks.values[4], 1.0, 1e-12);
}

TEST(PlotMath, LogTicksOfOneDecadeAreOneTwoFive) {
  const Ticks ticks = logTicks(Range{0.1, 1.0}, 8);  // 0.1 0.2 0.5 1
  ASSERT_EQ(ticks.values.size(), 4u);
  EXPECT_NEAR(ticks.values[1], 0.2, 1e-12);
  EXPECT_NEAR(ticks.values[2], 0.5, 1e-12);
  for (bool labelled : ticks.major) EXPECT_TRUE(labelled);
}

TEST(PlotMath, LogTicksToleratesNonPositiveMinimum) {
  const Ticks ticks = logTicks(Range{0.0, 1.0}, 8);
  EXPECT_GE(ticks.values.size(), 2u);
  for (double v : ticks.values) EXPECT_GT(v, 0.0);
}

TEST(PlotMath, FormatTickUsesStepPrecision) {
  EXPECT_EQ(formatTick(0.2, 0.2), "0.2");
  EXPECT_EQ(formatTick(0.25, 0.05), "0.25");
  EXPECT_EQ(formatTick(0.25, 0.25), "0.25");  // a step off the 1-2-5 ladder (fixed ticks) keeps its digits
  EXPECT_EQ(formatTick(0.75, 0.25), "0.75");
  EXPECT_EQ(formatTick(1.0, 0.25), "1.00");
  EXPECT_EQ(formatTick(150.0, 50.0), "150");
  EXPECT_EQ(formatTick(-1.4e-17, 0.1), "0");
  EXPECT_EQ(formatTick(-0.0, 1.0), "0");
  EXPECT_EQ(formatTick(1e-5, 0.0), "1e-5");
  EXPECT_EQ(formatTick(2e6, 1e6), "2e6");
  EXPECT_EQ(formatTick(0.5, 0.0), "0.5");
}

// Tick labels of a narrow plot (issue 13): the sweep's fixed angle ticks 0 45 90 135 180 in a 100 px wide score plot
// drew as "0 4590135180". Label widths are those of DejaVu Sans at 15 px (8 px per digit), so the numbers are
// checkable by hand: at 100 px the ticks are 25 px apart and "135" is 24 px wide.
TEST(PlotMath, NarrowAxisKeepsEveryOtherLabelAndNoneOverlap) {
  const std::vector<double> extents{8, 16, 16, 24, 24};  // "0", "45", "90", "135", "180"
  const auto centresFor = [](double width) {
    std::vector<double> centres;
    for (int i = 0; i < 5; ++i) centres.push_back(i * width / 4.0);
    return centres;
  };
  const double gap = 9;  // 0.6 x 15 px
  // Wide: all five fit (60 px apart).
  const std::vector<bool> wide = fitTickLabels(centresFor(240), extents, gap, -20, 260);
  EXPECT_EQ(wide, std::vector<bool>(5, true));
  // 100 px: "45" ends at 33, "90" starts at 42 -> 9 px: fits only with gap 9; "90" ends at 58, "135" starts at 63
  // (5 px < 9): every label cannot be drawn; every other one (0, 90, 180) can.
  const std::vector<double> narrow = centresFor(100);
  EXPECT_TRUE(tickLabelsCollide(narrow, extents, std::vector<bool>(5, true), gap, -20, 120));
  const std::vector<bool> kept = fitTickLabels(narrow, extents, gap, -20, 120);
  EXPECT_EQ(kept, (std::vector<bool>{true, false, true, false, true}));
  EXPECT_FALSE(tickLabelsCollide(narrow, extents, kept, gap, -20, 120));
  // 40 px: every other label collides ("0" ends at 4, "90" starts at 12: 8 px < 9); every third fits (0 and 135:
  // "135" starts at 18, 14 px after "0").
  const std::vector<bool> tiny = fitTickLabels(centresFor(40), extents, gap, -20, 60);
  EXPECT_EQ(tiny, (std::vector<bool>{true, false, false, true, false}));
}

TEST(PlotMath, LabelsThatWouldLeaveThePlotAreDropped) {
  // "180" centred on the right edge of a plot whose rectangle ends 4 px later would be cut: it is not drawn.
  const std::vector<double> centres{0, 50, 100}, extents{8, 16, 24};
  const std::vector<bool> kept = fitTickLabels(centres, extents, 9, -10, 104);
  EXPECT_EQ(kept, (std::vector<bool>{true, true, false}));
  EXPECT_FALSE(tickLabelsCollide(centres, extents, kept, 9, -10, 104));
  EXPECT_TRUE(tickLabelsCollide(centres, extents, std::vector<bool>(3, true), 9, -10, 104));
}

TEST(PlotMath, FittedLabelsNeverCollideForAnyWidth) {
  // Every plot width from 20 to 400 px and every tick count of the 1-2-5 ladder: whatever fitTickLabels keeps is free
  // of overlap by the independent check, and it keeps at least one label when one fits alone.
  for (int ticks = 2; ticks <= 12; ++ticks) {
    const Ticks t = linearTicks(Range{-0.0005, 0.0035}, ticks);
    std::vector<double> extents;
    for (double v : t.values) extents.push_back(8.0 * formatTick(v, t.step).size());
    for (int width = 20; width <= 400; width += 7) {
      std::vector<double> centres;
      for (double v : t.values) centres.push_back((v + 0.0005) / 0.004 * width);
      const std::vector<bool> kept = fitTickLabels(centres, extents, 9, -30, width + 30);
      EXPECT_FALSE(tickLabelsCollide(centres, extents, kept, 9, -30, width + 30)) << ticks << " ticks, " << width;
      EXPECT_GE(std::count(kept.begin(), kept.end(), true), 1) << ticks << " ticks, " << width;
    }
  }
}

TEST(PlotMath, WrapWordsBreaksAtSpacesWithinTheWidth) {
  const auto width = [](const std::string& text) { return 8.0 * text.size(); };
  EXPECT_EQ(wrapWords("Score before normalisation", 1000, width),
            (std::vector<std::string>{"Score before normalisation"}));
  // 120 px = 15 characters: "Score before" (12) fits, "+ normalisation" would make 26.
  EXPECT_EQ(wrapWords("Score before normalisation", 120, width),
            (std::vector<std::string>{"Score before", "normalisation"}));
  // A word longer than the width gets a line of its own; repeated spaces do not make empty lines.
  EXPECT_EQ(wrapWords("a  verylongwordindeed b", 40, width),
            (std::vector<std::string>{"a", "verylongwordindeed", "b"}));
  EXPECT_EQ(wrapWords("", 40, width), (std::vector<std::string>{""}));
}

TEST(PlotMath, ShortSeriesIsNotDecimated) {
  const std::vector<double> xs{0, 1, 2, 3}, ys{3, 1, 4, 1};
  const auto points = decimateToColumns(xs, ys, Range{0, 3}, 100);
  ASSERT_EQ(points.size(), 4u);
  EXPECT_EQ(points[2].y, 4.0);
}

TEST(PlotMath, DecimationKeepsExtremesPerColumnAndBoundsSize) {
  // A million samples of a sine with one spike: 200 columns -> at most 800 points, spike and extremes kept.
  const std::size_t n = 1'000'000;
  std::vector<double> xs(n), ys(n);
  for (std::size_t i = 0; i < n; ++i) {
    xs[i] = double(i) / double(n - 1);
    ys[i] = std::sin(2 * std::numbers::pi * 3 * xs[i]);
  }
  ys[123457] = 7.5;
  const auto points = decimateToColumns(xs, ys, Range{0, 1}, 200);
  EXPECT_LE(points.size(), 4u * 201u);
  EXPECT_GE(points.size(), 200u);
  double top = -1e9, bottom = 1e9;
  for (const auto& p : points) top = std::max(top, p.y), bottom = std::min(bottom, p.y);
  EXPECT_EQ(top, 7.5);
  EXPECT_NEAR(bottom, -1.0, 1e-6);
  EXPECT_EQ(points.front().x, 0.0);  // first and last samples survive
  EXPECT_EQ(points.back().x, 1.0);
  for (std::size_t i = 1; i < points.size(); ++i) EXPECT_LE(points[i - 1].x, points[i].x);  // order kept
}

TEST(PlotMath, DecimationBreaksAtNonFiniteSamples) {
  const std::size_t n = 10'000;
  std::vector<double> xs(n), ys(n, 1.0);
  for (std::size_t i = 0; i < n; ++i) xs[i] = double(i);
  ys[5000] = std::nan("");
  const auto points = decimateToColumns(xs, ys, Range{0, double(n - 1)}, 50);
  int gaps = 0;
  for (const auto& p : points) gaps += std::isnan(p.y) ? 1 : 0;
  EXPECT_EQ(gaps, 1);
}

TEST(PlotMath, ChunksOverlapByOnePointAndRespectLimit) {
  const auto chunks = polylineChunks(20'001, 8000);
  ASSERT_EQ(chunks.size(), 3u);  // [0,8000) [7999,15999) [15998,20001)
  EXPECT_EQ(chunks[0], (std::pair<std::size_t, std::size_t>{0, 8000}));
  EXPECT_EQ(chunks[1].first, 7999u);
  EXPECT_EQ(chunks[2].second, 20'001u);
  for (const auto& [b, e] : chunks) EXPECT_LE(e - b, 8000u);
  EXPECT_TRUE(polylineChunks(0, 10).empty());
  EXPECT_EQ(polylineChunks(1, 10).size(), 1u);
}

TEST(PlotMath, NearestIndex) {
  const std::vector<double> xs{0, 1, 2, 10};
  EXPECT_EQ(nearestIndex(xs, -5), 0u);
  EXPECT_EQ(nearestIndex(xs, 1.4), 1u);
  EXPECT_EQ(nearestIndex(xs, 1.6), 2u);
  EXPECT_EQ(nearestIndex(xs, 7), 3u);
  EXPECT_EQ(nearestIndex(xs, 99), 3u);
}

// An ImGui context with a built font atlas and one open window, so draw functions can run without GL.
class PlotDrawing : public ::testing::Test {
 protected:
  void SetUp() override {
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(800, 600);
    io.DeltaTime = 1.0f / 60.0f;
    io.BackendFlags |= ImGuiBackendFlags_RendererHasVtxOffset;  // as the OpenGL3 backend sets it
    unsigned char* pixels = nullptr;
    int width = 0, height = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &width, &height);
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImVec2(800, 600));
    ImGui::Begin("plot");
    drawList = ImGui::GetWindowDrawList();
  }
  void TearDown() override {
    ImGui::End();
    ImGui::EndFrame();
    ImGui::DestroyContext();
  }
  ImDrawList* drawList = nullptr;
};

TEST_F(PlotDrawing, FrameMapsRangeCornersToPlotAreaCorners) {
  FrameSpec spec;
  spec.x.range = Range{0, 180};
  spec.y.range = Range{0, 1};
  Frame frame(drawList, plot::Rect(0, 0, 600, 400), spec);
  const ImVec2 lowerLeft = frame.toPixel(0, 0), upperRight = frame.toPixel(180, 1);
  EXPECT_FLOAT_EQ(lowerLeft.x, frame.area().Min.x);
  EXPECT_FLOAT_EQ(lowerLeft.y, frame.area().Max.y);
  EXPECT_FLOAT_EQ(upperRight.x, frame.area().Max.x);
  EXPECT_FLOAT_EQ(upperRight.y, frame.area().Min.y);
  const Point back = frame.toData(frame.toPixel(90, 0.25));
  EXPECT_NEAR(back.x, 90, 1e-3);
  EXPECT_NEAR(back.y, 0.25, 1e-5);
  // Labels and ticks live outside the plot area but inside the rectangle given.
  EXPECT_GT(frame.area().Min.x, 0.0f);
  EXPECT_LT(frame.area().Max.y, 400.0f);
}

TEST_F(PlotDrawing, EqualAspectKeepsCirclesRound) {
  FrameSpec spec;
  spec.x.range = Range{-1.5, 1.5};
  spec.y.range = Range{-1.5, 1.5};
  spec.equalAspect = true;
  Frame frame(drawList, plot::Rect(0, 0, 700, 300), spec);
  const ImVec2 o = frame.toPixel(0, 0), ex = frame.toPixel(1, 0), ey = frame.toPixel(0, 1);
  EXPECT_NEAR(ex.x - o.x, o.y - ey.y, 0.01f);
  EXPECT_LE(frame.yRange().max, 1.5 + 1e-9);  // the short (vertical) side keeps its range; x grows
  EXPECT_GT(frame.xRange().max, 1.5);
}

TEST_F(PlotDrawing, InvertedAxisPutsRowZeroAtTheTop) {
  FrameSpec spec;
  spec.y.categories = {"q0", "q1", "q2"};
  spec.y.inverted = true;
  spec.x.range = Range{0, 1};
  Frame frame(drawList, plot::Rect(0, 0, 400, 300), spec);
  EXPECT_LT(frame.toPixel(0, 0).y, frame.toPixel(0, 2).y);  // row 0 above row 2
  // Category i spans [i - 0.5, i + 0.5]: the top edge of the area is row -0.5.
  EXPECT_NEAR(frame.toData(ImVec2(10, frame.area().Min.y)).y, -0.5, 1e-6);
  EXPECT_NEAR(frame.toData(ImVec2(10, frame.area().Max.y)).y, 2.5, 1e-6);
}

// A 3-key map in a narrow column (presenter mode's maps): the key names do not fit even in two rows, so the keys are
// numbered on the axis and named in the axis label, each number joined to its name by a no-break space. With room,
// or with names as short as numbers, the names stay on the axis.
TEST_F(PlotDrawing, CrowdedCategoryNamesAreNumberedAndNamedInTheAxisLabel) {
  FrameSpec spec;
  spec.x.categories = {"parallel", "orthogonal", "antiparallel"};
  spec.x.label = "key";
  spec.y.range = Range{0, 1};
  {
    Frame narrow(drawList, plot::Rect(0, 0, 150, 300), spec);
    EXPECT_EQ(narrow.xAxisShown().categories, (std::vector<std::string>{"1", "2", "3"}));
    EXPECT_EQ(narrow.xAxisShown().label,
              "key: 1\xC2\xA0"
              "parallel, 2\xC2\xA0"
              "orthogonal, 3\xC2\xA0"
              "antiparallel");
    EXPECT_EQ(narrow.xRange().min, -0.5);  // the same data coordinates: category i at i
    EXPECT_EQ(narrow.xRange().max, 2.5);
  }
  {
    Frame wide(drawList, plot::Rect(0, 0, 600, 300), spec);
    EXPECT_EQ(wide.xAxisShown().categories, spec.x.categories);
    EXPECT_EQ(wide.xAxisShown().label, "key");
  }
  // A model's tokens carry their own numbers: the axis shows those, the legend the labels as they are.
  std::vector<std::string> tokens{"0:<s>", "1: Once", "2: upon", "3: a", "4: time"};
  EXPECT_EQ(numberCrowdedCategories(tokens, 60.0f, ImGui::GetFontSize()), "0:<s>, 1: Once, 2: upon, 3: a, 4: time");
  EXPECT_EQ(tokens, (std::vector<std::string>{"0", "1", "2", "3", "4"}));
  spec.x.categories.clear();
  for (int i = 0; i < 12; ++i) spec.x.categories.push_back("k" + std::to_string(i));
  Frame shortNames(drawList, plot::Rect(0, 0, 150, 300), spec);
  EXPECT_EQ(shortNames.xAxisShown().categories, spec.x.categories);
}

// Every triangle ImGui emitted after `firstIndex` must connect vertices that are close to each other: an index that
// wrapped past 65,535 would join the start of the line to its far end.
float longestTriangleEdge(ImDrawList* drawList, int firstIndex) {
  float longest = 0.0f;
  for (const ImDrawCmd& cmd : drawList->CmdBuffer) {
    for (unsigned int e = 0; e + 2 < cmd.ElemCount; e += 3) {
      const int at = static_cast<int>(cmd.IdxOffset + e);
      if (at < firstIndex) continue;
      ImVec2 p[3];
      for (int k = 0; k < 3; ++k) p[k] = drawList->VtxBuffer[cmd.VtxOffset + drawList->IdxBuffer[at + k]].pos;
      for (int k = 0; k < 3; ++k) {
        const float dx = p[k].x - p[(k + 1) % 3].x, dy = p[k].y - p[(k + 1) % 3].y;
        longest = std::max(longest, std::sqrt(dx * dx + dy * dy));
      }
    }
  }
  return longest;
}

TEST_F(PlotDrawing, LongUnsortedPolylineIsChunkedBelowSixteenBitIndices) {
  // 100,000 points circling around 25 times in steps of ~1.2 px: unsorted x, so no decimation; 4 vertices per
  // point would be 400,000 vertices in one call without chunking.
  const std::size_t n = 100'000;
  std::vector<ImVec2> points(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double a = 2 * std::numbers::pi * 25.0 * double(i) / double(n);
    points[i] = ImVec2(400.0f + 190.0f * float(std::cos(a)), 300.0f + 190.0f * float(std::sin(a)));
  }
  // A fresh list (same flags a window's list gets from the OpenGL3 backend) so indices are easy to follow.
  ImDrawList list(ImGui::GetDrawListSharedData());
  list._ResetForNewFrame();
  list.Flags =
      ImDrawListFlags_AntiAliasedLines | ImDrawListFlags_AntiAliasedLinesUseTex | ImDrawListFlags_AllowVtxOffset;
  list.PushClipRectFullScreen();
  list.PushTextureID(ImGui::GetIO().Fonts->TexID);
  polylinePixels(&list, points, IM_COL32(255, 0, 0, 255), 3.0f);
  drawList = &list;
  const int firstIndex = 0;
  EXPECT_GT(drawList->VtxBuffer.Size, 65'536);                  // the whole line needs more than 16-bit indices...
  EXPECT_LT(longestTriangleEdge(drawList, firstIndex), 10.0f);  // ...yet every triangle is local
}

TEST_F(PlotDrawing, MillionSampleLineIsDecimatedToPixelWidth) {
  FrameSpec spec;
  spec.x.range = Range{0, 1};
  spec.y.range = Range{-1, 1};
  Frame frame(drawList, plot::Rect(0, 0, 500, 300), spec);
  const std::size_t n = 1'000'000;
  std::vector<double> xs(n), ys(n);
  for (std::size_t i = 0; i < n; ++i) {
    xs[i] = double(i) / double(n - 1);
    ys[i] = std::sin(60.0 * xs[i]);
  }
  const int before = drawList->VtxBuffer.Size;
  line(frame, xs, ys, IM_COL32(0, 0, 255, 255), 2.0f);
  const int added = drawList->VtxBuffer.Size - before;
  // <= 4 points per pixel column, <= 4 vertices per point for a thick anti-aliased line.
  EXPECT_LE(added, 4 * 4 * (static_cast<int>(frame.area().GetWidth()) + 2) + 8);
  EXPECT_GT(added, 0);
}

TEST_F(PlotDrawing, FractionalThicknessIsRoundedToWholePixels) {
  std::vector<ImVec2> points{ImVec2(10, 10), ImVec2(100, 10), ImVec2(100, 100)};
  int before = drawList->VtxBuffer.Size;
  polylinePixels(drawList, points, IM_COL32_WHITE, 2.0f);
  const int whole = drawList->VtxBuffer.Size - before;
  before = drawList->VtxBuffer.Size;
  polylinePixels(drawList, points, IM_COL32_WHITE, 1.6f);  // drawn as 2 px: same vertex count
  EXPECT_EQ(drawList->VtxBuffer.Size - before, whole);
}

TEST(LabelPlacer, TakesThePreferredSpotThenTheFirstFreeOneAroundTheAnchorAndNeverOverlapsOrLeaves) {
  LabelPlacer placer({0, 0, 200, 100});
  placer.addObstacle({95, 45, 105, 55});  // a marker at (100, 50)
  // 40 x 10 labels, 5 px from the anchor. The first takes its preferred corner.
  const Point preferred{110, 45};
  ASSERT_TRUE(placer.place({100, 50}, 40, 10, 5, {&preferred, 1}).has_value());
  // The same preferred spot is taken now: right of the anchor is (105, 45) and overlaps it, left is free.
  const auto second = placer.place({100, 50}, 40, 10, 5, {&preferred, 1});
  ASSERT_TRUE(second.has_value());
  EXPECT_DOUBLE_EQ(second->x, 55.0);  // 100 - 5 - 40
  EXPECT_DOUBLE_EQ(second->y, 45.0);
  // Then above (centred), then below.
  const auto third = placer.place({100, 50}, 40, 10, 5);
  ASSERT_TRUE(third.has_value());
  EXPECT_DOUBLE_EQ(third->x, 80.0);
  EXPECT_DOUBLE_EQ(third->y, 35.0);
  const auto fourth = placer.place({100, 50}, 40, 10, 5);
  ASSERT_TRUE(fourth.has_value());
  EXPECT_DOUBLE_EQ(fourth->y, 55.0);
  // Near the right edge the right-hand spot would leave the bounds: the label goes left instead of being clipped.
  const auto edge = placer.place({195, 90}, 40, 10, 2);
  ASSERT_TRUE(edge.has_value());
  EXPECT_DOUBLE_EQ(edge->x, 153.0);
  // A label wider than the bounds has no place at all.
  EXPECT_FALSE(placer.place({100, 50}, 300, 10, 5).has_value());
}

TEST(LabelPlacer, ACrowdOfLabelsNeverOverlaps) {
  LabelPlacer placer({0, 0, 300, 200});
  std::vector<Box> placed;
  for (int i = 0; i < 40; ++i) {
    const Point anchor{150.0 + 3.0 * (i % 7), 100.0 + 2.0 * (i % 5)};
    if (const auto at = placer.place(anchor, 50, 12, 4)) placed.push_back({at->x, at->y, at->x + 50, at->y + 12});
  }
  EXPECT_GE(placed.size(), 4u);  // right, left, above and below the first anchor at least
  for (std::size_t a = 0; a < placed.size(); ++a) {
    EXPECT_TRUE(placed[a].inside({0, 0, 300, 200}));
    for (std::size_t b = a + 1; b < placed.size(); ++b) EXPECT_FALSE(placed[a].overlaps(placed[b])) << a << " " << b;
  }
}

}  // namespace
}  // namespace attnscope::plot
