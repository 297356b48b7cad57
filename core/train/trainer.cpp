// The training loop (see trainer.h).
#include "core/train/trainer.h"

#include <malloc.h>

#include <cmath>

namespace attnscope::train {

void keepTrainingMemoryResident() {
#ifdef M_MMAP_THRESHOLD
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest allowed value (DEFAULT_MMAP_THRESHOLD_MAX)
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

TrainResult trainModel(Transformer<float>& model, const BatchFunction& batches, const TrainOptions& options,
                       const StepCallback& onStep) {
  keepTrainingMemoryResident();
  if (options.steps < 0) throw InputError("--steps must be >= 0");
  Optimizer optimizer(options.optimizer, model.parameters());
  TrainResult result;
  std::vector<Matrix<float>> gradients;
  std::vector<Matrix<float>> lastGood;  // weights before the latest update
  for (int step = 0; step < options.steps; ++step) {
    const TokenBatch batch = batches(step);
    LossReport report;
    try {
      report = model.lossAndGradients(batch, &gradients, options.interrupt);
    } catch (const StepInterrupted&) {
      if (options.resume && options.resume()) {
        --step;  // the same step again
        continue;
      }
      result.cancelled = true;
      break;
    }
    bool finite = std::isfinite(report.loss);
    for (const Matrix<float>& g : gradients) finite = finite && g.allFinite();
    if (!finite) {
      // The weights of this step came from an update of the previous one: the previous weights are the last ones
      // with a finite loss.
      int kept = step;
      if (!lastGood.empty()) {
        for (size_t i = 0; i < lastGood.size(); ++i) model.parameters()[i].value = lastGood[i];
        kept = step - 1;
      }
      throw TrainingDiverged("training stopped: the loss is not finite at step " + std::to_string(step + 1) +
                                 " (learning rate too high? try a smaller --lr or --clip); kept the weights of step " +
                                 std::to_string(kept),
                             kept);
    }
    lastGood.resize(model.parameters().size());
    for (size_t i = 0; i < lastGood.size(); ++i) lastGood[i] = model.parameters()[i].value;
    StepRecord record;
    record.step = step + 1;
    record.loss = report.loss;
    record.crossEntropy = report.crossEntropy;
    record.alignment = report.alignment;
    record.accuracy = report.accuracy;
    record.learningRate = optimizer.learningRateAt(step);
    record.gradientNorm = optimizer.step(model.parameters(), gradients);
    result.history.push_back(record);
    result.stepsDone = step + 1;
    if (onStep && !onStep(record)) {
      result.cancelled = true;
      break;
    }
  }
  return result;
}

LossReport evaluateModel(Transformer<float>& model, const BatchFunction& batches, int batchCount) {
  LossReport total;
  double weightSum = 0.0;
  for (int i = 0; i < batchCount; ++i) {
    const LossReport r = model.lossAndGradients(batches(i), nullptr);
    total.crossEntropy += r.crossEntropy * r.counted;
    total.accuracy += r.accuracy * r.counted;
    weightSum += r.counted;
    total.counted += r.counted;
  }
  if (weightSum > 0) {
    total.crossEntropy /= weightSum;
    total.accuracy /= weightSum;
  }
  total.loss = total.crossEntropy;
  return total;
}

}  // namespace attnscope::train
