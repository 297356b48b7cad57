// Runs a Hugging Face model folder through attnscope and compares the capture with a NumPy reference capture
// (tests/reference/hf_reference.py); also writes the engine's capture for the Python side to compare.
// Usage: hf_reference_check MODEL_DIR REFERENCE_CAPTURE OUT_CAPTURE. Exit code 0 only if everything agrees to 1e-4.
#include <algorithm>
#include <cstdio>
#include <exception>
#include <span>
#include <string>

#include "core/model/capture_file.h"
#include "core/model/model.h"
#include "core/model/safetensors.h"

namespace {

constexpr float kTolerance = 1e-4f;

float maxDifference(const std::vector<attnscope::RowMatrix>& a, const std::vector<attnscope::RowMatrix>& b) {
  if (a.size() != b.size()) return INFINITY;
  float worst = 0.0f;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].rows() != b[i].rows() || a[i].cols() != b[i].cols()) return INFINITY;
    worst = std::max(worst, (a[i] - b[i]).cwiseAbs().maxCoeff());
  }
  return worst;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s MODEL_DIR REFERENCE_CAPTURE OUT_CAPTURE\n", argv[0]);
    return 2;
  }
  try {
    using namespace attnscope::model;
    // The reference goes through openModel too: it is a capture file written by tools/write_capture.py.
    auto reference = openModel(argv[2]);
    const ModelCapture expected = reference->run({});
    auto model = openModel(argv[1]);
    const ModelCapture got = model->run(expected.tokenIds);
    writeCaptureFile(argv[3], got, argv[1]);

    bool ok = got.causal == expected.causal && got.rope == expected.rope && got.layers == expected.layers &&
              got.heads == expected.heads && got.headDim == expected.headDim;
    if (!ok) std::fprintf(stderr, "capture sizes/flags differ from the reference\n");
    const std::pair<const char*, float> errors[] = {
        {"q", maxDifference(got.queries, expected.queries)},
        {"k", maxDifference(got.keys, expected.keys)},
        {"attn", maxDifference(got.attention, expected.attention)},
        {"q_prerope", maxDifference(got.queriesPreRope, expected.queriesPreRope)},
        {"k_prerope", maxDifference(got.keysPreRope, expected.keysPreRope)},
        // QK-norm models only (empty on both sides otherwise; a missing side gives infinity).
        {"q_prenorm", maxDifference(got.queriesPreNorm, expected.queriesPreNorm)},
        {"k_prenorm", maxDifference(got.keysPreNorm, expected.keysPreNorm)},
    };
    for (const auto& [name, error] : errors) {
      std::printf("%s: max |engine - reference| = %.2e\n", name, error);
      if (!(error <= kTolerance)) ok = false;
    }
    const attnscope::RowMatrix logits = SafetensorsFile(argv[2]).readMatrix("logits");
    const float logitError = logits.rows() == got.logits.rows() && logits.cols() == got.logits.cols()
                                 ? (logits - got.logits).cwiseAbs().maxCoeff()
                                 : INFINITY;
    std::printf("logits: max |engine - reference| = %.2e\n", logitError);
    if (!(logitError <= kTolerance)) ok = false;

    // The key-value cache: the first five tokens in one feed, then one at a time; after each feed the logits must be
    // the full forward's row for that position (the full forward is the one just checked against the reference).
    if (std::unique_ptr<Decoder> decoder = model->startDecoding()) {
      const std::vector<int>& ids = expected.tokenIds;
      float worst = 0.0f;
      size_t fed = 0;
      while (fed < ids.size()) {
        const size_t count = fed == 0 ? std::min<size_t>(5, ids.size()) : 1;
        const std::vector<float> next = decoder->feed(std::span<const int>(ids).subspan(fed, count));
        fed += count;
        const auto row = got.logits.row(static_cast<Eigen::Index>(fed) - 1);
        for (Eigen::Index j = 0; j < row.size(); ++j) worst = std::max(worst, std::abs(next[j] - row(j)));
      }
      std::printf("kv-cache logits: max |cached - full forward| = %.2e over %d positions\n", worst,
                  decoder->position());
      if (!(worst <= kTolerance) || decoder->position() != static_cast<int>(ids.size())) ok = false;
    } else {
      std::printf("kv-cache: none (%s attends both ways)\n", got.causal ? "?" : "an encoder");
      if (got.causal) ok = false;  // every causal model must decode incrementally
    }
    std::printf("%s\n", ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "hf_reference_check: %s\n", error.what());
    return 1;
  }
}
