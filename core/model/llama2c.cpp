// llama2.c checkpoint loader: checks the 7-field header and the exact file size before reading a byte of weights,
// rejects non-finite weights by tensor name, and runs the shared Llama decoder with capture.
#include "core/model/llama2c.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <system_error>

#include "core/error.h"
#include "core/memory_budget.h"
#include "core/model/llama2c_tokenizer.h"

namespace attnscope::model {
namespace {

constexpr int64_t kHeaderBytes = 7 * sizeof(int32_t);

struct Llama2cHeader {
  int32_t dim, hiddenDim, layers, heads, kvHeads, vocabSize, seqLen;
};

// One tensor of the file, in file order; shapes as stored (stacked over layers for per-layer tensors).
struct TensorLayout {
  std::string name;
  std::vector<int64_t> shape;
  int64_t count() const {
    int64_t n = 1;
    for (int64_t s : shape) n *= s;
    return n;
  }
};

std::string describe(const Llama2cHeader& h) {
  return "dim " + std::to_string(h.dim) + ", hidden_dim " + std::to_string(h.hiddenDim) + ", n_layers " +
         std::to_string(h.layers) + ", n_heads " + std::to_string(h.heads) + ", n_kv_heads " +
         std::to_string(h.kvHeads) + ", vocab_size " + std::to_string(h.vocabSize) + ", seq_len " +
         std::to_string(h.seqLen);
}

// Returns an empty string if the header is plausible, else what is wrong. Limits are far above any llama2.c model
// but keep every size product inside int64 and reject garbage read from a non-checkpoint file.
std::string headerProblem(const Llama2cHeader& h) {
  auto outside = [](int64_t value, int64_t low, int64_t high) { return value < low || value > high; };
  if (outside(h.dim, 1, 1 << 16)) return "dim must be in [1, 65536]";
  if (outside(h.hiddenDim, 1, 1 << 18)) return "hidden_dim must be in [1, 262144]";
  if (outside(h.layers, 1, 1024)) return "n_layers must be in [1, 1024]";
  if (outside(h.heads, 1, h.dim)) return "n_heads must be in [1, dim]";
  if (outside(h.kvHeads, 1, h.heads)) return "n_kv_heads must be in [1, n_heads]";
  if (h.vocabSize == 0 || outside(std::abs(int64_t(h.vocabSize)), 1, 1 << 22))
    return "|vocab_size| must be in [1, 4194304]";
  if (outside(h.seqLen, 1, 1 << 20)) return "seq_len must be in [1, 1048576]";
  if (h.dim % h.heads != 0) return "n_heads must divide dim";
  if (h.heads % h.kvHeads != 0) return "n_kv_heads must divide n_heads";
  if ((h.dim / h.heads) % 2 != 0) return "the head dimension dim / n_heads must be even for RoPE";
  return {};
}

// The tensors of a llama2.c file in order (run.c's memory_map_weights), including the two legacy RoPE tables.
std::vector<TensorLayout> tensorLayout(const Llama2cHeader& h) {
  const int64_t dim = h.dim, hidden = h.hiddenDim, layers = h.layers, vocab = std::abs(int64_t(h.vocabSize));
  const int64_t headDim = dim / h.heads, kvDim = h.kvHeads * headDim;
  std::vector<TensorLayout> tensors = {
      {"token_embedding_table", {vocab, dim}},
      {"rms_att_weight", {layers, dim}},
      {"wq", {layers, dim, dim}},
      {"wk", {layers, kvDim, dim}},
      {"wv", {layers, kvDim, dim}},
      {"wo", {layers, dim, dim}},
      {"rms_ffn_weight", {layers, dim}},
      {"w1", {layers, hidden, dim}},
      {"w2", {layers, dim, hidden}},
      {"w3", {layers, hidden, dim}},
      {"rms_final_weight", {dim}},
      {"freq_cis_real", {h.seqLen, headDim / 2}},
      {"freq_cis_imag", {h.seqLen, headDim / 2}},
  };
  if (h.vocabSize < 0) tensors.push_back({"wcls", {vocab, dim}});
  return tensors;
}

int64_t payloadFloats(const std::vector<TensorLayout>& tensors) {
  int64_t total = 0;
  for (const auto& t : tensors) total += t.count();
  return total;
}

std::string fileName(const std::filesystem::path& path) {
  return path.string();
}

// Reads the header; returns false (with `problem`) instead of throwing so looksLikeLlama2cModel can share it.
bool readHeader(const std::filesystem::path& path, Llama2cHeader& header, int64_t& fileSize, std::string& problem) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    problem = "not a regular file (or it does not exist)";
    return false;
  }
  fileSize = int64_t(std::filesystem::file_size(path, ec));
  if (ec) {
    problem = "cannot read its size: " + ec.message();
    return false;
  }
  if (fileSize < kHeaderBytes) {
    problem = "the file has " + std::to_string(fileSize) + " bytes, fewer than the 28-byte llama2.c header";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  std::array<int32_t, 7> fields{};
  if (!in.read(reinterpret_cast<char*>(fields.data()), kHeaderBytes)) {
    problem = "cannot read the 28-byte header";
    return false;
  }
  // llama2.c's export.py --version 1/2 files start with the magic "ak42" and a 256-byte header; run.c reads only
  // the legacy (version 0) layout, and so do we.
  if (fields[0] == 0x616b3432) {
    problem = "this is a llama2.c version " + std::to_string(fields[1]) +
              " export (magic \"ak42\"); only the legacy format that run.c reads is supported: re-export with "
              "`python export.py --version 0 model.bin --checkpoint ckpt.pt`";
    return false;
  }
  header = {fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], fields[6]};
  problem = headerProblem(header);
  if (!problem.empty()) {
    problem = "invalid llama2.c header (" + describe(header) + "): " + problem;
    return false;
  }
  const int64_t expected = kHeaderBytes + payloadFloats(tensorLayout(header)) * int64_t(sizeof(float));
  if (fileSize != expected) {
    problem = std::string(fileSize < expected ? "truncated" : "oversized") + " llama2.c checkpoint: the header (" +
              describe(header) + ") needs exactly " + std::to_string(expected) + " bytes but the file has " +
              std::to_string(fileSize);
    return false;
  }
  return true;
}

}  // namespace

