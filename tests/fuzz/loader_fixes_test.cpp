// The loader fixes made for fuzzing findings (tests/fuzz/RESULTS.md), checked by what the user sees: the error type
// and a message that names the file and the field, or the exact values a repaired load produces. The corpus replay
// (corpus_regression_test.cpp) only checks that the reproducers no longer crash.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <span>
#include <string>

#include "app/gui/scene_io.h"
#include "app/render/png_io.h"
#include "core/error.h"
#include "core/memory_budget.h"
#include "core/model/hf_tokenizer.h"
#include "core/model/llama2c_tokenizer.h"
#include "core/npz.h"
#include "tests/fuzz/largest_allocation.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;

std::string scene(const std::string& extraFields) {
  return R"({"format": "attnscope-scene", "version": 1, "queries": [[1, 0]], "keys": [[0, 1], [-1, 0.5]])" +
         extraFields + "}";
}

/// The message of the attnscope::Error `Expected` thrown by `load`, or a test failure.
template <typename Expected, typename Load>
std::string messageOf(Load load) {
  try {
    load();
  } catch (const Expected& error) {
    return error.what();
  } catch (const std::exception& other) {
    ADD_FAILURE() << "wrong exception: " << other.what();
    return {};
  }
  ADD_FAILURE() << "accepted";
  return {};
}

class LoaderFixesOnFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = fs::temp_directory_path() / ("attnscope-loader-fixes-" + std::to_string(::getpid()));
    fs::create_directories(folder_);
  }
  void TearDown() override {
    fs::remove_all(folder_);
    setMemoryBudgetBytes(std::nullopt);
  }
  fs::path write(const std::string& name, const std::string& bytes) {
    const fs::path path = folder_ / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  fs::path folder_;
};

TEST(SceneJsonFixes, FloatsWhereIntegersBelongAreRefusedByFieldName) {
  // get<int>() on 1e300 was undefined behaviour (UBSan: outside the range of int).
  const std::string version = messageOf<FileError>([] {
    gui::sceneFromString(R"({"format": "attnscope-scene", "version": 1e300, "queries": [[1, 0]], "keys": [[0, 1]]})",
                         "a.json", nullptr);
  });
  EXPECT_NE(version.find("a.json: version: 1e+300 is not a whole number in -2147483648..2147483647"), std::string::npos)
      << version;
  const std::string token = messageOf<FileError>(
      [] { gui::sceneFromString(scene(R"(, "model": {"path": "m.bin", "tokenIds": [5, 2.5]})"), "b.json", nullptr); });
  EXPECT_NE(token.find("b.json: model.tokenIds[1]: 2.5 is not a whole number"), std::string::npos) << token;
  const std::string seed =
      messageOf<FileError>([] { gui::sceneFromString(scene(R"(, "randomSeed": -1)"), "c.json", nullptr); });
  EXPECT_NE(seed.find("randomSeed: -1 is not a whole number in 0..18446744073709551615"), std::string::npos) << seed;
}

TEST(SceneJsonFixes, WholeNumbersWrittenAsFloatsAndTheFullSeedRangeStillLoad) {
  const gui::Scene loaded = gui::sceneFromString(
      scene(R"(, "display": {"densityResolution": 64.0}, "selectedKey": 1e0, "randomSeed": 18446744073709551615)"),
      "d.json", nullptr);
  EXPECT_EQ(loaded.display.densityResolution, 64);
  EXPECT_EQ(loaded.selectedKey, 1);
  EXPECT_EQ(loaded.randomSeed, std::numeric_limits<std::uint64_t>::max());
}

TEST(SceneJsonFixes, NumberBeyondDoubleRangeIsAFileErrorNotACrash) {
  // json::parse throws out_of_range (406), not parse_error, for 1e999: it escaped sceneFromString.
  const std::string message =
      messageOf<FileError>([] { gui::sceneFromString(scene(R"(, "randomSeed": 1e999)"), "e.json", nullptr); });
  EXPECT_EQ(message, "e.json is not valid JSON: number overflow parsing '1e999'");
}

