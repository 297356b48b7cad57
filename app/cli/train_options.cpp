// Shared training options (see train_options.h).
#include "app/cli/train_options.h"

#include "core/error.h"

namespace attnscope::cli {

void addModelOptions(CLI::App& command, ModelArguments& args, bool withKernelAndComponents) {
  std::vector<std::string> names;
  for (Kernel kernel : kAllKernels) names.emplace_back(kernelName(kernel));
  if (withKernelAndComponents) {
    command.add_option("--kernel", args.kernel, "Attention kernel (default dpa)")->check(CLI::IsMember(names));
    command.add_option("--components", args.components, "Gaussian components R of mgk/mgk-hard/mlk (default 2)");
  }
  command.add_option("--ea-form", args.expressiveForm, "f(x) of ea: saturating (default) or pure")
      ->check(CLI::IsMember({"saturating", "pure"}));
  command.add_option("--sigma2", args.variances, "MGK variances, one per component (default sqrt(d_head))")
      ->delimiter(',');
  command.add_flag("--learn-sigma2", args.learnVariances, "mgk/mgk-hard: learn sigma^2 per head and component");
  command.add_option("--cosine-tau", args.cosineTemperature, "Temperature of cosine attention (default 0.1)");
  command.add_option("--align", args.align, "Alignment regulariser: ct, mmd or none (default)")
      ->check(CLI::IsMember({"none", "ct", "mmd"}));
  command.add_option("--align-weight", args.alignWeight, "lambda of the regulariser (default 0.1)");
  command.add_option("--layers", args.layers, "Transformer blocks (default 2)");
  command.add_option("--heads", args.heads, "Attention heads per block (default 4)");
  command.add_option("--dim", args.dim, "Model width n_embd (default 64)");
  command.add_option("--context", args.context, "Sequence length T = n_positions (default 64)");
  command.add_option("--vocab", args.vocab, "Vocabulary (default: the task's, or the data's largest id + 1)");
}

void addOptimizerOptions(CLI::App& command, OptimizerArguments& args) {
  command.add_option("--batch", args.batch, "Sequences per step (default 32)");
  command.add_option("--steps", args.steps, "Optimiser steps (default 1000; 0 writes the seeded initial weights)");
  command.add_option("--lr", args.lr, "Learning rate (default 3e-3)");
  command.add_option("--optimizer", args.optimizer, "adamw (default) or sgd")->check(CLI::IsMember({"adamw", "sgd"}));
  command.add_option("--clip", args.clip, "Global gradient-norm clip, 0 = off (default 1)");
  command.add_option("--weight-decay", args.weightDecay, "Decoupled weight decay of weight matrices (default 0)");
  command.add_option("--warmup", args.warmup, "Linear warm-up steps (default 0)");
  command.add_option("--seed", args.seed, "Seed of the initialisation and the task's batches (default 1)");
}

train::ModelConfig modelConfig(const ModelArguments& args) {
  train::ModelConfig config;
  config.layers = args.layers;
  config.heads = args.heads;
  config.dim = args.dim;
  config.context = args.context;
  config.vocab = args.vocab;
  config.kernel = parseKernel(args.kernel);
  config.expressiveForm = args.expressiveForm == "pure" ? ExpressiveForm::Pure : ExpressiveForm::Saturating;
  config.mgkComponents = args.components;
  config.variances = args.variances;
  config.learnVariances = args.learnVariances;
  config.cosineTemperature = args.cosineTemperature;
  config.alignment.kind = train::parseAlignmentKind(args.align);
  config.alignment.weight = config.alignment.kind == train::AlignmentKind::None ? 0.0 : args.alignWeight;
  config.validate();
  return config;
}

train::OptimizerOptions optimizerOptions(const OptimizerArguments& args) {
  train::OptimizerOptions options;
  options.kind = train::parseOptimizer(args.optimizer);
  options.learningRate = args.lr;
  options.clip = args.clip;
  options.weightDecay = args.weightDecay;
  options.warmupSteps = args.warmup;
  if (args.batch < 1) throw InputError("--batch must be at least 1 (got " + std::to_string(args.batch) + ")");
  return options;
}

}  // namespace attnscope::cli
