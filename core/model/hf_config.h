// Hugging Face config.json parsing: the few keys attnscope needs for GPT-2, the Llama family (Llama, Mistral, Qwen2,
// Qwen3, Phi-3, OLMo-2, Gemma 1/2/3), GPT-NeoX and BERT, as written by transformers 4 and 5, tolerant of the messy keys
// real configs carry (unknown keys ignored, questionable values reported as warnings).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace attnscope::model {

/// Llama covers every decoder with RMSNorm, rotary positions, grouped-query attention and a SwiGLU MLP; its
/// variants differ only in the flags below (HfConfig::attentionBias, qkNorm, slidingWindow).
/// GptNeox: GPT-NeoX / Pythia (LayerNorm with biases, a per-head interleaved query_key_value, rotary positions on a
/// fraction of each head, the parallel residual x + attn(ln1 x) + mlp(ln2 x)).
enum class HfArchitecture { Gpt2, Llama, Bert, GptNeox };

struct HfConfig {
  HfArchitecture architecture = HfArchitecture::Gpt2;
  std::string architectureName;  // e.g. "GPT2LMHeadModel"
  std::string modelType;         // e.g. "gpt2"
  int layers = 0;
  int heads = 0;
  int keyValueHeads = 0;
  int modelDim = 0;
  int intermediateDim = 0;  // MLP hidden size
  int vocabSize = 0;
  int maxPositions = 0;
  int typeVocabSize = 0;       // BERT token-type embeddings
  float normEpsilon = 1e-5f;   // LayerNorm / RMSNorm epsilon
  float ropeTheta = 10000.0f;  // Llama
  /// "rope_scaling" of Llama-family configs: "llama3" (Llama 3.1/3.2 frequency bands) and "linear" are applied;
  /// type is empty when the config has none.
  struct RopeScaling {
    std::string type;
    double factor = 1.0;
    double lowFrequencyFactor = 1.0;
    double highFrequencyFactor = 4.0;
    int originalMaxPositions = 8192;
  } ropeScaling;
  int headDimension = 0;  // "head_dim" when the config gives it, else modelDim / heads
  // Llama-family variants.
  bool attentionBias = false;  ///< q_proj/k_proj/v_proj carry biases (Qwen2; Llama's "attention_bias": true)
  /// QK-norm: an RMSNorm of the queries and keys before RoPE, over every head vector (Qwen3: q_norm/k_norm of
  /// head_dim) or over the whole projection (OLMo-2: q_norm of heads*hd, k_norm of kvHeads*hd). The capture then
  /// holds q/k after the norm and RoPE (what the attention uses) and, as queriesPreNorm, before the norm.
  bool qkNorm = false;
  bool qkNormOverProjection = false;  ///< OLMo-2's scope (else per head)
  /// OLMo-2: no norm before attention and MLP; instead each sublayer's output is normalised before the residual add
  /// (post_attention_layernorm, post_feedforward_layernorm).
  bool normAfterSublayers = false;
  /// Mistral's and Phi-3's sliding window: query i sees keys j with i - window < j <= i; 0 = unlimited.
  int slidingWindow = 0;
  // GPT-NeoX.
  int rotaryDims = 0;            ///< leading dimensions of each head that RoPE rotates (rotary_pct * head_dim)
  bool parallelResidual = true;  ///< use_parallel_residual: attention and MLP read the same input
  // Gemma (gemma, gemma2, gemma3_text), as transformers' modeling_gemma*.py compute it.
  bool normPlusOne = false;      ///< every RMSNorm scales by (1 + w): the stored weights are centred on 0
  bool scaleEmbeddings = false;  ///< token embeddings are multiplied by sqrt(hidden_size) (in float32 here)
  /// Gemma 2/3: input_layernorm before attention, post_attention_layernorm on the attention's output before the
  /// residual add, pre_feedforward_layernorm before the MLP and post_feedforward_layernorm on its output.
  bool sandwichNorms = false;
  float attentionScale = 0.0f;  ///< logit scale query_pre_attn_scalar^(-1/2) (Gemma 2/3); 0 = 1/sqrt(head_dim)
  /// Gemma 2's attn_logit_softcapping c: the scaled scores x become c tanh(x / c) before the mask and the softmax, so
  /// the captured weights are the softmax of the capped scores; 0 = none.
  float attentionSoftcap = 0.0f;
  float finalLogitSoftcap = 0.0f;  ///< final_logit_softcapping: logits become c tanh(logits / c); 0 = none
  /// Per layer, whether it attends through slidingWindow, when the config lists them (Gemma 2/3 "layer_types").
  std::vector<bool> slidingLayers;
  /// Without layer_types (Gemma 2: 2, Gemma 3: sliding_window_pattern): layer l is local when (l + 1) % pattern != 0.
  /// A rule, not a per-layer list, so an absurd layer count allocates nothing before the tensors are checked.
  /// slidingLayers and slidingPattern both empty/0: every layer uses slidingWindow (Mistral, Phi-3).
  int slidingPattern = 0;
  /// Gemma 3: RoPE base of the sliding (local) layers, unscaled (rope_local_base_freq); the global layers use
  /// ropeTheta and ropeScaling. 0 = every layer uses ropeTheta.
  float localRopeTheta = 0.0f;
  /// Phi-3 stores q, k, v as one qkv_proj ([(H + 2 KV) hd, d]) and gate, up as one gate_up_proj ([2 I, d]).
  bool fusedProjections = false;
  bool tieWordEmbeddings = true;
  std::string activation;  // "gelu_new", "gelu", "silu", ...
  int bosTokenId = -1;     // -1 when absent or unusable
  int eosTokenId = -1;
  /// The attention a checkpoint trained by `attnscope train` uses: the "attnscope" block of its config.json (GPT-2
  /// only; absent means dot-product attention, as in every released GPT-2). MGK/MLK shifts and priors are the
  /// tensors transformer.h.N.attn.mgk_shifts (H x R x d_head) and mgk_priors (H x R).
  struct TrainedAttention {
    std::string kernel = "dpa";  // a name of core/attention_kernels.h: dpa, ea, ea-pure, mgk, mgk-hard, mlk, cosine
    std::string expressiveForm = "saturating";  // "saturating" or "pure" (kernel ea)
    int components = 0;                         // R of mgk, mgk-hard, mlk
    std::vector<double> variances;              // sigma_r^2, length R (mgk, mgk-hard)
    double cosineTemperature = 0.1;
    /// mgk/mgk-hard with variances learned per head: tensor transformer.h.N.attn.mgk_log_variances (H x R).
    bool learnedVariances = false;
  } trainedAttention;
  /// Things that looked wrong but do not stop the model from running (e.g. bos_token_id outside the vocabulary).
  std::vector<std::string> warnings;

