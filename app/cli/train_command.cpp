// `attnscope train`: trains the lab's GPT-2-shaped transformer on a generated task or on the user's token sequences
// and writes a Hugging Face GPT-2 checkpoint folder (core/train/checkpoint.h) that `attnscope model` and the Model
// explorer open with the kernel it was trained with. Ctrl-C cancels and still writes the steps done.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <sstream>

#include "app/cli/command_registry.h"
#include "app/cli/train_options.h"
#include "core/atomic_file.h"
#include "core/memory_budget.h"
#include "core/train/checkpoint.h"
#include "core/train/trainer.h"

namespace attnscope::cli {
namespace {

struct TrainArguments {
  ModelArguments model;
  OptimizerArguments optimizer;
  std::string task;
  std::string data;
  train::TaskOptions taskOptions;
  std::string init;
  std::string out;
  std::string log;
  int evalBatches = 8;
  CLI::App* command = nullptr;
};

// Set by the SIGINT handler, read by the training loop between steps. A handler may only write a volatile
// std::sig_atomic_t (C++ [support.signal]); std::atomic<bool> is allowed only when lock-free, which the standard does
// not promise.
volatile std::sig_atomic_t cancelRequested = 0;
extern "C" void onInterrupt(int) {
  cancelRequested = 1;
}

void writeLog(const std::string& path, const std::vector<train::StepRecord>& history) {
  if (path.empty()) return;
  std::ostringstream csv;
  csv << "step,loss,cross_entropy,alignment,accuracy,gradient_norm,learning_rate\n";
  csv.precision(9);
  for (const train::StepRecord& r : history) {
    csv << r.step << ',' << r.loss << ',' << r.crossEntropy << ',' << r.alignment << ',' << r.accuracy << ','
        << r.gradientNorm << ',' << r.learningRate << '\n';
  }
  writeFileAtomically(path, csv.str());
}

void runTrain(TrainArguments& args) {
  if (args.out.empty()) throw InputError("--out DIR is required");
  if (args.task.empty() == args.data.empty()) throw InputError("give exactly one of --task T or --data SEQS.npy");
  train::ModelConfig config;
  train::TokenData data;
  if (!args.init.empty()) {
    config = train::readCheckpointConfig(args.init);
    // --init fixes the architecture; a differing size option is a mistake worth naming.
    auto same = [&](const char* option, int given, int actual) {
      if (args.command->count(option) && given != actual) {
        throw InputError(std::string(option) + " " + std::to_string(given) + " differs from the checkpoint " +
                         args.init + " (" + std::to_string(actual) + "); --init continues the same architecture");
      }
    };
    same("--layers", args.model.layers, config.layers);
    same("--heads", args.model.heads, config.heads);
    same("--dim", args.model.dim, config.dim);
    same("--context", args.model.context, config.context);
    same("--vocab", args.model.vocab, config.vocab);
    if (args.command->count("--kernel") && parseKernel(args.model.kernel) != config.kernel) {
      throw InputError("--kernel " + args.model.kernel + " differs from the checkpoint's kernel " +
                       std::string(kernelName(config.kernel)));
    }
  } else {
    ModelArguments model = args.model;
    if (model.vocab <= 0) model.vocab = 1;  // filled below from the task or the data
    config = modelConfig(model);
  }
  int length = config.context;
  if (!args.data.empty()) {
    data = train::readTokenData(args.data, args.init.empty() && args.model.vocab <= 0
                                               ? 0
                                               : (args.init.empty() ? args.model.vocab : config.vocab));
    length = data.columns - 1;
    if (args.init.empty() && args.model.vocab <= 0) config.vocab = data.largestId + 1;
    if (args.init.empty() && !args.command->count("--context")) config.context = std::max(config.context, length);
    if (length > config.context) {
      throw InputError(args.data + ": sequences of " + std::to_string(length) + " inputs exceed --context " +
                       std::to_string(config.context));
    }
  } else {
    args.taskOptions.kind = train::parseTask(args.task);
    train::validateTask(args.taskOptions, length);
    const int needed = train::taskVocabulary(args.taskOptions);
    if (args.init.empty() && args.model.vocab <= 0) config.vocab = needed;
    if (config.vocab < needed) {
      throw InputError("--vocab " + std::to_string(config.vocab) + " is smaller than task " + args.task + "'s " +
                       std::to_string(needed) + " tokens");
    }
  }
  const int batch = args.optimizer.batch;
  if (batch < 1) throw InputError("--batch must be at least 1");
  requireWithinBudget(train::trainingMemoryBytes(config, batch, length),
                      "training (" + std::to_string(config.layers) + " layers, dim " + std::to_string(config.dim) +
                          ", batch " + std::to_string(batch) + ", context " + std::to_string(length) + ")");
  train::Transformer<float> model(config);
  if (args.init.empty()) {
    model.initialise(args.optimizer.seed);
  } else {
    train::loadCheckpointWeights(args.init, model);
  }
  const uint64_t seed = args.optimizer.seed;
  const train::TaskOptions taskOptions = args.taskOptions;
  train::BatchFunction batches = [&](int64_t step) {
    return args.data.empty() ? train::taskBatch(taskOptions, batch, length, seed, step)
                             : train::dataBatch(data, batch, step);
  };
  train::TrainOptions options;
  options.steps = args.optimizer.steps;
  options.optimizer = optimizerOptions(args.optimizer);

  const bool terminal = isatty(STDERR_FILENO);
  cancelRequested = 0;
  auto previous = std::signal(SIGINT, onInterrupt);
  auto onStep = [&](const train::StepRecord& r) {
    if (terminal && (r.step % 10 == 0 || r.step == options.steps)) {
      const int width = 30, filled = static_cast<int>(width * static_cast<double>(r.step) / options.steps);
      std::fprintf(stderr, "\r[%s%s] %d/%d loss %.4f acc %.3f", std::string(filled, '#').c_str(),
                   std::string(width - filled, '.').c_str(), r.step, options.steps, r.loss, r.accuracy);
      std::fflush(stderr);
    }
    return cancelRequested == 0;
  };
  nlohmann::json extra = {{"seed", seed}, {"steps", 0}};
  if (args.data.empty()) {
    extra["task"] = {{"name", args.task},
                     {"symbols", taskOptions.symbols},
                     {"pairs", taskOptions.pairs},
                     {"level", taskOptions.level}};
  } else {
    extra["task"] = {{"name", "data"}, {"file", args.data}};
  }
  train::TrainResult result;
  try {
    result = train::trainModel(model, batches, options, onStep);
  } catch (const train::TrainingDiverged& diverged) {
    std::signal(SIGINT, previous);
    if (terminal) std::fputc('\n', stderr);
    extra["steps"] = diverged.lastGoodStep;
    train::saveCheckpoint(args.out, model, extra);
    throw;
  }
  std::signal(SIGINT, previous);
  if (terminal && options.steps > 0) std::fputc('\n', stderr);
  extra["steps"] = result.stepsDone;
  writeLog(args.log, result.history);
  nlohmann::json summary = {{"steps", result.stepsDone}, {"cancelled", result.cancelled}, {"out", args.out}};
  if (!result.history.empty()) {
    summary["final_loss"] = result.history.back().loss;
    summary["final_train_accuracy"] = result.history.back().accuracy;
  }
  if (args.data.empty() && args.evalBatches > 0) {
    // Held-out batches: another seed, never seen in training.
    const train::LossReport eval = train::evaluateModel(
        model, [&](int64_t i) { return train::taskBatch(taskOptions, batch, length, seed ^ 0x5eed5eedull, i); },
        args.evalBatches);
    summary["eval_accuracy"] = eval.accuracy;
    summary["eval_cross_entropy"] = eval.crossEntropy;
    extra["eval_accuracy"] = eval.accuracy;
  }
  train::saveCheckpoint(args.out, model, extra);
  std::printf("%s\n", summary.dump().c_str());
}

void installTrainCommand(CLI::App& parent) {
  auto args = std::make_shared<TrainArguments>();
  CLI::App* command = parent.add_subcommand(
      "train",
      "Train a small GPT-2-shaped transformer with any attention kernel on a generated task or on token sequences "
      "(.npy), and write a Hugging Face GPT-2 checkpoint folder.");
  args->command = command;
  command->add_option("--task", args->task, "copy, recall, ladder or multitask (README: Training lab)");
  command->add_option("--data", args->data, "Token sequences: integer .npy, rows x (T + 1), used in order");
  command->add_option("--symbols", args->taskOptions.symbols, "Task alphabet size (default 16)");
  command->add_option("--pairs", args->taskOptions.pairs, "recall: key-value pairs (default 8)");
  command->add_option("--level", args->taskOptions.level,
                      "ladder rung: 1 = copy, L >= 2 = L - 1 chained lookups (default 1)");
  addModelOptions(*command, args->model);
  addOptimizerOptions(*command, args->optimizer);
  command->add_option("--init", args->init, "Continue from this checkpoint folder (same architecture)");
  command->add_option("--out", args->out, "Checkpoint folder to write (config.json, model.safetensors)")->required();
  command->add_option("--log", args->log, "CSV of every step: loss, accuracy, gradient norm, learning rate");
  command->add_option("--eval-batches", args->evalBatches, "Held-out batches for the final accuracy (default 8)");
  command->callback([args] { runTrain(*args); });
}

const RegisterCommand registration{"train", &installTrainCommand};

}  // namespace
}  // namespace attnscope::cli
