// Normal-build regression test over the committed fuzz corpus: every seed and every crash reproducer under
// tests/fuzz/corpus/<target>/ must either load or be refused with attnscope::Error; a crash, a sanitizer report or
// any other exception fails the test. The seeds generated as valid (names starting with "valid_") must load.
// "Validate, then allocate" (issue 12) is checked here too: the largest single heap allocation made while an input is
// loaded must stay below a bound proportional to the input's size (allocationBound below), so a loader that sizes a
// buffer from a header field before checking it against the bytes present fails even where the allocation is lazy
// and the file is refused afterwards.
#include <gtest/gtest.h>

#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_targets.h"
#include "tests/fuzz/largest_allocation.h"

#if defined(__SANITIZE_ADDRESS__)
#define ATTNSCOPE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ATTNSCOPE_ASAN 1
#endif
#endif

#ifdef ATTNSCOPE_ASAN
#include <sanitizer/allocator_interface.h>
#endif

// ---- The counters of tests/fuzz/largest_allocation.h and what feeds them ----
// Every heap allocation of this executable and its libraries goes through malloc (operator new, Eigen's
// aligned_malloc, std::string, libzip, libpng, zlib), so observing malloc sees them all. Plain builds replace the
// glibc entry points with forwarders to glibc's own allocator (__libc_malloc and friends, so free() stays glibc's);
// AddressSanitizer builds own malloc already and report through its allocation hook instead.
namespace attnscope::fuzz {

std::atomic<bool> gTrackingAllocations{false};
std::atomic<std::size_t> gLargestAllocation{0};

}  // namespace attnscope::fuzz

namespace {

void noteAllocation(std::size_t bytes) noexcept {
  using attnscope::fuzz::gLargestAllocation;
  if (!attnscope::fuzz::gTrackingAllocations.load(std::memory_order_relaxed)) return;
  std::size_t seen = gLargestAllocation.load(std::memory_order_relaxed);
  while (bytes > seen && !gLargestAllocation.compare_exchange_weak(seen, bytes, std::memory_order_relaxed)) {
  }
}

}  // namespace

#ifdef ATTNSCOPE_ASAN
namespace {
void asanMallocHook(const volatile void*, std::size_t bytes) {
  noteAllocation(bytes);
}
void asanFreeHook(const volatile void*) {}
[[maybe_unused]] const int kHookInstalled = __sanitizer_install_malloc_and_free_hooks(asanMallocHook, asanFreeHook);
}  // namespace
#else
extern "C" {
void* __libc_malloc(std::size_t bytes);
void* __libc_calloc(std::size_t count, std::size_t bytes);
void* __libc_realloc(void* pointer, std::size_t bytes);
void* __libc_memalign(std::size_t alignment, std::size_t bytes);

void* malloc(std::size_t bytes) noexcept {
  noteAllocation(bytes);
  return __libc_malloc(bytes);
}
void* calloc(std::size_t count, std::size_t bytes) noexcept {
  // An overflowing product is what the caller asked for; saturate so that it counts as huge.
  std::size_t total = 0;
  noteAllocation(__builtin_mul_overflow(count, bytes, &total) ? SIZE_MAX : total);
  return __libc_calloc(count, bytes);
}
void* realloc(void* pointer, std::size_t bytes) noexcept {
  noteAllocation(bytes);
  return __libc_realloc(pointer, bytes);
}
void* memalign(std::size_t alignment, std::size_t bytes) noexcept {
  noteAllocation(bytes);
  return __libc_memalign(alignment, bytes);
}
void* aligned_alloc(std::size_t alignment, std::size_t bytes) noexcept {
  noteAllocation(bytes);
  return __libc_memalign(alignment, bytes);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t bytes) noexcept {
  if (alignment < sizeof(void*) || (alignment & (alignment - 1)) != 0) return EINVAL;
  noteAllocation(bytes);
  void* pointer = __libc_memalign(alignment, bytes);
  if (pointer == nullptr) return ENOMEM;
  *out = pointer;
  return 0;
}
}
#endif

