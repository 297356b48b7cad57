// Normal-build regression test over the committed fuzz corpus: every seed and every crash reproducer under
// tests/fuzz/corpus/<target>/ must either load or be refused with attnscope::Error; a crash, a sanitizer report or
// any other exception fails the test. The seeds generated as valid (names starting with "valid_") must load.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "tests/fuzz/fuzz_targets.h"

namespace attnscope::fuzz {
namespace {

namespace fs = std::filesystem;

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
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    std::vector<std::uint8_t> bytes = readBytes(file);
    bool accepted = false;
    EXPECT_NO_THROW(accepted = runFuzzInput(target, bytes));
    if (file.filename().string().rfind("valid_", 0) == 0) EXPECT_TRUE(accepted) << "a valid seed was refused";
    if (file.filename().string().rfind("bad_", 0) == 0) EXPECT_FALSE(accepted) << "a corrupt seed was accepted";
    (accepted ? loaded : refused)++;
  }
  EXPECT_GT(loaded, 0) << "no seed of " << target.name << " loads: the fuzzer would only explore error paths";
  RecordProperty("loaded", loaded);
  RecordProperty("refused", refused);
}

INSTANTIATE_TEST_SUITE_P(Loaders, CorpusRegression, ::testing::ValuesIn(fuzzTargets().begin(), fuzzTargets().end()),
                         [](const ::testing::TestParamInfo<FuzzTarget>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace attnscope::fuzz
