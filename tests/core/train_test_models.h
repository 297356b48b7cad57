// Shared by the training tests (tests/core/train_*_test.cpp) and the PyTorch reference writer
// (tests/reference/train_reference_tool.cpp): the small model the gradient checks use and the seeded weights that
// move it far from GPT-2's initialisation, so every kernel's attention is far from uniform.
#pragma once

#include <random>

#include "core/train/transformer.h"

namespace attnscope::train::testing {

/// 2 layers, 2 heads, d = 8, context 6, vocabulary 7, R = 2 mixture components; with a regulariser, lambda 0.7.
inline ModelConfig smallTrainConfig(Kernel kernel, AlignmentKind align = AlignmentKind::None,
                                    bool learnVariances = false) {
  ModelConfig config;
  config.layers = 2;
  config.heads = 2;
  config.dim = 8;
  config.context = 6;
  config.vocab = 7;
  config.kernel = kernel;
  config.mgkComponents = 2;
  config.alignment.kind = align;
  config.alignment.weight = align == AlignmentKind::None ? 0.0 : 0.7;
  config.learnVariances = learnVariances;
  return config;
}

/// initialise(seed), then every weight plus N(0, 0.4) noise drawn from `engine` (GPT-2's 0.02 would hide the kernels'
/// differences) and MGK priors drawn from U(0.2, 0.9), inside (0, 1) so their clamp is inactive. Every value is
/// rounded to float, so a float model, a double model and an F32 file all hold exactly the same weights.
template <typename S>
void seedFarFromUniform(Transformer<S>& model, unsigned seed, std::mt19937& engine) {
  model.initialise(seed);
  std::normal_distribution<double> normal(0.0, 0.4);
  std::uniform_real_distribution<double> prior(0.2, 0.9);
  for (Parameter<S>& p : model.parameters()) {
    for (S& x : p.value.reshaped()) {
      const double value = p.name.ends_with("mgk_priors") ? prior(engine) : static_cast<double>(x) + normal(engine);
      x = static_cast<S>(static_cast<float>(value));
    }
  }
}

}  // namespace attnscope::train::testing
