// One run of the complexity ladder (README "The ladder"): a fresh seeded model trained on one level and scored on
// held-out batches. `attnscope ladder` loops it over kernels, levels and seeds; tests run it small.
#pragma once

#include <cstdint>

#include "core/train/optimizer.h"
#include "core/train/transformer.h"

namespace attnscope::train {

/// Mean held-out accuracy (over seeds) at or above which a level counts as solved.
inline constexpr double kLadderSolvedAccuracy = 0.9;

/// The calibrated defaults: 8 symbols, 128 sequences of T = S + 2 tokens per step, 1500 AdamW steps at 3e-3.
struct LadderOptions {
  int symbols = 8;      ///< alphabet size S
  int batch = 128;      ///< sequences per step
  int steps = 1500;     ///< optimiser steps
  int evalBatches = 8;  ///< held-out batches (another seed's sequences) for the final accuracy
  OptimizerOptions optimizer;
};

/// The default sequence length of the ladder: S pair tokens, the separator, one query and its answer (T + 1 = S + 3).
inline int ladderContext(int symbols) {
  return symbols + 2;
}

struct LadderRun {
  double trainAccuracy = 0.0;  ///< accuracy on the last training batch
  double evalAccuracy = 0.0;   ///< on options.evalBatches held-out batches (determined positions only)
  double evalCrossEntropy = 0.0;
  int stepsDone = 0;
};

/// Checks one ladder run before anything is allocated or trained: the task against config.context, the vocabulary
/// (0: filled in with the ladder's), the config, the memory budget. Returns the config with its vocabulary. Throws
/// InputError or ResourceError.
ModelConfig validateLadderLevel(ModelConfig config, int level, const LadderOptions& options);

/// Trains a fresh model of `config` (config.vocab 0: the ladder's vocabulary) initialised from `seed` on ladder level
/// `level` (batches of seed `seed`; a smaller nonzero vocabulary is refused) for options.steps steps, then scores it on
/// held-out batches of seed seed ^ 0x5eed5eed. Validates the task against config.context and the memory budget before
/// allocating. Throws InputError, ResourceError or TrainingDiverged.
LadderRun trainLadderLevel(ModelConfig config, int level, uint64_t seed, const LadderOptions& options);

}  // namespace attnscope::train
