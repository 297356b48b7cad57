// Truth in teaching (issue 6): every claim of every demo step holds when its scene is computed with the core, every
// {placeholder} of a text names a claim and every claim is cited, plus hand-checked animation and loader behaviour.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>

#include "app/gui/demo.h"
#include "app/gui/workspaces.h"
#include "core/error.h"

namespace attnscope::gui {
namespace {

const std::string kDemoDir = std::string(ATTNSCOPE_SOURCE_DIR) + "/assets/demos";

TEST(DemoClaims, ShipsAtLeastSixDemosOfThreeToEightSteps) {
  const auto names = listDemos(kDemoDir);
  EXPECT_GE(names.size(), 6u);
  for (const auto& name : names) {
    const Demo demo = loadDemoFile(kDemoDir + "/" + name + ".json");
    EXPECT_GE(demo.steps.size(), 3u) << name;
    EXPECT_LE(demo.steps.size(), 8u) << name;
  }
}

TEST(DemoClaims, EveryClaimHoldsAndEveryNumberIsCited) {
  for (const auto& name : listDemos(kDemoDir)) {
    const Demo demo = loadDemoFile(kDemoDir + "/" + name + ".json");
    for (std::size_t k = 0; k < demo.steps.size(); ++k) {
      const DemoStep& step = demo.steps[k];
      SCOPED_TRACE(name + " step " + std::to_string(k + 1) + " (" + step.title + ")");
      Derived derived;
      computeDerived(step.scene, 1, derived);
      ASSERT_TRUE(derived.error.empty()) << derived.error;
      std::set<std::string> ids;
      for (const DemoClaim& claim : step.claims) {
        const double value = evaluateClaim(claim, step.scene, derived);
        EXPECT_TRUE(claimHolds(claim, value)) << "claim " << claim.id << ": " << claim.metric << " = " << value
                                              << ", expected " << claim.comparison << " " << claim.value;
        EXPECT_NE(step.text.find("{" + claim.id + "}"), std::string::npos) << "claim " << claim.id << " not cited";
        ids.insert(claim.id);
      }
      const std::regex placeholder(R"(\{([A-Za-z0-9_-]+)\})");
      for (std::sregex_iterator it(step.text.begin(), step.text.end(), placeholder), end; it != end; ++it)
        EXPECT_TRUE(ids.count((*it)[1].str())) << "text cites {" << (*it)[1].str() << "} but no such claim";
      const std::string rendered = renderStepText(step, derived);
      EXPECT_EQ(rendered.find('{'), std::string::npos) << rendered;
      EXPECT_EQ(rendered.find('?'), std::string::npos) << rendered;
    }
  }
}

TEST(DemoClaims, HandCheckedDotProductWeights) {
  // Demo 1 step 1: q = (1, 0), unit keys at 0, 90, 180 degrees, s = 1/sqrt(2): weights are
  // e^{0.7071} : 1 : e^{-0.7071} = 2.0281 : 1 : 0.4931 (sum 3.5212), i.e. 0.5760, 0.2840, 0.1400.
  const Demo demo = loadDemoFile(kDemoDir + "/1-dot-product.json");
  Derived derived;
  computeDerived(demo.steps[0].scene, 1, derived);
  EXPECT_NEAR(derived.result(Kernel::Dpa).weights(0, 0), 0.5760, 1e-4);
  EXPECT_NEAR(derived.result(Kernel::Dpa).weights(0, 1), 0.2840, 1e-4);
  EXPECT_NEAR(derived.result(Kernel::Dpa).weights(0, 2), 0.1400, 1e-4);
  EXPECT_EQ(renderStepText(demo.steps[0], derived).find("0.576") != std::string::npos, true);
}

TEST(DemoAnimation, RotateKeyKeepsNormAndReachesTheEndAngle) {
  Scene scene = defaultScene();
  DemoAnimation a;
  a.kind = "rotateKey";
  a.index = 3;  // the long key (1.6, 0.2)
  a.fromDegrees = 0;
  a.toDegrees = 180;
  a.seconds = 4;
  a.loop = false;
  const float norm = scene.keys.row(3).norm();
  const Scene half = animatedScene(scene, a, 2.0);  // 90 degrees
  EXPECT_NEAR(half.keys(3, 0), 0.0f, 1e-5f);
  EXPECT_NEAR(half.keys(3, 1), norm, 1e-5f);
  const Scene end = animatedScene(scene, a, 100.0);  // held at 180 degrees
  EXPECT_NEAR(end.keys(3, 0), -norm, 1e-5f);
  EXPECT_EQ(end.keys.row(0), scene.keys.row(0));  // other keys untouched
  a.loop = true;
  EXPECT_NEAR(animatedScene(scene, a, 5.0).keys(3, 1), norm * std::sin(std::acos(-1.0f) / 4), 1e-5f);  // 45 deg
}

TEST(DemoAnimation, TranslateQueriesMovesEveryQueryLinearly) {
  Scene scene = defaultScene();
  DemoAnimation a;
  a.kind = "translateQueries";
  a.by = {1.0f, -2.0f};
  a.seconds = 8;
  const Scene quarter = animatedScene(scene, a, 2.0);
  EXPECT_NEAR(quarter.queries(1, 0), scene.queries(1, 0) + 0.25f, 1e-6f);
  EXPECT_NEAR(quarter.queries(1, 1), scene.queries(1, 1) - 0.5f, 1e-6f);
}

TEST(DemoLoader, RejectsBadFilesWithTheFileName) {
  const std::string path = testing::TempDir() + "/bad-demo.json";
  std::ofstream(path) << R"({"format": "attnscope-demo", "title": "x", "steps": []})";
  try {
    loadDemoFile(path);
    FAIL() << "expected FileError";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("bad-demo.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("3 to 8"), std::string::npos) << e.what();
  }
  DemoClaim claim;
  claim.id = "x";
  claim.metric = "nonsense";
  Derived derived;
  EXPECT_THROW(evaluateClaim(claim, defaultScene(), derived), InputError);
}

// Each step names the workspace it is shown in (issue 13): the step's scene carries it, so entering the step switches
// the tab, and every step's views have a place in that workspace's tiling (none falls into the extra bottom row).
TEST(DemoLoader, EveryStepNamesAWorkspaceThatPlacesItsViews) {
  for (const auto& name : listDemos(kDemoDir)) {
    const Demo demo = loadDemoFile(kDemoDir + "/" + name + ".json");
    for (std::size_t i = 0; i < demo.steps.size(); ++i) {
      const DemoStep& step = demo.steps[i];
      ASSERT_TRUE(step.workspace.has_value()) << name << " step " << i + 1;
      EXPECT_EQ(step.scene.workspace, step.workspace);
      EXPECT_EQ(workspaceOf(step.scene).kind, *step.workspace);
      for (ViewKind view : step.scene.openViews) {
        bool named = false;
        for (const WorkspaceRow& row : workspaceOf(step.scene).rows)
          for (const WorkspaceColumn& column : row.columns)
            for (const WorkspaceSlot& slot : column.slots) named = named || view == slot.view;
        EXPECT_TRUE(named) << name << " step " << i + 1 << ": " << viewInfo(view).id << " has no place in "
                           << workspaceName(*step.workspace);
      }
    }
  }
}

TEST(DemoLoader, AnUnknownWorkspaceIsRefusedNamingTheFileTheStepAndTheWorkspaces) {
  const std::string source = kDemoDir + "/1-dot-product.json";
  std::ifstream in(source);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string field = "\"workspace\": \"playground\"";
  const std::size_t at = text.find(field, text.find(field) + 1);  // the second step's
  ASSERT_NE(at, std::string::npos);
  text.replace(at, field.size(), "\"workspace\": \"gallery\"");
  const std::string path = testing::TempDir() + "/bad-workspace.json";
  std::ofstream(path) << text;
  try {
    loadDemoFile(path);
    FAIL() << "expected FileError";
  } catch (const FileError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("bad-workspace.json, step 2: workspace: no workspace named \"gallery\""), std::string::npos)
        << message;
    EXPECT_NE(message.find("playground, densities, model"), std::string::npos) << message;
  }
}

TEST(DemoClaims, ComparisonsAreStrictWhereTheySaySo) {
  DemoClaim c;
  c.comparison = "gt";
  c.value = 0.2;
  EXPECT_FALSE(claimHolds(c, 0.2));
  EXPECT_TRUE(claimHolds(c, 0.2001));
  c.comparison = "eq";
  c.tolerance = 0.0;
  EXPECT_TRUE(claimHolds(c, 0.2));
  EXPECT_FALSE(claimHolds(c, std::nan("")));
}

}  // namespace
}  // namespace attnscope::gui
