// GGUF llama models: sizes from the metadata, ggml tensor names and shapes mapped onto llama2.c's weight order,
// weights dequantised once and checked finite, then the shared Llama decoder.
#include "core/model/gguf_model.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/error.h"
#include "core/memory_budget.h"
#include "core/model/gguf.h"
#include "core/model/hf_config.h"
#include "core/model/hf_models.h"
#include "core/model/llama2c.h"
#include "core/model/spm_tokenizer.h"

namespace attnscope::model {
namespace {

std::string fileMessage(const std::filesystem::path& path, const std::string& what) {
  return "GGUF file '" + path.string() + "': " + what;
}

// A metadata size that must lie in [low, high]: garbage must not drive allocations or int overflow.
int sizeField(const GgufFile& file, const std::string& key, int64_t low, int64_t high,
              std::optional<int64_t> fallback = std::nullopt) {
  std::optional<int64_t> value = file.optionalInteger(key);
  if (!value) value = fallback;
  if (!value) throw FileError(fileMessage(file.path(), "metadata '" + key + "' is missing"));
  if (*value < low || *value > high)
    throw FileError(fileMessage(file.path(), "metadata '" + key + "' is " + std::to_string(*value) + ", outside [" +
                                                 std::to_string(low) + ", " + std::to_string(high) + "]"));
  return int(*value);
}

// A tensor with exactly these ggml dims (row length first), dequantised and checked finite, appended to `out`.
class TensorReader {
 public:
  TensorReader(const GgufFile& file, std::vector<float>& out) : file_(file), out_(out) {}

  void append(const std::string& name, std::vector<int64_t> dims) const {
    const GgufTensorInfo& info = file_.tensor(name);
    if (info.dims != dims)
      throw FileError(fileMessage(
          file_.path(), "tensor '" + name + "' has ggml shape " + text(info.dims) + ", expected " + text(dims)));
    const std::vector<float> values = file_.readFloats(info);
    for (size_t i = 0; i < values.size(); ++i)
      if (!std::isfinite(values[i]))
        throw FileError(
            fileMessage(file_.path(), "tensor '" + name + "' has a non-finite value at element " + std::to_string(i)));
    out_.insert(out_.end(), values.begin(), values.end());
  }

  static std::string text(const std::vector<int64_t>& dims) {
    std::string result = "[";
    for (size_t i = 0; i < dims.size(); ++i) result += (i ? ", " : "") + std::to_string(dims[i]);
    return result + "]";
  }

