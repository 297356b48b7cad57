// Real models in the app, headless (EGL, no DISPLAY): stories260K run through the model session, a head selected into
// the scene, the statistic grid against the core functions, and the explorer's thumbnail / statistic grids rendered.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "app/gui/export_formats.h"
#include "app/gui/model_session.h"
#include "app/gui/scene_io.h"
#include "app/gui/shell.h"
#include "app/render/egl_context.h"
#include "core/colormap.h"
#include "core/divergence.h"
#include "core/error.h"
#include "core/geometry.h"
#include "core/model/head_metrics.h"

namespace attnscope {
namespace {

const std::string kModel = std::string(ATTNSCOPE_MODELS_DIR) + "/stories260K.bin";
constexpr const char* kPrompt = "Once upon a time, there was a little girl";
constexpr int kLayer = 2, kHead = 3;

/// One run of stories260K shared by the tests (the forward pass is fast; statistics take a moment).
const gui::ModelResult& storiesResult() {
  static std::shared_ptr<const gui::ModelResult> result = [] {
    gui::ModelRequest request;
    request.path = kModel;
    request.prompt = kPrompt;
    gui::ModelSession session;
    session.runNow(request);
    EXPECT_TRUE(session.poll());
    return session.sharedResult();
  }();
  return *result;
}

TEST(Thumbnail, BlockAveragesAndScalesToMaximum) {
  // 4 x 4 -> 2 x 2 blocks: [[1,0],[0,1]] block mean 0.5, zero block 0, block of 2s mean 2: divided by max 2.
  RowMatrix a(4, 4);
  a << 1, 0, 0, 0,  //
      0, 1, 0, 0,   //
      2, 2, 0, 0,   //
      2, 2, 0, 4;
  const RowMatrix t = gui::thumbnail(a, 2);
  ASSERT_EQ(t.rows(), 2);
  ASSERT_EQ(t.cols(), 2);
  EXPECT_FLOAT_EQ(t(0, 0), 0.25f);  // 0.5 / 2
  EXPECT_FLOAT_EQ(t(0, 1), 0.0f);
  EXPECT_FLOAT_EQ(t(1, 0), 1.0f);  // 2 / 2
  EXPECT_FLOAT_EQ(t(1, 1), 0.5f);  // 1 / 2
  // Already small enough: only scaled; a zero matrix stays zero (no NaN).
  EXPECT_FLOAT_EQ(gui::thumbnail(a, 8)(3, 3), 1.0f);
  EXPECT_TRUE(gui::thumbnail(RowMatrix::Zero(3, 5), 2).isZero());
}

TEST(ParseTokenIds, AcceptsSpacesAndCommasRejectsJunk) {
  EXPECT_EQ(gui::parseTokenIds("1, 403 407,  9"), (std::vector<int>{1, 403, 407, 9}));
  EXPECT_TRUE(gui::parseTokenIds("  ").empty());
  EXPECT_THROW(gui::parseTokenIds("1 x2"), InputError);
  EXPECT_THROW(gui::parseTokenIds("-3"), InputError);
}

TEST(ModelSession, RunsStoriesAndFeedsTheSceneWithTheHeadsQueriesAndKeys) {
  ASSERT_TRUE(std::filesystem::exists(kModel)) << kModel;
  const gui::ModelResult& result = storiesResult();
  const model::ModelCapture& capture = result.capture;
  ASSERT_EQ(capture.layers, 5);
  ASSERT_EQ(capture.heads, 8);
  ASSERT_EQ(capture.headDim, 8);
  ASSERT_GT(capture.tokens, 5);
  ASSERT_TRUE(result.tokenizer);

  gui::Scene scene = gui::sceneForHead(gui::defaultScene(), result, kLayer, kHead, 4, false);
  const int index = capture.headIndex(kLayer, kHead);
  // The scene's vectors are the captured numbers, bit for bit.
  ASSERT_EQ(scene.queries.rows(), capture.tokens);
  ASSERT_EQ(scene.dimension(), 8);
  EXPECT_TRUE(scene.queries == capture.queries[index]);
  EXPECT_TRUE(scene.keys == capture.keys[index]);
  EXPECT_FLOAT_EQ(scene.queries(4, 5), capture.queries[index](4, 5));
  EXPECT_TRUE(scene.kernel.causal);
  EXPECT_EQ(scene.selectedQuery, 4);
  EXPECT_EQ(scene.model.layer, kLayer);
  EXPECT_EQ(scene.model.head, kHead);
  EXPECT_EQ(scene.model.tokenIds, capture.tokenIds);
  EXPECT_EQ(scene.queryLabels[1], "1:" + capture.tokenTexts[1]);
  EXPECT_TRUE(gui::sceneMatchesHead(scene, capture));
  EXPECT_NO_THROW(scene.validate());

  // The plane of the canvas / density views holds the whole projected head (Derived's joint PCA), with a margin.
  const PcaBasis basis = jointPca(scene.queries, scene.keys);
  const float reach = std::max(projectOntoBasis(basis, scene.queries).cwiseAbs().maxCoeff(),
                               projectOntoBasis(basis, scene.keys).cwiseAbs().maxCoeff());
  EXPECT_GE(scene.display.planeExtent, reach * 1.15f);
  EXPECT_LT(scene.display.planeExtent, reach * 1.15f + 0.5f);

  // MGK's first component starts at sigma^2 = sqrt(d) (DPA's logit scale), every key alike.
  EXPECT_FLOAT_EQ(scene.kernel.mgkVariances(0, 0), std::sqrt(8.0f));
  EXPECT_FLOAT_EQ(scene.kernel.mgkVariances(capture.tokens - 1, 0), std::sqrt(8.0f));

  // Through the document: the what-if DPA on the head's Q/K (causal, s = 1/sqrt(8)) is the attention the model used.
  gui::AppContext context(scene);
  context.refreshDerived();
  ASSERT_TRUE(context.derived().error.empty()) << context.derived().error;
  const RowMatrix& dpa = context.derived().result(Kernel::Dpa).weights;
  ASSERT_EQ(dpa.rows(), capture.tokens);
  EXPECT_LT((dpa - capture.attention[index]).cwiseAbs().maxCoeff(), 1e-5f);

  // The scene file keeps the model reference and reopens to the same head.
  std::vector<std::string> warnings;
  const gui::Scene reopened = gui::sceneFromString(gui::sceneToString(scene), "test", &warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(reopened.model.path, kModel);
  EXPECT_EQ(reopened.model.prompt, kPrompt);
  EXPECT_EQ(reopened.model.tokenIds, capture.tokenIds);
  EXPECT_TRUE(gui::sceneMatchesHead(reopened, capture));

  // A head outside the model is refused with its numbers in the message.
  try {
    gui::sceneForHead(scene, result, 5, 0, 0, false);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("5 layers x 8 heads"), std::string::npos) << e.what();
  }
}

TEST(ModelSession, StatisticGridEqualsTheCoreFunctions) {
  const gui::ModelResult& result = storiesResult();
  const model::ModelCapture& capture = result.capture;
  const gui::HeadStatistics& stats = result.statistics;
  ASSERT_EQ(stats.layers, 5);
  ASSERT_EQ(stats.heads, 8);
  const int index = capture.headIndex(kLayer, kHead);
  const RowMatrix& Q = capture.queries[index];
  const RowMatrix& K = capture.keys[index];
  DivergenceOptions options;
  options.keepMatrices = false;
  for (int s = 0; s < gui::kHeadStatisticCount; ++s) {
    const auto metric = gui::headStatisticMetric(gui::HeadStatistic(s));
    if (!metric) continue;
    ASSERT_TRUE(stats.isValid(gui::HeadStatistic(s), kLayer, kHead)) << gui::headStatisticName(gui::HeadStatistic(s));
    EXPECT_FLOAT_EQ(float(stats.value(gui::HeadStatistic(s), kLayer, kHead)),
                    float(alignmentDivergence(*metric, Q, K, options).value))
        << gui::headStatisticName(gui::HeadStatistic(s));
  }
  EXPECT_FLOAT_EQ(float(stats.value(gui::HeadStatistic::Entropy, kLayer, kHead)),
                  float(rowEntropy(capture.attention[index]).entropyNats.cast<double>().mean()));
  PairClassOptions classOptions;
  classOptions.causal = true;
  const PairClassification classes = classifyPairs(cosineMatrix(Q, K), classOptions);
  EXPECT_FLOAT_EQ(float(stats.value(gui::HeadStatistic::OrthogonalFraction, kLayer, kHead)),
                  float(classes.orthogonalFraction));
  EXPECT_EQ(int(stats.value(gui::HeadStatistic::Rank, kLayer, kHead)), numericalRank(capture.attention[index]).rank);
  // The induction score comes from a second run on BOS + r + r with r = 32 distinct ids of seed 1, as `attnscope model
  // heads` runs it by default.
  ASSERT_EQ(capture.tokenIds.front(), 1);  // stories260K's BOS
  const std::vector<int> bos{1};
  const model::ModelCapture repeated =
      result.model->run(model::repeatedRandomTokens(bos, 512, gui::kInductionPeriod, 1));
  for (int layer = 0; layer < stats.layers; ++layer) {
    for (int head = 0; head < stats.heads; ++head) {
      ASSERT_TRUE(stats.isValid(gui::HeadStatistic::Induction, layer, head));
      EXPECT_FLOAT_EQ(
          float(stats.value(gui::HeadStatistic::Induction, layer, head)),
          float(model::inductionScore(repeated.attention[repeated.headIndex(layer, head)], 1, gui::kInductionPeriod)));
    }
  }
  // The researchers' statistics are the numbers `attnscope model heads` prints (checked against NumPy there), for
  // every head.
  model::HeadMetricsOptions metricsOptions;
  metricsOptions.divergence.reset();
  const model::HeadMetricsTable table = model::headMetrics(capture, nullptr, 0, 0, metricsOptions);
  for (const model::HeadMetricsRow& row : table.rows) {
    const std::pair<gui::HeadStatistic, double> expected[] = {
        {gui::HeadStatistic::SinkShare, row.pattern.sinkShare},
        {gui::HeadStatistic::PreviousToken, row.pattern.previousToken},
        {gui::HeadStatistic::MeanDistance, row.pattern.meanDistance},
        {gui::HeadStatistic::QueryNorm, row.queryNorm},
        {gui::HeadStatistic::KeyNorm, row.keyNorm},
    };
    for (const auto& [statistic, value] : expected) {
      ASSERT_TRUE(stats.isValid(statistic, row.layer, row.head)) << gui::headStatisticName(statistic);
      EXPECT_FLOAT_EQ(float(stats.value(statistic, row.layer, row.head)), float(value))
          << gui::headStatisticName(statistic) << " layer " << row.layer << " head " << row.head;
    }
  }
  // Causal attention is lower triangular with a positive diagonal: full rank, and the first row attends one key
  // (entropy 0), so the mean entropy is below log(tokens).
  EXPECT_EQ(int(stats.value(gui::HeadStatistic::Rank, 0, 0)), capture.tokens);
  EXPECT_LT(stats.value(gui::HeadStatistic::Entropy, 0, 0), std::log(double(capture.tokens)));
  // Fractions of one head sum to at most 1.
  const double sum = stats.value(gui::HeadStatistic::ParallelFraction, 1, 1) +
                     stats.value(gui::HeadStatistic::OrthogonalFraction, 1, 1) +
                     stats.value(gui::HeadStatistic::AntiparallelFraction, 1, 1);
  EXPECT_LE(sum, 1.0 + 1e-9);
  // The thumbnail atlas holds every head's map at the documented place.
  const int t = stats.thumbnailSize;
  ASSERT_EQ(t, std::min(capture.tokens, gui::kThumbnailCells));
  const RowMatrix expected = gui::thumbnail(capture.attention[index], gui::kThumbnailCells);
  EXPECT_TRUE(stats.thumbnailAtlas.block(kLayer * (t + 1), kHead * (t + 1), t, t) == expected);
}

// The grid takes what `attnscope model heads` measures from the run's head table instead of computing it again:
// a table with marked values shows exactly those, an unmeasured entry is n/a, and a table of another shape is refused.
TEST(ModelSession, StatisticGridTakesTheHeadTableValues) {
  const gui::ModelResult& result = storiesResult();
  model::HeadMetricsTable table = result.headTable;
  ASSERT_EQ(table.rows.size(), size_t(5 * 8));
  for (model::HeadMetricsRow& row : table.rows) {
    const double mark = 1000.0 * row.layer + row.head;  // no statistic of stories260K is this large
    row.pattern = {mark + 0.125, mark + 0.25, mark + 0.375, mark + 0.5};
    row.queryNorm = mark + 0.625;
    row.keyNorm = mark + 0.75;
    row.induction = mark + 0.875;
    row.divergence = mark;
  }
  table.rows[1].induction.reset();
  const gui::HeadStatistics stats = gui::computeHeadStatistics(result.capture, table);
  for (const model::HeadMetricsRow& row : table.rows) {
    const double mark = 1000.0 * row.layer + row.head;
    const std::pair<gui::HeadStatistic, double> expected[] = {
        {gui::HeadStatistic::SinkShare, mark + 0.125},    {gui::HeadStatistic::PreviousToken, mark + 0.25},
        {gui::HeadStatistic::MeanDistance, mark + 0.375}, {gui::HeadStatistic::Entropy, mark + 0.5},
        {gui::HeadStatistic::QueryNorm, mark + 0.625},    {gui::HeadStatistic::KeyNorm, mark + 0.75},
        {gui::HeadStatistic::Induction, mark + 0.875},    {gui::HeadStatistic::Ct, mark}};
    for (const auto& [statistic, value] : expected) {
      if (row.layer == 0 && row.head == 1 && statistic == gui::HeadStatistic::Induction) {
        EXPECT_FALSE(stats.isValid(statistic, 0, 1));
        continue;
      }
      ASSERT_TRUE(stats.isValid(statistic, row.layer, row.head)) << gui::headStatisticName(statistic);
      EXPECT_EQ(stats.value(statistic, row.layer, row.head), double(float(value)))
          << gui::headStatisticName(statistic) << " layer " << row.layer << " head " << row.head;
    }
  }
  // The statistics the table does not hold are still the grid's own (the run's values).
  EXPECT_EQ(stats.value(gui::HeadStatistic::Chamfer, kLayer, kHead),
            result.statistics.value(gui::HeadStatistic::Chamfer, kLayer, kHead));
  model::HeadMetricsTable fewer = result.headTable;
  fewer.heads = 4;
  fewer.rows.resize(5 * 4);
  EXPECT_THROW(gui::computeHeadStatistics(result.capture, fewer), Error);
}

TEST(ModelSession, RankedHeadsAreLargestFirstWithUndefinedLastAndTiesInHeadOrder) {
  gui::HeadStatistics stats;
  stats.layers = 2;
  stats.heads = 3;
  for (int s = 0; s < gui::kHeadStatisticCount; ++s) {
    stats.values.push_back(RowMatrix::Zero(2, 3));
    stats.valid.emplace_back(2, 3);
    stats.valid.back().setConstant(true);
  }
  const auto s = gui::HeadStatistic::SinkShare;
  stats.values[int(s)] << 0.2f, 0.9f, 0.2f,  //
      0.5f, 0.0f, 0.7f;
  stats.valid[int(s)](1, 1) = false;  // undefined: last, whatever its stored value
  const std::vector<std::pair<int, int>> expected{{0, 1}, {1, 2}, {1, 0}, {0, 0}, {0, 2}, {1, 1}};
  EXPECT_EQ(gui::rankedHeads(stats, s), expected);
}

// The explorer's CSV export (Export data, view "model", and the grid's CSV button: both gui::writeHeadsCsv) writes
// exactly the file `attnscope model heads --csv` writes for the same model and prompt.
TEST(ModelExplorerView, HeadsCsvExportEqualsTheCommandLine) {
  const std::filesystem::path folder = std::filesystem::temp_directory_path() / "attnscope_heads_csv_test";
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  gui::AppContext context(gui::defaultScene());
  try {
    gui::exportData(context, "model", folder.string());
    ADD_FAILURE() << "expected InputError without a run";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("the model explorer has no run to export"), std::string::npos) << e.what();
  }
  gui::ModelRequest request;
  request.path = kModel;
  request.prompt = kPrompt;
  context.modelSession().runNow(request);
  ASSERT_TRUE(context.modelSession().poll());
  const gui::ModelResult& result = *context.modelSession().result();
  context.resetScene(gui::sceneForHead(gui::defaultScene(), result, kLayer, kHead, 3, false), "head");
  context.refreshDerived();
  const std::vector<std::string> written = gui::exportData(context, "model", folder.string());
  ASSERT_EQ(written, std::vector<std::string>{(folder / "heads.csv").string()});

