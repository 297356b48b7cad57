// No lost work without a display: atomic scene saves and PNG exports (temp + rename, checked through a hard link to
// the old file), and the autosave session's marker logic (crash = a child process that exits without finish()).
#include "app/gui/autosave.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/gui/scene_io.h"
#include "app/gui/shell.h"
#include "app/render/png_io.h"
#include "core/error.h"

namespace attnscope::gui {
namespace {

namespace fs = std::filesystem;

std::string readText(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

void writeText(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

/// Files in `folder` whose names start with '.' (the atomic writers' temporaries).
std::vector<std::string> hiddenFiles(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.path().filename().string().starts_with(".")) names.push_back(entry.path().filename().string());
  return names;
}

class TempFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/attnscope-autosave-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    folder_ = pattern;
  }
  void TearDown() override { fs::remove_all(folder_); }
  fs::path folder_;
};

/// A scene that differs from the default in a way a reader can see (one view open, key 0 moved).
Scene editedScene() {
  Scene scene = defaultScene();
  scene.openViews = {ViewKind::Maps};
  scene.keys(0, 0) = 0.25f;
  return scene;
}

// ---- atomic writes ------------------------------------------------------------------------------------------------

using AtomicWrite = TempFolder;

TEST_F(AtomicWrite, SceneSaveReplacesTheFileByRenameNotInPlace) {
  const fs::path path = folder_ / "scene.json", link = folder_ / "old-inode.json";
  writeText(path, "old contents\n");
  fs::create_hard_link(path, link);  // an in-place rewrite would change what the link shows
  saveSceneFile(path.string(), editedScene());
  EXPECT_EQ(readText(link), "old contents\n");
  EXPECT_EQ(readText(path), sceneToString(editedScene()));
  EXPECT_EQ(fs::hard_link_count(path), 1u);
  EXPECT_TRUE(hiddenFiles(folder_).empty());
}

TEST_F(AtomicWrite, FailedSceneSaveKeepsTheTargetAndLeavesNoTemporary) {
  const fs::path path = folder_ / "scene.json";
  fs::create_directory(path);  // rename(file, directory) fails after the temporary was written
  writeText(path / "inside.txt", "x");
  EXPECT_THROW(saveSceneFile(path.string(), editedScene()), FileError);
  EXPECT_EQ(readText(path / "inside.txt"), "x");
  EXPECT_TRUE(hiddenFiles(folder_).empty());
  try {
    saveSceneFile((folder_ / "missing" / "scene.json").string(), editedScene());
    FAIL() << "no error for a missing folder";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("missing/scene.json"), std::string::npos) << e.what();
  }
}

TEST_F(AtomicWrite, PngExportReplacesTheFileByRenameAndCarriesTheScene) {
  const fs::path path = folder_ / "export.png", link = folder_ / "old-inode.png";
  writeText(path, "old png\n");
  fs::create_hard_link(path, link);
  render::Image image;
  image.width = 3;
  image.height = 2;
  image.rgba.assign(3 * 2 * 4, 200);
  render::PngWriteOptions options;
  options.text[kPngSceneKey] = sceneToString(editedScene());
  render::writePngAtomic(path.string(), image, options);
  EXPECT_EQ(readText(link), "old png\n");
  EXPECT_EQ(sceneToString(loadSceneFile(path.string())), sceneToString(editedScene()));
  EXPECT_TRUE(hiddenFiles(folder_).empty());

  fs::remove(path);
  fs::create_directory(path);
  EXPECT_THROW(render::writePngAtomic(path.string(), image, options), FileError);
  EXPECT_TRUE(hiddenFiles(folder_).empty());
}

// ---- autosave session ---------------------------------------------------------------------------------------------

