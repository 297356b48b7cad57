// A small decoder-only transformer in the GPT-2 shape for the training lab: token + learned position embeddings,
// pre-LayerNorm blocks with multi-head causal attention (any of the core's seven kernels) and a GELU (tanh) MLP, a
// final LayerNorm and an output tied to the token embedding. Forward and backward are hand-derived (README, "Training
// lab"); the scalar is a template parameter so the float model that trains is checked by the double one.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/train/alignment_loss.h"
#include "core/train/head_attention.h"

namespace attnscope::train {

/// Architecture and attention kernel. dim must be a multiple of heads.
struct ModelConfig {
  int layers = 2;
  int heads = 4;
  int dim = 64;
  int context = 64;  ///< n_positions: the longest sequence.
  int vocab = 32;
  Kernel kernel = Kernel::Dpa;
  ExpressiveForm expressiveForm = ExpressiveForm::Saturating;
  int mgkComponents = 2;          ///< R of MGK / MGK-hard / MLK.
  std::vector<double> variances;  ///< sigma_r^2 (MGK); empty = sqrt(d_head) for every component (the paper's choice).
  /// MGK / MGK-hard: learn sigma_r^2 per head and component (as log sigma^2, starting from `variances`).
  bool learnVariances = false;
  double cosineTemperature = 0.1;  ///< Kernel::Cosine.
  double layerNormEpsilon = 1e-5;
  AlignmentOptions alignment;

  int headDim() const { return dim / heads; }
  int mlpDim() const { return 4 * dim; }
  bool hasLearnedVariances() const { return learnVariances && (kernel == Kernel::Mgk || kernel == Kernel::MgkHard); }
  /// Throws InputError naming the first bad field (sizes < 1, dim not divisible by heads, ...).
  void validate() const;
  HeadKernelOptions headOptions() const;
};

/// One named parameter tensor in GPT2LMHeadModel's naming and Conv1D layout ([in, out]). 1-D tensors are 1 x n.
template <typename S>
struct Parameter {
  std::string name;
  std::vector<int64_t> shape;  // as saved (e.g. {n} for biases, {H, R, d_head} for MGK shifts)
  Matrix<S> value;
};

/// Token ids of a batch: B rows of T inputs and T targets (row-major B x T); `weights` (B x T, 0 or 1) says which
/// predictions count in the loss and the accuracy (empty = all).
struct TokenBatch {
  int batch = 0;
  int length = 0;
  std::vector<int> inputs;
  std::vector<int> targets;
  std::vector<float> weights;
};

struct LossReport {
  double loss = 0.0;  ///< cross-entropy + lambda * alignment
  double crossEntropy = 0.0;
  double alignment = 0.0;  ///< mean divergence over layers, heads and sequences (before lambda)
  double accuracy = 0.0;   ///< argmax == target over the weighted positions
  int counted = 0;         ///< number of weighted positions
};

/// Thrown by lossAndGradients when its interrupt flag was raised during the step: the rest of the step was skipped and
/// nothing of the model changed (the step can simply be run again).
class StepInterrupted : public Error {
 public:
  StepInterrupted() : Error("the training step was interrupted") {}
};

/// Floats of the model's parameters (wte, wpe, every layer's ln / attention / MLP, ln_f; the few MGK parameters are
/// not counted): one copy of the weights is 4 x this many bytes (the memory budget of kept snapshots).
double parameterFloats(const ModelConfig& config);

/// Bytes the parameters, gradients, AdamW moments and one batch's activations need (for the memory budget).
double trainingMemoryBytes(const ModelConfig& config, int batch, int length);

template <typename S>
class Transformer {
 public:
  /// All parameters zero; call initialise() or set them. Throws InputError for an invalid config.
  explicit Transformer(const ModelConfig& config);

  const ModelConfig& config() const { return config_; }
  std::vector<Parameter<S>>& parameters() { return parameters_; }
  const std::vector<Parameter<S>>& parameters() const { return parameters_; }
  /// Index of a parameter by name, -1 if absent.
  int find(const std::string& name) const;

  /// GPT-2's initialisation from `seed`: weights N(0, 0.02), residual projections N(0, 0.02 / sqrt(2 layers)),
  /// biases 0, LayerNorm gains 1; MGK shifts N(0, 1 / sqrt(d_head)) so components start apart; priors 1/R.
  void initialise(uint64_t seed);

  /// Mean cross-entropy over weighted positions plus the alignment regulariser. If `gradients` is not null it is
  /// resized like parameters() and receives dLoss/dparameter. Throws InputError for ids outside the vocabulary or
  /// sequences longer than the context. Uses up to omp_get_max_threads() threads; the loss and the gradients are the
  /// same bit for bit at every thread count. `interrupt`: when it is true at a batch chunk's start (the app's Pause),
  /// the remaining chunks are skipped and StepInterrupted is thrown, so a pause waits for at most one chunk.
  LossReport lossAndGradients(const TokenBatch& batch, std::vector<Matrix<S>>* gradients,
                              const std::atomic<bool>* interrupt = nullptr);

  /// Causal attention weights of one sequence (T ids): layers x heads matrices, each T x T, index layer * heads + head.
  std::vector<Matrix<S>> attentionWeights(const std::vector<int>& tokens);

 private:
  ModelConfig config_;
  std::vector<Parameter<S>> parameters_;
};

extern template class Transformer<float>;
extern template class Transformer<double>;

/// Converts every parameter (float model -> double model and back), names and shapes unchanged.
template <typename To, typename From>
void copyParameters(const Transformer<From>& from, Transformer<To>& to);

}  // namespace attnscope::train