namespace attnscope::fuzz {
namespace {

namespace fs = std::filesystem;

/// Keeps the compiler from proving an allocation unused and removing it (new/delete and malloc/free pairs may be).
void keep(const void* pointer) {
  asm volatile("" : : "g"(pointer) : "memory");
}

// The bound on one allocation while loading `inputBytes` bytes: kBytesPerInputByte x inputBytes + kFixedBytes.
// - kBytesPerInputByte = 64: the widest legitimate expansion of a plain format. A scene's JSON text spends at least
//   2 bytes per number ("0,"); the parsed document holds a 16-byte nlohmann::json per number in a std::vector that may
//   have twice the capacity (16x), and the MGK offsets hold up to 4 floats per key coordinate (8x). Binary formats
//   (npy, safetensors, llama2.c) expand by at most 2x (float16 to float32). 64 leaves headroom over 16 without
//   letting a lying header through: the crafted inputs of the corpus claim over 1000x their size.
// - kFixedBytes = 1 MiB: buffers whose size does not depend on the input (zlib's 32 KiB window and state, stream and
//   libzip buffers, the llama2.c tokenizer target's up to 4096-entry vocabulary table chosen by the fuzz input's
//   first two bytes, as a model's vocab_size would choose it).
// - Deflate-compressed targets expand legitimately by up to 1032:1 (zlib's maximum ratio, from its technical notes):
//   npz members by that ratio (their declared inflated sizes are checked against the compressed bytes and the memory
//   budget before inflating), PNG pixels by that ratio times 32 (the IDAT bytes are checked against the header's
//   image size before any row buffer exists, and a 1-bit grey pixel becomes 32 bits of RGBA).
// - Known exception, not in the corpus: a llama2.c decoder allocates its KV cache for all seq_len positions at once
//   (layers x seq_len x kv_dim floats, checked against the memory budget; row llama2c-kv-budget). The file holds
//   only seq_len x head_dim floats of RoPE tables for them, so a legal checkpoint with very many layers and a long
//   context can need more than 64x its size. If the fuzzer adds such an input, the decoder should grow its cache
//   with the positions used rather than this bound grow.
constexpr double kBytesPerInputByte = 64.0;
constexpr double kDeflateMaximumRatio = 1032.0;
constexpr double kRgbaBitsPerOneBitPixel = 32.0;
constexpr double kFixedBytes = 1 << 20;

double allocationBound(const FuzzTarget& target, std::size_t inputBytes) {
  double perInputByte = kBytesPerInputByte;
  if (target.name == "npz") perInputByte = kDeflateMaximumRatio;
  if (target.name == "png_scene") perInputByte = kDeflateMaximumRatio * kRgbaBitsPerOneBitPixel;
  return perInputByte * static_cast<double>(inputBytes) + kFixedBytes;
}

TEST(LargestAllocation, SeesOperatorNewEigenAndMalloc) {
  std::size_t fromNew = 0, fromEigen = 0, fromMalloc = 0, outside = 0;
  {
    LargestAllocation tracker;
    std::vector<char> bytes(3 << 20);
    keep(bytes.data());
    fromNew = tracker.bytes();
  }
  {
    LargestAllocation tracker;
    Eigen::MatrixXf matrix(1000, 700);
    keep(matrix.data());
    fromEigen = tracker.bytes();
  }
  {
    LargestAllocation tracker;
    void* pointer = std::malloc(5 << 20);
    keep(pointer);
    std::free(pointer);
    fromMalloc = tracker.bytes();
  }
  std::vector<char> untracked(7 << 20);
  keep(untracked.data());
  {
    LargestAllocation tracker;
    outside = tracker.bytes();
  }
  EXPECT_EQ(fromNew, std::size_t{3} << 20);
  EXPECT_GE(fromEigen, std::size_t{1000} * 700 * sizeof(float));  // Eigen may add its alignment padding
  EXPECT_LT(fromEigen, std::size_t{1000} * 700 * sizeof(float) + 128);
  EXPECT_EQ(fromMalloc, std::size_t{5} << 20);
  EXPECT_EQ(outside, 0u) << "allocations made while no tracker is alive must not count";
}

std::vector<std::uint8_t> readBytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class CorpusRegression : public ::testing::TestWithParam<FuzzTarget> {};

TEST_P(CorpusRegression, EveryFileLoadsOrIsRefusedWithAnError) {
  const FuzzTarget& target = GetParam();
  fs::path folder = fs::path(ATTNSCOPE_SOURCE_DIR) / "tests" / "fuzz" / "corpus" / std::string(target.name);
  ASSERT_TRUE(fs::is_directory(folder)) << folder << " is missing: run tests/fuzz/make_seeds.py";
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 3u) << "each target needs valid seeds and corrupt ones";
  int loaded = 0, refused = 0;
  double worstShare = 0.0;  // largest allocation / bound, over the folder
  std::string worstFile;
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    std::vector<std::uint8_t> bytes = readBytes(file);
    bool accepted = false;
    std::size_t largest = 0;
    {
      LargestAllocation tracker;
      EXPECT_NO_THROW(accepted = runFuzzInput(target, bytes));
      largest = tracker.bytes();
    }
    const double bound = allocationBound(target, bytes.size());
    EXPECT_LE(static_cast<double>(largest), bound)
        << "validate, then allocate: a " << bytes.size() << "-byte input made a single allocation of " << largest
        << " bytes (bound " << static_cast<std::uint64_t>(bound) << ")";
    if (largest / bound > worstShare) {
      worstShare = largest / bound;
      worstFile = file.filename().string() + " (" + std::to_string(bytes.size()) + " bytes, largest allocation " +
                  std::to_string(largest) + ")";
    }
    if (file.filename().string().rfind("valid_", 0) == 0) EXPECT_TRUE(accepted) << "a valid seed was refused";
    if (file.filename().string().rfind("bad_", 0) == 0) EXPECT_FALSE(accepted) << "a corrupt seed was accepted";
    (accepted ? loaded : refused)++;
  }
  EXPECT_GT(loaded, 0) << "no seed of " << target.name << " loads: the fuzzer would only explore error paths";
  RecordProperty("loaded", loaded);
  RecordProperty("refused", refused);
  RecordProperty("largest_allocation_share_of_bound", std::to_string(worstShare));
  std::cout << target.name << ": largest allocation relative to its bound " << worstShare << ", from " << worstFile
            << "\n";
}

INSTANTIATE_TEST_SUITE_P(Loaders, CorpusRegression, ::testing::ValuesIn(fuzzTargets().begin(), fuzzTargets().end()),
                         [](const ::testing::TestParamInfo<FuzzTarget>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace attnscope::fuzz
