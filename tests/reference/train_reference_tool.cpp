// Writes seeded small training cases for tests/reference/train_reference.py: one safetensors file per (kernel,
// regulariser) holding the model's parameters (GPT-2 names), the batch, and the C++ loss and gradients from the
// double and the float model, so PyTorch autograd can recompute them independently.
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "../core/train_test_models.h"
#include "core/model/safetensors.h"
#include "core/train/transformer.h"

using namespace attnscope;
using namespace attnscope::train;

namespace {

template <typename S>
std::vector<float> flat(const Matrix<S>& m) {
  std::vector<float> values(static_cast<size_t>(m.size()));
  for (Eigen::Index i = 0; i < m.size(); ++i) values[static_cast<size_t>(i)] = static_cast<float>(m.data()[i]);
  return values;
}

void writeCase(const std::filesystem::path& folder, Kernel kernel, AlignmentKind align, bool learned = false) {
  const ModelConfig config = testing::smallTrainConfig(kernel, align, learned);
  Transformer<double> exact(config);
  std::mt19937 engine(12);
  testing::seedFarFromUniform(exact, 11, engine);  // float-representable: the F32 file holds the weights exactly
  Transformer<float> single(config);
  copyParameters(exact, single);
  TokenBatch batch;
  batch.batch = 3;
  batch.length = 6;
  for (int i = 0; i < 18; ++i) {
    batch.inputs.push_back(static_cast<int>(engine() % 7));
    batch.targets.push_back(static_cast<int>(engine() % 7));
    batch.weights.push_back(i % 4 == 2 ? 0.0f : 1.0f);
  }
  std::vector<Matrix<double>> gradients;
  std::vector<Matrix<float>> gradientsFloat;
  const LossReport report = exact.lossAndGradients(batch, &gradients);
  const LossReport reportFloat = single.lossAndGradients(batch, &gradientsFloat);

  std::vector<model::SafetensorsTensor> tensors;
  for (size_t p = 0; p < exact.parameters().size(); ++p) {
    const Parameter<double>& parameter = exact.parameters()[p];
    tensors.push_back({parameter.name, parameter.shape, flat(parameter.value)});
    tensors.push_back({"grad64." + parameter.name, parameter.shape, flat(gradients[p])});
    tensors.push_back({"grad32." + parameter.name, parameter.shape, flat(gradientsFloat[p])});
  }
  auto ints = [](const std::vector<int>& v) { return std::vector<float>(v.begin(), v.end()); };
  tensors.push_back({"batch.inputs", {3, 6}, ints(batch.inputs)});
  tensors.push_back({"batch.targets", {3, 6}, ints(batch.targets)});
  tensors.push_back({"batch.weights", {3, 6}, batch.weights});
  const std::map<std::string, std::string> metadata = {
      {"kernel", std::string(kernelName(kernel))},
      {"align", alignmentKindName(align)},
      {"align_weight", std::to_string(config.alignment.weight)},
      {"layers", "2"},
      {"heads", "2"},
      {"dim", "8"},
      {"components", "2"},
      {"loss64", std::to_string(report.loss)},
      {"loss32", std::to_string(reportFloat.loss)},
  };
  const std::string name =
      std::string(kernelName(kernel)) + "_" + alignmentKindName(align) + (learned ? "_learned" : "") + ".safetensors";
  model::writeSafetensors(folder / name, tensors, metadata);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: train_reference_tool OUTDIR\n");
    return 2;
  }
  const std::filesystem::path folder = argv[1];
  std::filesystem::create_directories(folder);
  for (Kernel kernel : kAllKernels) writeCase(folder, kernel, AlignmentKind::None);
  for (Kernel kernel : {Kernel::Dpa, Kernel::Ea, Kernel::Mgk}) {
    writeCase(folder, kernel, AlignmentKind::Ct);
    writeCase(folder, kernel, AlignmentKind::Mmd);
  }
  writeCase(folder, Kernel::Mgk, AlignmentKind::None, true);
  writeCase(folder, Kernel::MgkHard, AlignmentKind::None, true);
  return 0;
}
