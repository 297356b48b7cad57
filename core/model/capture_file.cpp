// Q/K capture files: writer, validating reader, and the Model that replays a stored capture.
#include "core/model/capture_file.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/attention_kernels.h"
#include "core/error.h"
#include "core/memory_budget.h"
#include "core/model/safetensors.h"

namespace attnscope::model {
namespace {

using nlohmann::json;

// Flattens layers*heads matrices of rows x cols into one [layers, heads, rows, cols] tensor.
SafetensorsTensor packHeads(const std::string& name, const std::vector<RowMatrix>& matrices, int layers, int heads,
                            int rows, int cols) {
  if (static_cast<int>(matrices.size()) != layers * heads) {
    throw InputError("capture: '" + name + "' has " + std::to_string(matrices.size()) +
                     " matrices, expected layers*heads = " + std::to_string(layers * heads));
  }
  SafetensorsTensor tensor{name, {layers, heads, rows, cols}, {}};
  tensor.values.reserve(static_cast<size_t>(layers) * heads * rows * cols);
  for (size_t i = 0; i < matrices.size(); ++i) {
    const RowMatrix& m = matrices[i];
    if (m.rows() != rows || m.cols() != cols) {
      throw InputError("capture: '" + name + "' matrix " + std::to_string(i) + " is " + std::to_string(m.rows()) +
                       " x " + std::to_string(m.cols()) + ", expected " + std::to_string(rows) + " x " +
                       std::to_string(cols));
    }
    tensor.values.insert(tensor.values.end(), m.data(), m.data() + m.size());
  }
  return tensor;
}

std::string message(const std::filesystem::path& path, const std::string& what) {
  return "capture file '" + path.string() + "': " + what;
}

std::vector<RowMatrix> unpackHeads(const SafetensorsFile& file, const std::string& name, int layers, int heads,
                                   int rows, int cols) {
  const SafetensorsEntry& entry = file.entry(name);
  const std::vector<int64_t> expected = {layers, heads, rows, cols};
  if (entry.shape != expected) {
    std::string shape;
    for (int64_t e : entry.shape) shape += (shape.empty() ? "" : ", ") + std::to_string(e);
    throw FileError(message(file.path(), "tensor '" + name + "' has shape [" + shape + "], expected [" +
                                             std::to_string(layers) + ", " + std::to_string(heads) + ", " +
                                             std::to_string(rows) + ", " + std::to_string(cols) + "]"));
  }
  const std::vector<float> values = file.readFloats(name);
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      throw FileError(
          message(file.path(), "tensor '" + name + "' holds a non-finite value at flat index " + std::to_string(i)));
    }
  }
  std::vector<RowMatrix> matrices;
  matrices.reserve(static_cast<size_t>(layers) * heads);
  const size_t block = static_cast<size_t>(rows) * cols;
  for (int i = 0; i < layers * heads; ++i) {
    matrices.push_back(Eigen::Map<const RowMatrix>(values.data() + i * block, rows, cols));
  }
  return matrices;
}

bool parseFlag(const std::map<std::string, std::string>& metadata, const std::string& key, bool fallback,
               const std::filesystem::path& path) {
  auto it = metadata.find(key);
  if (it == metadata.end()) return fallback;
  if (it->second == "true" || it->second == "1") return true;
  if (it->second == "false" || it->second == "0") return false;
  throw FileError(message(path, "metadata '" + key + "' is '" + it->second + "', expected true or false"));
}

void computeMissingAttention(ModelCapture& capture, const std::string& path);  // defined below

class CaptureModel final : public Model {
 public:
  CaptureModel(ModelInfo info, ModelCapture capture) : info_(std::move(info)), capture_(std::move(capture)) {}
  const ModelInfo& info() const override { return info_; }
  ModelCapture run(std::span<const int> tokenIds, const RunOptions& options) override {
    if (!tokenIds.empty() &&
        !std::equal(tokenIds.begin(), tokenIds.end(), capture_.tokenIds.begin(), capture_.tokenIds.end())) {
      throw InputError("capture file '" + info_.path +
                       "' holds a fixed token sequence and cannot run other tokens; open the model itself to run new "
                       "prompts");
    }
    computeMissingAttention(capture_, info_.path);
    if (options.progress) options.progress(1.0f);
    return capture_;
  }