  const std::string cliCsv = (folder / "cli.csv").string();
  const std::string command = std::string("'") + ATTNSCOPE_CLI + "' model heads '" + kModel + "' --prompt '" + kPrompt +
                              "' --csv '" + cliCsv + "' > /dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  auto read = [](const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  };
  const std::string app = read(folder / "heads.csv"), cli = read(cliCsv);
  EXPECT_EQ(app, cli);
  // Not two empty tables: the header, then 5 x 8 heads with every statistic measured (induction and divergence too).
  std::istringstream lines(app);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "layer,head,sink,prev_token,induction,distance,entropy,q_norm,k_norm,divergence,sink_head");
  int rows = 0;
  while (std::getline(lines, line)) {
    ++rows;
    EXPECT_EQ(line.find(",,"), std::string::npos) << line;
  }
  EXPECT_EQ(rows, 40);
  std::filesystem::remove_all(folder);
}

TEST(ModelSession, CancelKeepsThePreviousResult) {
  const gui::ModelResult& before = storiesResult();
  gui::ModelSession session;
  gui::ModelRequest request;
  request.path = kModel;
  request.prompt = kPrompt;
  ASSERT_TRUE(session.start(request));
  session.cancel();
  while (session.busy()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const bool arrived = session.poll();
  // Either the cancel landed ("cancelled", no result) or the run had already finished: never a half result.
  if (!arrived) {
    EXPECT_EQ(session.takeError(), "cancelled");
    EXPECT_EQ(session.result(), nullptr);
  } else {
    EXPECT_EQ(session.result()->capture.tokens, before.capture.tokens);
  }
  // A broken path reports the file and keeps nothing half-loaded.
  gui::ModelRequest bad;
  bad.path = "/nonexistent/model.bin";
  ASSERT_TRUE(session.start(bad));
  while (session.busy()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_FALSE(session.poll());
  EXPECT_NE(session.takeError().find("/nonexistent/model.bin"), std::string::npos);
}

TEST(ModelSession, DroppedModelStartsARunAndOpensTheExplorer) {
  gui::AppContext context(gui::defaultScene());
  EXPECT_FALSE(gui::openDroppedModel(context, "/tmp/scene.json"));  // scenes stay with the window
  EXPECT_FALSE(gui::openDroppedModel(context, "/tmp/picture.png"));
  ASSERT_TRUE(gui::openDroppedModel(context, kModel));
  context.endFrame();
  EXPECT_TRUE(context.scene().isViewOpen(gui::ViewKind::Model));
  gui::ModelSession& session = context.modelSession();  // the context's own session ran it
  while (session.busy()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_TRUE(session.poll()) << session.takeError();
  EXPECT_EQ(session.result()->request.path, kModel);
  EXPECT_EQ(session.result()->request.prompt, "Once upon a time");
  EXPECT_GT(session.result()->capture.tokens, 3);
}

/// Nearest colour-map entry distance (max channel difference) of a pixel.
int distanceToColorMap(const std::uint8_t* pixel, ColorMap map) {
  int best = 255;
  for (int i = 0; i < 256; ++i) {
    const Rgb8 c = colorMapLookup(map, i / 255.0f);
    best = std::min(best, std::max({std::abs(c[0] - pixel[0]), std::abs(c[1] - pixel[1]), std::abs(c[2] - pixel[2])}));
  }
  return best;
}

TEST(ModelExplorerView, RendersThumbnailAndStatisticGridsHeadless) {
  render::HeadlessContext gl;
  const gui::ModelResult& result = storiesResult();
  gui::Scene scene = gui::sceneForHead(gui::defaultScene(), result, kLayer, kHead, 3, false);
  scene.openViews = {gui::ViewKind::Model};
  gui::AppContext context(scene);
  context.refreshDerived();
  gui::ExportOptions options;
  options.width = 1400;
  options.height = 900;
  options.view = "model";
  const render::Image image = gui::renderUiImage(context, options);
  EXPECT_TRUE(context.takeErrors().empty());
  const auto& probes = context.probes();
  for (const char* name : {"model/thumb/0/0", "model/thumb/4/7", "model/stat/2/3", "model/token/0"})
    ASSERT_TRUE(probes.count(name)) << name;

  // Every thumbnail centre is a colour-map colour (a texture, not the window background), and the 40 heads do not all
  // look the same.
  std::set<std::array<std::uint8_t, 3>> colours;
  for (int l = 0; l < 5; ++l)
    for (int h = 0; h < 8; ++h) {
      const auto& p = probes.at("model/thumb/" + std::to_string(l) + "/" + std::to_string(h));
      const std::uint8_t* px = image.pixel(int(p[0]), int(p[1]));
      EXPECT_LE(distanceToColorMap(px, ColorMap::Viridis), 2) << "thumbnail " << l << "/" << h;
      colours.insert({px[0], px[1], px[2]});
    }
  EXPECT_GT(colours.size(), 4u);

  // Statistic grid (CT by default): a point inside cell (2, 3), away from its centred number, has the colour of the
  // cell's value on the grid's min..max scale.
  const gui::HeadStatistics& stats = result.statistics;
  float lo = INFINITY, hi = -INFINITY;
  for (int l = 0; l < 5; ++l)
    for (int h = 0; h < 8; ++h) {
      lo = std::min(lo, float(stats.value(gui::HeadStatistic::Ct, l, h)));
      hi = std::max(hi, float(stats.value(gui::HeadStatistic::Ct, l, h)));
    }
  const auto& c = probes.at("model/stat/2/3");
  const float pitch = probes.at("model/stat/2/4")[0] - c[0];
  const float side = pitch - 3.0f;
  const std::uint8_t* px = image.pixel(int(c[0] - 0.4f * side), int(c[1] - 0.4f * side));
  const float t = (float(stats.value(gui::HeadStatistic::Ct, kLayer, kHead)) - lo) / (hi - lo);
  const Rgb8 expected = colorMapLookup(ColorMap::Viridis, t);
  for (int ch = 0; ch < 3; ++ch) EXPECT_NEAR(px[ch], expected[ch], 6) << "channel " << ch << " t = " << t;
}

}  // namespace
}  // namespace attnscope