TEST(SceneJsonFixes, DimensionWithoutVectorsAllocatesNothing) {
  // Was: normalise() sized 2 x 2e9 MGK shifts (16 GB) before validate() noticed there were no vectors.
  const std::string message = messageOf<FileError>([] {
    gui::sceneFromString(
        R"({"format": "attnscope-scene", "version": 1, "dimension": 2000000000, "queries": [], "keys": []})", "f.json",
        nullptr);
  });
  EXPECT_NE(message.find("f.json: the scene needs at least one query and one key"), std::string::npos) << message;
}

TEST(SceneJsonFixes, OneDimensionalVectorsArePaddedWithZeros) {
  // Was: conservativeResize left the second column uninitialised (whatever the allocator returned).
  const gui::Scene loaded = gui::sceneFromString(
      R"({"format": "attnscope-scene", "version": 1, "queries": [[1.5]], "keys": [[2], [-3]]})", "g.json", nullptr);
  ASSERT_EQ(loaded.dimension(), 2);
  EXPECT_EQ(loaded.queries(0, 0), 1.5f);
  EXPECT_EQ(loaded.queries(0, 1), 0.0f);
  EXPECT_EQ(loaded.keys(0, 1), 0.0f);
  EXPECT_EQ(loaded.keys(1, 0), -3.0f);
  EXPECT_EQ(loaded.keys(1, 1), 0.0f);
}

TEST_F(LoaderFixesOnFiles, PngWhoseHeaderAsksForGigabytesIsRefusedBeforeAllocating) {
  // A 69-byte PNG claiming 30000 x 30000 RGB pixels: readPng allocated 3.6 GB before libpng found no image data.
  const fs::path bomb =
      fs::path(ATTNSCOPE_SOURCE_DIR) / "tests/fuzz/corpus/png_scene/crash_header_30000x30000_bomb.png";
  ASSERT_TRUE(fs::exists(bomb));
  setMemoryBudgetBytes(std::uint64_t{256} << 20);
  const std::string message = messageOf<ResourceError>([&] { render::readPng(bomb.string()); });
  EXPECT_NE(message.find("the 30000 x 30000 pixels of PNG " + bomb.string() + " would need 3.4 GiB"), std::string::npos)
      << message;
  // loadSceneFile needs only the text (one row buffer), but before even that row exists the header's 2.7 GB of RGB
  // pixels are compared with the 12 bytes of IDAT, which inflate to at most 1032 x 13 bytes.
  setMemoryBudgetBytes(std::nullopt);
  const std::string scene = messageOf<FileError>([&] { gui::loadSceneFile(bomb.string()); });
  EXPECT_EQ(scene, "cannot read PNG " + bomb.string() +
                       ": the 30000 x 30000 pixels need at least 2700000000 bytes of image data, more than its 12 "
                       "bytes of IDAT chunks can hold (truncated or corrupt)");
}

TEST_F(LoaderFixesOnFiles, PngChunkLongerThanTheFileIsRefusedBeforeLibpngAllocatesIt) {
  // A 298-byte PNG whose tEXt chunk declares 1073741943 bytes: libpng allocated a 1 GiB buffer for it before reading.
  const fs::path lie = fs::path(ATTNSCOPE_SOURCE_DIR) / "tests/fuzz/corpus/png_scene/crash_chunk_length_1gib_alloc.png";
  ASSERT_TRUE(fs::exists(lie));
  ASSERT_EQ(fs::file_size(lie), 298u);
  // 298 bytes - 8 (signature) - 25 (IHDR chunk) - 12 (tEXt length, type, CRC) = 253 bytes remain for its data.
  const std::string expected = "cannot read PNG " + lie.string() +
                               ": chunk tEXt at byte 33 declares 1073741943 bytes but only 253 remain in the file "
                               "(truncated or corrupt)";
  EXPECT_EQ(messageOf<FileError>([&] { gui::loadSceneFile(lie.string()); }), expected);
  EXPECT_EQ(messageOf<FileError>([&] { render::readPng(lie.string()); }), expected);
}

