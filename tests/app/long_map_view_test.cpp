// The long map view: its state object without a display (viewport clamping, which captures open there, exact hover
// weights) and the view rendered headless (EGL) through the export render path, on a seeded 8,192-token capture
// without attention that has a planted attention sink at token 0 and a diagonal band; pixels are checked against
// weights computed here in double precision straight from q and k (no attnscope kernel involved).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "app/gui/app_state.h"
#include "app/gui/long_map.h"
#include "app/gui/model_session.h"
#include "app/gui/shell.h"
#include "app/render/egl_context.h"
#include "app/views/view_probe.h"
#include "core/colormap.h"
#include "core/model/capture_file.h"
#include "tests/app/headless_gl_suite.h"
#include "tests/core/test_scratch_dir.h"

namespace attnscope {
namespace {

using Eigen::Index;

constexpr int kTokens = 8192, kDim = 24, kFrequencies = 11;
// Logit scale of the band: s q_i . k_j = kBand * sum_f cos(w_f (i - j)), w_f = pi 2^f / N (f = 0..10, a binary
// positional code), a peak of 11 kBand at j = i falling by 1.0, 3.9 and 14 at |i - j| = 1, 2 and 4; the sink key 0
// gets 11 kBand + 1 from every query, so it takes about 60% of every row and the band's centre about 20%. Logits stay
// near 100, where float scores are good to about 1e-5 relative.
constexpr double kBand = 10.0, kSinkLogit = 11.0 * kBand + 1.0;

/// q and k of the planted head (N x 24): column 0 carries the sink, columns 1..22 eleven (cos, sin) pairs.
model::ModelCapture plantedCapture() {
  model::ModelCapture capture;
  capture.layers = 1, capture.heads = 1, capture.tokens = kTokens, capture.headDim = kDim, capture.causal = true;
  const double s = 1.0 / std::sqrt(double(kDim));
  const double amplitude = std::sqrt(kBand / s), sink = std::sqrt(kSinkLogit / s);
  RowMatrix q = RowMatrix::Zero(kTokens, kDim), k = RowMatrix::Zero(kTokens, kDim);
  for (int i = 0; i < kTokens; ++i) {
    q(i, 0) = float(sink);
    for (int f = 0; f < kFrequencies; ++f) {
      const double w = M_PI * std::ldexp(1.0, f) / kTokens;
      q(i, 1 + 2 * f) = k(i, 1 + 2 * f) = float(amplitude * std::cos(w * i));
      q(i, 2 + 2 * f) = k(i, 2 + 2 * f) = float(amplitude * std::sin(w * i));
    }
    capture.tokenIds.push_back(i % 512);
    capture.tokenTexts.push_back("t" + std::to_string(i));
  }
  k.row(0).setZero();
  k(0, 0) = float(sink);
  capture.queries = {q};
  capture.keys = {k};
  return capture;
}

/// Row i of the causal DPA map in double precision, from the float q and k the file holds.
std::vector<double> referenceRow(const model::ModelCapture& capture, int i) {
  const RowMatrix& q = capture.queries[0];
  const RowMatrix& k = capture.keys[0];
  const double s = 1.0 / std::sqrt(double(kDim));
  std::vector<double> logits(std::size_t(i) + 1);
  double peak = -INFINITY;
  for (int j = 0; j <= i; ++j) {
    double dot = 0;
    for (int c = 0; c < kDim; ++c) dot += double(q(i, c)) * double(k(j, c));
    logits[std::size_t(j)] = s * dot;
    peak = std::max(peak, logits[std::size_t(j)]);
  }
  double sum = 0;
  for (double& x : logits) sum += (x = std::exp(x - peak));
  std::vector<double> row(kTokens, 0.0);
  for (int j = 0; j <= i; ++j) row[std::size_t(j)] = logits[std::size_t(j)] / sum;
  return row;
}

/// Index of the colour-map entry nearest to an RGB pixel.
int lutIndex(const std::uint8_t* pixel) {
  int best = 0, bestDistance = 1 << 30;
  for (int e = 0; e < 256; ++e) {
    const Rgb8 c = colorMapTable(ColorMap::Viridis)[std::size_t(e)];
    const int d = (c[0] - pixel[0]) * (c[0] - pixel[0]) + (c[1] - pixel[1]) * (c[1] - pixel[1]) +
                  (c[2] - pixel[2]) * (c[2] - pixel[2]);
    if (d < bestDistance) best = e, bestDistance = d;
  }
  return best;
}

/// Entry the colour map uses for t in [0, 1].
int expectedIndex(double t) {
  const Rgb8 c = colorMapLookup(ColorMap::Viridis, float(t));
  return lutIndex(c.data());
}

std::string writePlanted(const std::filesystem::path& dir, const model::ModelCapture& capture) {
  const std::string path = (dir / "planted.safetensors").string();
  model::writeCaptureFile(path, capture, "long_map_view_test");
  return path;
}

gui::Scene sceneOfSize(int queries, int keys) {
  gui::Scene scene = gui::defaultScene();
  scene.queries = RowMatrix::Random(queries, 2);
  scene.keys = RowMatrix::Random(keys, 2);
  scene.normalise();
  return scene;
}

// ---------------------------------------------------------------------------------------------------------------
// The state object, no display.

TEST(LongMapState, ZoomAndPanClampAtTheMapsEdgesAndTheDeepestZoom) {
  gui::LongMapState state;
  state.sync(sceneOfSize(100, 60));
  ASSERT_EQ(state.rows(), 100);
  ASSERT_EQ(state.cols(), 60);
  EXPECT_EQ(state.viewport().rowSpan, 100.0);
  EXPECT_EQ(state.viewport().colSpan, 60.0);
  // Zooming in a million times stops at minSpan = 8 cells, about the anchor cell.
  state.zoom(1e6, 50.0, 30.0);
  EXPECT_EQ(state.viewport().rowSpan, 8.0);
  EXPECT_EQ(state.viewport().colSpan, 8.0);
  EXPECT_NEAR(state.viewport().rowBegin, 46.0, 1e-9);
  EXPECT_NEAR(state.viewport().colBegin, 26.0, 1e-9);
  // Panning past the bottom-right edge stops with the last cell in view, past the top-left at cell 0.
  state.pan(1e9, 1e9);
  EXPECT_EQ(state.viewport().rowBegin, 92.0);
  EXPECT_EQ(state.viewport().colBegin, 52.0);
  state.pan(-1e9, -1e9);
  EXPECT_EQ(state.viewport().rowBegin, 0.0);
  EXPECT_EQ(state.viewport().colBegin, 0.0);
  // Zooming out past the whole map shows the whole map, not empty space.
  state.zoomCentre(1e-6);
  EXPECT_EQ(state.viewport().rowSpan, 100.0);
  EXPECT_EQ(state.viewport().colBegin, 0.0);
  state.zoom(4.0, 10.0, 10.0);
  state.resetZoom();
  EXPECT_EQ(state.viewport().rowSpan, 100.0);
  EXPECT_EQ(state.viewport().colSpan, 60.0);
  // A map narrower than minSpan: its whole width at most.
  state.sync(sceneOfSize(100, 5));
  state.zoom(1e6, 50.0, 2.0);
  EXPECT_EQ(state.viewport().colSpan, 5.0);
  EXPECT_EQ(state.viewport().rowSpan, 8.0);
}

TEST(LongMapState, TheLastKernelCannotBeUnticked) {
  gui::LongMapState state;
  EXPECT_EQ(state.shownKernels(), (std::vector<Kernel>{Kernel::Dpa, Kernel::Ea}));
  state.setKernelShown(Kernel::Dpa, false);
  state.setKernelShown(Kernel::Ea, false);
  EXPECT_EQ(state.shownKernels(), (std::vector<Kernel>{Kernel::Ea}));
}

TEST(LongMapState, LongCapturesOpenInTheLongMapOnly) {
  model::CaptureSummary summary;
  summary.layers = 1, summary.heads = 1, summary.tokens = gui::kDenseViewMaxTokens;
  EXPECT_FALSE(gui::captureNeedsLongMap(summary));
  summary.tokens = gui::kDenseViewMaxTokens + 1;
  EXPECT_TRUE(gui::captureNeedsLongMap(summary));
  // 3,000 tokens of 100,000 heads without stored maps: 3.6 TB to compute on opening, beyond any budget.
  summary.tokens = 3000, summary.heads = 100000;
  EXPECT_TRUE(gui::captureNeedsLongMap(summary));
  // With the maps stored, the loader refuses it with its own budget message (a short capture opens dense).
  summary.hasAttention = true;
  EXPECT_FALSE(gui::captureNeedsLongMap(summary));
}

TEST(LongMapState, OpensALongCaptureWithoutItsMapAndHoverWeightsAreExact) {
  const model::ModelCapture capture = plantedCapture();
  const std::string path = writePlanted(test_support::testDir(), capture);
  gui::AppContext context(gui::defaultScene());
  ASSERT_TRUE(gui::openLongCapture(context, path));
  context.endFrame();
  EXPECT_EQ(context.scene().openViews, std::vector<gui::ViewKind>{gui::ViewKind::LongMap});
  EXPECT_EQ(context.scene().queryCount(), gui::defaultScene().queryCount());  // no dense scene of 8,192 tokens
  gui::LongMapState& state = context.longMap();
  state.sync(context.scene());
  ASSERT_EQ(state.rows(), kTokens);
  EXPECT_TRUE(state.causal());
  EXPECT_EQ(state.rowLabel(5000), "5000:t5000");
  const std::vector<double> row = referenceRow(capture, 5000);
  for (Index column : {Index(0), Index(4990), Index(4998), Index(5000), Index(6000)}) {
    const std::vector<float> exact = state.exactWeights(5000, column);
    ASSERT_EQ(exact.size(), 2u);
    // Float scores of logits near 100 against double precision (the streamed map equals the dense kernel to 1e-6,
    // core StreamingEqualsDense tests).
    EXPECT_NEAR(exact[0], row[std::size_t(column)], 1e-4 * row[std::size_t(column)] + 1e-12) << "column " << column;
  }
  EXPECT_GT(row[0], 0.5);     // the sink holds about 60% of the row ...
  EXPECT_GT(row[5000], 0.1);  // ... the band's centre most of the rest
  EXPECT_EQ(row[6000], 0.0);  // causal

  // Dropped on the window, File > Open or --open: the same, and the model session (dense capture, head statistics)
  // never starts.
  gui::AppContext dropped(gui::defaultScene());
  ASSERT_TRUE(gui::openDroppedModel(dropped, path));
  dropped.endFrame();
  EXPECT_EQ(dropped.scene().openViews, std::vector<gui::ViewKind>{gui::ViewKind::LongMap});
  EXPECT_EQ(dropped.longMap().capturePath(), path);
  EXPECT_FALSE(dropped.modelSession().busy());
  EXPECT_EQ(dropped.modelSession().result(), nullptr);
  EXPECT_TRUE(dropped.takeErrors().empty());
}

// ---------------------------------------------------------------------------------------------------------------
// Rendered headless through the export path.

class LongMapPixels : public test_support::HeadlessGlSuite<LongMapPixels> {};

TEST_F(LongMapPixels, OverviewShowsTheSinkColumnAndTheBandWherePlanted) {
  const model::ModelCapture capture = plantedCapture();
  const std::string path = writePlanted(test_support::testDir(), capture);
  gui::AppContext context(gui::defaultScene());
  context.longMap().openCapture(path);
  gui::ExportOptions options;
  options.width = 1400, options.height = 800, options.view = "longmap";
  const render::Image image = gui::renderUiImage(context, options);
  const views::ViewProbe& probe = context.viewProbe();
  ASSERT_EQ(probe.longMapAreas.size(), 2u);  // DPA and EA
  const auto& area = probe.longMapAreas[0];
  const int x0 = int(area.x0), y0 = int(area.y0), width = int(area.x1 - area.x0), height = int(area.y1 - area.y0);
  ASSERT_EQ(float(x0), area.x0);  // whole pixels: texel p on pixel p
  ASSERT_GT(width, 200);
  ASSERT_EQ(width, height);  // a square map keeps square cells
  // Max pooling: pixel (p, c) holds the largest weight of rows [p N / P, (p + 1) N / P) x the same for columns. The
  // shared scale ends at 1 (row 0 sees only key 0).
  auto pooledMax = [&](int p, int c) {
    double best = 0;
    for (int i = p * kTokens / height; i < (p + 1) * kTokens / height; ++i) {
      const std::vector<double> row = referenceRow(capture, i);
      for (int j = c * kTokens / width; j < (c + 1) * kTokens / width; ++j) best = std::max(best, row[std::size_t(j)]);
    }
    return best;
  };
  for (int p : {height / 4, height / 2, height - 1}) {
    // The sink column: the map's first pixel column, at every height.
    const double sink = pooledMax(p, 0);
    EXPECT_GT(sink, 0.3);
    EXPECT_NEAR(lutIndex(image.pixel(x0, y0 + p)), expectedIndex(sink), 1) << "sink, pixel row " << p;
    // The band on the diagonal.
    const double band = pooledMax(p, p);
    EXPECT_GT(band, 0.1);
    EXPECT_NEAR(lutIndex(image.pixel(x0 + p, y0 + p)), expectedIndex(band), 1) << "band, pixel row " << p;
    // Far below the band: nothing (lowest colour); above the diagonal: masked, exactly the lowest colour.
    EXPECT_EQ(lutIndex(image.pixel(x0 + p / 2, y0 + p)), 0) << "below the band, pixel row " << p;
    if (p < height - 8) EXPECT_EQ(lutIndex(image.pixel(x0 + p + 8, y0 + p)), 0) << "masked, pixel row " << p;
  }
}

TEST_F(LongMapPixels, DeepZoomShowsExactWeightsCellByCell) {
  const model::ModelCapture capture = plantedCapture();
  const std::string path = writePlanted(test_support::testDir(), capture);
  gui::AppContext context(gui::defaultScene());
  gui::LongMapState& state = context.longMap();
  state.openCapture(path);
  state.setKernelShown(Kernel::Ea, false);
  state.sync(context.scene());
  // Past the right edge: clamped so the last column is the map's last.
  state.setViewport({6000.0, 8180.0, 16.0, 16.0});
  EXPECT_EQ(state.viewport().colBegin, double(kTokens - 16));
  state.setViewport({5000.0 - 8.0, 5000.0 - 8.0, 16.0, 16.0});
  gui::ExportOptions options;
  options.width = 1200, options.height = 900, options.view = "longmap";
  const render::Image image = gui::renderUiImage(context, options);
  const auto& area = context.viewProbe().longMapAreas.at(0);
  const double cell = (area.x1 - area.x0) / 16.0;
  // Zoomed in from the start: the minimap's overview was asked for on its own, after the view (row 0 sees only key 0:
  // its weight 1 is the largest of the max-pooled map).
  ASSERT_GT(state.minimap().size(), 0);
  EXPECT_EQ(state.minimap().maxCoeff(), 1.0f);
  EXPECT_LE(state.minimap().rows(), 128);
  // The scale's top is the largest exact weight shown.
  double top = 0;
  std::vector<std::vector<double>> rows;
  for (int i = 4992; i < 5008; ++i) {
    rows.push_back(referenceRow(capture, i));
    for (int j = 4992; j < 5008; ++j) top = std::max(top, rows.back()[std::size_t(j)]);
  }
  for (int i = 4992; i < 5008; i += 3)
    for (int j = 4992; j < 5008; j += 2) {
      const int x = int(area.x0 + (j - 4992 + 0.5) * cell), y = int(area.y0 + (i - 4992 + 0.5) * cell);
      const double weight = rows[std::size_t(i - 4992)][std::size_t(j)];
      EXPECT_NEAR(lutIndex(image.pixel(x, y)), expectedIndex(weight / top), 1) << "cell (" << i << ", " << j << ")";
    }
}

}  // namespace
}  // namespace attnscope
