// Loader entry points for fuzzing: bytes -> temp file (for path-based loaders) -> load -> use what loaded.
#include "tests/fuzz/fuzz_targets.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "app/gui/scene_io.h"
#include "app/render/png_io.h"
#include "core/error.h"
#include "core/memory_budget.h"
#include "core/model/capture_file.h"
#include "core/model/gguf.h"
#include "core/model/gguf_model.h"
#include "core/model/hf_config.h"
#include "core/model/hf_tokenizer.h"
#include "core/model/llama2c.h"
#include "core/model/llama2c_tokenizer.h"
#include "core/model/safetensors.h"
#include "core/model/spm_tokenizer.h"
#include "core/npy.h"
#include "core/npz.h"

namespace attnscope::fuzz {
namespace {

namespace fs = std::filesystem;

// A private folder per process, so the llama2.c loader's tokenizer search next to the model sees only our file and
// parallel fuzzers (-jobs) do not overwrite each other's inputs. Emptied first, and named with the pid padded to a
// fixed width: a leftover folder of an earlier process with the same pid, or a path one character longer, changes
// which branches the loaders take (their messages quote the path), hence libFuzzer's coverage feedback, and the CI
// smoke must run the same inputs on every run.
const fs::path& scratchFolder() {
  static const fs::path folder = [] {
    char name[32];
    std::snprintf(name, sizeof name, "attnscope-fuzz-%010ld", static_cast<long>(::getpid()));
    fs::path path = fs::temp_directory_path() / name;
    fs::remove_all(path);
    fs::create_directories(path);
    return path;
  }();
  return folder;
}

fs::path writeScratch(const std::string& name, std::span<const std::uint8_t> bytes) {
  fs::path path = scratchFolder() / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  out.close();
  return path;
}

// A modest budget makes "header asks for 40 GiB" a quick ResourceError instead of a slow or failing allocation,
// and keeps the fuzzer well inside libFuzzer's -rss_limit_mb.
void limitMemory() {
  static const bool once = [] {
    setMemoryBudgetBytes(std::uint64_t{256} << 20);
    return true;
  }();
  (void)once;
}

// Texts that exercise byte fallback, multi-byte UTF-8, digits, contractions, whitespace runs and invalid UTF-8.
const std::array<std::string, 6> kTexts = {"",
                                           "Hello world",
                                           "it's 42 days\n\n  ok",
                                           "caf\xc3\xa9 \xe4\xb8\xad\xf0\x9f\x98\x80",
                                           "\xff\xfe\x80 broken",
                                           std::string("nul\0byte", 8)};

void exerciseTokenizer(const model::Tokenizer& tokenizer) {
  for (const std::string& text : kTexts) {
    try {
      std::vector<int> ids = tokenizer.encode(text, true);
      (void)tokenizer.decode(ids);
      for (int id : ids) (void)tokenizer.piece(id);
    } catch (const Error&) {
      // A vocabulary may legitimately lack what a text needs (no byte fallback): the next text must still work.
    }
  }
  const int vocab = tokenizer.vocabSize();
  std::vector<int> all;
  for (int id = 0; id < std::min(vocab, 300); ++id) all.push_back(id);
  (void)tokenizer.decode(all);
}

void fuzzNpy(std::span<const std::uint8_t> bytes) {
  NpyArray array = parseNpy(std::as_bytes(bytes), "fuzz.npy");
  if (array.elementCount() != array.values.size()) std::abort();
}

void fuzzNpz(std::span<const std::uint8_t> bytes) {
  for (const NpzMember& member : parseNpz(std::as_bytes(bytes), "fuzz.npz")) {
    if (member.name.empty() || member.array.elementCount() != member.array.values.size()) std::abort();
    if (member.array.shape.size() == 2) (void)npyMatrix(member.array, member.name);
  }
}

void fuzzSafetensors(std::span<const std::uint8_t> bytes) {
  model::SafetensorsFile file(writeScratch("fuzz.safetensors", bytes));
  for (const model::SafetensorsEntry& entry : file.entries()) {
    try {
      std::vector<float> values = file.readFloats(entry.name);
      if (static_cast<std::int64_t>(values.size()) != entry.elementCount()) std::abort();
      (void)file.readMatrix(entry.name);
    } catch (const Error&) {
      // Unsupported dtype or rank for this tensor: the others must still be readable.
    }
  }
}

void fuzzLlama2c(std::span<const std::uint8_t> bytes) {
  std::unique_ptr<model::Model> model = model::openLlama2cModel(writeScratch("model.bin", bytes));
  const model::ModelInfo& info = model->info();
  std::vector<int> ids = {0, std::max(0, info.vocabSize - 1)};
  ids.resize(std::min<std::size_t>(ids.size(), static_cast<std::size_t>(std::max(1, info.maxSequence))));
  model::ModelCapture capture = model->run(ids);
  if (capture.tokens != static_cast<int>(ids.size())) std::abort();
}

// GGUF: every metadata value through the accessor of its type, every tensor dequantised, and files that name an
// architecture opened as a model (with its embedded vocabulary) and run on two tokens.
void fuzzGguf(std::span<const std::uint8_t> bytes) {
  const fs::path path = writeScratch("model.gguf", bytes);
  {
    const model::GgufFile file(path);
    for (const std::string& key : file.keys()) {
      (void)file.describeValue(key);
      switch (file.type(key)) {
        case model::GgufValueType::String:
          (void)file.string(key);
          break;
        case model::GgufValueType::Array:
          if (file.arrayElementType(key) == model::GgufValueType::String) {
            if (file.stringArray(key).size() != file.arraySize(key)) std::abort();
          } else if (file.arrayElementType(key) == model::GgufValueType::Float32 ||
                     file.arrayElementType(key) == model::GgufValueType::Float64) {
            (void)file.floatArray(key);
          } else if (file.arrayElementType(key) != model::GgufValueType::Array) {
            (void)file.integerArray(key);
          }
          break;
        case model::GgufValueType::Float32:
        case model::GgufValueType::Float64:
          (void)file.real(key);
          break;
        case model::GgufValueType::Bool:
          (void)file.boolean(key);
          break;
        default:
          try {
            (void)file.integer(key);
          } catch (const Error&) {
            // A UINT64 above INT64's range: refused by integer(), the rest of the file stays readable.
          }
      }
    }
    for (const model::GgufTensorInfo& tensor : file.tensors())
      if (static_cast<std::int64_t>(file.readFloats(tensor).size()) != tensor.elementCount()) std::abort();
    if (!file.has("general.architecture")) return;
  }
  std::unique_ptr<model::Model> model = model::openGgufModel(path);
  const model::ModelInfo& info = model->info();
  std::vector<int> ids = {0, std::max(0, info.vocabSize - 1)};
  ids.resize(std::min<std::size_t>(ids.size(), static_cast<std::size_t>(std::max(1, info.maxSequence))));
  if (model->run(ids).tokens != static_cast<int>(ids.size())) std::abort();
}

// Input: 2 bytes little-endian vocabulary size (1..4096, so a tiny file can match it), then the tokenizer file.
void fuzzLlama2cTokenizer(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 2) return;
  int vocab = 1 + ((bytes[0] | (bytes[1] << 8)) % 4096);
  auto tokenizer = model::openLlama2cTokenizer(writeScratch("tokenizer.bin", bytes.subspan(2)), vocab);
  exerciseTokenizer(*tokenizer);
}

void fuzzHfTokenizer(std::span<const std::uint8_t> bytes) {
  auto tokenizer = model::openHfTokenizer(writeScratch("tokenizer.json", bytes));
  exerciseTokenizer(*tokenizer);
}

// The SentencePiece-style tokenizer.json path (Prepend/Replace normalizer or Metaspace, byte fallback): the same
// loader as hf_tokenizer, with a corpus of that form so mutations stay near it.
void fuzzSpmTokenizerJson(std::span<const std::uint8_t> bytes) {
  auto tokenizer = model::openHfTokenizer(writeScratch("spm_tokenizer.json", bytes));
  exerciseTokenizer(*tokenizer);
}

// A GGUF file's tokenizer.ggml.* metadata (llama = scored SentencePiece, gpt2 = byte-level BPE).
void fuzzGgufTokenizer(std::span<const std::uint8_t> bytes) {
  const model::GgufFile file(writeScratch("vocab.gguf", bytes));
  auto tokenizer = model::openGgufTokenizer(file);
  exerciseTokenizer(*tokenizer);
}

void fuzzHfConfig(std::span<const std::uint8_t> bytes) {
  (void)model::parseHfConfigText(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()), "config.json");
}

