// Demo 7, "Train it yourself" (assets/demos/7-train-it-yourself.json, written by tools/make_train_demo.py from the
// checkpoints in assets/train_demo): every number of its text is recomputed here from an independent source, the
// checkpoint itself (architecture, steps, held-out accuracy re-evaluated), its claims (core, through the scene), or
// the task's definition; and each step's vectors are what its checkpoint computes on the step's tokens.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>

#include "app/gui/demo.h"
#include "core/train/checkpoint.h"
#include "core/train/probe.h"
#include "core/train/trainer.h"

namespace attnscope::gui {
namespace {

const std::string kRoot = ATTNSCOPE_SOURCE_DIR;

std::string fixed2(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", value);
  return text;
}

nlohmann::json attnscopeBlock(const std::string& folder) {
  std::ifstream in(folder + "/config.json");
  return nlohmann::json::parse(in).at("attnscope");
}

TEST(TrainDemo, EveryNumberInTheTextIsRecomputedFromTheCheckpointsOrTheClaims) {
  const Demo demo = loadDemoFile(kRoot + "/assets/demos/7-train-it-yourself.json");
  ASSERT_EQ(demo.steps.size(), 4u);
  std::ifstream commandsFile(kRoot + "/assets/train_demo/COMMANDS.md");
  const std::string commands((std::istreambuf_iterator<char>(commandsFile)), std::istreambuf_iterator<char>());
  for (std::size_t k = 0; k < demo.steps.size(); ++k) {
    const DemoStep& step = demo.steps[k];
    SCOPED_TRACE("step " + std::to_string(k + 1) + " (" + step.title + ")");
    Derived derived;
    computeDerived(step.scene, 1, derived);
    const std::string text = renderStepText(step, derived);
    std::set<std::string> expected;
    for (const DemoClaim& claim : step.claims) {
      const double value = evaluateClaim(claim, step.scene, derived);
      EXPECT_TRUE(claimHolds(claim, value)) << claim.id << " = " << value;
      char written[32];
      std::snprintf(written, sizeof written, "%.*f", claim.digits, value);
      expected.insert(written);
      // A threshold the text quotes ("above 0.5") is the claim's own bound, asserted by claimHolds.
      std::snprintf(written, sizeof written, "%g", claim.value);
      expected.insert(written);
    }
    if (step.workspace == gui::WorkspaceKind::Train) {
      // The last step names no number at all: it shows the workspace.
      EXPECT_EQ(step.scene.openViews.at(0), gui::ViewKind::Train);
    } else {
      const std::string folder = kRoot + "/" + step.scene.model.path;
      EXPECT_NE(commands.find("--out " + step.scene.model.path + "\n"), std::string::npos) << folder;
      const train::ModelConfig config = train::readCheckpointConfig(folder);
      train::Transformer<float> model(config);
      train::loadCheckpointWeights(folder, model);
      const nlohmann::json block = attnscopeBlock(folder);
      // The architecture and the training the text states.
      EXPECT_EQ(config.layers, 1);
      EXPECT_EQ(config.heads, 2);
      EXPECT_EQ(config.headDim(), 8);
      expected.insert({"1", "2", "8", std::to_string(block.at("steps").get<int>())});
      // The copy task of T = 12: a prefix of ceil(13 / 2) = 7 tokens repeated, so the answer is 6 positions back.
      ASSERT_EQ(block.at("task").at("name"), "copy");
      ASSERT_EQ(config.context, 12);
      const int prefix = (config.context + 2) / 2;
      expected.insert({std::to_string(prefix), std::to_string(prefix - 1)});
      // Held-out accuracy re-evaluated here: 8 batches of 32 from the held-out seed, as `attnscope train` scores it.
      train::TaskOptions task;
      task.kind = train::TaskKind::Copy;
      task.symbols = block.at("task").at("symbols").get<int>();
      const std::uint64_t seed = block.at("seed").get<std::uint64_t>();
      const train::LossReport eval = train::evaluateModel(
          model, [&](int64_t i) { return train::taskBatch(task, 32, config.context, seed ^ 0x5eed5eedull, i); }, 8);
      EXPECT_NE(text.find("Held-out accuracy: " + fixed2(eval.accuracy)), std::string::npos) << text;
      expected.insert(fixed2(eval.accuracy));
      expected.insert(std::to_string(step.scene.model.head));
      if (config.alignment.kind != train::AlignmentKind::None) {
        EXPECT_EQ(config.alignment.kind, train::AlignmentKind::Ct);
        char weight[32];
        std::snprintf(weight, sizeof weight, "%g", config.alignment.weight);
        expected.insert(weight);
      }
      if (config.kernel == Kernel::Ea) {
        // The formula quoted for EA is the checkpoint's form: (q.k)^2 / (1 + (q.k)^2).
        EXPECT_EQ(config.expressiveForm, ExpressiveForm::Saturating);
        EXPECT_NE(text.find("(q.k)^2 / (1 + (q.k)^2)"), std::string::npos);
      }
      // The step's vectors are the checkpoint's head on the step's tokens.
      const std::vector<train::HeadProbe> probes = train::probeHeads(model, step.scene.model.tokenIds);
      const train::HeadProbe& head = probes.at(static_cast<size_t>(step.scene.model.head));
      EXPECT_LT((head.queries - step.scene.queries).cwiseAbs().maxCoeff(), 1e-4f);
      EXPECT_LT((head.keys - step.scene.keys).cwiseAbs().maxCoeff(), 1e-4f);
    }
    const std::regex number(R"(\d+(\.\d+)?)");
    for (std::sregex_iterator it(text.begin(), text.end(), number), end; it != end; ++it)
      EXPECT_TRUE(expected.count(it->str())) << "the text states " << it->str() << " that nothing checks: " << text;
  }
}

}  // namespace
}  // namespace attnscope::gui
