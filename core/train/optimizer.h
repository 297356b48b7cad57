// Optimisers of the training lab: AdamW (decoupled weight decay) and plain SGD, with global-norm gradient clipping
// and linear learning-rate warm-up.
#pragma once

#include <string>
#include <vector>

#include "core/train/transformer.h"

namespace attnscope::train {

enum class OptimizerKind { AdamW, Sgd };
/// "adamw" / "sgd"; throws InputError otherwise.
OptimizerKind parseOptimizer(const std::string& name);

struct OptimizerOptions {
  OptimizerKind kind = OptimizerKind::AdamW;
  double learningRate = 3e-3;
  double beta1 = 0.9;
  double beta2 = 0.99;
  double epsilon = 1e-8;
  /// Decoupled decay w <- w - lr * wd * w, applied to weight matrices only (not biases, LayerNorm gains or priors).
  double weightDecay = 0.0;
  /// Largest global gradient norm (over all parameters); 0 = no clipping.
  double clip = 1.0;
  /// Steps of linear warm-up: the rate at step s (0-based) is lr * min(1, (s + 1) / warmup); 0 = none.
  int warmupSteps = 0;
};

class Optimizer {
 public:
  Optimizer(const OptimizerOptions& options, const std::vector<Parameter<float>>& parameters);
  /// One update of `parameters` from `gradients` (modified in place when clipped). Returns the global gradient norm
  /// before clipping. With SGD, clip 0 and weight decay 0 this is exactly w <- w - lr * grad.
  double step(std::vector<Parameter<float>>& parameters, std::vector<Matrix<float>>& gradients);
  int stepsTaken() const { return steps_; }
  double learningRateAt(int step) const;

 private:
  OptimizerOptions options_;
  std::vector<Matrix<float>> firstMoment_, secondMoment_;
  int steps_ = 0;
};

}  // namespace attnscope::train