void fuzzCapture(std::span<const std::uint8_t> bytes) {
  fs::path path = writeScratch("capture.safetensors", bytes);
  (void)model::isCaptureFile(path);
  std::unique_ptr<model::Model> model = model::openCaptureModel(path);
  model::ModelCapture capture = model->run({});
  if (static_cast<int>(capture.tokenIds.size()) != capture.tokens) std::abort();
  (void)model->run(capture.tokenIds);
}

// A scene that loaded must survive what the app does next: save it and open the saved text again. The second load
// must accept it (a scene the app can open but not reopen after saving is a bug) and serialise to the same text.
void roundTripScene(const gui::Scene& scene) {
  const std::string saved = gui::sceneToString(scene);
  gui::Scene again = gui::sceneFromString(saved, "resaved.json", nullptr);
  if (gui::sceneToString(again) != saved) std::abort();
}

void fuzzSceneJson(std::span<const std::uint8_t> bytes) {
  const std::string text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  std::vector<std::string> warnings;
  gui::Scene scene = gui::sceneFromString(text, "fuzz.json", &warnings);
  roundTripScene(scene);
}

// The PNG is read three times: readPng (its image must match its header), readPngText (the same text chunks without
// keeping the pixels), then loadSceneFile's own path (signature sniffing, readPngText, the attnscope-scene chunk,
// sceneFromString).
void fuzzPngScene(std::span<const std::uint8_t> bytes) {
  const fs::path path = writeScratch("scene.png", bytes);
  bool decoded = false;
  std::map<std::string, std::string> text;
  try {
    const render::PngFile png = render::readPng(path.string());
    if (png.image.width < 1 || png.image.height < 1 ||
        png.image.rgba.size() != static_cast<std::size_t>(png.image.width) * png.image.height * 4)
      std::abort();
    decoded = true;
    text = png.text;
  } catch (const Error&) {
    // Not a PNG, a broken one or one over the memory budget: readPngText may still read a large one.
  }
  try {
    const render::PngFile textOnly = render::readPngText(path.string());
    if (!textOnly.image.rgba.empty() || (decoded && textOnly.text != text)) std::abort();
  } catch (const Error&) {
    if (decoded) std::abort();  // the same bytes decoded fully but not row by row
  }
  std::vector<std::string> warnings;
  gui::Scene scene = gui::loadSceneFile(path.string(), &warnings);
  roundTripScene(scene);
}

const std::array<FuzzTarget, 13> kTargets = {{{"npy", fuzzNpy},
                                              {"npz", fuzzNpz},
                                              {"safetensors", fuzzSafetensors},
                                              {"llama2c", fuzzLlama2c},
                                              {"gguf", fuzzGguf},
                                              {"llama2c_tokenizer", fuzzLlama2cTokenizer},
                                              {"hf_tokenizer", fuzzHfTokenizer},
                                              {"spm_tokenizer_json", fuzzSpmTokenizerJson},
                                              {"gguf_tokenizer", fuzzGgufTokenizer},
                                              {"hf_config", fuzzHfConfig},
                                              {"capture", fuzzCapture},
                                              {"scene_json", fuzzSceneJson},
                                              {"png_scene", fuzzPngScene}}};

}  // namespace

std::span<const FuzzTarget> fuzzTargets() {
  return kTargets;
}

const FuzzTarget* findFuzzTarget(std::string_view name) {
  for (const FuzzTarget& target : kTargets)
    if (target.name == name) return &target;
  return nullptr;
}

bool runFuzzInput(const FuzzTarget& target, std::span<const std::uint8_t> bytes) {
  limitMemory();
  try {
    target.run(bytes);
    return true;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace attnscope::fuzz