TEST(PngText, SameTextAsAFullReadWithoutThePixels) {
  for (const char* name : {"valid_golden_canvas.png", "valid_gray16_interlaced_ztxt.png",
                           "valid_gray_alpha_text_after_idat.png", "valid_rgba_itxt_compressed.png"}) {
    SCOPED_TRACE(name);
    const std::string path = (fs::path(ATTNSCOPE_SOURCE_DIR) / "tests/fuzz/corpus/png_scene" / name).string();
    const render::PngFile full = render::readPng(path);
    const render::PngFile text = render::readPngText(path);
    EXPECT_EQ(text.text, full.text);
    EXPECT_EQ(text.text.count(gui::kPngSceneKey), 1u);
    EXPECT_GT(full.image.width, 0);
    EXPECT_EQ(text.image.width, 0);
    EXPECT_TRUE(text.image.rgba.empty());
  }
}

TEST_F(LoaderFixesOnFiles, TokenizerIdsMustBeIntegersInRange) {
  auto open = [this](const std::string& text) { model::openHfTokenizer(write("tokenizer.json", text)); };
  const std::string floatId =
      messageOf<FileError>([&] { open(R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 1e300}}})"); });
  EXPECT_NE(floatId.find("tokenizer.json': model.vocab id of 'a' must be an integer in 0..2147483646, found 1e+300"),
            std::string::npos)
      << floatId;
  // INT_MAX used to overflow vocabSize = maxId + 1 (UBSan: signed integer overflow).
  const std::string intMax = messageOf<FileError>(
      [&] { open(R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 2147483647}}})"); });
  EXPECT_NE(intMax.find("found 2147483647"), std::string::npos) << intMax;
  const std::string cls = messageOf<FileError>([&] {
    open(R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 1}},
             "post_processor": {"type": "BertProcessing", "cls": ["[CLS]", 0.5], "sep": ["[SEP]", 1]}})");
  });
  EXPECT_NE(cls.find("post_processor.cls id must be an integer"), std::string::npos) << cls;
  const std::string maxChars = messageOf<FileError>(
      [&] { open(R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0}, "max_input_chars_per_word": -1}})"); });
  EXPECT_NE(maxChars.find("model.max_input_chars_per_word must be an integer"), std::string::npos) << maxChars;
}

TEST_F(LoaderFixesOnFiles, SparseTokenizerIdsCostOnlyTheTokensListed) {
  // One id of 100000000 made a 3.2 GB table of strings from a 60-byte file. The table now holds only the listed
  // tokens: the largest id still sets the vocabulary size, ids in the gap decode to nothing, and a 16 MiB budget (less
  // than the 30.5 MiB a slot per id would take) is enough.
  setMemoryBudgetBytes(std::uint64_t{16} << 20);
  const fs::path path =
      write("tokenizer.json", R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 1000000}}})");
  std::size_t largest = 0;
  std::unique_ptr<model::Tokenizer> tokenizer;
  {
    fuzz::LargestAllocation tracker;
    tokenizer = model::openHfTokenizer(path);
    largest = tracker.bytes();
  }
  EXPECT_LT(largest, std::size_t{64} << 10) << "a slot per id would be 1000001 x 32 bytes";
  EXPECT_EQ(tokenizer->vocabSize(), 1000001);
  EXPECT_EQ(tokenizer->piece(1000000), "a");
  EXPECT_EQ(tokenizer->piece(5), "");
  EXPECT_EQ(tokenizer->piece(1000001), "<id 1000001>");
}

// Validate, then allocate (issue 12): each input below claims megabytes to gigabytes in a header field and is refused
// with its message before any allocation of that size; the largest allocation made is measured
// (tests/fuzz/largest_allocation.h) and must stay at the loader's fixed working size.
constexpr std::size_t kSmallAllocation = std::size_t{256} << 10;