 private:
  ModelInfo info_;
  ModelCapture capture_;
};

}  // namespace

void writeCaptureFile(const std::filesystem::path& path, const ModelCapture& capture, const std::string& source) {
  const int layers = capture.layers, heads = capture.heads, tokens = capture.tokens, headDim = capture.headDim;
  if (layers <= 0 || heads <= 0 || tokens <= 0 || headDim <= 0) {
    throw InputError("capture: layers, heads, tokens and headDim must be positive (got " + std::to_string(layers) +
                     ", " + std::to_string(heads) + ", " + std::to_string(tokens) + ", " + std::to_string(headDim) +
                     ")");
  }
  if (static_cast<int>(capture.tokenIds.size()) != tokens) {
    throw InputError("capture: " + std::to_string(capture.tokenIds.size()) + " token ids for " +
                     std::to_string(tokens) + " tokens");
  }
  if (!capture.tokenTexts.empty() && static_cast<int>(capture.tokenTexts.size()) != tokens) {
    throw InputError("capture: " + std::to_string(capture.tokenTexts.size()) + " token texts for " +
                     std::to_string(tokens) + " tokens");
  }
  std::vector<SafetensorsTensor> tensors;
  tensors.push_back(packHeads("q", capture.queries, layers, heads, tokens, headDim));
  tensors.push_back(packHeads("k", capture.keys, layers, heads, tokens, headDim));
  if (!capture.attention.empty())
    tensors.push_back(packHeads("attn", capture.attention, layers, heads, tokens, tokens));
  if (capture.rope) {
    tensors.push_back(packHeads("q_prerope", capture.queriesPreRope, layers, heads, tokens, headDim));
    tensors.push_back(packHeads("k_prerope", capture.keysPreRope, layers, heads, tokens, headDim));
  }
  if (!capture.queriesPreNorm.empty()) {
    tensors.push_back(packHeads("q_prenorm", capture.queriesPreNorm, layers, heads, tokens, headDim));
    tensors.push_back(packHeads("k_prenorm", capture.keysPreNorm, layers, heads, tokens, headDim));
  }
  if (capture.logits.size() > 0) {
    if (capture.logits.rows() != tokens) {
      throw InputError("capture: logits have " + std::to_string(capture.logits.rows()) + " rows for " +
                       std::to_string(tokens) + " tokens");
    }
    SafetensorsTensor logits{"logits", {tokens, capture.logits.cols()}, {}};
    logits.values.assign(capture.logits.data(), capture.logits.data() + capture.logits.size());
    tensors.push_back(std::move(logits));
  }
  json texts = json::array();
  for (int i = 0; i < tokens; ++i) {
    texts.push_back(capture.tokenTexts.empty() ? std::to_string(capture.tokenIds[i]) : capture.tokenTexts[i]);
  }
  std::map<std::string, std::string> metadata = {
      {"format", kCaptureFormat},
      {"version", std::to_string(kCaptureVersion)},
      {"tokens", texts.dump(-1, ' ', false, json::error_handler_t::replace)},
      {"token_ids", json(capture.tokenIds).dump()},
      {"causal", capture.causal ? "true" : "false"},
      {"rope", capture.rope ? "true" : "false"},
  };
  if (!source.empty()) metadata["source"] = source;
  writeSafetensors(path, tensors, metadata);
}

bool isCaptureFile(const std::filesystem::path& path) {
  try {
    SafetensorsFile file(path);
    return file.contains("q") && file.metadata().count("token_ids") != 0;
  } catch (const Error&) {
    return false;
  }
}