 private:
  const GgufFile& file_;
  std::vector<float>& out_;
};

std::unique_ptr<Model> openLlama(const GgufFile& file, const std::string& arch) {
  LlamaConfig config;
  config.modelDim = sizeField(file, arch + ".embedding_length", 1, 1 << 16);
  config.hiddenDim = sizeField(file, arch + ".feed_forward_length", 1, 1 << 18);
  config.layers = sizeField(file, arch + ".block_count", 1, 1024);
  config.heads = sizeField(file, arch + ".attention.head_count", 1, config.modelDim);
  config.kvHeads = sizeField(file, arch + ".attention.head_count_kv", 1, config.heads, config.heads);
  config.maxSequence = sizeField(file, arch + ".context_length", 1, 1 << 20);
  const std::filesystem::path& path = file.path();
  if (config.modelDim % config.heads != 0)
    throw FileError(fileMessage(path, "attention.head_count must divide embedding_length"));
  if (config.heads % config.kvHeads != 0)
    throw FileError(fileMessage(path, "attention.head_count_kv must divide attention.head_count"));
  if (config.headDim() % 2 != 0) throw FileError(fileMessage(path, "the head dimension must be even for RoPE"));
  const int ropeDims = sizeField(file, arch + ".rope.dimension_count", 1, 1 << 16, config.headDim());
  if (ropeDims != config.headDim())
    throw FileError(fileMessage(path, "rope.dimension_count " + std::to_string(ropeDims) +
                                          " rotates part of each head; attnscope supports full-head RoPE (head "
                                          "dimension " +
                                          std::to_string(config.headDim()) + ")"));
  const double epsilon = file.optionalReal(arch + ".attention.layer_norm_rms_epsilon").value_or(1e-5);
  const double theta = file.optionalReal(arch + ".rope.freq_base").value_or(10000.0);
  if (!(epsilon > 0 && epsilon < 1)) throw FileError(fileMessage(path, "layer_norm_rms_epsilon must be in (0, 1)"));
  if (!(theta > 1 && theta < 1e12)) throw FileError(fileMessage(path, "rope.freq_base must be in (1, 1e12)"));
  config.normEpsilon = float(epsilon);
  config.ropeTheta = float(theta);

  const GgufTensorInfo& embedding = file.tensor("token_embd.weight");
  if (embedding.dims.size() != 2 || embedding.dims[0] != config.modelDim || embedding.dims[1] < 1 ||
      embedding.dims[1] > (1 << 22))
    throw FileError(fileMessage(path, "tensor 'token_embd.weight' has ggml shape " +
                                          TensorReader::text(embedding.dims) + ", expected [" +
                                          std::to_string(config.modelDim) + ", vocabulary <= 4194304]"));
  config.vocabSize = int(embedding.dims[1]);
  const bool sharedClassifier = file.findTensor("output.weight") == nullptr;

  const int64_t dim = config.modelDim, hidden = config.hiddenDim, layers = config.layers, vocab = config.vocabSize;
  const int64_t qDim = int64_t(config.heads) * config.headDim(), kvDim = config.kvDim();
  const int64_t floats = vocab * dim * (sharedClassifier ? 1 : 2) +
                         layers * (2 * dim + 2 * qDim * dim + 2 * kvDim * dim + 3 * hidden * dim) + dim;
  requireWithinBudget(double(floats) * sizeof(float), fileMessage(path, "the dequantised weights"));
  std::vector<float> storage;
  storage.reserve(size_t(floats));
  const TensorReader reader(file, storage);
  auto perLayer = [&](const std::string& suffix, std::vector<int64_t> dims) {
    for (int64_t l = 0; l < layers; ++l) reader.append("blk." + std::to_string(l) + "." + suffix, dims);
  };
  // llama2.c order (Llama2cModel's constructor takes the weights in this order).
  reader.append("token_embd.weight", {dim, vocab});
  perLayer("attn_norm.weight", {dim});
  perLayer("attn_q.weight", {dim, qDim});
  perLayer("attn_k.weight", {dim, kvDim});
  perLayer("attn_v.weight", {dim, kvDim});
  perLayer("attn_output.weight", {qDim, dim});
  perLayer("ffn_norm.weight", {dim});
  perLayer("ffn_gate.weight", {dim, hidden});
  perLayer("ffn_down.weight", {hidden, dim});
  perLayer("ffn_up.weight", {dim, hidden});
  reader.append("output_norm.weight", {dim});
  if (!sharedClassifier) reader.append("output.weight", {dim, vocab});

  ModelInfo info;
  info.path = path.string();
  info.format = "gguf";
  info.architecture = arch;
  info.layers = config.layers;
  info.heads = config.heads;
  info.keyValueHeads = config.kvHeads;
  info.modelDim = config.modelDim;
  info.headDim = config.headDim();
  info.vocabSize = config.vocabSize;
  info.maxSequence = config.maxSequence;
  info.causal = true;
  info.rope = true;
  for (const GgufTensorInfo& tensor : file.tensors())
    info.tensors.push_back({tensor.name, ggmlTypeName(uint32_t(tensor.type)), tensor.rowMajorShape()});
  auto model = std::make_unique<Llama2cModel>(std::move(info), config, sharedClassifier, std::move(storage),
                                              /*legacyRopeTables=*/false);
  // The file's own vocabulary is the model's tokenizer; generation ends at its BOS (llama2.c's end-of-story
  // convention, which stories260K follows) or EOS (llama.cpp's).
  if (file.has("tokenizer.ggml.model")) {
    std::shared_ptr<const Tokenizer> tokenizer = openGgufTokenizer(file);
    model->setTokenizer(std::move(tokenizer), path);
    std::vector<int> stops;
    for (const char* key : {"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"})
      if (std::optional<int64_t> id = file.optionalInteger(key); id && *id >= 0 && *id < config.vocabSize)
        stops.push_back(int(*id));
    model->setStopTokens(std::move(stops));
  }
  return model;
}

/// The sizes a GGUF family on the Hugging Face forward pass states under "<arch>.*". groupedQuery: head_count_kv
/// (default head_count) and head_count up to 4096, since key_length may set the head size; otherwise head_count
/// divides embedding_length (checked by the caller) and every head has its own keys.
void readSizes(const GgufFile& file, const std::string& arch, HfConfig& config, bool groupedQuery) {
  config.modelDim = sizeField(file, arch + ".embedding_length", 1, 1 << 16);
  config.intermediateDim = sizeField(file, arch + ".feed_forward_length", 1, 1 << 18);
  config.layers = sizeField(file, arch + ".block_count", 1, 1024);
  config.heads = sizeField(file, arch + ".attention.head_count", 1, groupedQuery ? 1 << 12 : config.modelDim);
  config.keyValueHeads =
      groupedQuery ? sizeField(file, arch + ".attention.head_count_kv", 1, config.heads, config.heads) : config.heads;
  config.maxPositions = sizeField(file, arch + ".context_length", 1, 1 << 20);
}

/// The vocabulary size from token_embd.weight (ggml [d, vocab]); without output.weight the classifier is the tied
/// embedding.
void readVocabulary(const GgufFile& file, HfConfig& config) {
  const GgufTensorInfo& embedding = file.tensor("token_embd.weight");
  if (embedding.dims.size() != 2 || embedding.dims[1] < 1 || embedding.dims[1] > (1 << 22))
    throw FileError(fileMessage(file.path(), "tensor 'token_embd.weight' has ggml shape " +
                                                 TensorReader::text(embedding.dims) + ", expected [" +
                                                 std::to_string(config.modelDim) + ", vocabulary <= 4194304]"));
  config.vocabSize = int(embedding.dims[1]);
  config.tieWordEmbeddings = file.findTensor("output.weight") == nullptr;
}

// llama.cpp's converters rename every tensor (global ones by prefix, per-layer ones into "blk.N.") and a few change a
// tensor's layout. A GGUF family runs on the Hugging Face forward pass of hf_models.cpp through one renaming source:
// a table of name rules per architecture, each rule saying how its tensors' layout is undone.
enum class StoredLayout {
  AsHf,        ///< as Hugging Face has it (a ggml [in, out] matrix is PyTorch's [out, in])
  Transposed,  ///< GPT-2's Conv1D weights: [in, out] in PyTorch, stored [out, in]; 1-D biases as stored
  QkvByPart,   ///< GPT-NeoX's query_key_value: per head [q_h; k_h; v_h] rows in HF, [all q; all k; all v] stored
};

struct NameRule {
  std::string hf, gguf;  ///< name prefixes: "attn.c_attn." -> "attn_qkv."
  StoredLayout layout = StoredLayout::AsHf;
};

struct RenamingRules {
  std::string family;       ///< in "no tensor for <family>'s 'name'"; empty: "no tensor for 'name'"
  std::string layerPrefix;  ///< "h." (GPT-2) or "layers.": the Hugging Face per-layer names, "<prefix>N.<rest>"
  std::vector<NameRule> global, perLayer;  ///< the first rule whose prefix matches decides
  int heads = 0;                           ///< QkvByPart only
};

class GgufRenamingSource final : public HfTensorSource {
 public:
  GgufRenamingSource(GgufFile file, RenamingRules rules) : file_(std::move(file)), rules_(std::move(rules)) {}
  std::string format() const override { return "gguf"; }
  std::string sizesOrigin() const override { return "the GGUF metadata"; }
  bool contains(const std::string& name) const override { return find(name).tensor != nullptr; }
  std::vector<int64_t> shape(const std::string& name) const override {
    const Found found = require(name);
    std::vector<int64_t> shape = found.tensor->rowMajorShape();
    if (found.layout == StoredLayout::Transposed && shape.size() == 2) std::swap(shape[0], shape[1]);
    return shape;
  }
  std::vector<float> readFloats(const std::string& name) const override {
    const Found found = require(name);
    std::vector<float> values = file_.readFloats(*found.tensor);
    const std::vector<int64_t> stored = found.tensor->rowMajorShape();
    if (found.layout == StoredLayout::Transposed && stored.size() == 2) return transposed(values, stored);
    if (found.layout == StoredLayout::QkvByPart) return interleavedQkv(values, *found.tensor);
    return values;
  }
  std::vector<TensorInfo> storedTensors() const override {
    std::vector<TensorInfo> tensors;
    for (const GgufTensorInfo& tensor : file_.tensors())
      tensors.push_back({tensor.name, ggmlTypeName(uint32_t(tensor.type)), tensor.rowMajorShape()});
    return tensors;
  }

