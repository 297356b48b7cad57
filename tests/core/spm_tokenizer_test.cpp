// Tests for core/model/spm_tokenizer.cpp (llama.cpp's SPM merging), gguf_tokenizer.cpp (openGgufTokenizer) and the
// SentencePiece-style tokenizer.json path of hf_tokenizer.cpp: tiny vocabularies worked out by hand, the real
// stories260K vocabulary against the llama2.c tokenizer of the same model, and bad GGUF tokenizer metadata.
// (Token-for-token agreement with llama.cpp's vectors and with sentencepiece is checked by tests/cmake/tok.cmake.)
#include "core/model/spm_tokenizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/model/gguf.h"
#include "core/model/hf_tokenizer.h"
#include "core/model/llama2c_tokenizer.h"
#include "tests/core/test_scratch_dir.h"

namespace attnscope::model {
namespace {

namespace fs = std::filesystem;
using Ids = std::vector<int>;
using attnscope::test_support::testDir;
using T = SpmTokenType;

const fs::path kModels = ATTNSCOPE_MODELS_DIR;

/// Ids: 0 <unk>, 1 <s>, 2 </s>, 3 ▁, 4 a, 5 b, 6 ▁a, 7 ab, 8 aa, 9 <0xC3>, 10 <0xA9>, 11 ba (unused), 12 bab.
SpmVocabulary tinyVocabulary() {
  SpmVocabulary v;
  v.pieces = {"<unk>",
              "<s>",
              "</s>",
              "\xE2\x96\x81",
              "a",
              "b",
              "\xE2\x96\x81"
              "a",
              "ab",
              "aa",
              "<0xC3>",
              "<0xA9>",
              "ba",
              "bab"};
  v.scores = {0, 0, 0, -1, -2, -2, -0.5f, -0.2f, -0.3f, 0, 0, 0, -0.05f};
  v.types = {T::Unknown, T::Control, T::Control, T::Normal, T::Normal, T::Normal, T::Normal,
             T::Normal,  T::Normal,  T::Byte,    T::Byte,   T::Unused, T::Normal};
  return v;
}

TEST(SpmTokenizer, MergesTheHighestScoringPairFirst) {
  const SpmTokenizer tokenizer(tinyVocabulary());
  // "▁ab": ▁a scores -0.5, ab -0.2, so ab merges first and ▁ stays alone.
  EXPECT_EQ(tokenizer.encode("ab", false), (Ids{3, 7}));
  // "▁aaa": the two aa pairs tie at -0.3; the leftmost merges, leaving ▁ aa a (▁aa and aaa are not pieces).
  EXPECT_EQ(tokenizer.encode("aaa", false), (Ids{3, 8, 4}));
  EXPECT_EQ(tokenizer.encode("a", true), (Ids{1, 6}));
  EXPECT_TRUE(tokenizer.encode("", false).empty());
  EXPECT_EQ(tokenizer.encode("", true), (Ids{1}));
}

TEST(SpmTokenizer, FallsBackToBytesAndUnknown) {
  const SpmTokenizer tokenizer(tinyVocabulary());
  EXPECT_EQ(tokenizer.encode("\xC3\xA9", false), (Ids{3, 9, 10}));  // é = C3 A9, both byte tokens exist
  EXPECT_EQ(tokenizer.encode("\xC3\xBC", false), (Ids{3, 9, 0}));   // ü = C3 BC: no <0xBC>, so <unk>
  EXPECT_EQ(tokenizer.decode(Ids{1, 6, 3, 9, 10}), "a \xC3\xA9");   // BOS prints nothing, the dummy space goes
  EXPECT_EQ(tokenizer.decode(Ids{6, 0}), "a \xE2\x81\x87 ");        // SentencePiece's " ⁇ " for <unk>
  EXPECT_EQ(tokenizer.piece(6), " a");
  EXPECT_EQ(tokenizer.piece(9), "<0xC3>");
  EXPECT_EQ(tokenizer.piece(99), "<id 99>");
}

TEST(SpmTokenizer, UnusedPiecesAreResegmented) {
  const SpmTokenizer tokenizer(tinyVocabulary());
  // "▁ba": ba (unused, score 0) merges, then is split back into b a.
  EXPECT_EQ(tokenizer.encode("ba", false), (Ids{3, 5, 4}));
  // "▁bab": ba merges first, then ba + b = bab (a normal piece) survives.
  EXPECT_EQ(tokenizer.encode("bab", false), (Ids{3, 12}));
}

TEST(SpmTokenizer, ControlTokensInTheTextAreMatchedAndRestartTheDummyPrefix) {
  const SpmTokenizer tokenizer(tinyVocabulary());
  // "a" -> ▁a; "<s>" -> 1; "b" after a special token gets the dummy prefix again: ▁ b.
  EXPECT_EQ(tokenizer.encode("a<s>b", false), (Ids{6, 1, 3, 5}));
  SpmVocabulary noPrefix = tinyVocabulary();
  noPrefix.addSpacePrefix = false;
  noPrefix.addBos = false;
  const SpmTokenizer plain(std::move(noPrefix));
  EXPECT_EQ(plain.encode("ab", true), (Ids{7}));
  EXPECT_EQ(plain.decode(Ids{3, 7}), " ab");  // no dummy prefix to remove
}

TEST(SpmTokenizer, WithoutTokenTypesBytePiecesAreFoundByName) {
  SpmVocabulary v = tinyVocabulary();
  v.types.clear();  // every piece Normal: <0xC3> / <0xA9> are still the byte fallback, by name
  const SpmTokenizer tokenizer(std::move(v));
  EXPECT_EQ(tokenizer.encode("\xC3\xA9", false), (Ids{3, 9, 10}));
  EXPECT_EQ(tokenizer.decode(Ids{3, 9, 10}), "\xC3\xA9");
  EXPECT_EQ(tokenizer.encode("ba", false), (Ids{3, 11}));  // ba is Normal now: no resegmentation
}

TEST(SpmTokenizer, RefusesInconsistentVocabularies) {
  SpmVocabulary v = tinyVocabulary();
  v.scores.pop_back();
  EXPECT_THROW(SpmTokenizer{v}, InputError);
  v = tinyVocabulary();
  v.bosId = 13;
  EXPECT_THROW(SpmTokenizer{v}, InputError);
  EXPECT_THROW(SpmTokenizer{SpmVocabulary{}}, InputError);
}

TEST(SpmTokenizer, Stories260KGgufVocabularyEncodesLikeItsLlama2cTokenizer) {
  // The same 512-piece SentencePiece vocabulary in two files: llama2.c's tok512.bin and the GGUF metadata.
  const GgufFile file(kModels / "gguf" / "stories260K.gguf");
  const std::unique_ptr<Tokenizer> gguf = openGgufTokenizer(file);
  const std::unique_ptr<Llama2cTokenizer> llama2c = openLlama2cTokenizer(kModels / "tok512.bin", 512);
  ASSERT_EQ(gguf->vocabSize(), 512);
  for (const std::string text :
       {"Once upon a time, there was a little girl named Lily.", "  two  spaces ", "Tom said: \"Hi!\"\n\tThe end.",
        "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\xA6\x99"}) {
    const Ids ids = gguf->encode(text, true);
    EXPECT_EQ(ids, llama2c->encode(text, true)) << text;
    EXPECT_EQ(gguf->decode(ids), text);
  }
  // Worked by hand from tok512.bin: BOS, then "▁O" "n" "ce" ... ; the first ids are fixed numbers.
  EXPECT_EQ(gguf->encode("Once", true).front(), 1);
}

// ----- GGUF tokenizer metadata -----------------------------------------------------------------------------------

/// A minimal GGUF v3 writer (metadata only, no tensors) for hand-made vocabularies.
class GgufWriter {
 public:
  void string(const std::string& key, const std::string& value) {
    keyHeader(key, 8);
    text(value);
    ++count_;
  }
  void u32(const std::string& key, uint32_t value) {
    keyHeader(key, 4);
    raw(value);
    ++count_;
  }
  void boolean(const std::string& key, bool value) {
    keyHeader(key, 7);
    raw(uint8_t(value));
    ++count_;
  }
  void strings(const std::string& key, const std::vector<std::string>& values) {
    keyHeader(key, 9);
    raw(uint32_t(8));
    raw(uint64_t(values.size()));
    for (const std::string& value : values) text(value);
    ++count_;
  }
  void floats(const std::string& key, const std::vector<float>& values) {
    keyHeader(key, 9);
    raw(uint32_t(6));
    raw(uint64_t(values.size()));
    for (float value : values) raw(value);
    ++count_;
  }
  void ints(const std::string& key, const std::vector<int32_t>& values) {
    keyHeader(key, 9);
    raw(uint32_t(5));
    raw(uint64_t(values.size()));
    for (int32_t value : values) raw(value);
    ++count_;
  }
  fs::path write(const std::string& name) const {
    const fs::path path = testDir() / name;
    std::ofstream out(path, std::ios::binary);
    out.write("GGUF", 4);
    const uint32_t version = 3;
    const uint64_t tensors = 0;
    out.write(reinterpret_cast<const char*>(&version), 4);
    out.write(reinterpret_cast<const char*>(&tensors), 8);
    out.write(reinterpret_cast<const char*>(&count_), 8);
    out.write(body_.data(), std::streamsize(body_.size()));
    return path;
  }

