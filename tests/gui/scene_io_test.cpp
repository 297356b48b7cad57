// Scene files (app/gui/scene_io.cpp): round trip, unknown fields, newer versions, corrupt input.
#include "app/gui/scene_io.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace attnscope::gui {
namespace {

TEST(SceneIo, RoundTripKeepsEveryField) {
  Scene scene = defaultScene();
  scene.kernel.useScaleOverride = true;
  scene.kernel.scaleOverride = 0.3f;
  scene.kernel.eaForm = ExpressiveForm::Pure;
  scene.display.showMgkVariant(true);
  scene.kernel.mgkCentres = MgkCentres::PerKeyOffsets;
  scene.kernel.mgkPriors(2, 1) = 0.125f;
  scene.divergence.ctCost = TransportCost::OneMinusCos;
  scene.display.colorMap = ColorMap::Magma;
  scene.selectedKey = 3;
  scene.openViews = {ViewKind::Maps};
  const Scene back = sceneFromString(sceneToString(scene), "test", nullptr);
  EXPECT_EQ(sceneToString(back), sceneToString(scene));
  EXPECT_TRUE(back.keys.isApprox(scene.keys));
  EXPECT_EQ(back.kernel.eaForm, ExpressiveForm::Pure);
  EXPECT_TRUE(back.display.mgkHard());
  EXPECT_FLOAT_EQ(back.kernel.mgkPriors(2, 1), 0.125f);
  EXPECT_EQ(back.display.colorMap, ColorMap::Magma);
}

TEST(SceneIo, UnknownFieldsAreWarnedNotFatal) {
  nlohmann::json json = sceneToJson(defaultScene());
  json["camera"] = 3;
  json["kernel"]["temperature"] = 1;
  std::vector<std::string> warnings;
  EXPECT_NO_THROW(sceneFromString(json.dump(), "a.json", &warnings));
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("kernel.temperature"), std::string::npos);
  EXPECT_NE(warnings[1].find("camera"), std::string::npos);
}

// Workspaces are an enum in the app and a name in the file (issue 13): every kind round-trips under its name, and a
// name this build does not know is warned about and dropped, so the open views choose the workspace (workspaceOf).
TEST(SceneIo, WorkspacesAreStoredByNameAndAnUnknownOneIsWarnedAndInferred) {
  for (const auto& [kind, name] : kWorkspaceNames) {
    Scene scene = defaultScene();
    scene.workspace = kind;
    const nlohmann::json json = sceneToJson(scene);
    EXPECT_EQ(json.at("workspace"), std::string(name));
    std::vector<std::string> warnings;
    EXPECT_EQ(sceneFromString(json.dump(), "a.json", &warnings).workspace, kind);
    EXPECT_TRUE(warnings.empty());
  }
  Scene scene = defaultScene();
  scene.openViews = {ViewKind::LongMap};
  nlohmann::json json = sceneToJson(scene);
  json["workspace"] = "gallery";
  std::vector<std::string> warnings;
  const Scene back = sceneFromString(json.dump(), "a.json", &warnings);
  EXPECT_FALSE(back.workspace.has_value());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("workspace: unknown workspace \"gallery\" ignored"), std::string::npos) << warnings[0];
  // A scene without the field (saved before workspaces existed) writes none back either.
  scene.workspace.reset();
  EXPECT_FALSE(sceneToJson(scene).contains("workspace"));
}

TEST(SceneIo, ViewsAreStoredByNameAndAViewOfANewerBuildIsWarnedAndLeftOut) {
  Scene scene = defaultScene();
  scene.openViews = {ViewKind::LongMap, ViewKind::Density};
  nlohmann::json json = sceneToJson(scene);
  EXPECT_EQ(json["views"], (nlohmann::json{"longmap", "density"}));  // opening order kept
  json["views"] = {"density", "hologram", "density", "canvas"};
  std::vector<std::string> warnings;
  const Scene back = sceneFromString(json.dump(), "views.json", &warnings);
  EXPECT_EQ(back.openViews, (std::vector<ViewKind>{ViewKind::Density, ViewKind::Canvas}));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("unknown view \"hologram\" ignored"), std::string::npos) << warnings[0];
}