class Autosave : public TempFolder {
 protected:
  AutosaveOptions options(RestorePolicy policy = RestorePolicy::Ask) const {
    AutosaveOptions o;
    o.folder = folder_.string();
    o.intervalSeconds = 30.0;
    o.restore = policy;
    return o;
  }
  /// A session in a child process that applies `edit`, autosaves, and dies without finish() (like kill -9; the
  /// kernel drops its flock). Returns after the child exited.
  void crashAfterAutosave(const Scene& edit, const std::string& scenePath = "") {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      AppContext context(defaultScene());
      ShellState shell;
      AutosaveSession session(options());
      session.tick(context, shell, 0.0);  // the start scene is not saved
      context.submit(edit, "edit");
      context.endFrame();
      shell.scenePath = scenePath;
      session.tick(context, shell, 1.0);
      _exit(session.enabled() && fs::exists(folder_ / "autosave.json") ? 0 : 3);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child session failed";
  }
};

TEST_F(Autosave, FreshFolderOffersNothingAndMarksTheSessionLive) {
  AutosaveSession session(options());
  ASSERT_TRUE(session.enabled()) << session.problem();
  EXPECT_FALSE(session.restorePending());
  EXPECT_EQ(session.markerPath(), (folder_ / "session.lock").string());
  EXPECT_EQ(session.autosavePath(), (folder_ / "autosave.json").string());
  EXPECT_TRUE(fs::exists(folder_ / "session.lock"));
}

TEST_F(Autosave, SavesOnlyChangedScenesAndAtMostOncePerInterval) {
  AppContext context(defaultScene());
  ShellState shell;
  AutosaveSession session(options());
  session.tick(context, shell, 0.0);
  EXPECT_FALSE(fs::exists(folder_ / "autosave.json")) << "the unchanged start scene was autosaved";
  context.submit(editedScene(), "edit");
  context.endFrame();
  session.tick(context, shell, 100.0);
  EXPECT_EQ(readText(folder_ / "autosave.json"), sceneToString(editedScene()));
  Scene again = editedScene();
  again.keys(0, 0) = 0.5f;
  context.submit(again, "edit 2");
  context.endFrame();
  session.tick(context, shell, 110.0);  // 10 s < 30 s: not yet
  EXPECT_EQ(readText(folder_ / "autosave.json"), sceneToString(editedScene()));
  session.tick(context, shell, 130.0);
  EXPECT_EQ(readText(folder_ / "autosave.json"), sceneToString(again));
  const nlohmann::json marker = nlohmann::json::parse(readText(folder_ / "session.lock"));
  EXPECT_EQ(marker.at("pid").get<long>(), static_cast<long>(getpid()));
  EXPECT_TRUE(marker.at("autosaved").get<bool>());
}

TEST_F(Autosave, CleanExitSavesTheLastStateAndRemovesTheMarker) {
  {
    AppContext context(defaultScene());
    ShellState shell;
    AutosaveSession session(options());
    session.tick(context, shell, 0.0);
    context.submit(editedScene(), "edit");
    context.endFrame();
    session.finish(context, shell);  // within the interval: finish() still saves
  }
  EXPECT_FALSE(fs::exists(folder_ / "session.lock"));
  EXPECT_EQ(readText(folder_ / "autosave.json"), sceneToString(editedScene()));
  AutosaveSession next(options());
  EXPECT_FALSE(next.restorePending()) << "a clean exit must not be offered for restore";
}

TEST_F(Autosave, CrashIsOfferedAndRestoresSceneAndFileName) {
  crashAfterAutosave(editedScene(), "/data/lesson.json");
  ASSERT_TRUE(fs::exists(folder_ / "session.lock"));
  AppContext context(defaultScene());
  ShellState shell;
  AutosaveSession session(options());
  ASSERT_TRUE(session.restorePending());
  EXPECT_EQ(session.autosavePath(), (folder_ / "autosave.json").string()) << "the crashed slot is reused";
  ASSERT_TRUE(session.restore(context, shell));
  context.endFrame();
  EXPECT_EQ(sceneToString(context.scene()), sceneToString(editedScene()));
  EXPECT_EQ(shell.scenePath, "/data/lesson.json");
  context.undo();  // the restore is one undoable step back to the start scene
  EXPECT_EQ(sceneToString(context.scene()), sceneToString(defaultScene()));
}