 private:
  struct Found {
    const GgufTensorInfo* tensor = nullptr;
    StoredLayout layout = StoredLayout::AsHf;
  };
  // "h.3.attn.c_attn.weight" -> "blk.3.attn_qkv.weight", "embed_tokens.weight" -> "token_embd.weight", ...
  Found find(const std::string& name) const {
    for (const NameRule& rule : rules_.global)
      if (name.starts_with(rule.hf)) return {file_.findTensor(rule.gguf + name.substr(rule.hf.size())), rule.layout};
    const std::string& prefix = rules_.layerPrefix;
    if (!name.starts_with(prefix)) return {};
    const size_t dot = name.find('.', prefix.size());
    if (dot == std::string::npos) return {};
    const std::string layer = name.substr(prefix.size(), dot - prefix.size()), rest = name.substr(dot + 1);
    for (const NameRule& rule : rules_.perLayer)
      if (rest.starts_with(rule.hf))
        return {file_.findTensor("blk." + layer + "." + rule.gguf + rest.substr(rule.hf.size())), rule.layout};
    return {};
  }
  Found require(const std::string& name) const {
    const Found found = find(name);
    if (found.tensor == nullptr) {
      const std::string whose = rules_.family.empty() ? "" : rules_.family + "'s ";
      throw FileError(fileMessage(file_.path(), "no tensor for " + whose + "'" + name + "'"));
    }
    return found;
  }

