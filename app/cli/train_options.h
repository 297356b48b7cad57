// Command-line options shared by `attnscope train`, `attnscope ladder` and `attnscope bench --train`: the model
// (architecture, kernel, regulariser) and the optimiser, added to a CLI11 subcommand and turned into core options.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "core/train/optimizer.h"
#include "core/train/transformer.h"

namespace attnscope::cli {

struct ModelArguments {
  std::string kernel = "dpa";
  std::string expressiveForm = "saturating";
  int components = 2;
  std::vector<double> variances;
  bool learnVariances = false;
  double cosineTemperature = 0.1;
  std::string align = "none";
  double alignWeight = 0.1;
  int layers = 2, heads = 4, dim = 64, context = 64, vocab = 0;
};

struct OptimizerArguments {
  int batch = 32;
  int steps = 1000;
  double lr = 3e-3;
  std::string optimizer = "adamw";
  double clip = 1.0;
  double weightDecay = 0.0;
  int warmup = 0;
  unsigned long long seed = 1;
};

/// Adds --kernel, --ea-form, --components, --sigma2, --cosine-tau, --align, --align-weight, --layers, --heads,
/// --dim, --context, --vocab; without --kernel and --components when the command has its own.
void addModelOptions(CLI::App& command, ModelArguments& args, bool withKernelAndComponents = true);
/// Adds --batch, --steps, --lr, --optimizer, --clip, --weight-decay, --warmup, --seed.
void addOptimizerOptions(CLI::App& command, OptimizerArguments& args);

/// The model config (vocab as given; callers fill a default first). Throws InputError.
train::ModelConfig modelConfig(const ModelArguments& args);
train::OptimizerOptions optimizerOptions(const OptimizerArguments& args);

}  // namespace attnscope::cli