Llama2cModel::Llama2cModel(ModelInfo info, LlamaConfig config, bool sharedClassifier, std::vector<float> weights,
                           bool legacyRopeTables)
    : info_(std::move(info)), config_(config), sharedClassifier_(sharedClassifier), storage_(std::move(weights)) {
  const int64_t dim = config_.modelDim, hidden = config_.hiddenDim, layers = config_.layers;
  const int64_t kvDim = config_.kvDim(), vocab = config_.vocabSize;
  const int64_t expected = vocab * dim + 2 * layers * dim + 2 * layers * dim * dim + 2 * layers * kvDim * dim +
                           3 * layers * hidden * dim + dim +
                           (legacyRopeTables ? int64_t(config_.maxSequence) * config_.headDim() : 0) +
                           (sharedClassifier ? 0 : vocab * dim);
  if (int64_t(storage_.size()) != expected)
    throw InputError("Llama2cModel: " + std::to_string(storage_.size()) + " weights given, the sizes need " +
                     std::to_string(expected));
  const float* cursor = storage_.data();
  auto take = [&cursor](int64_t count) {
    const float* start = cursor;
    cursor += count;
    return start;
  };
  weights_.tokenEmbedding = take(vocab * dim);
  weights_.attentionNorm = take(layers * dim);
  weights_.wq = take(layers * dim * dim);
  weights_.wk = take(layers * kvDim * dim);
  weights_.wv = take(layers * kvDim * dim);
  weights_.wo = take(layers * dim * dim);
  weights_.ffnNorm = take(layers * dim);
  weights_.w1 = take(layers * hidden * dim);
  weights_.w2 = take(layers * dim * hidden);
  weights_.w3 = take(layers * hidden * dim);
  weights_.finalNorm = take(dim);
  if (legacyRopeTables) take(int64_t(config_.maxSequence) * config_.headDim());  // unused: RoPE is recomputed
  weights_.classifier = sharedClassifier ? weights_.tokenEmbedding : take(vocab * dim);
}

void Llama2cModel::setTokenizer(std::shared_ptr<const Tokenizer> tokenizer, std::filesystem::path tokenizerPath) {
  if (tokenizer && tokenizer->vocabSize() != config_.vocabSize)
    throw InputError("the tokenizer has " + std::to_string(tokenizer->vocabSize()) + " tokens but the model " +
                     info_.path + " has a vocabulary of " + std::to_string(config_.vocabSize));
  tokenizer_ = std::move(tokenizer);
  tokenizerPath_ = tokenizer_ ? std::move(tokenizerPath) : std::filesystem::path{};
}

ModelCapture Llama2cModel::run(std::span<const int> tokenIds, const RunOptions& options) {
  const int count = int(tokenIds.size());
  if (count == 0) throw InputError("no tokens to run: give at least one token id");
  if (tokenIds.size() > size_t(config_.maxSequence))
    throw InputError(std::to_string(tokenIds.size()) + " tokens exceed the model's context of " +
                     std::to_string(config_.maxSequence) + " positions");
  for (size_t i = 0; i < tokenIds.size(); ++i)
    if (tokenIds[i] < 0 || tokenIds[i] >= config_.vocabSize)
      throw InputError("token id " + std::to_string(tokenIds[i]) + " at position " + std::to_string(i) +
                       " is outside the vocabulary [0, " + std::to_string(config_.vocabSize) + ")");

  LlamaDecoder decoder = makeDecoder();
  decoder.reset({.capacity = count, .heads = options.captureAttention, .logits = true});
  for (int i = 0; i < count; ++i) {
    decoder.step(tokenIds[i]);
    if (options.progress && !options.progress(float(i + 1) / float(count))) throw Error("cancelled");
  }
  ModelCapture capture = decoder.takeCapture();
  capture.tokenTexts.reserve(count);
  for (int id : capture.tokenIds)
    capture.tokenTexts.push_back(tokenizer_ ? tokenizer_->piece(id)
                                            : std::string(1, '[').append(std::to_string(id)) + ']');
  return capture;
}