namespace {

/// Validated header and metadata of a capture file: sizes, flags, token ids and texts.
struct CaptureHeader {
  CaptureSummary summary;
  std::vector<int> tokenIds;
  bool rope = false;
};

CaptureHeader readCaptureHeader(const SafetensorsFile& file) {
  const std::filesystem::path& path = file.path();
  const auto& metadata = file.metadata();
  for (const char* name : {"q", "k"}) {
    if (!file.contains(name)) throw FileError(message(path, std::string("missing tensor '") + name + "'"));
  }
  if (metadata.count("token_ids") == 0) throw FileError(message(path, "missing __metadata__ key 'token_ids'"));
  auto format = metadata.find("format");
  if (format != metadata.end() && format->second != kCaptureFormat) {
    throw FileError(message(path, "metadata format is '" + format->second + "', expected '" + kCaptureFormat + "'"));
  }
  auto version = metadata.find("version");
  if (version != metadata.end() && version->second != std::to_string(kCaptureVersion)) {
    throw FileError(message(path, "capture version " + version->second + " is newer than this attnscope understands (" +
                                      std::to_string(kCaptureVersion) + ")"));
  }
  const SafetensorsEntry& q = file.entry("q");
  if (q.shape.size() != 4 || q.shape[0] <= 0 || q.shape[1] <= 0 || q.shape[2] <= 0 || q.shape[3] <= 0) {
    throw FileError(message(path, "tensor 'q' must have shape [layers, heads, tokens, head_dim] with positive sizes"));
  }
  // Checked before the metadata's token lists are parsed, whose length follows the token count.
  if (q.shape[2] > kMaxCaptureTokens) {
    throw FileError(message(path, "tensor 'q' has " + std::to_string(q.shape[2]) + " tokens, more than the " +
                                      std::to_string(kMaxCaptureTokens) + " attnscope accepts"));
  }
  if (q.shape[0] > 4096 || q.shape[1] > 4096 || q.shape[3] > 65536) {
    throw FileError(message(path, "tensor 'q' claims " + std::to_string(q.shape[0]) + " layers x " +
                                      std::to_string(q.shape[1]) + " heads of dimension " + std::to_string(q.shape[3]) +
                                      " (at most 4096 layers, 4096 heads and dimension 65536)"));
  }
  CaptureHeader header;
  CaptureSummary& capture = header.summary;
  capture.layers = static_cast<int>(q.shape[0]);
  capture.heads = static_cast<int>(q.shape[1]);
  capture.tokens = static_cast<int>(q.shape[2]);
  capture.headDim = static_cast<int>(q.shape[3]);
  const SafetensorsEntry& k = file.entry("k");
  if (k.shape != q.shape) {
    std::string shape;
    for (int64_t e : k.shape) shape += (shape.empty() ? "" : ", ") + std::to_string(e);
    throw FileError(message(path, "tensor 'k' has shape [" + shape + "], expected [" + std::to_string(q.shape[0]) +
                                      ", " + std::to_string(q.shape[1]) + ", " + std::to_string(q.shape[2]) + ", " +
                                      std::to_string(q.shape[3]) + "] like 'q'"));
  }
  try {
    const json ids = json::parse(metadata.at("token_ids"));
    if (!ids.is_array()) throw FileError(message(path, "metadata 'token_ids' is not a JSON array"));
    for (const json& id : ids) {
      if (!id.is_number_integer()) throw FileError(message(path, "metadata 'token_ids' holds a non-integer"));
      header.tokenIds.push_back(id.get<int>());
    }
    if (metadata.count("tokens")) {
      const json texts = json::parse(metadata.at("tokens"));
      if (!texts.is_array()) throw FileError(message(path, "metadata 'tokens' is not a JSON array"));
      for (const json& text : texts) {
        if (!text.is_string()) throw FileError(message(path, "metadata 'tokens' holds a non-string"));
        capture.tokenTexts.push_back(text.get<std::string>());
      }
    }
  } catch (const json::exception& error) {
    throw FileError(message(path, std::string("metadata 'tokens'/'token_ids' is not valid JSON: ") + error.what()));
  }
  if (static_cast<int>(header.tokenIds.size()) != capture.tokens) {
    throw FileError(message(path, "metadata has " + std::to_string(header.tokenIds.size()) +
                                      " token_ids but tensor 'q' has " + std::to_string(capture.tokens) + " tokens"));
  }
  if (capture.tokenTexts.empty()) {
    for (int id : header.tokenIds) capture.tokenTexts.push_back(std::to_string(id));
  } else if (static_cast<int>(capture.tokenTexts.size()) != capture.tokens) {
    throw FileError(message(path, "metadata has " + std::to_string(capture.tokenTexts.size()) +
                                      " tokens but tensor 'q' has " + std::to_string(capture.tokens)));
  }
  capture.causal = parseFlag(metadata, "causal", true, path);
  capture.hasAttention = file.contains("attn");
  header.rope = parseFlag(metadata, "rope", file.contains("q_prerope"), path);
  return header;
}

/// Head `index` (layer * heads + head) of a [layers, heads, tokens, dim] tensor as tokens x dim floats.
RowMatrix readHeadSlice(const SafetensorsFile& file, const std::string& name, int index, int rows, int cols) {
  const SafetensorsEntry& entry = file.entry(name);
  const std::size_t count = static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols);
  const std::size_t first = static_cast<std::size_t>(index) * count;
  RowMatrix matrix(rows, cols);
  const std::byte* data = file.rawData(entry);
  // memcpy: the data section need not be aligned for float or uint16_t access.
  switch (entry.dtype) {
    case SafetensorsDtype::F32:
      std::memcpy(matrix.data(), data + first * sizeof(float), count * sizeof(float));
      break;
    case SafetensorsDtype::F16:
    case SafetensorsDtype::BF16:
      for (std::size_t i = 0; i < count; ++i) {
        uint16_t bits;
        std::memcpy(&bits, data + 2 * (first + i), 2);
        matrix.data()[i] = entry.dtype == SafetensorsDtype::F16 ? halfToFloat(bits) : bfloat16ToFloat(bits);
      }
      break;
    case SafetensorsDtype::Other:
      throw FileError(message(file.path(), "tensor '" + name + "' has dtype " + entry.dtypeName +
                                               "; only F32, F16 and BF16 can be read as floats"));
  }
  for (std::size_t i = 0; i < count; ++i)
    if (!std::isfinite(matrix.data()[i]))
      throw FileError(message(
          file.path(), "tensor '" + name + "' holds a non-finite value at flat index " + std::to_string(first + i)));
  return matrix;
}

}  // namespace

