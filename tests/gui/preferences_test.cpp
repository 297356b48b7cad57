// Damaged preferences and demo files (issue 7): absurd numbers fall back or clamp instead of reaching get<int>()
// (undefined behaviour for 1e300), and a demo whose JSON holds 1e999 is a FileError naming the file.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "app/gui/demo.h"
#include "app/gui/preferences.h"
#include "core/error.h"

namespace attnscope::gui {
namespace {

namespace fs = std::filesystem;

class PreferencesFile : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = fs::temp_directory_path() / ("attnscope-prefs-" + std::to_string(::getpid()));
    fs::create_directories(folder_ / "attnscope");
    const char* old = std::getenv("XDG_CONFIG_HOME");
    if (old != nullptr) oldXdg_ = old;
    hadXdg_ = old != nullptr;
    setenv("XDG_CONFIG_HOME", folder_.c_str(), 1);
  }
  void TearDown() override {
    if (hadXdg_)
      setenv("XDG_CONFIG_HOME", oldXdg_.c_str(), 1);
    else
      unsetenv("XDG_CONFIG_HOME");
    fs::remove_all(folder_);
  }
  void write(const std::string& text) { std::ofstream(folder_ / "attnscope" / "preferences.json") << text; }

  fs::path folder_;
  std::string oldXdg_;
  bool hadXdg_ = false;
};

TEST_F(PreferencesFile, HugeAndNonNumericValuesClampOrFallBack) {
  const Preferences defaults;
  write(R"({"windowWidth": 1e300, "windowHeight": -1e300, "windowX": "left", "windowY": 12.7,
            "uiScaleMultiplier": 1e30, "lastFolder": "/tmp"})");
  const Preferences p = loadPreferences();
  EXPECT_EQ(p.windowWidth, 16384);         // clamped to the largest window we accept
  EXPECT_EQ(p.windowHeight, 240);          // clamped to the smallest
  EXPECT_EQ(p.windowX, defaults.windowX);  // not a number: default
  EXPECT_EQ(p.windowY, 12);                // whole part
  EXPECT_FLOAT_EQ(p.uiScaleMultiplier, 4.0f);
  EXPECT_EQ(p.lastFolder, "/tmp");
}

TEST_F(PreferencesFile, ValuesInRangeAreKept) {
  write(R"({"windowWidth": 900, "windowHeight": 700, "windowX": -20, "windowY": 30, "uiScaleMultiplier": 1.5})");
  const Preferences p = loadPreferences();
  EXPECT_EQ(p.windowWidth, 900);
  EXPECT_EQ(p.windowHeight, 700);
  EXPECT_EQ(p.windowX, -20);
  EXPECT_EQ(p.windowY, 30);
  EXPECT_FLOAT_EQ(p.uiScaleMultiplier, 1.5f);
}

TEST(DemoFile, NumberOverflowIsAFileErrorNamingTheFile) {
  const fs::path path = fs::temp_directory_path() / ("attnscope-demo-" + std::to_string(::getpid()) + ".json");
  std::ofstream(path) << R"({"format": "attnscope-demo", "title": "t", "steps": [], "x": 1e999})";
  try {
    loadDemoFile(path.string());
    ADD_FAILURE() << "1e999 was accepted";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find(path.string() + " is not valid JSON"), std::string::npos) << e.what();
  }
  fs::remove(path);
}

}  // namespace
}  // namespace attnscope::gui
