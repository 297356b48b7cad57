// One ladder run (ladder.h): the training and held-out scoring that `attnscope ladder` repeats per cell.
#include "core/train/ladder.h"

#include <string>

#include "core/error.h"
#include "core/memory_budget.h"
#include "core/train/tasks.h"
#include "core/train/trainer.h"

namespace attnscope::train {

namespace {

TaskOptions ladderTask(int symbols, int level) {
  TaskOptions task;
  task.kind = TaskKind::Ladder;
  task.symbols = symbols;
  task.level = level;
  return task;
}

}  // namespace

ModelConfig validateLadderLevel(ModelConfig config, int level, const LadderOptions& options) {
  if (options.batch < 1 || options.steps < 0 || options.evalBatches < 1)
    throw InputError("a ladder run needs --batch >= 1, --steps >= 0 and --eval-batches >= 1");
  const TaskOptions task = ladderTask(options.symbols, level);
  validateTask(task, config.context);
  if (config.vocab <= 0) config.vocab = taskVocabulary(task);
  if (config.vocab < taskVocabulary(task))
    throw InputError("ladder level " + std::to_string(level) + " with " + std::to_string(options.symbols) +
                     " symbols uses " + std::to_string(taskVocabulary(task)) + " token ids; the vocabulary has only " +
                     std::to_string(config.vocab));
  config.validate();
  requireWithinBudget(trainingMemoryBytes(config, options.batch, config.context), "ladder run");
  return config;
}

LadderRun trainLadderLevel(ModelConfig config, int level, uint64_t seed, const LadderOptions& options) {
  config = validateLadderLevel(config, level, options);
  const TaskOptions task = ladderTask(options.symbols, level);
  Transformer<float> model(config);
  model.initialise(seed);
  const int batch = options.batch, length = config.context;
  TrainOptions train;
  train.steps = options.steps;
  train.optimizer = options.optimizer;
  const TrainResult result = trainModel(
      model, [&](int64_t step) { return taskBatch(task, batch, length, seed, step); }, train);
  const LossReport eval = evaluateModel(
      model, [&](int64_t i) { return taskBatch(task, batch, length, seed ^ 0x5eed5eedull, i); }, options.evalBatches);
  LadderRun run;
  run.trainAccuracy = result.history.empty() ? 0.0 : result.history.back().accuracy;
  run.evalAccuracy = eval.accuracy;
  run.evalCrossEntropy = eval.crossEntropy;
  run.stepsDone = result.stepsDone;
  return run;
}

}  // namespace attnscope::train
