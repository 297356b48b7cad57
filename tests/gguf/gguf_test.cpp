// GGUF reader and models against the independent NumPy reference (tests/reference/gguf_reference.py writes the
// fixtures at test time from fixed seeds) and against the real stories260K files of ATTNSCOPE_MODELS_DIR.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/model/gguf.h"
#include "core/model/gguf_model.h"
#include "core/model/llama2c.h"
#include "core/model/llama2c_tokenizer.h"
#include "core/model/llama_generate.h"

namespace attnscope::model {
namespace {

const std::filesystem::path kFixtures = ATTNSCOPE_GGUF_FIXTURES;
const std::filesystem::path kModels = ATTNSCOPE_MODELS_DIR;

std::filesystem::path fixture(const std::string& name) {
  const std::filesystem::path path = kFixtures / name;
  if (!std::filesystem::exists(path))
    throw std::runtime_error("missing " + path.string() + " (written by the CTest fixture gguf_reference_fixtures)");
  return path;
}

std::filesystem::path sharedModel(const std::string& name) {
  const std::filesystem::path path = kModels / name;
  if (!std::filesystem::exists(path))
    throw std::runtime_error("missing " + path.string() + " (configure with -DATTNSCOPE_MODELS_DIR=FOLDER)");
  return path;
}

std::string errorOf(const std::filesystem::path& path) {
  try {
    GgufFile file(path);
  } catch (const FileError& error) {
    return error.what();
  }
  return "(no error)";
}

std::unique_ptr<Llama2cModel> openLlama(const std::filesystem::path& path) {
  std::unique_ptr<Model> model = openModel(path);
  auto* llama = dynamic_cast<Llama2cModel*>(model.get());
  if (llama == nullptr) throw std::runtime_error(path.string() + " did not open as a llama model");
  model.release();
  return std::unique_ptr<Llama2cModel>(llama);
}

std::string readText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string greedyText(const Llama2cModel& model, int steps = 0, std::vector<int>* tokens = nullptr) {
  GenerateOptions options;
  options.steps = steps;
  options.sampler.temperature = 0.0f;
  GenerateResult result = generate(model, *model.tokenizer(), options);
  if (tokens) *tokens = result.tokens;
  return result.text;
}

TEST(Gguf, MetadataOfEveryValueTypeInEveryVersion) {
  for (int version : {1, 2, 3}) {
    SCOPED_TRACE(version);
    const GgufFile file(fixture("types_v" + std::to_string(version) + ".gguf"));
    EXPECT_EQ(file.version(), uint32_t(version));
    EXPECT_EQ(file.alignment(), 64u);
    EXPECT_EQ(file.string("general.name"), "attnscope-test");
    EXPECT_EQ(file.integer("test.u8"), 200);
    EXPECT_EQ(file.integer("test.i8"), -100);
    EXPECT_EQ(file.integer("test.u16"), 60000);
    EXPECT_EQ(file.integer("test.i16"), -30000);
    EXPECT_EQ(file.integer("test.u32"), 4000000000);
    EXPECT_EQ(file.integer("test.i32"), -2000000000);
    EXPECT_EQ(file.integer("test.u64"), int64_t(1) << 40);
    EXPECT_EQ(file.integer("test.i64"), -(int64_t(1) << 40));
    EXPECT_EQ(file.real("test.f32"), 0.25);
    EXPECT_EQ(file.real("test.f64"), -1.5);
    EXPECT_TRUE(file.boolean("test.bool"));
    EXPECT_EQ(file.string("test.string"), "h\u00e9llo \u2581world");
    EXPECT_EQ(file.stringArray("test.strings"), (std::vector<std::string>{"a", "", "\u2581b"}));
    EXPECT_EQ(file.floatArray("test.floats"), (std::vector<float>{0.5f, -2.0f, 3.25f}));
    EXPECT_EQ(file.integerArray("test.ints"), (std::vector<int64_t>{1, -2, 3}));
    EXPECT_EQ(file.type("test.nested"), GgufValueType::Array);
    EXPECT_EQ(file.arrayElementType("test.nested"), GgufValueType::Array);
    EXPECT_EQ(file.arraySize("test.nested"), 3u);
    EXPECT_EQ(file.describeValue("test.nested"), "[ARRAY x 3]");
    EXPECT_FALSE(file.has("test.absent"));
    EXPECT_EQ(file.optionalInteger("test.absent"), std::nullopt);
    EXPECT_EQ(file.keys().size(), 18u);
    EXPECT_THROW(file.string("test.u8"), FileError);
    EXPECT_THROW(file.integer("test.string"), FileError);
    EXPECT_THROW(file.stringArray("test.ints"), FileError);
    try {
      file.integer("test.absent");
      ADD_FAILURE() << "no error for a missing key";
    } catch (const FileError& error) {
      EXPECT_NE(std::string(error.what())
                    .find("types_v" + std::to_string(version) +
                          ".gguf': metadata key "
                          "'test.absent' is missing"),
                std::string::npos)
          << error.what();
    }
  }
}

// Every block type, every version: the C++ dequantisation equals NumPy's bit for bit (both round each product to
// float32 in ggml's order), over 1024 seeded values per type.
TEST(Gguf, DequantisationEqualsNumpyBitForBit) {
  const std::vector<std::string> types = {"F32",  "F16",  "BF16", "Q8_0", "Q4_0", "Q4_1",
                                          "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"};
  for (int version : {1, 2, 3}) {
    const GgufFile file(fixture("types_v" + std::to_string(version) + ".gguf"));
    ASSERT_EQ(file.tensors().size(), types.size());
    for (const std::string& type : types) {
      SCOPED_TRACE(type + " v" + std::to_string(version));
      const GgufTensorInfo& tensor = file.tensor("t." + type);
      EXPECT_EQ(ggmlTypeName(uint32_t(tensor.type)), type);
      EXPECT_EQ(tensor.rowMajorShape(), (std::vector<int64_t>{2, 512}));
      EXPECT_EQ(tensor.offset % 64, 0u);
      const std::vector<float> values = file.readFloats(tensor);
      const std::string expectedBytes = readText(fixture("expected_" + type + ".f32"));
      ASSERT_EQ(expectedBytes.size(), values.size() * sizeof(float));
      size_t mismatches = 0;
      for (size_t i = 0; i < values.size(); ++i)
        mismatches += std::memcmp(&values[i], expectedBytes.data() + 4 * i, 4) != 0;
      EXPECT_EQ(mismatches, 0u);
    }
  }
}

TEST(Gguf, DequantisesHandComputedBlocks) {
  // Q8_0: d = 0.5 (f16 0x3800), quants 0..31 -> 0, 0.5, ..., 15.5.
  std::vector<std::byte> q8(34);
  q8[0] = std::byte{0x00};
  q8[1] = std::byte{0x38};
  for (int i = 0; i < 32; ++i) q8[2 + i] = std::byte(uint8_t(i - 16));
  std::vector<float> out(32);
  dequantiseToFloat(GgmlType::Q8_0, q8, out);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(out[i], 0.5f * float(i - 16));
  // Q4_0: d = 2 (0x4000); byte 0x1F: element 0 = (15 - 8) * 2 = 14, element 16 = (1 - 8) * 2 = -14.
  std::vector<std::byte> q4(18, std::byte{0x88});
  q4[0] = std::byte{0x00};
  q4[1] = std::byte{0x40};
  q4[2] = std::byte{0x1F};
  dequantiseToFloat(GgmlType::Q4_0, q4, out);
  EXPECT_EQ(out[0], 14.0f);
  EXPECT_EQ(out[16], -14.0f);
  EXPECT_EQ(out[1], 0.0f);
  EXPECT_THROW(dequantiseToFloat(GgmlType::Q8_0, q8, std::span<float>(out.data(), 31)), InputError);
}

// ggml writes quantised rows as whole blocks; a row of 40 Q8_0 values is refused by name, before any data is read.
TEST(Gguf, RowsOfPartialBlocksAreRefused) {
  EXPECT_NE(errorOf(fixture("ragged_q8_0.gguf"))
                .find("tensor 'ragged' (Q8_0) has rows of 40 elements, not a whole number of 32-element blocks"),
            std::string::npos)
      << errorOf(fixture("ragged_q8_0.gguf"));
}

// stories260K.gguf holds the .bin's weights (PROVENANCE.md): the same tokens give identical captures, bit for bit,
// and so do the v1 and v2 rewrites of the file.
TEST(GgufModel, Stories260kCaptureEqualsTheBin) {
  const std::unique_ptr<Llama2cModel> bin = openLlama(sharedModel("stories260K.bin"));
  const auto tokenizer = openLlama2cTokenizer(sharedModel("tok512.bin"), 512);
  const std::vector<int> ids = tokenizer->encode("Once upon a time, a little dog found a ball.", true);
  ASSERT_GT(ids.size(), 8u);
  const ModelCapture expected = bin->run(ids);
  for (const std::filesystem::path& path :
       {sharedModel("gguf/stories260K.gguf"), fixture("stories260K_v1.gguf"), fixture("stories260K_v2.gguf")}) {
    SCOPED_TRACE(path.string());
    const std::unique_ptr<Llama2cModel> gguf = openLlama(path);
    EXPECT_EQ(gguf->info().format, "gguf");
    EXPECT_EQ(gguf->info().layers, 5);
    EXPECT_EQ(gguf->info().heads, 8);
    EXPECT_EQ(gguf->info().keyValueHeads, 4);
    EXPECT_EQ(gguf->info().vocabSize, 512);
    EXPECT_EQ(gguf->info().maxSequence, 2048);
    EXPECT_FALSE(gguf->sharedClassifier());
    const ModelCapture capture = gguf->run(ids);
    ASSERT_EQ(capture.queries.size(), expected.queries.size());
    for (size_t h = 0; h < expected.queries.size(); ++h) {
      EXPECT_TRUE(capture.queries[h] == expected.queries[h]) << "head " << h;
      EXPECT_TRUE(capture.keys[h] == expected.keys[h]) << "head " << h;
      EXPECT_TRUE(capture.queriesPreRope[h] == expected.queriesPreRope[h]) << "head " << h;
      EXPECT_TRUE(capture.attention[h] == expected.attention[h]) << "head " << h;
    }
    EXPECT_TRUE(capture.logits == expected.logits);
    // The embedded vocabulary names the tokens as tok512 does.
    ASSERT_NE(gguf->tokenizer(), nullptr);
    EXPECT_EQ(gguf->tokenizer()->encode("Once upon a time, a little dog found a ball.", true), ids);
  }
}

// Greedy generation through the embedded vocabulary prints greedy_reference.txt exactly (v1, v2 and v3 files).
TEST(GgufModel, Stories260kGreedyTextEqualsTheReference) {
  const std::string reference = readText(sharedModel("greedy_reference.txt"));
  for (const std::filesystem::path& path :
       {sharedModel("gguf/stories260K.gguf"), fixture("stories260K_v1.gguf"), fixture("stories260K_v2.gguf")}) {
    SCOPED_TRACE(path.string());
    EXPECT_EQ(greedyText(*openLlama(path), 512), reference);
  }
}

// Q8_0 (and the coarser Q4_0) copies written by the NumPy quantiser. The measure: teacher-forced top-1 agreement,
// i.e. the share of positions of the F32 model's greedy sequence where the quantised model's argmax is the same
// next token, and the length of the common prefix of the two greedy texts.
TEST(GgufModel, QuantisedCopiesGenerateNearlyTheSameText) {
  const std::unique_ptr<Llama2cModel> f32 = openLlama(sharedModel("gguf/stories260K.gguf"));
  std::vector<int> sequence;
  const std::string reference = greedyText(*f32, 512, &sequence);
  struct Expectation {
    std::string file;
    double minimumAgreement;
    size_t minimumPrefix;
  };
  for (const Expectation& expectation :
       {Expectation{"stories260K_q8_0.gguf", 0.98, 250}, Expectation{"stories260K_q4_0.gguf", 0.80, 0}}) {
    SCOPED_TRACE(expectation.file);
    const std::unique_ptr<Llama2cModel> quantised = openLlama(fixture(expectation.file));
    const ModelCapture capture = quantised->run(sequence, {.captureAttention = false});
    int agree = 0;
    for (size_t position = 0; position + 1 < sequence.size(); ++position) {
      Eigen::Index best = 0;
      capture.logits.row(Eigen::Index(position)).maxCoeff(&best);
      agree += int(best) == sequence[position + 1];
    }
    const double agreement = double(agree) / double(sequence.size() - 1);
    const std::string text = greedyText(*quantised, 512);
    const size_t prefix =
        size_t(std::mismatch(text.begin(), text.end(), reference.begin(), reference.end()).first - text.begin());
    std::printf("%s: teacher-forced top-1 agreement %d / %zu = %.4f, greedy text common prefix %zu of %zu bytes\n",
                expectation.file.c_str(), agree, sequence.size() - 1, agreement, prefix, reference.size());
    EXPECT_GE(agreement, expectation.minimumAgreement);
    EXPECT_GE(prefix, expectation.minimumPrefix);
  }
}

// Mistral-style files say rope.freq_base (1e6 here): position p rotates pair i of every head by p * base^(-2i / hd),
// applied to adjacent pairs (2i, 2i + 1), checked by hand on the captured Q before and after RoPE.
TEST(GgufModel, MistralStyleRopeBaseAndGroupedQueryAttention) {
  const std::unique_ptr<Llama2cModel> model = openLlama(fixture("mistral_style.gguf"));
  EXPECT_EQ(model->config().ropeTheta, 1e6f);
  EXPECT_EQ(model->info().heads, 2);
  EXPECT_EQ(model->info().keyValueHeads, 1);
  const std::vector<int> ids = {1, 3, 4, 5, 6};
  const ModelCapture capture = model->run(ids);
  const int headDim = model->info().headDim;
  ASSERT_EQ(headDim, 16);
  for (int head = 0; head < 2; ++head) {
    const RowMatrix& pre = capture.queriesPreRope[capture.headIndex(0, head)];
    const RowMatrix& post = capture.queries[capture.headIndex(0, head)];
    for (int position = 0; position < int(ids.size()); ++position)
      for (int pair = 0; pair < headDim / 2; ++pair) {
        const double angle = position * std::pow(1e6, -2.0 * pair / headDim);
        const double x = pre(position, 2 * pair), y = pre(position, 2 * pair + 1);
        EXPECT_NEAR(post(position, 2 * pair), x * std::cos(angle) - y * std::sin(angle), 1e-5);
        EXPECT_NEAR(post(position, 2 * pair + 1), x * std::sin(angle) + y * std::cos(angle), 1e-5);
      }
  }
  // Both query heads read the one key/value head: their keys are the same.
  EXPECT_TRUE(capture.keys[capture.headIndex(0, 0)] == capture.keys[capture.headIndex(0, 1)]);
}

TEST(GgufModel, InfoListsTensorTypes) {
  const std::unique_ptr<Llama2cModel> q8 = openLlama(fixture("stories260K_q8_0.gguf"));
  // ffn_down rows hold 172 values, not whole 32-value blocks: the quantiser keeps them F32, as llama.cpp does.
  EXPECT_EQ(tensorTypeSummary(q8->info()), "Q8_0 (32), F32 (16)");
  const std::unique_ptr<Llama2cModel> q4 = openLlama(fixture("stories260K_q4_0.gguf"));
  EXPECT_EQ(tensorTypeSummary(q4->info()), "Q4_0 (32), F32 (16)");
}

}  // namespace
}  // namespace attnscope::model