 private:
  template <typename Value>
  void raw(Value value) {
    char bytes[sizeof(Value)];
    std::memcpy(bytes, &value, sizeof(Value));
    body_.append(bytes, sizeof(Value));
  }
  void text(const std::string& value) {
    raw(uint64_t(value.size()));
    body_ += value;
  }
  void keyHeader(const std::string& key, uint32_t type) {
    text(key);
    raw(type);
  }
  std::string body_;
  uint64_t count_ = 0;
};

/// The tiny vocabulary above as GGUF metadata (model "llama").
GgufWriter tinyLlamaGguf() {
  const SpmVocabulary v = tinyVocabulary();
  GgufWriter writer;
  writer.string("tokenizer.ggml.model", "llama");
  writer.strings("tokenizer.ggml.tokens", v.pieces);
  writer.floats("tokenizer.ggml.scores", v.scores);
  std::vector<int32_t> types;
  for (SpmTokenType type : v.types) types.push_back(int32_t(type));
  writer.ints("tokenizer.ggml.token_type", types);
  return writer;
}

std::string ggufTokenizerError(const GgufWriter& writer, const std::string& name) {
  try {
    const GgufFile file(writer.write(name));
    openGgufTokenizer(file);
  } catch (const FileError& error) {
    return error.what();
  }
  return "no error";
}

TEST(GgufTokenizer, ReadsTheLlamaVocabularyAndItsFlags) {
  GgufWriter writer = tinyLlamaGguf();
  writer.boolean("tokenizer.ggml.add_bos_token", false);
  const GgufFile file(writer.write("tiny_llama.gguf"));
  const std::unique_ptr<Tokenizer> tokenizer = openGgufTokenizer(file);
  EXPECT_EQ(tokenizer->encode("aaa", true), (Ids{3, 8, 4}));  // add_bos_token false: no BOS even when asked
  GgufWriter noPrefix = tinyLlamaGguf();
  noPrefix.boolean("tokenizer.ggml.add_space_prefix", false);
  const GgufFile plainFile(noPrefix.write("tiny_llama_no_prefix.gguf"));
  EXPECT_EQ(openGgufTokenizer(plainFile)->encode("ab", true), (Ids{1, 7}));
}

TEST(GgufTokenizer, ReadsAByteLevelVocabularyWithMerges) {
  // GPT-2 spelling: "Ġ" (U+0120) is the space byte. Merges: h e -> he, Ġ he -> Ġhe.
  GgufWriter writer;
  writer.string("tokenizer.ggml.model", "gpt2");
  writer.strings("tokenizer.ggml.tokens", {"h", "e", "\xC4\xA0", "he", "\xC4\xA0he", "<|endoftext|>"});
  writer.ints("tokenizer.ggml.token_type", {1, 1, 1, 1, 1, 3});
  writer.strings("tokenizer.ggml.merges", {"h e", "\xC4\xA0 he"});
  writer.u32("tokenizer.ggml.bos_token_id", 5);
  const GgufFile file(writer.write("tiny_gpt2.gguf"));
  const std::unique_ptr<Tokenizer> tokenizer = openGgufTokenizer(file);
  EXPECT_EQ(tokenizer->encode("he he<|endoftext|>", true), (Ids{3, 4, 5}));  // no add_bos_token: no BOS
  EXPECT_EQ(tokenizer->decode(Ids{3, 4, 5}), "he he<|endoftext|>");
}

TEST(GgufTokenizer, BadMetadataIsOneClearMessageNamingTheFile) {
  GgufWriter noModel;
  noModel.strings("tokenizer.ggml.tokens", {"a"});
  EXPECT_NE(ggufTokenizerError(noModel, "no_model.gguf").find("no_model.gguf: no tokenizer in this GGUF file"),
            std::string::npos);

  GgufWriter shortScores;
  shortScores.string("tokenizer.ggml.model", "llama");
  shortScores.strings("tokenizer.ggml.tokens", {"a", "b", "c"});
  shortScores.floats("tokenizer.ggml.scores", {0, 0});
  EXPECT_NE(ggufTokenizerError(shortScores, "short.gguf")
                .find("short.gguf: tokenizer.ggml.scores has 2 entries but tokenizer.ggml.tokens has 3"),
            std::string::npos);

  GgufWriter nanScore;
  nanScore.string("tokenizer.ggml.model", "llama");
  nanScore.strings("tokenizer.ggml.tokens", {"a", "b"});
  nanScore.floats("tokenizer.ggml.scores", {0, std::nanf("")});
  EXPECT_NE(ggufTokenizerError(nanScore, "nan.gguf").find("tokenizer.ggml.scores[1] is not a finite number"),
            std::string::npos);

  GgufWriter badBos = tinyLlamaGguf();
  badBos.u32("tokenizer.ggml.bos_token_id", 4000);
  EXPECT_NE(ggufTokenizerError(badBos, "bos.gguf")
                .find("tokenizer.ggml.bos_token_id = 4000 is outside the vocabulary of 13 tokens"),
            std::string::npos);

  GgufWriter badType = tinyLlamaGguf();
  badType.ints("tokenizer.ggml.token_type", {1});  // a second, shorter token_type key is refused by the reader or us
  EXPECT_NE(ggufTokenizerError(badType, "type.gguf"), "no error");

  GgufWriter unknownModel;
  unknownModel.string("tokenizer.ggml.model", "bert");
  unknownModel.strings("tokenizer.ggml.tokens", {"a"});
  EXPECT_NE(ggufTokenizerError(unknownModel, "bert.gguf").find("tokenizer.ggml.model 'bert' is not supported"),
            std::string::npos);

  GgufWriter badMerge;
  badMerge.string("tokenizer.ggml.model", "gpt2");
  badMerge.strings("tokenizer.ggml.tokens", {"a", "b"});
  badMerge.strings("tokenizer.ggml.merges", {"a b"});
  EXPECT_NE(ggufTokenizerError(badMerge, "merge.gguf")
                .find("merge.gguf: merge 0 ('a' 'b') names a token that is not in the vocabulary"),
            std::string::npos);
}

// ----- SentencePiece-style tokenizer.json -------------------------------------------------------------------------

/// The newer form: no normalizer, a Metaspace pre-tokenizer (prepend_scheme "first", split), merges as pairs.
/// Ids: 0 <unk>, 1 <s>, 2 </s>, 3 ▁, 4 h, 5 i, 6 ▁h, 7 hi, 8 ▁hi, 9 <0xC3>, 10 <0xA9>.
fs::path writeMetaspaceTokenizer() {
  const std::string bar = "\xE2\x96\x81";
  nlohmann::json vocab = {{"<unk>", 0},   {"<s>", 1}, {"</s>", 2},     {bar, 3},      {"h", 4},      {"i", 5},
                          {bar + "h", 6}, {"hi", 7},  {bar + "hi", 8}, {"<0xC3>", 9}, {"<0xA9>", 10}};
  const nlohmann::json root = {
      {"added_tokens",
       {{{"id", 0}, {"content", "<unk>"}}, {{"id", 1}, {"content", "<s>"}}, {{"id", 2}, {"content", "</s>"}}}},
      {"normalizer", nullptr},
      {"pre_tokenizer", {{"type", "Metaspace"}, {"replacement", bar}, {"prepend_scheme", "first"}, {"split", true}}},
      {"post_processor",
       {{"type", "TemplateProcessing"},
        {"single",
         {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}}}},
      {"decoder",
       {{"type", "Sequence"},
        {"decoders",
         {{{"type", "ByteFallback"}},
          {{"type", "Fuse"}},
          {{"type", "Metaspace"}, {"replacement", bar}, {"prepend_scheme", "first"}}}}}},
      {"model",
       {{"type", "BPE"},
        {"unk_token", "<unk>"},
        {"byte_fallback", true},
        {"fuse_unk", true},
        {"vocab", vocab},
        {"merges", nlohmann::json::array({nlohmann::json::array({"h", "i"}), nlohmann::json::array({bar, "h"}),
                                          nlohmann::json::array({bar, "hi"})})}}}};
  const fs::path path = testDir() / "metaspace_tokenizer.json";
  std::ofstream(path) << root.dump();
  return path;
}

TEST(HfSentencePieceTokenizer, MetaspaceFormMergesByRank) {
  const std::unique_ptr<Tokenizer> tokenizer = openHfTokenizer(writeMetaspaceTokenizer());
  // "▁hi▁hi" split into two words; h i (rank 0) before ▁ h (rank 1), then ▁ hi (rank 2).
  EXPECT_EQ(tokenizer->encode("hi hi", false), (Ids{8, 8}));
  EXPECT_EQ(tokenizer->encode("hi hi", true), (Ids{1, 8, 8}));       // the template's <s>
  EXPECT_EQ(tokenizer->encode(" hi", false), (Ids{8}));              // Metaspace does not prepend a second ▁
  EXPECT_EQ(tokenizer->encode("<s>hi", false), (Ids{1, 7}));         // "first": no ▁ after a leading special token
  EXPECT_EQ(tokenizer->encode("\xC3\xA9", false), (Ids{3, 9, 10}));  // byte fallback
  EXPECT_EQ(tokenizer->encode("\xC3\xBC\xC3\xBC", false), (Ids{3, 0}));  // no <0xBC>: <unk>, fused
  EXPECT_EQ(tokenizer->decode(Ids{1, 8, 8, 3, 9, 10}), "hi hi \xC3\xA9");
  EXPECT_EQ(tokenizer->decode(Ids{9}), "\xEF\xBF\xBD");  // a lone lead byte decodes to U+FFFD
  EXPECT_EQ(tokenizer->piece(8), " hi");
}

TEST(HfSentencePieceTokenizer, FindHfTokenizerPicksUpALlama2Folder) {
  const fs::path folder = testDir() / "tinyllama_folder";
  fs::create_directories(folder);
  fs::copy_file(kModels / "tokenizers" / "tinyllama-tokenizer.json", folder / "tokenizer.json",
                fs::copy_options::overwrite_existing);
  const std::unique_ptr<Tokenizer> tokenizer = findHfTokenizer(folder);
  ASSERT_NE(tokenizer, nullptr);
  // llama.cpp's vector for "Hello world" is 15043 3186; the template adds <s> = 1.
  EXPECT_EQ(tokenizer->encode("Hello world", true), (Ids{1, 15043, 3186}));
  EXPECT_EQ(tokenizer->decode(Ids{1, 15043, 3186}), "Hello world");
  EXPECT_EQ(tokenizer->vocabSize(), 32000);
}

TEST(HfSentencePieceTokenizer, RefusesMalformedFiles) {
  nlohmann::json root = {
      {"normalizer", {{"type", "NFKC"}}},
      {"model",
       {{"type", "BPE"}, {"byte_fallback", true}, {"vocab", {{"a", 0}}}, {"merges", nlohmann::json::array()}}}};
  const fs::path normalizer = testDir() / "nfkc_tokenizer.json";
  std::ofstream(normalizer) << root.dump();
  try {
    openHfTokenizer(normalizer);
    FAIL() << "accepted an NFKC normalizer";
  } catch (const FileError& error) {
    EXPECT_NE(std::string(error.what()).find("nfkc_tokenizer.json': normalizer"), std::string::npos) << error.what();
  }
  root["normalizer"] = nullptr;
  root["model"]["merges"] = {"a b"};
  const fs::path merge = testDir() / "bad_merge_tokenizer.json";
  std::ofstream(merge) << root.dump();
  try {
    openHfTokenizer(merge);
    FAIL() << "accepted a merge of unknown tokens";
  } catch (const FileError& error) {
    EXPECT_NE(std::string(error.what()).find("merge 0 ('a' 'b') names a token that is not in model.vocab"),
              std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace attnscope::model