TEST_F(Autosave, UndecidedOfferSurvivesAnotherExitButDiscardEndsIt) {
  crashAfterAutosave(editedScene());
  {
    AppContext context(defaultScene());
    ShellState shell;
    AutosaveSession session(options());
    ASSERT_TRUE(session.restorePending());
    context.submit(defaultScene(), "unrelated edit");
    context.endFrame();
    session.tick(context, shell, 1000.0);  // no autosave may overwrite the pending one
    session.finish(context, shell);
  }
  EXPECT_EQ(readText(folder_ / "autosave.json"), sceneToString(editedScene()));
  {
    AppContext context(defaultScene());
    ShellState shell;
    AutosaveSession session(options());
    ASSERT_TRUE(session.restorePending()) << "quitting without a decision must keep the offer";
    session.discard();
    session.finish(context, shell);
  }
  AutosaveSession after(options());
  EXPECT_FALSE(after.restorePending());
}

TEST_F(Autosave, CrashBeforeAnyAutosaveOffersNothing) {
  writeText(folder_ / "autosave.json", sceneToString(editedScene()));  // left by an older, clean session
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    AutosaveSession session(options());
    _exit(session.enabled() ? 0 : 3);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  AutosaveSession session(options());
  EXPECT_FALSE(session.restorePending());
}

TEST_F(Autosave, TornMarkerStillCountsAsCrashed) {
  writeText(folder_ / "autosave.json", sceneToString(editedScene()));
  writeText(folder_ / "session.lock", "{\"pid\": 12");
  AutosaveSession session(options());
  EXPECT_TRUE(session.restorePending());
}

TEST_F(Autosave, NeverPolicyDoesNotOffer) {
  crashAfterAutosave(editedScene());
  AutosaveSession session(options(RestorePolicy::Never));
  EXPECT_TRUE(session.enabled());
  EXPECT_FALSE(session.restorePending());
}

TEST_F(Autosave, SecondLiveWindowTakesItsOwnSlot) {
  AutosaveSession first(options());
  AutosaveSession second(options());  // flock is per open file: the same process conflicts like another one
  ASSERT_TRUE(second.enabled()) << second.problem();
  EXPECT_EQ(second.autosavePath(), (folder_ / "autosave-1.json").string());
  EXPECT_FALSE(second.restorePending()) << "a live window's marker is not a crash";
}

TEST_F(Autosave, CorruptAutosaveIsReportedAndTheSceneStays) {
  crashAfterAutosave(editedScene());
  writeText(folder_ / "autosave.json", "{ not json");
  AppContext context(defaultScene());
  ShellState shell;
  AutosaveSession session(options());
  ASSERT_TRUE(session.restorePending());
  EXPECT_FALSE(session.restore(context, shell));
  context.endFrame();
  EXPECT_EQ(sceneToString(context.scene()), sceneToString(defaultScene()));
  ASSERT_FALSE(shell.banners.empty());
  EXPECT_NE(shell.banners.back().text.find("autosave.json"), std::string::npos) << shell.banners.back().text;
  EXPECT_FALSE(session.restorePending());
}

TEST_F(Autosave, UnwritableFolderTurnsAutosaveOffWithAReason) {
  const fs::path file = folder_ / "not-a-folder";
  writeText(file, "x");
  AutosaveOptions o = options();
  o.folder = (file / "attnscope").string();
  AutosaveSession session(o);
  EXPECT_FALSE(session.enabled());
  EXPECT_NE(session.problem().find("not-a-folder"), std::string::npos) << session.problem();
}

}  // namespace
}  // namespace attnscope::gui