CaptureSummary readCaptureSummary(const std::filesystem::path& path) {
  SafetensorsFile file(path);
  return readCaptureHeader(file).summary;
}

CaptureHead readCaptureHead(const std::filesystem::path& path, int layer, int head) {
  SafetensorsFile file(path);
  const CaptureSummary summary = readCaptureHeader(file).summary;
  if (layer < 0 || layer >= summary.layers || head < 0 || head >= summary.heads)
    throw FileError(message(path, "has " + std::to_string(summary.layers) + " layers x " +
                                      std::to_string(summary.heads) + " heads; layer " + std::to_string(layer) +
                                      ", head " + std::to_string(head) + " does not exist (both count from 0)"));
  requireWithinBudget(2.0 * summary.tokens * summary.headDim * sizeof(float),
                      path.string() + ": q and k of one head (" + std::to_string(summary.tokens) + " tokens)");
  const int index = layer * summary.heads + head;
  CaptureHead result;
  result.queries = readHeadSlice(file, "q", index, summary.tokens, summary.headDim);
  result.keys = readHeadSlice(file, "k", index, summary.tokens, summary.headDim);
  return result;
}

namespace {

/// Fills capture.attention, if the file had none, with what a softmax model computed: causal (per the metadata)
/// dot-product attention of the stored q and k. Refused before any map is allocated when all would not fit.
void computeMissingAttention(ModelCapture& capture, const std::string& path) {
  if (!capture.attention.empty()) return;
  requireWithinBudget(static_cast<double>(capture.layers) * capture.heads * capture.tokens *
                          static_cast<double>(capture.tokens) * sizeof(float),
                      path + ": holds no attention; computing its " + std::to_string(capture.layers * capture.heads) +
                          " map(s) of " + std::to_string(capture.tokens) + " x " + std::to_string(capture.tokens) +
                          " weights (for long captures use attnscope map)");
  AttentionOptions options;
  options.causal = capture.causal;
  options.computeScores = false;
  for (std::size_t i = 0; i < capture.queries.size(); ++i)
    capture.attention.push_back(dotProductAttention(capture.queries[i], capture.keys[i], options).weights);
}

/// Everything the file stores, validated; attention stays empty when the file has none.
ModelCapture readStoredCapture(const std::filesystem::path& path) {
  SafetensorsFile file(path);
  CaptureHeader header = readCaptureHeader(file);
  ModelCapture capture;
  capture.layers = header.summary.layers;
  capture.heads = header.summary.heads;
  capture.tokens = header.summary.tokens;
  capture.headDim = header.summary.headDim;
  capture.causal = header.summary.causal;
  capture.rope = header.rope;
  capture.tokenIds = std::move(header.tokenIds);
  capture.tokenTexts = std::move(header.summary.tokenTexts);
  const int L = capture.layers, H = capture.heads, T = capture.tokens, D = capture.headDim;
  capture.queries = unpackHeads(file, "q", L, H, T, D);
  capture.keys = unpackHeads(file, "k", L, H, T, D);
  if (header.summary.hasAttention) capture.attention = unpackHeads(file, "attn", L, H, T, T);
  if (capture.rope) {
    if (!file.contains("q_prerope") || !file.contains("k_prerope")) {
      throw FileError(message(path, "rope is true but tensors 'q_prerope'/'k_prerope' are missing"));
    }
    capture.queriesPreRope = unpackHeads(file, "q_prerope", L, H, T, D);
    capture.keysPreRope = unpackHeads(file, "k_prerope", L, H, T, D);
  }
  if (file.contains("q_prenorm") != file.contains("k_prenorm"))
    throw FileError(message(path, "tensors 'q_prenorm' and 'k_prenorm' must come together"));
  if (file.contains("q_prenorm")) {
    capture.queriesPreNorm = unpackHeads(file, "q_prenorm", L, H, T, D);
    capture.keysPreNorm = unpackHeads(file, "k_prenorm", L, H, T, D);
  }
  if (file.contains("logits")) {
    const SafetensorsEntry& logits = file.entry("logits");
    if (logits.shape.size() != 2 || logits.shape[0] != T) {
      throw FileError(
          message(path, "tensor 'logits' must have shape [tokens, vocab] with tokens = " + std::to_string(T)));
    }
    capture.logits = file.readMatrix("logits");
    if (!capture.logits.allFinite()) throw FileError(message(path, "tensor 'logits' holds non-finite values"));
  }
  return capture;
}

}  // namespace

