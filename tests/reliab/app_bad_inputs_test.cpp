// Every row of tests/bad_inputs.md whose input the app opens, opened in the app the way File > Open and drag and drop
// do (gui::openPath): the banner shows exactly the row's "app" message, and the document is unchanged except that a
// model path opens the model explorer (where the user watches the load and its error).
// Inputs and the manifest come from `bad_inputs.py --app-cases DIR` (a CTest fixture); argv[1] is the manifest.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "app/gui/app_state.h"
#include "app/gui/model_session.h"
#include "app/gui/scene_io.h"
#include "app/gui/shell.h"

namespace attnscope {
namespace {

std::string gManifest;  // set by main()

struct AppCase {
  std::string id, input, environment, message;
};

std::vector<AppCase> readManifest() {
  std::ifstream in(gManifest);
  std::vector<AppCase> cases;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::stringstream fields(line);
    for (std::string cell; std::getline(fields, cell, '\t');) cells.push_back(cell);
    if (cells.size() != 4) throw std::runtime_error(gManifest + ": expected 4 tab-separated cells: " + line);
    cases.push_back({cells[0], cells[1], cells[2], cells[3]});
  }
  return cases;
}

/// The document without the list of open views (opening a model opens the explorer so its error can be read there;
/// the test checks that separately).
// The scene minus its layout: a model path opens the explorer, in the Model workspace, even when loading fails (the
// explorer shows why), so which views are open and the workspace they sit in are not part of the comparison.
std::string documentText(const gui::Scene& scene) {
  gui::Scene copy = scene;
  copy.openViews.clear();
  copy.workspace = gui::Scene().workspace;
  return gui::sceneToString(copy);
}

/// Sets an environment variable for one case and puts the previous value back afterwards.
class ScopedEnvironment {
 public:
  explicit ScopedEnvironment(const std::string& assignment) {
    if (assignment == "-") return;
    const std::size_t equals = assignment.find('=');
    name_ = assignment.substr(0, equals);
    if (const char* old = std::getenv(name_.c_str())) previous_ = old;
    ::setenv(name_.c_str(), assignment.substr(equals + 1).c_str(), 1);
  }
  ~ScopedEnvironment() {
    if (name_.empty()) return;
    if (previous_)
      ::setenv(name_.c_str(), previous_->c_str(), 1);
    else
      ::unsetenv(name_.c_str());
  }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  std::string name_;
  std::optional<std::string> previous_;
};

/// Opens `c.input` in a fresh app state and returns the banners the user would see.
std::vector<std::string> openInApp(const AppCase& c, gui::AppContext& context) {
  gui::ShellState shell;
  gui::openPath(context, shell, std::filesystem::path(c.input).filename().string());
  gui::ModelSession& session = context.modelSession();
  while (session.busy()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_FALSE(session.poll()) << "the bad model loaded";
  // What the model explorer does every frame (syncWithScene): a finished job's error goes to the banner.
  if (std::string error = session.takeError(); !error.empty()) context.reportError(error);
  context.endFrame();
  for (std::string& error : context.takeErrors()) shell.showError(std::move(error));
  std::vector<std::string> texts;
  for (const auto& banner : shell.banners) texts.push_back(banner.text);
  return texts;
}

TEST(AppBadInputs, EveryRowTheAppOpensShowsItsMessageAndKeepsTheScene) {
  ASSERT_FALSE(gManifest.empty()) << "usage: app_bad_inputs_tests MANIFEST.tsv";
  const std::vector<AppCase> cases = readManifest();
  ASSERT_GE(cases.size(), 30u) << "the manifest lost rows";
  const std::filesystem::path start = std::filesystem::current_path();
  for (const AppCase& c : cases) {
    SCOPED_TRACE(c.id);
    // Rows run in their case folder with relative names, as the command-line rows do, so messages match the table.
    std::filesystem::current_path(std::filesystem::path(c.input).parent_path());
    gui::AppContext context(gui::defaultScene());
    const std::string before = documentText(context.scene());
    std::vector<std::string> banners;
    {
      const ScopedEnvironment environment(c.environment);
      banners = openInApp(c, context);
    }
    std::filesystem::current_path(start);
    const bool isModel = gui::isModelPath(c.input);
    EXPECT_EQ(context.scene().isViewOpen(gui::ViewKind::Model),
              isModel || gui::defaultScene().isViewOpen(gui::ViewKind::Model))
        << "a model path opens the explorer; a scene file does not";

    EXPECT_EQ(banners.size(), 1u) << "expected one error banner";
    const std::string shown = banners.empty() ? std::string("(no banner)") : banners.front();
    EXPECT_EQ(shown, c.message) << "app message of " << c.id << ":\n" << shown;
    EXPECT_EQ(documentText(context.scene()), before) << "the failed open changed the scene";
  }
}

}  // namespace
}  // namespace attnscope

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc > 1) attnscope::gManifest = argv[1];
  return RUN_ALL_TESTS();
}
