// Export beyond PNG: the swept-key geometry (hand-checkable), CSV/.npy numbers equal to the core's results, SVG
// recording of real views (headless EGL), frame patterns and failures that leave nothing behind.
#include "app/gui/export_formats.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/gui/scene_io.h"
#include "app/plot/paint.h"
#include "app/render/egl_context.h"
#include "app/render/png_io.h"
#include "core/error.h"
#include "core/npy.h"

namespace attnscope::gui {
namespace {

namespace fs = std::filesystem;

fs::path freshFolder(const std::string& name) {
  const fs::path folder = fs::temp_directory_path() / ("attnscope-export-" + name + "-" + std::to_string(getpid()));
  fs::remove_all(folder);
  fs::create_directories(folder);
  return folder;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::vector<std::string>> readCsv(const fs::path& path) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(slurp(path));
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields;
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) fields.push_back(cell);
    rows.push_back(fields);
  }
  return rows;
}

Scene twoDScene(Vector query, Vector key) {
  Scene scene = defaultScene();
  scene.queries = query.transpose();
  scene.keys = key.transpose();
  scene.queryLabels = {"q"};
  scene.keyLabels = {"k"};
  scene.selectedQuery = scene.selectedKey = 0;
  scene.normalise();
  return scene;
}

Vector vec(std::initializer_list<float> values) {
  Vector v(static_cast<Eigen::Index>(values.size()));
  Eigen::Index i = 0;
  for (float x : values) v[i++] = x;
  return v;
}

TEST(SweptKey, TurnsInThePlaneOfQueryAndKeyKeepingTheNorm) {
  // q = (1, 0), k = (0, 2): e1 = (1, 0), e2 = (0, 1); |k| = 2.
  const Scene scene = twoDScene(vec({1, 0}), vec({0, 2}));
  const auto at = [&](double angle) { return Vector(sceneWithSweptKey(scene, angle).keys.row(0).transpose()); };
  EXPECT_NEAR(at(0)[0], 2.0f, 1e-6);
  EXPECT_NEAR(at(0)[1], 0.0f, 1e-6);
  EXPECT_NEAR(at(90)[0], 0.0f, 1e-6);
  EXPECT_NEAR(at(90)[1], 2.0f, 1e-6);
  EXPECT_NEAR(at(180)[0], -2.0f, 1e-6);
  EXPECT_NEAR(at(45)[0], std::sqrt(2.0f), 1e-6);
  EXPECT_NEAR(at(45)[1], std::sqrt(2.0f), 1e-6);
}

TEST(SweptKey, ParallelKeyUsesTheAxisLeastAlignedWithTheQuery) {
  // q = (3, 0, 0) and k = (-1, 0, 0) span no plane; y is the first axis least aligned with q, so 90 deg -> (0, 1, 0).
  Scene scene = twoDScene(vec({3, 0, 0}), vec({-1, 0, 0}));
  const Vector k = sceneWithSweptKey(scene, 90).keys.row(0).transpose();
  EXPECT_NEAR(k[0], 0.0f, 1e-6);
  EXPECT_NEAR(std::abs(k[1]) + std::abs(k[2]), 1.0f, 1e-6);
  EXPECT_NEAR(k.norm(), 1.0f, 1e-6);
  // A zero key stays zero at every angle (norm 0), never NaN.
  scene.keys.setZero();
  const Vector zero = sceneWithSweptKey(scene, 60).keys.row(0).transpose();
  EXPECT_TRUE(zero.allFinite());
  EXPECT_EQ(zero.norm(), 0.0f);
}

TEST(SweptKey, ZeroQueryIsRefused) {
  const Scene scene = twoDScene(vec({0, 0}), vec({1, 0}));
  EXPECT_THROW(sceneWithSweptKey(scene, 30), InputError);
}

