// libFuzzer entry point; ATTNSCOPE_FUZZ_TARGET (set per executable by tests/cmake/fuzz.cmake) picks the loader.
#include <cstdlib>

#include "tests/fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const attnscope::fuzz::FuzzTarget* target = attnscope::fuzz::findFuzzTarget(ATTNSCOPE_FUZZ_TARGET);
  if (!target) std::abort();
  attnscope::fuzz::runFuzzInput(*target, {data, size});
  return 0;
}