  int headDim() const { return headDimension; }
  /// The sliding window of `layer` (0 = global attention).
  int windowOfLayer(int layer) const {
    if (!slidingLayers.empty()) return slidingLayers[static_cast<size_t>(layer)] ? slidingWindow : 0;
    if (slidingPattern > 0) return (layer + 1) % slidingPattern != 0 ? slidingWindow : 0;
    return slidingWindow;
  }
};

/// RoPE inverse frequencies for a Llama-family config: headDim/2 values theta^(-2i/headDim), rescaled as
/// config.ropeScaling says (HF's _compute_llama3_parameters / linear scaling).
std::vector<double> ropeInverseFrequencies(const HfConfig& config);

/// Parses config.json. Throws FileError naming the file and the key when a required key is missing or has the
/// wrong type, or when the architecture is not one of GPT2LMHeadModel/GPT2Model, LlamaForCausalLM/LlamaModel,
/// MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, Phi3ForCausalLM, Olmo2ForCausalLM, GemmaForCausalLM,
/// Gemma2ForCausalLM, Gemma3ForCausalLM, GPTNeoXForCausalLM, BertModel/BertForMaskedLM (or, with "architectures"
/// absent or null, the matching model_type).
HfConfig parseHfConfig(const std::filesystem::path& configPath);
/// Same, from JSON text; `sourceName` is used in messages.
HfConfig parseHfConfigText(const std::string& jsonText, const std::string& sourceName);

}  // namespace attnscope::model
