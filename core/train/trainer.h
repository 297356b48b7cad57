// The training loop of the lab, shared by `attnscope train`, `attnscope ladder` and the app: batches from a function,
// an optimiser step per batch, a callback per step (progress, logging, Cancel), and a guard that stops on a
// non-finite loss and keeps the last good weights.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/train/optimizer.h"
#include "core/train/tasks.h"

namespace attnscope::train {

struct TrainOptions {
  int steps = 1000;
  OptimizerOptions optimizer;
  /// While true, the step in flight is dropped at its next batch chunk (the weights and the optimiser untouched) and
  /// `resume` is asked what to do: true = run that step again (the same batch, so the same result as without the
  /// interruption), false = stop with TrainResult::cancelled. The app's Pause and Reset, so they need not wait for a
  /// whole step. Without `resume` an interruption stops.
  const std::atomic<bool>* interrupt = nullptr;
  std::function<bool()> resume;
};

struct StepRecord {
  int step = 0;  ///< 1-based: the number of updates done after this record
  double loss = 0.0, crossEntropy = 0.0, alignment = 0.0, accuracy = 0.0;
  double gradientNorm = 0.0, learningRate = 0.0;
};

/// Thrown when the loss or the gradient stops being finite. The model then holds the weights of the last step whose
/// loss was finite; `lastGoodStep` is the number of updates in them.
class TrainingDiverged : public Error {
 public:
  TrainingDiverged(const std::string& message, int lastGoodStep) : Error(message), lastGoodStep(lastGoodStep) {}
  int lastGoodStep;
};

/// Supplies the batch of a 0-based step.
using BatchFunction = std::function<TokenBatch(int64_t step)>;
/// Called after every step; return false to cancel (the model keeps the weights of the steps done).
using StepCallback = std::function<bool(const StepRecord&)>;

struct TrainResult {
  int stepsDone = 0;
  bool cancelled = false;
  std::vector<StepRecord> history;
};

/// Keeps freed memory in the process (glibc: no mmap for large blocks, no trimming) so that the same-sized
/// activations of every step reuse pages instead of faulting fresh zeroed ones in: a third of a small model's step
/// went to page faults before. Process-wide; called by trainModel and the training benchmark.
void keepTrainingMemoryResident();

/// Runs options.steps updates (0 = none). Throws TrainingDiverged (see above) or InputError for bad options.
TrainResult trainModel(Transformer<float>& model, const BatchFunction& batches, const TrainOptions& options,
                       const StepCallback& onStep = {});

/// Mean accuracy (and cross-entropy) over `batchCount` batches without updating: held-out evaluation.
LossReport evaluateModel(Transformer<float>& model, const BatchFunction& batches, int batchCount);

}  // namespace attnscope::train
