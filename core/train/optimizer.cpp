// AdamW and SGD over the transformer's named parameters (see optimizer.h).
#include "core/train/optimizer.h"

#include <cmath>

#include "core/error.h"

namespace attnscope::train {

OptimizerKind parseOptimizer(const std::string& name) {
  if (name == "adamw") return OptimizerKind::AdamW;
  if (name == "sgd") return OptimizerKind::Sgd;
  throw InputError("unknown optimizer '" + name + "' (expected adamw or sgd)");
}

Optimizer::Optimizer(const OptimizerOptions& options, const std::vector<Parameter<float>>& parameters)
    : options_(options) {
  if (!(options.learningRate > 0.0) || !std::isfinite(options.learningRate)) {
    throw InputError("--lr must be a finite number > 0");
  }
  if (!(options.clip >= 0.0) || !(options.weightDecay >= 0.0) || options.warmupSteps < 0) {
    throw InputError("--clip, --weight-decay and --warmup must be >= 0");
  }
  if (options.kind == OptimizerKind::AdamW) {
    for (const Parameter<float>& p : parameters) {
      firstMoment_.push_back(Matrix<float>::Zero(p.value.rows(), p.value.cols()));
      secondMoment_.push_back(Matrix<float>::Zero(p.value.rows(), p.value.cols()));
    }
  }
}

double Optimizer::learningRateAt(int step) const {
  if (options_.warmupSteps <= 0) return options_.learningRate;
  return options_.learningRate * std::min(1.0, static_cast<double>(step + 1) / options_.warmupSteps);
}

double Optimizer::step(std::vector<Parameter<float>>& parameters, std::vector<Matrix<float>>& gradients) {
  double squared = 0.0;
  for (const Matrix<float>& g : gradients) squared += g.cast<double>().squaredNorm();
  const double norm = std::sqrt(squared);
  if (options_.clip > 0.0 && norm > options_.clip) {
    const float factor = static_cast<float>(options_.clip / norm);
    for (Matrix<float>& g : gradients) g *= factor;
  }
  const double rate = learningRateAt(steps_);
  ++steps_;
  for (size_t i = 0; i < parameters.size(); ++i) {
    Matrix<float>& w = parameters[i].value;
    const bool decays = options_.weightDecay > 0.0 && parameters[i].shape.size() >= 2 &&
                        !parameters[i].name.ends_with("mgk_priors") &&
                        !parameters[i].name.ends_with("mgk_log_variances");
    if (decays) w *= static_cast<float>(1.0 - rate * options_.weightDecay);
    if (options_.kind == OptimizerKind::Sgd) {
      w -= static_cast<float>(rate) * gradients[i];
      continue;
    }
    const float b1 = static_cast<float>(options_.beta1), b2 = static_cast<float>(options_.beta2);
    firstMoment_[i] = b1 * firstMoment_[i] + (1.0f - b1) * gradients[i];
    secondMoment_[i] = b2 * secondMoment_[i] + (1.0f - b2) * gradients[i].cwiseAbs2();
    const double correction1 = 1.0 - std::pow(options_.beta1, steps_);
    const double correction2 = 1.0 - std::pow(options_.beta2, steps_);
    const float stepSize = static_cast<float>(rate / correction1);
    const float root2 = static_cast<float>(std::sqrt(correction2));
    const float eps = static_cast<float>(options_.epsilon);
    w.array() -= stepSize * firstMoment_[i].array() / (secondMoment_[i].array().sqrt() / root2 + eps);
  }
  return norm;
}

}  // namespace attnscope::train