TEST(DataExport, NumbersEqualTheCoreResults) {
  AppContext context(defaultScene());
  context.refreshDerived();
  const Derived& derived = context.derived();
  ASSERT_TRUE(derived.error.empty()) << derived.error;
  const fs::path folder = freshFolder("data");
  const auto written = exportData(context, "", folder.string());
  EXPECT_EQ(written.size(), 1u + 6u + 3u + 4u + 1u + 1u);

  const std::pair<const char*, const KernelResult*> kernels[] = {{"dpa", &derived.result(Kernel::Dpa)},
                                                                 {"ea", &derived.result(Kernel::Ea)},
                                                                 {"mgk", &derived.result(Kernel::Mgk)}};
  for (const auto& [name, result] : kernels) {
    const RowMatrix weights = readNpyMatrix(folder / (std::string("weights_") + name + ".npy"));
    ASSERT_EQ(weights.rows(), result->weights.rows());
    ASSERT_EQ(weights.cols(), result->weights.cols());
    EXPECT_EQ(weights, result->weights) << name;  // float32 written and read back bit for bit
    for (Eigen::Index i = 0; i < weights.rows(); ++i) EXPECT_NEAR(weights.row(i).sum(), 1.0f, 1e-5);
  }
  EXPECT_EQ(readNpyMatrix(folder / "density.npy"), derived.density.density);
  EXPECT_EQ(readNpyMatrix(folder / "ct_cost.npy"), derived.divergences.ctCost);

  const auto sweep = readCsv(folder / "sweep.csv");
  ASSERT_EQ(sweep.size(), static_cast<std::size_t>(derived.sweep.angleDegrees.size()) + 1);
  EXPECT_EQ(sweep[0][0], "angle_deg");
  for (std::size_t r = 1; r < sweep.size(); ++r) {
    ASSERT_EQ(sweep[r].size(), 7u);
    const Eigen::Index i = static_cast<Eigen::Index>(r - 1);
    // %.9g round-trips float32 exactly.
    EXPECT_EQ(std::stof(sweep[r][0]), derived.sweep.angleDegrees[i]);
    EXPECT_EQ(std::stof(sweep[r][1]), derived.sweep.weight(Kernel::Dpa)[i]);
    EXPECT_EQ(std::stof(sweep[r][3]), derived.sweep.weight(Kernel::Mgk)[i]);
    EXPECT_EQ(std::stof(sweep[r][5]), derived.sweep.score(Kernel::Ea)[i]);
  }
  EXPECT_EQ(std::stof(sweep[1][0]), 0.0f);
  EXPECT_EQ(std::stof(sweep.back()[0]), 180.0f);

  const auto divergences = readCsv(folder / "divergences.csv");
  ASSERT_EQ(divergences.size(), 9u);
  EXPECT_EQ(divergences[1][0], "ct");
  EXPECT_EQ(std::stof(divergences[1][1]), derived.divergences.ct);
  EXPECT_EQ(divergences[6][0], "sinkhorn");
  EXPECT_EQ(std::stof(divergences[6][1]), derived.divergences.sinkhorn);

  const auto vectors = readCsv(folder / "vectors.csv");
  const Scene& scene = context.scene();
  ASSERT_EQ(vectors.size(), static_cast<std::size_t>(1 + scene.queryCount() + scene.keyCount()));
  EXPECT_EQ(vectors[1][0], "query");
  EXPECT_EQ(std::stof(vectors[1][5]), scene.queries(0, 0));
  EXPECT_EQ(vectors.back()[0], "key");

  const auto selected = readCsv(folder / "selected_query_weights.csv");
  ASSERT_EQ(selected.size(), static_cast<std::size_t>(1 + scene.keyCount()));
  EXPECT_EQ(std::stof(selected[1][3]), derived.result(Kernel::Ea).weights(scene.selectedQuery, 0));
  fs::remove_all(folder);
}

TEST(DataExport, ShownKernelsDecideTheColumnsAndFiles) {
  // DPA, the pure EA and the hard MGK only: their weights files and columns, named after the kernel, and nothing of
  // the hidden kernels.
  Scene scene = defaultScene();
  scene.display.shownKernels = {Kernel::Dpa, Kernel::EaPure, Kernel::MgkHard};
  AppContext context(scene);
  context.refreshDerived();
  const Derived& derived = context.derived();
  ASSERT_TRUE(derived.error.empty()) << derived.error;
  const fs::path folder = freshFolder("subset");
  exportData(context, "", folder.string());
  EXPECT_EQ(readNpyMatrix(folder / "weights_ea_pure.npy"), derived.result(Kernel::EaPure).weights);
  EXPECT_EQ(readNpyMatrix(folder / "weights_mgk_hard.npy"), derived.result(Kernel::MgkHard).weights);
  EXPECT_FALSE(fs::exists(folder / "weights_ea.npy"));
  EXPECT_FALSE(fs::exists(folder / "weights_mgk.npy"));
  const auto sweep = readCsv(folder / "sweep.csv");
  EXPECT_EQ(sweep[0], (std::vector<std::string>{"angle_deg", "dpa_weight", "ea_pure_weight", "mgk_hard_weight",
                                                "dpa_score", "ea_pure_score", "mgk_hard_score"}));
  const auto selected = readCsv(folder / "selected_query_weights.csv");
  EXPECT_EQ(selected[0], (std::vector<std::string>{"key", "label", "dpa_weight", "ea_pure_weight", "mgk_hard_weight"}));
  EXPECT_EQ(std::stof(selected[2][4]), derived.result(Kernel::MgkHard).weights(scene.selectedQuery, 1));
  fs::remove_all(folder);
}

TEST(DataExport, OneViewWritesOnlyItsFiles) {
  AppContext context(defaultScene());
  context.refreshDerived();
  const fs::path folder = freshFolder("one");
  const auto written = exportData(context, "sweep", folder.string());
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(fs::path(written[0]).filename(), "sweep.csv");
  EXPECT_THROW(exportData(context, "no-such-view", folder.string()), InputError);
  fs::remove_all(folder);
}