  /// [out, in] (stored) -> [in, out].
  static std::vector<float> transposed(const std::vector<float>& values, const std::vector<int64_t>& stored) {
    std::vector<float> result(values.size());
    Eigen::Map<RowMatrix>(result.data(), stored[1], stored[0]) =
        Eigen::Map<const RowMatrix>(values.data(), stored[0], stored[1]).transpose();
    return result;
  }

  /// Rows part * d + h * hd + i (GGUF) -> (3 h + part) hd + i (HF); a bias is a matrix of one-value rows.
  std::vector<float> interleavedQkv(const std::vector<float>& values, const GgufTensorInfo& tensor) const {
    const std::vector<int64_t> shape = tensor.rowMajorShape();
    const int64_t rows = shape[0], cols = shape.size() == 2 ? shape[1] : 1, heads = rules_.heads;
    if (heads < 1 || rows % (3 * heads) != 0)
      throw FileError(fileMessage(file_.path(), "tensor '" + tensor.name + "' has " + std::to_string(rows) +
                                                    " rows, not 3 x head_count x head size"));
    const int64_t hd = rows / (3 * heads), d = rows / 3;
    std::vector<float> interleaved(values.size());
    for (int64_t part = 0; part < 3; ++part)
      for (int64_t h = 0; h < heads; ++h)
        for (int64_t i = 0; i < hd; ++i)
          std::copy_n(values.begin() + (part * d + h * hd + i) * cols, cols,
                      interleaved.begin() + ((3 * h + part) * hd + i) * cols);
    return interleaved;
  }

