// The largest single heap allocation made while a LargestAllocation is alive, for the tests of fuzz_corpus_tests
// ("validate, then allocate", issue 12). The counters and the malloc observers that feed them are defined in
// tests/fuzz/corpus_regression_test.cpp: glibc builds replace malloc and its relatives there with forwarders to glibc's
// own allocator, AddressSanitizer builds use its allocation hook. Every allocation of the process counts (operator
// new, Eigen, std::string, libzip, libpng, zlib all allocate through malloc), so one tracker at a time.
#pragma once

#include <atomic>
#include <cstddef>

namespace attnscope::fuzz {

extern std::atomic<bool> gTrackingAllocations;
extern std::atomic<std::size_t> gLargestAllocation;

/// Records the largest single allocation (bytes requested) from construction until destruction.
class LargestAllocation {
 public:
  LargestAllocation() {
    gLargestAllocation.store(0);
    gTrackingAllocations.store(true);
  }
  ~LargestAllocation() { gTrackingAllocations.store(false); }
  LargestAllocation(const LargestAllocation&) = delete;
  LargestAllocation& operator=(const LargestAllocation&) = delete;
  /// The largest request so far, in bytes.
  std::size_t bytes() const { return gLargestAllocation.load(); }
};

}  // namespace attnscope::fuzz
