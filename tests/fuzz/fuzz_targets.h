// One entry point per attnscope loader, shared by the libFuzzer executables (tests/fuzz/fuzz_main.cpp) and the
// corpus regression test of the normal build (tests/fuzz/corpus_regression_test.cpp). Each feeds arbitrary bytes
// through a loader and, when it loads, through what the app does next (read tensors, encode, run one token).
// attnscope::Error is the expected way to refuse input and is swallowed; anything else escapes and is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace attnscope::fuzz {

using FuzzFunction = void (*)(std::span<const std::uint8_t> bytes);

struct FuzzTarget {
  std::string_view name;  // also the corpus folder tests/fuzz/corpus/<name>/
  FuzzFunction run;
};

/// Every target, in a fixed order: npy, npz, safetensors, llama2c, gguf, llama2c_tokenizer, hf_tokenizer, hf_config,
/// capture, scene_json, png_scene.
std::span<const FuzzTarget> fuzzTargets();

/// The target called `name`, or nullptr.
const FuzzTarget* findFuzzTarget(std::string_view name);

/// Runs one input; returns true if the loader accepted it, false if it threw attnscope::Error.
bool runFuzzInput(const FuzzTarget& target, std::span<const std::uint8_t> bytes);

}  // namespace attnscope::fuzz