bool looksLikeLlama2cModel(const std::filesystem::path& path) {
  Llama2cHeader header{};
  int64_t fileSize = 0;
  std::string problem;
  return readHeader(path, header, fileSize, problem);
}

std::optional<std::filesystem::path> findLlama2cTokenizer(const std::filesystem::path& modelPath, int vocabSize) {
  namespace fs = std::filesystem;
  const fs::path directory = modelPath.has_parent_path() ? modelPath.parent_path() : fs::path(".");
  std::vector<fs::path> candidates = {directory / ("tok" + std::to_string(vocabSize) + ".bin"),
                                      directory / "tokenizer.bin"};
  std::error_code ec;
  std::vector<fs::path> others;
  for (fs::directory_iterator it(directory, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with("tok") && name.ends_with(".bin")) others.push_back(it->path());
  }
  std::sort(others.begin(), others.end());
  candidates.insert(candidates.end(), others.begin(), others.end());
  for (const fs::path& candidate : candidates) {
    if (!fs::is_regular_file(candidate, ec) || fs::equivalent(candidate, modelPath, ec)) continue;
    try {
      openLlama2cTokenizer(candidate, vocabSize);
      return candidate;
    } catch (const Error&) {
      // Not a tokenizer of this vocabulary size: keep looking.
    }
  }
  return std::nullopt;
}

std::unique_ptr<Model> openLlama2cModel(const std::filesystem::path& path) {
  Llama2cHeader header{};
  int64_t fileSize = 0;
  std::string problem;
  if (!readHeader(path, header, fileSize, problem)) throw FileError(fileName(path) + ": " + problem);

  const std::vector<TensorLayout> layout = tensorLayout(header);
  const int64_t floats = payloadFloats(layout);
  requireWithinBudget(static_cast<double>(floats) * sizeof(float), fileName(path) + ": the weights");
  std::vector<float> storage;
  try {
    storage.resize(size_t(floats));
  } catch (const std::bad_alloc&) {
    throw ResourceError(fileName(path) + ": cannot allocate " + std::to_string(floats * 4) + " bytes for the weights");
  }
  std::ifstream in(path, std::ios::binary);
  in.seekg(kHeaderBytes);
  if (!in.read(reinterpret_cast<char*>(storage.data()), std::streamsize(floats * sizeof(float))))
    throw FileError(fileName(path) + ": read failed after " + std::to_string(in.gcount()) + " of " +
                    std::to_string(floats * 4) + " weight bytes");

  ModelInfo info;
  info.path = path.string();
  info.format = "llama2.c";
  info.architecture = "llama";
  info.layers = header.layers;
  info.heads = header.heads;
  info.keyValueHeads = header.kvHeads;
  info.modelDim = header.dim;
  info.headDim = header.dim / header.heads;
  info.vocabSize = std::abs(header.vocabSize);
  info.maxSequence = header.seqLen;
  info.causal = true;
  info.rope = true;
  int64_t offset = 0;
  for (const TensorLayout& tensor : layout) {
    const int64_t count = tensor.count();
    // The legacy RoPE tables are not used (angles are recomputed), so garbage there must not block loading.
    if (!tensor.name.starts_with("freq_cis"))
      for (int64_t i = 0; i < count; ++i)
        if (!std::isfinite(storage[size_t(offset + i)]))
          throw FileError(fileName(path) + ": tensor " + tensor.name + " has a non-finite value at element " +
                          std::to_string(i) + " (file offset " +
                          std::to_string(kHeaderBytes + (offset + i) * int64_t(sizeof(float))) + ")");
    info.tensors.push_back({tensor.name, "F32", tensor.shape});
    offset += count;
  }

  LlamaConfig config;
  config.modelDim = header.dim;
  config.hiddenDim = header.hiddenDim;
  config.layers = header.layers;
  config.heads = header.heads;
  config.kvHeads = header.kvHeads;
  config.vocabSize = info.vocabSize;
  config.maxSequence = header.seqLen;
  auto model = std::make_unique<Llama2cModel>(std::move(info), config, header.vocabSize > 0, std::move(storage));
  if (auto tokenizerPath = findLlama2cTokenizer(path, config.vocabSize))
    model->setTokenizer(openLlama2cTokenizer(*tokenizerPath, config.vocabSize), *tokenizerPath);
  return model;
}

}  // namespace attnscope::model