TEST(SceneIo, NewerVersionIsRefusedWithAClearMessage) {
  nlohmann::json json = sceneToJson(defaultScene());
  json["version"] = kSceneFormatVersion + 1;
  try {
    sceneFromString(json.dump(), "future.json", nullptr);
    FAIL() << "expected FileError";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("future.json"), std::string::npos);
  }
}

TEST(SceneIo, CorruptOrInconsistentFilesThrowFileError) {
  EXPECT_THROW(sceneFromString("{\"format\": \"attnscope-scene\", ", "cut.json", nullptr), FileError);
  nlohmann::json json = sceneToJson(defaultScene());
  json["kernel"]["mgk"]["priors"] = {{0.5, 0.5}};  // 1 row for 4 keys
  EXPECT_THROW(sceneFromString(json.dump(), "bad.json", nullptr), FileError);
  json = sceneToJson(defaultScene());
  json["keys"][1][0] = "x";
  EXPECT_THROW(sceneFromString(json.dump(), "bad.json", nullptr), FileError);
  EXPECT_THROW(loadSceneFile("/nonexistent/scene.json"), FileError);
}

TEST(SceneIo, SaveIsAtomicAndLoadable) {
  const std::string path = (std::filesystem::temp_directory_path() / "attnscope_scene_io_test.json").string();
  saveSceneFile(path, defaultScene());
  EXPECT_EQ(sceneToString(loadSceneFile(path)), sceneToString(defaultScene()));
  std::filesystem::remove(path);
  EXPECT_THROW(saveSceneFile("/nonexistent-folder/x.json", defaultScene()), FileError);
  EXPECT_FALSE(std::filesystem::exists("/nonexistent-folder/x.json"));
}

TEST(SceneIo, ShownKernelsAndCosineTemperatureRoundTrip) {
  Scene scene = defaultScene();
  scene.display.setKernelShown(Kernel::Mlk, true);
  scene.display.setKernelShown(Kernel::Cosine, true);
  scene.kernel.cosineTemperature = 0.25f;
  const nlohmann::json json = sceneToJson(scene);
  EXPECT_EQ(json["display"]["kernels"], nlohmann::json({"dpa", "ea", "mgk", "mlk", "cosine"}));
  // The fields older readers know, written beside the list.
  EXPECT_EQ(json["display"]["sweepShowMlk"], true);
  EXPECT_EQ(json["display"]["sweepShowCosine"], true);
  EXPECT_EQ(json["kernel"]["cosineTemperature"], 0.25);
  const Scene back = sceneFromString(json.dump(), "test", nullptr);
  EXPECT_EQ(back.display.shownKernels,
            (std::vector<Kernel>{Kernel::Dpa, Kernel::Ea, Kernel::Mgk, Kernel::Mlk, Kernel::Cosine}));
  EXPECT_FLOAT_EQ(back.kernel.cosineTemperature, 0.25f);
}

TEST(SceneIo, EverySubsetOfTheSevenKernelsRoundTrips) {
  // All 127 non-empty subsets: the list survives save and load exactly, in kAllKernels order.
  for (unsigned mask = 1; mask < (1u << kAllKernels.size()); ++mask) {
    Scene scene = defaultScene();
    scene.display.shownKernels.clear();
    for (std::size_t k = 0; k < kAllKernels.size(); ++k)
      if (mask & (1u << k)) scene.display.shownKernels.push_back(kAllKernels[k]);
    const Scene back = sceneFromString(sceneToString(scene), "subset.json", nullptr);
    EXPECT_EQ(back.display.shownKernels, scene.display.shownKernels) << "mask " << mask;
  }
}

TEST(SceneIo, KernelListIsNormalisedOrRefusedWithTheValidNames) {
  nlohmann::json json = sceneToJson(defaultScene());
  json["display"]["kernels"] = {"cosine", "dpa", "cosine"};  // out of order, repeated: kAllKernels order, once each
  EXPECT_EQ(sceneFromString(json.dump(), "a.json", nullptr).display.shownKernels,
            (std::vector<Kernel>{Kernel::Dpa, Kernel::Cosine}));
  json["display"]["kernels"] = {"dpa", "softmax"};
  try {
    sceneFromString(json.dump(), "bad-kernel.json", nullptr);
    FAIL() << "expected FileError";
  } catch (const FileError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("bad-kernel.json"), std::string::npos) << message;
    EXPECT_NE(message.find("display.kernels: \"softmax\" is not one of dpa, ea, ea-pure, mgk, mgk-hard, mlk, cosine"),
              std::string::npos)
        << message;
  }
  json["display"]["kernels"] = nlohmann::json::array();
  EXPECT_THROW(sceneFromString(json.dump(), "none.json", nullptr), FileError);
}

