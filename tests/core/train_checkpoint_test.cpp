// core/train checkpoints, optimiser, tasks and token files: a saved model opens in core/model/hf_models.cpp with its
// kernel and gives the training forward's attention; SGD is exactly w - lr grad; the divergence guard keeps the last
// good weights; tasks mark exactly the positions their rule determines; integer .npy files are validated.
#include "core/train/checkpoint.h"

#include <gtest/gtest.h>

#include <atomic>

#include <algorithm>
#include <fstream>

#include "core/error.h"
#include "core/model/hf_models.h"
#include "core/model/model.h"
#include "core/train/trainer.h"
#include "test_scratch_dir.h"
#include "train_test_models.h"

namespace attnscope::train {
namespace {

ModelConfig tinyConfig(Kernel kernel) {
  ModelConfig config;
  config.layers = 2;
  config.heads = 2;
  config.dim = 16;
  config.context = 12;
  config.vocab = 11;
  config.kernel = kernel;
  return config;
}

TEST(TrainCheckpoint, OpensInHfModelsWithItsKernelAndSameAttention) {
  std::vector<std::pair<Kernel, bool>> cases;
  for (Kernel kernel : kAllKernels) cases.emplace_back(kernel, false);
  cases.emplace_back(Kernel::Mgk, true);  // learned sigma^2 per head
  const std::filesystem::path root = test_support::testDir();
  for (const auto& [kernel, learned] : cases) {
    SCOPED_TRACE(std::string(kernelName(kernel)) + (learned ? " learned sigma^2" : ""));
    const std::filesystem::path folder = root / (std::string(kernelName(kernel)) + (learned ? "-learned" : ""));
    ModelConfig config = tinyConfig(kernel);
    config.learnVariances = learned;
    Transformer<float> model(config);
    std::mt19937 engine(6);
    testing::seedFarFromUniform(model, 5, engine);  // attention far from uniform, so a wrong kernel would show
    saveCheckpoint(folder, model, {{"task", "test"}});
    // Reloaded for --init: same parameters.
    Transformer<float> reloaded(readCheckpointConfig(folder));
    loadCheckpointWeights(folder, reloaded);
    for (size_t i = 0; i < model.parameters().size(); ++i) {
      EXPECT_EQ(reloaded.parameters()[i].value, model.parameters()[i].value);
    }
    std::unique_ptr<model::Model> opened = model::openHfModel(folder);
    EXPECT_EQ(opened->info().attentionKernel, std::string(kernelName(kernel)));
    const std::vector<int> tokens = {1, 4, 2, 9, 4, 2, 0, 7, 3, 10};
    model::RunOptions run;
    run.captureAttention = true;
    const model::ModelCapture capture = opened->run(tokens, run);
    const std::vector<Matrix<float>> expected = model.attentionWeights(tokens);
    ASSERT_EQ(capture.attention.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_LE((capture.attention[i] - expected[i]).cwiseAbs().maxCoeff(), 2e-5f) << "head " << i;
    }
  }
}

TEST(TrainOptimizer, SgdWithoutClipOrDecayIsExactlyLearningRateTimesGradient) {
  Transformer<float> model(tinyConfig(Kernel::Ea));
  model.initialise(3);
  TokenBatch batch;
  batch.batch = 2;
  batch.length = 5;
  for (int i = 0; i < 10; ++i) {
    batch.inputs.push_back(i % 11);
    batch.targets.push_back((3 * i + 1) % 11);
  }
  std::vector<Matrix<float>> gradients;
  model.lossAndGradients(batch, &gradients);
  std::vector<Matrix<float>> before;
  for (const Parameter<float>& p : model.parameters()) before.push_back(p.value);
  TrainOptions options;
  options.steps = 1;
  options.optimizer.kind = OptimizerKind::Sgd;
  options.optimizer.learningRate = 0.25;
  options.optimizer.clip = 0.0;
  options.optimizer.weightDecay = 0.0;
  trainModel(
      model, [&](int64_t) { return batch; }, options);
  for (size_t i = 0; i < before.size(); ++i) {
    const Matrix<float> expected = before[i] - 0.25f * gradients[i];
    EXPECT_EQ(model.parameters()[i].value, expected) << model.parameters()[i].name;
  }
}

TEST(TrainTrainer, NonFiniteLossStopsAndKeepsLastGoodWeights) {
  Transformer<float> model(tinyConfig(Kernel::Dpa));
  model.initialise(3);
  const TaskOptions task{TaskKind::Copy, 8, 4, 1};
  TrainOptions options;
  options.steps = 50;
  options.optimizer.kind = OptimizerKind::Sgd;
  options.optimizer.learningRate = 1e30;  // absurd: the first update overflows
  options.optimizer.clip = 0.0;
  try {
    trainModel(
        model, [&](int64_t step) { return taskBatch(task, 4, 12, 1, step); }, options);
    FAIL() << "expected TrainingDiverged";
  } catch (const TrainingDiverged& e) {
    EXPECT_NE(std::string(e.what()).find("learning rate too high"), std::string::npos) << e.what();
    EXPECT_GE(e.lastGoodStep, 0);
  }
  for (const Parameter<float>& p : model.parameters()) EXPECT_TRUE(p.value.allFinite()) << p.name;
  EXPECT_TRUE(std::isfinite(model.lossAndGradients(taskBatch(task, 4, 12, 1, 0), nullptr).loss));
}

TEST(TrainTrainer, AnInterruptedStepIsDroppedAndRunAgainWithTheSameResult) {
  const TaskOptions task{TaskKind::Copy, 8, 4, 1};
  const auto batches = [&](int64_t step) { return taskBatch(task, 8, 12, 1, step); };
  TrainOptions options;
  options.steps = 6;
  Transformer<float> plain(tinyConfig(Kernel::Ea));
  plain.initialise(5);
  const TrainResult expected = trainModel(plain, batches, options);

  // The flag is up before step 1 and again before step 4 (raised by the step callback of step 3): both steps are
  // dropped at their first chunk, `resume` lowers the flag and says go on, and each runs again on the same batch.
  Transformer<float> interrupted(tinyConfig(Kernel::Ea));
  interrupted.initialise(5);
  std::atomic<bool> interrupt{true};
  int resumes = 0;
  options.interrupt = &interrupt;
  options.resume = [&] {
    ++resumes;
    interrupt = false;
    return true;
  };
  const TrainResult result = trainModel(interrupted, batches, options, [&](const StepRecord& record) {
    if (record.step == 3) interrupt = true;
    return true;
  });
  EXPECT_EQ(resumes, 2);
  ASSERT_EQ(result.history.size(), expected.history.size());
  for (size_t i = 0; i < result.history.size(); ++i) EXPECT_EQ(result.history[i].loss, expected.history[i].loss) << i;
  for (size_t i = 0; i < plain.parameters().size(); ++i)
    EXPECT_EQ(interrupted.parameters()[i].value, plain.parameters()[i].value) << plain.parameters()[i].name;

  // `resume` says stop: the run ends cancelled with the weights of the steps done (none here).
  Transformer<float> stopped(tinyConfig(Kernel::Ea));
  stopped.initialise(5);
  const std::vector<Parameter<float>> before = stopped.parameters();
  interrupt = true;
  options.resume = [] { return false; };
  const TrainResult none = trainModel(stopped, batches, options);
  EXPECT_TRUE(none.cancelled);
  EXPECT_EQ(none.stepsDone, 0);
  for (size_t i = 0; i < before.size(); ++i) EXPECT_EQ(stopped.parameters()[i].value, before[i].value);
}

TEST(TrainTasks, CopyRecallLadderMarkExactlyTheDeterminedPositions) {
  std::vector<int> tokens;
  std::vector<char> determined;
  generateTaskSequence({TaskKind::Copy, 16, 8, 1}, 9, 1, tokens, determined);  // 10 tokens, prefix 5
  ASSERT_EQ(tokens.size(), 10u);
  for (int i = 5; i < 10; ++i) {
    EXPECT_EQ(tokens[i], tokens[i - 5]);
    EXPECT_TRUE(determined[i]);
  }
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(determined[i]);

  // Ladder level 3 (two lookups) with 4 symbols and T = 14: 4 pair tokens 5 + 4a + f(a), the separator 4, then
  // (q, f(f(q))) pairs; the first round of queries (all 4 symbols once) is determined, the next round is not.
  generateTaskSequence({TaskKind::Ladder, 4, 8, 3}, 14, 7, tokens, determined);
  ASSERT_EQ(tokens.size(), 15u);
  int f[4] = {-1, -1, -1, -1};
  for (int p = 0; p < 4; ++p) {
    ASSERT_GE(tokens[p], 5);
    f[(tokens[p] - 5) / 4] = (tokens[p] - 5) % 4;
    EXPECT_FALSE(determined[p]);
  }
  for (int a = 0; a < 4; ++a) {
    ASSERT_GE(f[a], 0) << "every symbol has exactly one pair";
    int back = a, length = 0;
    do {
      back = f[back];
      ++length;
    } while (back != a && length <= 4);
    EXPECT_EQ(length, 4) << "f is one cycle through all symbols";
  }
  EXPECT_EQ(tokens[4], 4);
  std::vector<int> firstRound;
  for (int i = 5; i + 1 < 15; i += 2) {
    EXPECT_EQ(tokens[i + 1], f[f[tokens[i]]]);
    EXPECT_FALSE(determined[i]);
    EXPECT_EQ(static_cast<bool>(determined[i + 1]), i < 13) << "only the first round of 4 queries is scored";
    if (i < 13) firstRound.push_back(tokens[i]);
  }
  std::sort(firstRound.begin(), firstRound.end());
  EXPECT_EQ(firstRound, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(taskVocabulary({TaskKind::Ladder, 16, 8, 3}), 16 + 1 + 256);
  EXPECT_EQ(taskVocabulary({TaskKind::Recall, 16, 8, 1}), 33);
  EXPECT_EQ(taskVocabulary({TaskKind::Multitask, 16, 8, 1}), 20);
  // Same seed, same batch; another step, another batch.
  const TaskOptions recall{TaskKind::Recall, 16, 8, 1};
  EXPECT_EQ(taskBatch(recall, 2, 40, 9, 3).inputs, taskBatch(recall, 2, 40, 9, 3).inputs);
  EXPECT_NE(taskBatch(recall, 2, 40, 9, 3).inputs, taskBatch(recall, 2, 40, 9, 4).inputs);
  EXPECT_THROW(validateTask({TaskKind::Ladder, 16, 8, 2}, 17), InputError);  // needs S + 2 = 18
  EXPECT_NO_THROW(validateTask({TaskKind::Ladder, 16, 8, 2}, 18));
  EXPECT_THROW(validateTask({TaskKind::Ladder, 65, 8, 2}, 80), InputError);  // 65 + 1 + 65^2 pair tokens
  EXPECT_NO_THROW(validateTask({TaskKind::Ladder, 16, 8, 1}, 20));           // copy fits anywhere
}

void writeBytes(const std::filesystem::path& path, const std::string& header, const std::string& data) {
  std::string padded = header;
  while ((10 + padded.size() + 1) % 64 != 0) padded += ' ';
  padded += '\n';
  std::ofstream out(path, std::ios::binary);
  out << "\x93NUMPY" << char(1) << char(0) << char(padded.size() & 0xff) << char(padded.size() >> 8) << padded << data;
}

TEST(TrainTasks, TokenDataIsValidatedAndUsedInOrder) {
  const std::filesystem::path dir = test_support::testDir();
  std::string ids;
  for (int v : {1, 2, 3, 4, 5, 6}) ids += std::string(reinterpret_cast<const char*>(&v), 4);  // little-endian int32
  writeBytes(dir / "ok.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }", ids);
  const TokenData data = readTokenData(dir / "ok.npy");
  EXPECT_EQ(data.rows, 2);
  EXPECT_EQ(data.columns, 3);
  EXPECT_EQ(data.largestId, 6);
  const TokenBatch batch = dataBatch(data, 1, 1);  // step 1 of batch 1: row 1
  EXPECT_EQ(batch.inputs, (std::vector<int>{4, 5}));
  EXPECT_EQ(batch.targets, (std::vector<int>{5, 6}));
  EXPECT_THROW(readTokenData(dir / "ok.npy", 6), FileError);  // id 6 outside [0, 6)
  writeBytes(dir / "float.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", ids);
  EXPECT_THROW(readTokenData(dir / "float.npy"), FileError);
  writeBytes(dir / "short.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (200000000, 3), }", ids);
  try {
    readTokenData(dir / "short.npy");
    FAIL();
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("data bytes"), std::string::npos) << e.what();
  }
  writeBytes(dir / "negative.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 1), }", ids.substr(0, 4));
  EXPECT_THROW(readTokenData(dir / "negative.npy"), FileError);  // one column: no target
}

}  // namespace
}  // namespace attnscope::train