TEST_F(LoaderFixesOnFiles, SceneDimensionIsCheckedAgainstTheRowsBeforeTheMatrixIsSized) {
  // The fuzzer's reproducer: matrixFromJson sized a 1 x 2000000000 float matrix (8 GB) before reading the row.
  const std::string text = R"({"format":"attnscope-scene","version":1,"dimension":2000000000,"queries":[],"keys":[5]})";
  std::string message;
  std::size_t largest = 0;
  {
    fuzz::LargestAllocation tracker;
    message = messageOf<FileError>([&] { gui::sceneFromString(text, "x.json", nullptr); });
    largest = tracker.bytes();
  }
  EXPECT_EQ(message, "x.json: keys[0]: expected an array of 2000000000 numbers");
  EXPECT_LT(largest, kSmallAllocation);
}

TEST_F(LoaderFixesOnFiles, Llama2cTokenizerTablesGrowWithTheEntriesPresent) {
  // 14 bytes: max_token_length 8, then token 0 with score 0 and length 5 but only 2 bytes. A model with a vocabulary
  // of 1000000 used to size 1000000 strings (32 MB) and scores (4 MB) before reading token 0.
  std::string bytes(12, '\0');
  bytes[0] = 8;
  bytes[8] = 5;
  const fs::path path = write("tok.bin", bytes + "ab");
  std::string message;
  std::size_t largest = 0;
  {
    fuzz::LargestAllocation tracker;
    message = messageOf<FileError>([&] { model::openLlama2cTokenizer(path, 1000000); });
    largest = tracker.bytes();
  }
  EXPECT_EQ(
      message,
      path.string() + ": truncated llama2.c tokenizer: token 0 needs 5 bytes at offset 12 but the file has 14 bytes");
  EXPECT_LT(largest, kSmallAllocation);
}

TEST_F(LoaderFixesOnFiles, NpzDeclaredSizesAreCheckedAgainstTheCompressedBytes) {
  // Python's zipfile archives of q.npy (2 x 3 float32) with the uncompressed size patched to 100 MiB, within the
  // fuzz budget of 256 MiB: only the stored bytes can refuse them.
  setMemoryBudgetBytes(std::uint64_t{256} << 20);
  const fs::path corpus = fs::path(ATTNSCOPE_SOURCE_DIR) / "tests/fuzz/corpus/npz";
  struct Case {
    const char* file;
    std::string expected;
  };
  const Case cases[] = {
      {"bad_declared_100mib_stored.npz",
       "x.npz: member 'q.npy': declares 104857600 bytes but stores 152 (damaged archive)"},
      {"bad_declared_100mib_deflated.npz",
       "x.npz: member 'q.npy': declares 104857600 bytes inflated from 76 compressed bytes, more than deflate's maximum "
       "ratio of 1032:1 (damaged archive)"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    std::ifstream in(corpus / c.file, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(text.empty());
    const auto* data = reinterpret_cast<const std::byte*>(text.data());
    std::string message;
    std::size_t largest = 0;
    {
      fuzz::LargestAllocation tracker;
      message = messageOf<FileError>([&] { parseNpz(std::span(data, text.size()), "x.npz"); });
      largest = tracker.bytes();
    }
    EXPECT_EQ(message, c.expected);
    EXPECT_LT(largest, kSmallAllocation);
  }
}

TEST_F(LoaderFixesOnFiles, PngImageDataIsCheckedAgainstTheHeaderBeforeAnyRow) {
  // 68 bytes: IHDR of 1000000 x 1 RGBA at 16 bits (libpng's width limit) and an IDAT of 8 zero bytes compressed.
  // libpng's row buffers and ours took 8 MB each before the missing data was noticed.
  const fs::path png =
      fs::path(ATTNSCOPE_SOURCE_DIR) / "tests/fuzz/corpus/png_scene/bad_1000000x1_rgba16_without_data.png";
  std::string message;
  std::size_t largest = 0;
  {
    fuzz::LargestAllocation tracker;
    message = messageOf<FileError>([&] { render::readPngText(png.string()); });
    largest = tracker.bytes();
  }
  EXPECT_EQ(message, "cannot read PNG " + png.string() +
                         ": the 1000000 x 1 pixels need at least 8000000 bytes of image data, more than its 11 bytes "
                         "of IDAT chunks can hold (truncated or corrupt)");
  EXPECT_LT(largest, kSmallAllocation);
}

}  // namespace
}  // namespace attnscope