ModelCapture readCaptureFile(const std::filesystem::path& path) {
  ModelCapture capture = readStoredCapture(path);
  computeMissingAttention(capture, path.string());
  return capture;
}

std::unique_ptr<Model> openCaptureModel(const std::filesystem::path& path) {
  // Maps missing from the file are computed when the capture is first run, so `model info` of a long capture
  // without attention works.
  ModelCapture capture = readStoredCapture(path);
  ModelInfo info;
  info.path = path.string();
  info.format = "capture";
  info.architecture = "capture";
  info.layers = capture.layers;
  info.heads = capture.heads;
  info.keyValueHeads = capture.heads;
  info.headDim = capture.headDim;
  info.modelDim = capture.heads * capture.headDim;
  info.maxSequence = capture.tokens;
  info.causal = capture.causal;
  info.rope = capture.rope;
  // A capture has no vocabulary of its own: the logits' width if stored, else enough to hold every stored id.
  if (capture.logits.cols() > 0) {
    info.vocabSize = static_cast<int>(capture.logits.cols());
  } else {
    info.vocabSize = *std::max_element(capture.tokenIds.begin(), capture.tokenIds.end()) + 1;
  }
  SafetensorsFile file(path);
  for (const SafetensorsEntry& e : file.entries()) info.tensors.push_back({e.name, e.dtypeName, e.shape});
  return std::make_unique<CaptureModel>(std::move(info), std::move(capture));
}

}  // namespace attnscope::model