TEST(SceneIo, FilesBeforeTheKernelListShowWhatTheyShowed) {
  // A version-1 file from before display.kernels: the MGK variant and the sweep's MLK / cosine switches decide.
  nlohmann::json json = sceneToJson(defaultScene());
  json["display"].erase("kernels");
  json["kernel"]["mgk"]["variant"] = "hard";
  json["display"]["sweepShowMlk"] = true;
  json["display"]["sweepShowCosine"] = false;
  std::vector<std::string> warnings;
  const Scene scene = sceneFromString(json.dump(), "old.json", &warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(scene.display.shownKernels, (std::vector<Kernel>{Kernel::Dpa, Kernel::Ea, Kernel::MgkHard, Kernel::Mlk}));
  EXPECT_TRUE(scene.display.mgkHard());
  // With the list present the old fields are only read for older readers' sake and change nothing.
  json["display"]["kernels"] = {"dpa", "mgk"};
  EXPECT_EQ(sceneFromString(json.dump(), "new.json", nullptr).display.shownKernels,
            (std::vector<Kernel>{Kernel::Dpa, Kernel::Mgk}));
}

TEST(SceneIo, VersionOneFilesWithoutTheSweepSettingsLoadWithTheDefaults) {
  // Files written before the optional sweep kernels existed (same format version 1) have none of the fields.
  nlohmann::json json = sceneToJson(defaultScene());
  json["kernel"].erase("cosineTemperature");
  json["display"].erase("sweepShowMlk");
  json["display"].erase("sweepShowCosine");
  json["display"].erase("kernels");
  json["kernel"]["mgk"].erase("variant");
  std::vector<std::string> warnings;
  const Scene scene = sceneFromString(json.dump(), "old.json", &warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(scene.display.shownKernels, DisplayParams{}.shownKernels);
  EXPECT_FLOAT_EQ(scene.kernel.cosineTemperature, 0.1f);

  json["kernel"]["cosineTemperature"] = -1.0;
  try {
    sceneFromString(json.dump(), "bad-tau.json", nullptr);
    FAIL() << "expected FileError";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("cosine temperature"), std::string::npos) << e.what();
  }
}

TEST(SceneIo, DefaultSceneAssetMatchesTheBuiltInScene) {
  const Scene asset = loadSceneFile(std::string(ATTNSCOPE_SOURCE_DIR) + "/assets/default_scene.json");
  EXPECT_EQ(sceneToString(asset), sceneToString(defaultScene()));
}

// An .npz written by NumPy (tests/fuzz/make_seeds.py: q = [[1, 0], [0, 1], [0.6, 0.8]], k = [[1, 0], [-1, 0]]) opens
// as a new scene with those vectors and default parameters; a lone .npy is refused with a hint.
TEST(SceneIo, NpzWithQAndKOpensAsAScene) {
  const std::string path = std::string(ATTNSCOPE_SOURCE_DIR) + "/tests/fuzz/corpus/npz/valid_savez_compressed_qk.npz";
  const Scene scene = loadSceneFile(path);
  ASSERT_EQ(scene.queryCount(), 3);
  ASSERT_EQ(scene.keyCount(), 2);
  ASSERT_EQ(scene.dimension(), 2);
  EXPECT_EQ(scene.queries(2, 1), 0.8f);
  EXPECT_EQ(scene.keys(1, 0), -1.0f);
  EXPECT_EQ(scene.queryLabels.size(), 3u);
  EXPECT_EQ(scene.kernel.mgkComponents, defaultScene().kernel.mgkComponents);
  EXPECT_NO_THROW(scene.validate());
  try {
    (void)loadSceneFile("q.npy");
    FAIL() << "a .npy must be refused";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("q.npy: one .npy holds one matrix"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace attnscope::gui