  GgufFile file_;
  RenamingRules rules_;
};

/// GPT-2 under the names and orientation of Hugging Face's GPT2Model: llama.cpp's converter renames the tensors and
/// stores the Conv1D weights (c_attn, c_proj, c_fc; [in, out] in PyTorch) transposed to [out, in].
RenamingRules gpt2Rules() {
  using enum StoredLayout;
  return {"GPT-2",
          "h.",
          {{"wte.", "token_embd."}, {"wpe.", "position_embd."}, {"ln_f.", "output_norm."}, {"lm_head.", "output."}},
          {{"ln_1.", "attn_norm."},
           {"attn.c_attn.", "attn_qkv.", Transposed},
           {"attn.c_proj.", "attn_output.", Transposed},
           {"ln_2.", "ffn_norm."},
           {"mlp.c_fc.", "ffn_up.", Transposed},
           {"mlp.c_proj.", "ffn_down.", Transposed}}};
}

/// qwen2, qwen3, phi3, olmo2 and the Gemmas under LlamaModel's Hugging Face names. These families rotate in the NEOX
/// (rotate_half) layout, so llama.cpp's converter stores q_proj/k_proj unpermuted (it permutes them for architecture
/// "llama" alone), and every ggml [in, out] matrix is PyTorch's [out, in]: only the names change.
/// postNorms (gemma2, gemma3, and olmo2's norms after the sublayers): HF's post_attention_layernorm is llama.cpp's
/// post_attention_norm, post_feedforward_layernorm is post_ffw_norm and the pre-MLP norm is pre_feedforward_layernorm
/// (ffn_norm); otherwise post_attention_layernorm is the pre-MLP ffn_norm.
RenamingRules llamaFamilyRules(bool postNorms) {
  RenamingRules rules{
      "", "layers.", {{"embed_tokens.", "token_embd."}, {"norm.", "output_norm."}, {"lm_head.", "output."}}, {}};
  if (postNorms)
    rules.perLayer = {{"post_attention_layernorm.", "post_attention_norm."},
                      {"pre_feedforward_layernorm.", "ffn_norm."},
                      {"post_feedforward_layernorm.", "post_ffw_norm."}};
  const std::vector<NameRule> common = {
      {"input_layernorm.", "attn_norm."},
      {"self_attn.q_proj.", "attn_q."},
      {"self_attn.k_proj.", "attn_k."},
      {"self_attn.v_proj.", "attn_v."},
      {"self_attn.o_proj.", "attn_output."},
      {"self_attn.q_norm.", "attn_q_norm."},
      {"self_attn.k_norm.", "attn_k_norm."},
      {"post_attention_layernorm.", "ffn_norm."},
      {"mlp.gate_proj.", "ffn_gate."},
      {"mlp.up_proj.", "ffn_up."},
      {"mlp.down_proj.", "ffn_down."},
      {"self_attn.qkv_proj.", "attn_qkv."},  // Phi-3's fused [q; k; v] rows, as stored
      {"mlp.gate_up_proj.", "ffn_up."}};     // Phi-3's [gate; up] rows: llama.cpp's fused SwiGLU splits them so
  rules.perLayer.insert(rules.perLayer.end(), common.begin(), common.end());
  return rules;
}

/// GPT-NeoX under GPTNeoXModel's names. llama.cpp's converter de-interleaves the fused query_key_value rows from HF's
/// per-head [q_h; k_h; v_h] into [all q; all k; all v] (weight rows and bias); they are interleaved back, so
/// GptNeoxModel reads exactly what a Hugging Face folder holds.
RenamingRules gptNeoxRules(int heads) {
  return {"GPT-NeoX",
          "layers.",
          {{"embed_in.", "token_embd."}, {"final_layer_norm.", "output_norm."}, {"embed_out.", "output."}},
          {{"input_layernorm.", "attn_norm."},
           {"post_attention_layernorm.", "ffn_norm."},
           {"attention.query_key_value.", "attn_qkv.", StoredLayout::QkvByPart},
           {"attention.dense.", "attn_output."},
           {"mlp.dense_h_to_4h.", "ffn_up."},
           {"mlp.dense_4h_to_h.", "ffn_down."}},
          heads};
}

std::unique_ptr<Model> openGpt2(GgufFile file) {
  HfConfig config;
  config.architecture = HfArchitecture::Gpt2;
  config.architectureName = "GPT2LMHeadModel";
  config.modelType = "gpt2";
  readSizes(file, "gpt2", config, /*groupedQuery=*/false);
  if (config.modelDim % config.heads != 0)
    throw FileError(fileMessage(file.path(), "attention.head_count must divide embedding_length"));
  config.headDimension = config.modelDim / config.heads;
  const double epsilon = file.optionalReal("gpt2.attention.layer_norm_epsilon").value_or(1e-5);
  if (!(epsilon > 0 && epsilon < 1)) throw FileError(fileMessage(file.path(), "layer_norm_epsilon must be in (0, 1)"));
  config.normEpsilon = float(epsilon);
  config.activation = "gelu_new";  // GPT-2's tanh approximation; the file does not say
  readVocabulary(file, config);
  const std::filesystem::path path = file.path();
  return openGpt2Model(std::move(config), std::make_unique<GgufRenamingSource>(std::move(file), gpt2Rules()), path);
}

/// The score scale llama.cpp gives Gemma 2/3 (their GGUF files carry no query_pre_attn_scalar): 1/sqrt(n_embd / n_head)
/// for the 27B, recognised by its layer count, else 1/sqrt(key_length); both equal query_pre_attn_scalar^(-1/2) for
/// every released model.
float llamaCppGemmaScale(const HfConfig& config, int layersOf27b) {
  const int perHead = config.modelDim / config.heads;
  const int dim = config.layers == layersOf27b && perHead > 0 ? perHead : config.headDim();
  return 1.0f / std::sqrt(float(dim));
}

/// qwen2 (q/k/v biases), qwen3 (QK-norm per head), olmo2 (QK-norm over the whole projections, norms after the
/// sublayers instead of before), gemma (Gemma 1: GeGLU, embeddings times sqrt(d), tied output;
/// llama.cpp's converter bakes the (1 + w) of Gemma's RMSNorm into the stored weights) and gemma2 (plus sandwich norms,
/// soft-capping, a sliding window on even layers) and gemma3 (QK-norm, five local layers of six with RoPE base 10000)
/// from llama.cpp's metadata keys.
std::unique_ptr<Model> openLlamaFamily(GgufFile file, const std::string& arch) {
  const std::filesystem::path path = file.path();
  HfConfig config;
  config.architecture = HfArchitecture::Llama;
  config.modelType = arch;
  config.architectureName = arch;
  readSizes(file, arch, config, /*groupedQuery=*/true);
  if (config.heads % config.keyValueHeads != 0)
    throw FileError(fileMessage(path, "attention.head_count_kv must divide attention.head_count"));
  const std::optional<int64_t> keyLength = file.optionalInteger(arch + ".attention.key_length");
  if (!keyLength && config.modelDim % config.heads != 0)
    throw FileError(fileMessage(path, "attention.head_count must divide embedding_length"));
  config.headDimension = sizeField(file, arch + ".attention.key_length", 2, 1 << 14, config.modelDim / config.heads);
  if (sizeField(file, arch + ".attention.value_length", 1, 1 << 14, config.headDimension) != config.headDimension)
    throw FileError(fileMessage(path, "attention.value_length differs from attention.key_length (not supported)"));
  if (config.headDim() % 2 != 0) throw FileError(fileMessage(path, "the head dimension must be even for RoPE"));
  if (sizeField(file, arch + ".rope.dimension_count", 1, 1 << 16, config.headDim()) != config.headDim())
    throw FileError(fileMessage(path,
                                "rope.dimension_count must equal the head dimension (partial RoPE is not "
                                "supported for " +
                                    arch + ")"));
  if (const std::optional<std::string> scaling = file.optionalString(arch + ".rope.scaling.type");
      scaling && *scaling != "none") {
    if (*scaling != "linear")
      throw FileError(
          fileMessage(path, "rope.scaling.type '" + *scaling + "' is not supported (supported: none, linear)"));
    const double factor = file.optionalReal(arch + ".rope.scaling.factor").value_or(0.0);
    if (!(factor >= 1 && factor < 1e6))
      throw FileError(fileMessage(path, "rope.scaling.factor must be in [1, 1e6) for linear scaling"));
    config.ropeScaling.type = "linear";  // every inverse frequency divided by the factor (ggml's freq_scale)
    config.ropeScaling.factor = factor;
  }
  const double epsilon = file.optionalReal(arch + ".attention.layer_norm_rms_epsilon").value_or(1e-6);
  const double theta = file.optionalReal(arch + ".rope.freq_base").value_or(10000.0);
  if (!(epsilon > 0 && epsilon < 1)) throw FileError(fileMessage(path, "layer_norm_rms_epsilon must be in (0, 1)"));
  if (!(theta > 1 && theta < 1e12)) throw FileError(fileMessage(path, "rope.freq_base must be in (1, 1e12)"));
  config.normEpsilon = float(epsilon);
  config.ropeTheta = float(theta);
  config.activation = "silu";
  config.attentionBias = arch == "qwen2";
  config.qkNorm = arch == "qwen3";
  if (arch == "phi3") {
    // Fused qkv and gate_up as stored; the window as transformers applies it (recent llama.cpp builds ignore it).
    config.fusedProjections = true;
    config.slidingWindow = sizeField(file, "phi3.attention.sliding_window", 0, 1 << 30, 0);
    if (file.findTensor("rope_factors_long.weight") || file.findTensor("rope_factors_short.weight"))
      throw FileError(fileMessage(path,
                                  "rope_factors_long/short (Phi-3's longrope) are not supported (supported: "
                                  "default RoPE, as in the 4k-context Phi-3 models)"));
  }
  if (arch == "olmo2") {  // llama.cpp's LLM_ARCH_OLMO2: no pre-norms, each sublayer's output normalised
    config.qkNorm = true;
    config.qkNormOverProjection = true;  // attn_q_norm / attn_k_norm over all heads, as Olmo2Attention
    config.normAfterSublayers = true;
    // OLMo-3 files share the architecture name and add a sliding window on three layers of four.
    if (sizeField(file, "olmo2.attention.sliding_window", 0, 1 << 30, 0) > 0)
      throw FileError(fileMessage(path,
                                  "olmo2.attention.sliding_window (OLMo-3's local layers) is not supported "
                                  "(supported: OLMo-2 files, full attention on every layer)"));
  }
  if (arch == "gemma" || arch == "gemma2" || arch == "gemma3") {
    config.scaleEmbeddings = true;
    config.activation = "gelu_pytorch_tanh";
    config.normPlusOne = false;  // already 1 + w in the file
  }
  if (arch == "gemma2") {
    config.sandwichNorms = true;
    config.attentionScale = llamaCppGemmaScale(config, 46);
    auto cap = [&](const std::string& key, double fallback) {  // llama.cpp's defaults when the key is absent
      const double value = file.optionalReal(key).value_or(fallback);
      if (!(value >= 0 && value < 1e6))
        throw FileError(fileMessage(path, "metadata '" + key + "' must be in [0, 1e6)"));
      return float(value);
    };
    config.attentionSoftcap = cap("gemma2.attn_logit_softcapping", 50.0);
    config.finalLogitSoftcap = cap("gemma2.final_logit_softcapping", 30.0);
    config.slidingWindow = sizeField(file, "gemma2.attention.sliding_window", 1, 1 << 30);
    config.slidingPattern = 2;  // even layers local, as llama.cpp's set_swa_pattern(2) and HF's Gemma 2
  }
  if (arch == "gemma3") {  // llama.cpp's LLM_ARCH_GEMMA3 hyperparameters
    config.sandwichNorms = true;
    config.qkNorm = true;  // attn_q_norm / attn_k_norm per head, stored as 1 + w like every Gemma norm
    config.attentionScale = llamaCppGemmaScale(config, 62);
    config.slidingWindow = sizeField(file, "gemma3.attention.sliding_window", 0, 1 << 30, 0);
    config.slidingPattern = 6;         // set_swa_pattern(6): every sixth layer global
    config.localRopeTheta = 10000.0f;  // rope_freq_base_train_swa, unscaled
  }
  readVocabulary(file, config);
  for (const char* key : {"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"}) {
    const std::optional<int64_t> id = file.optionalInteger(key);
    const int value = id && *id >= 0 && *id < config.vocabSize ? int(*id) : -1;
    (std::string_view(key).ends_with("bos_token_id") ? config.bosTokenId : config.eosTokenId) = value;
  }
  // OLMo-2's post-sublayer norms are stored under the names of Gemma 2's post norms (llama.cpp's ATTN_POST_NORM and
  // FFN_POST_NORM).
  const bool postNorms = config.sandwichNorms || config.normAfterSublayers;
  return openLlamaFamilyModel(std::move(config),
                              std::make_unique<GgufRenamingSource>(std::move(file), llamaFamilyRules(postNorms)), path);
}

/// gptneox (GPT-NeoX, Pythia): LayerNorm with biases, RoPE on the first rope.dimension_count dimensions of each head,
/// use_parallel_residual; sizes from llama.cpp's gptneox.* keys.
std::unique_ptr<Model> openGptNeox(GgufFile file) {
  const std::filesystem::path path = file.path();
  HfConfig config;
  config.architecture = HfArchitecture::GptNeox;
  config.architectureName = config.modelType = "gpt_neox";
  readSizes(file, "gptneox", config, /*groupedQuery=*/false);
  if (config.modelDim % config.heads != 0)
    throw FileError(fileMessage(path, "attention.head_count must divide embedding_length"));
  config.headDimension = config.modelDim / config.heads;
  config.rotaryDims = sizeField(file, "gptneox.rope.dimension_count", 2, config.headDim(), config.headDim());
  if (config.rotaryDims % 2 != 0) throw FileError(fileMessage(path, "rope.dimension_count must be even"));
  const double epsilon = file.optionalReal("gptneox.attention.layer_norm_epsilon").value_or(1e-5);
  const double theta = file.optionalReal("gptneox.rope.freq_base").value_or(10000.0);
  if (!(epsilon > 0 && epsilon < 1)) throw FileError(fileMessage(path, "layer_norm_epsilon must be in (0, 1)"));
  if (!(theta > 1 && theta < 1e12)) throw FileError(fileMessage(path, "rope.freq_base must be in (1, 1e12)"));
  config.normEpsilon = float(epsilon);
  config.ropeTheta = float(theta);
  config.activation = "gelu";  // the file does not say: Pythia's hidden_act, exact GELU, as transformers runs it
  if (file.has("gptneox.use_parallel_residual"))
    config.parallelResidual = file.boolean("gptneox.use_parallel_residual");
  readVocabulary(file, config);
  const int heads = config.heads;
  return openGptNeoxModel(std::move(config), std::make_unique<GgufRenamingSource>(std::move(file), gptNeoxRules(heads)),
                          path);
}

}  // namespace

std::shared_ptr<const Tokenizer> findGgufTokenizer(const std::filesystem::path& path) {
  const GgufFile file(path);
  if (!file.has("tokenizer.ggml.model")) return nullptr;
  return openGgufTokenizer(file);
}

std::unique_ptr<Model> openGgufModel(const std::filesystem::path& path) {
  GgufFile file(path);
  const std::string arch = file.string("general.architecture");
  // Mistral-style files are written with architecture "llama" (grouped-query attention, rope.freq_base); files
  // that say "mistral" have the same tensors and keys under that prefix.
  if (arch == "llama" || arch == "mistral") return openLlama(file, arch);
  if (arch == "gpt2") return openGpt2(std::move(file));
  if (arch == "qwen2" || arch == "qwen3" || arch == "phi3" || arch == "olmo2" || arch == "gemma" || arch == "gemma2" ||
      arch == "gemma3")
    return openLlamaFamily(std::move(file), arch);
  if (arch == "gptneox") return openGptNeox(std::move(file));
  throw FileError(fileMessage(path, "general.architecture '" + arch +
                                        "' is not supported (attnscope runs GGUF files of architecture llama, "
                                        "mistral, gpt2, gptneox, qwen2, qwen3, phi3, olmo2, gemma, gemma2 or gemma3)"));
}

std::string tensorTypeSummary(const ModelInfo& info) {
  std::map<std::string, int> counts;
  for (const TensorInfo& tensor : info.tensors) ++counts[tensor.dtype];
  std::vector<std::pair<std::string, int>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string text;
  for (const auto& [type, count] : sorted)
    text += (text.empty() ? "" : ", ") + type + " (" + std::to_string(count) + ")";
  return text;
}

}  // namespace attnscope::model
