// The loader fixes made for fuzzing findings (tests/fuzz/RESULTS.md), checked by what the user sees: the error type
// and a message that names the file and the field, or the exact values a repaired load produces. The corpus replay
// (corpus_regression_test.cpp) only checks that the reproducers no longer crash.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "app/gui/scene_io.h"
#include "app/render/png_io.h"
#include "core/error.h"
#include "core/memory_budget.h"
#include "core/model/hf_tokenizer.h"

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
  // loadSceneFile needs only the text: it decodes row by row into one row and meets the missing image data instead.
  setMemoryBudgetBytes(std::nullopt);
  const std::string scene = messageOf<FileError>([&] { gui::loadSceneFile(bomb.string()); });
  EXPECT_EQ(scene, "cannot read PNG " + bomb.string() + ": Not enough image data");
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

TEST_F(LoaderFixesOnFiles, SparseTokenizerIdTableIsCheckedAgainstTheMemoryBudget) {
  // One id of 100000000 made a 3.2 GB table of strings from a 60-byte file; here 1000000 ids (30.5 MiB) against a
  // 16 MiB budget, then the same legal sparse vocabulary within budget.
  setMemoryBudgetBytes(std::uint64_t{16} << 20);
  const fs::path path =
      write("tokenizer.json", R"({"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 1000000}}})");
  const std::string message = messageOf<ResourceError>([&] { model::openHfTokenizer(path); });
  EXPECT_NE(message.find("the id table of tokenizer '" + path.string() + "' (largest id 1000000) would need 30.5 MiB"),
            std::string::npos)
      << message;
  setMemoryBudgetBytes(std::uint64_t{256} << 20);
  EXPECT_EQ(model::openHfTokenizer(path)->vocabSize(), 1000001);
}

}  // namespace
}  // namespace attnscope