TEST(DataExport, MissingOrUnwritableFolderFailsAndWritesNothing) {
  AppContext context(defaultScene());
  context.refreshDerived();
  const fs::path folder = freshFolder("fail");
  try {
    exportData(context, "", (folder / "missing").string());
    FAIL() << "a missing folder was accepted";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find((folder / "missing").string()), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(folder / "missing"));
  // Tests run as root: a "folder" below a regular file cannot be written by anyone.
  std::ofstream(folder / "plain-file") << "x";
  EXPECT_THROW(exportData(context, "", (folder / "plain-file" / "sub").string()), FileError);
  EXPECT_THROW(exportData(context, "", "/proc/attnscope-data"), FileError);
  EXPECT_EQ(std::distance(fs::directory_iterator(folder), fs::directory_iterator{}), 1);
  fs::remove_all(folder);
}

class HeadlessExport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { gl_ = new render::HeadlessContext(); }
  static void TearDownTestSuite() {
    delete gl_;
    gl_ = nullptr;
  }
  static render::HeadlessContext* gl_;
};
render::HeadlessContext* HeadlessExport::gl_ = nullptr;

TEST_F(HeadlessExport, SvgOfTheSweepHoldsVectorsAndText) {
  AppContext context(defaultScene());
  context.refreshDerived();
  const fs::path folder = freshFolder("svg");
  ExportOptions options;
  options.view = "sweep";
  options.width = 900;
  options.height = 600;
  exportSvg(context, options, (folder / "sweep.svg").string());
  const std::string svg = slurp(folder / "sweep.svg");
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("viewBox=\"0 0 900 600\""), std::string::npos);
  EXPECT_NE(svg.find(">parallel</text>"), std::string::npos);
  EXPECT_NE(svg.find(">antiparallel</text>"), std::string::npos);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_NE(svg.find("clip-path=\"url(#clip0)\""), std::string::npos);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  // Only the last of the export's settling frames is kept: the weight and the score plots each label the 0 degree
  // marker "parallel" once, so a document holding more than one frame would have 4 or 6.
  std::size_t labels = 0;
  for (std::size_t at = svg.find(">parallel</text>"); at != std::string::npos;
       at = svg.find(">parallel</text>", at + 1))
    ++labels;
  EXPECT_EQ(labels, 2u);
  // No sink is left installed: the window's drawing stays drawing only.
  EXPECT_EQ(plot::activeVectorSink(), nullptr);
  fs::remove_all(folder);
}

TEST_F(HeadlessExport, SvgRefusesHeatmapViewsAndTheWholeWindow) {
  AppContext context(defaultScene());
  context.refreshDerived();
  const fs::path folder = freshFolder("svg-refuse");
  ExportOptions options;
  EXPECT_THROW(exportSvg(context, options, (folder / "all.svg").string()), InputError);
  options.view = "maps";
  EXPECT_THROW(exportSvg(context, options, (folder / "maps.svg").string()), InputError);
  options.view = "canvas";
  EXPECT_THROW(exportSvg(context, options, (folder / "missing" / "c.svg").string()), FileError);
  EXPECT_TRUE(fs::is_empty(folder));
  fs::remove_all(folder);
}

TEST_F(HeadlessExport, SweepFramesCarryTheRotatedScene) {
  const fs::path folder = freshFolder("frames");
  ExportOptions options;
  options.view = "canvas";
  options.width = 200;
  options.height = 160;
  const Scene scene = defaultScene();
  const auto paths = exportSweepFrames(scene, options, 3, (folder / "f_%02d.png").string());
  ASSERT_EQ(paths.size(), 3u);
  EXPECT_EQ(fs::path(paths[2]).filename(), "f_02.png");
  for (int f = 0; f < 3; ++f) {
    const render::PngFile png = render::readPng(paths[f]);
    EXPECT_EQ(png.image.width, 200);
    const Scene frame = sceneFromString(png.text.at(kPngSceneKey), paths[f], nullptr);
    const Vector expected = sceneWithSweptKey(scene, 90.0 * f).keys.row(scene.selectedKey).transpose();
    const Vector actual = frame.keys.row(scene.selectedKey).transpose();
    EXPECT_LT((expected - actual).norm(), 1e-5f) << "frame " << f;
  }
  // Frame 1 of 3 is at 90 degrees: the key is orthogonal to the query.
  const Scene middle = sceneFromString(render::readPng(paths[1]).text.at(kPngSceneKey), paths[1], nullptr);
  EXPECT_NEAR(middle.keys.row(scene.selectedKey).dot(middle.queries.row(scene.selectedQuery)), 0.0f, 1e-5f);
  EXPECT_THROW(exportSweepFrames(scene, options, 3, (folder / "no_number.png").string()), InputError);
  EXPECT_THROW(exportSweepFrames(scene, options, 3, (folder / "f_%s.png").string()), InputError);
  EXPECT_THROW(exportSweepFrames(scene, options, 3, (folder / "f_%d_%d.png").string()), InputError);
  EXPECT_THROW(exportSweepFrames(scene, options, 1, (folder / "f_%d.png").string()), InputError);
  fs::remove_all(folder);
}

}  // namespace
}  // namespace attnscope::gui
