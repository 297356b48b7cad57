#!/usr/bin/env python3
"""Independent NumPy reference for attnscope's Hugging Face forward passes (numpy only, float64 math).

  hf_reference.py generate OUT_DIR   writes seeded random GPT-2 (F32, "transformer." prefix), BERT (F16, MLM head),
                                     Llama-family (llama, llama3, qwen2, mistral, qwen3, phi3, olmo2: see llama()),
                                     GPT-NeoX and Gemma (gemma, gemma2, gemma3: see gemma()) folders with config.json
                                     and a
                                     tokenizer.json, plus OUT_DIR/<name>_reference.safetensors: a capture file
                                     (written with tools/write_capture.py) of the reference forward pass, with the
                                     logits as an extra tensor.
  hf_reference.py compare REF ENGINE compares two capture files (q, k, attn, pre-RoPE q/k, logits) to 1e-4.
  hf_reference.py token_ids CAPTURE  prints the capture's token ids (as "token_ids [1,2,3]").
"""
import json
import math
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from write_capture import read_safetensors, write_capture  # noqa: E402

TOKENS = [5, 17, 3, 42, 8, 8, 60, 1, 33]
TOLERANCE = 1e-4


def write_weights(path, tensors, dtype):
    """Writes a safetensors file in dtype F32, F16 or BF16; returns the float64 values as stored (rounded)."""
    header, blobs, offset, stored = {}, [], 0, {}
    for name, array in tensors.items():
        a32 = np.ascontiguousarray(array, dtype=np.float32)
        if dtype == "F32":
            data, back = a32.tobytes(), a32
        elif dtype == "F16":
            h = a32.astype("<f2")
            data, back = h.tobytes(), h.astype(np.float32)
        else:  # BF16: round to nearest even on the upper 16 bits
            bits = a32.view(np.uint32).astype(np.uint64)
            upper = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")
            data, back = upper.tobytes(), (upper.astype(np.uint32) << 16).view(np.float32)
        header[name] = {"dtype": dtype, "shape": list(a32.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
        stored[name] = back.astype(np.float64)
    text = json.dumps(header).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    return stored


def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def rms_norm(x, w, eps):
    return x / np.sqrt((x**2).mean(-1, keepdims=True) + eps) * w


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def gelu_erf(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def attention(q, k, v, causal, keep=None):
    """q, k, v: [heads, T, hd] -> (weights [heads, T, T], output [T, heads*hd]). keep: optional T x T mask (window)."""
    scores = q @ k.transpose(0, 2, 1) / math.sqrt(q.shape[-1])
    if causal:
        scores = np.where(np.tril(np.ones(scores.shape[-2:], dtype=bool)), scores, -np.inf)
    if keep is not None:
        scores = np.where(keep, scores, -np.inf)
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    weights = scores / scores.sum(-1, keepdims=True)
    out = weights @ v
    return weights, out.transpose(1, 0, 2).reshape(q.shape[1], -1)


def split_heads(x, heads):
    return x.reshape(x.shape[0], heads, -1).transpose(1, 0, 2)


def byte_tokenizer_json(vocab_size):
    """A tiny byte-level BPE tokenizer.json: 256 byte tokens (GPT-2 byte-to-unicode map) plus a few merges."""
    bs = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    byte_to_char = {b: chr(c) for b, c in zip(bs, cs)}
    vocab = {byte_to_char[b]: b for b in range(256)}
    merges = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("Ġ", "c"), ("a", "t"), ("Ġc", "at")]
    for left, right in merges:
        vocab[left + right] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    assert len(vocab) <= vocab_size
    return {
        "version": "1.0",
        "added_tokens": [{"id": vocab["<|endoftext|>"], "content": "<|endoftext|>", "special": True}],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "decoder": {"type": "ByteLevel"},
        "model": {"type": "BPE", "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]},
    }


def gpt2(out, rng):
    L, H, d, V, P = 2, 4, 32, 300, 16
    config = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_layer": L, "n_head": H, "n_embd": d,
              "vocab_size": V, "n_positions": P, "n_ctx": P, "n_inner": None, "activation_function": "gelu_new",
              "layer_norm_epsilon": 1e-5, "bos_token_id": 50256, "eos_token_id": 50256, "resid_pdrop": 0.1,
              "some_future_key": {"nested": True}}
    t = {"wte.weight": rng.normal(0, 0.5, (V, d)), "wpe.weight": rng.normal(0, 0.3, (P, d))}
    for l in range(L):
        p = f"h.{l}."
        t[p + "ln_1.weight"] = 1 + rng.normal(0, 0.1, d)
        t[p + "ln_1.bias"] = rng.normal(0, 0.1, d)
        t[p + "attn.c_attn.weight"] = rng.normal(0, 0.35, (d, 3 * d))
        t[p + "attn.c_attn.bias"] = rng.normal(0, 0.1, 3 * d)
        t[p + "attn.c_proj.weight"] = rng.normal(0, 0.1, (d, d))
        t[p + "attn.c_proj.bias"] = rng.normal(0, 0.05, d)
        t[p + "ln_2.weight"] = 1 + rng.normal(0, 0.1, d)
        t[p + "ln_2.bias"] = rng.normal(0, 0.1, d)
        t[p + "mlp.c_fc.weight"] = rng.normal(0, 0.2, (d, 4 * d))
        t[p + "mlp.c_fc.bias"] = rng.normal(0, 0.05, 4 * d)
        t[p + "mlp.c_proj.weight"] = rng.normal(0, 0.1, (4 * d, d))
        t[p + "mlp.c_proj.bias"] = rng.normal(0, 0.05, d)
    t["ln_f.weight"] = 1 + rng.normal(0, 0.1, d)
    t["ln_f.bias"] = rng.normal(0, 0.1, d)
    w = write_weights(os.path.join(out, "model.safetensors"), {"transformer." + k: v for k, v in t.items()}, "F32")
    w = {k[len("transformer."):]: v for k, v in w.items()}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    with open(os.path.join(out, "tokenizer.json"), "w") as f:
        json.dump(byte_tokenizer_json(V), f, ensure_ascii=False)

    T = len(TOKENS)
    h = w["wte.weight"][TOKENS] + w["wpe.weight"][:T]
    qs, ks, atts = [], [], []
    for l in range(L):
        p = f"h.{l}."
        x = layer_norm(h, w[p + "ln_1.weight"], w[p + "ln_1.bias"], 1e-5)
        qkv = x @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = (split_heads(a, H) for a in np.split(qkv, 3, axis=1))
        a, o = attention(q, k, v, True)
        qs.append(q), ks.append(k), atts.append(a)
        h = h + o @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        x = layer_norm(h, w[p + "ln_2.weight"], w[p + "ln_2.bias"], 1e-5)
        x = gelu_tanh(x @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"])
        h = h + x @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    h = layer_norm(h, w["ln_f.weight"], w["ln_f.bias"], 1e-5)
    logits = h @ w["wte.weight"].T
    return np.stack(qs), np.stack(ks), np.stack(atts), None, None, True, logits


def bert(out, rng):
    L, H, d, V, P, I = 2, 4, 32, 120, 24, 48
    config = {"architectures": ["BertForMaskedLM"], "model_type": "bert", "num_hidden_layers": L,
              "num_attention_heads": H, "hidden_size": d, "intermediate_size": I, "vocab_size": V,
              "max_position_embeddings": P, "type_vocab_size": 2, "hidden_act": "gelu", "layer_norm_eps": 1e-12,
              "pad_token_id": 0, "position_embedding_type": "absolute", "gradient_checkpointing": False}
    t = {"embeddings.word_embeddings.weight": rng.normal(0, 0.5, (V, d)),
         "embeddings.position_embeddings.weight": rng.normal(0, 0.3, (P, d)),
         "embeddings.token_type_embeddings.weight": rng.normal(0, 0.3, (2, d)),
         "embeddings.LayerNorm.weight": 1 + rng.normal(0, 0.1, d), "embeddings.LayerNorm.bias": rng.normal(0, 0.1, d)}
    for l in range(L):
        p = f"encoder.layer.{l}."
        for name in ("query", "key", "value"):
            t[p + f"attention.self.{name}.weight"] = rng.normal(0, 0.35, (d, d))  # nn.Linear: [out, in]
            t[p + f"attention.self.{name}.bias"] = rng.normal(0, 0.1, d)
        t[p + "attention.output.dense.weight"] = rng.normal(0, 0.1, (d, d))
        t[p + "attention.output.dense.bias"] = rng.normal(0, 0.05, d)
        t[p + "attention.output.LayerNorm.weight"] = 1 + rng.normal(0, 0.1, d)
        t[p + "attention.output.LayerNorm.bias"] = rng.normal(0, 0.1, d)
        t[p + "intermediate.dense.weight"] = rng.normal(0, 0.2, (I, d))
        t[p + "intermediate.dense.bias"] = rng.normal(0, 0.05, I)
        t[p + "output.dense.weight"] = rng.normal(0, 0.1, (d, I))
        t[p + "output.dense.bias"] = rng.normal(0, 0.05, d)
        t[p + "output.LayerNorm.weight"] = 1 + rng.normal(0, 0.1, d)
        t[p + "output.LayerNorm.bias"] = rng.normal(0, 0.1, d)
    t = {"bert." + k: v for k, v in t.items()}
    t["cls.predictions.transform.dense.weight"] = rng.normal(0, 0.2, (d, d))
    t["cls.predictions.transform.dense.bias"] = rng.normal(0, 0.05, d)
    t["cls.predictions.transform.LayerNorm.weight"] = 1 + rng.normal(0, 0.1, d)
    t["cls.predictions.transform.LayerNorm.bias"] = rng.normal(0, 0.1, d)
    t["cls.predictions.bias"] = rng.normal(0, 0.1, V)
    w = write_weights(os.path.join(out, "model.safetensors"), t, "F16")
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=1)

    e = lambda name: w["bert." + name]  # noqa: E731
    T = len(TOKENS)
    h = e("embeddings.word_embeddings.weight")[TOKENS] + e("embeddings.position_embeddings.weight")[:T]
    h = h + e("embeddings.token_type_embeddings.weight")[0]
    h = layer_norm(h, e("embeddings.LayerNorm.weight"), e("embeddings.LayerNorm.bias"), 1e-12)
    qs, ks, atts = [], [], []
    for l in range(L):
        p = f"encoder.layer.{l}."
        lin = lambda x, name: x @ e(p + name + ".weight").T + e(p + name + ".bias")  # noqa: E731
        q, k, v = (split_heads(lin(h, f"attention.self.{n}"), H) for n in ("query", "key", "value"))
        a, o = attention(q, k, v, False)
        qs.append(q), ks.append(k), atts.append(a)
        h = layer_norm(h + lin(o, "attention.output.dense"), e(p + "attention.output.LayerNorm.weight"),
                       e(p + "attention.output.LayerNorm.bias"), 1e-12)
        x = gelu_erf(lin(h, "intermediate.dense"))
        h = layer_norm(h + lin(x, "output.dense"), e(p + "output.LayerNorm.weight"), e(p + "output.LayerNorm.bias"),
                       1e-12)
    x = gelu_erf(h @ w["cls.predictions.transform.dense.weight"].T + w["cls.predictions.transform.dense.bias"])
    x = layer_norm(x, w["cls.predictions.transform.LayerNorm.weight"], w["cls.predictions.transform.LayerNorm.bias"],
                   1e-12)
    logits = x @ e("embeddings.word_embeddings.weight").T + w["cls.predictions.bias"]
    return np.stack(qs), np.stack(ks), np.stack(atts), None, None, False, logits


def llama3_frequencies(inv, factor, low, high, old_context):
    """HF _compute_llama3_parameters: keep short wavelengths, divide long ones by factor, blend in between."""
    wavelength = 2 * math.pi / inv
    smooth = (old_context / wavelength - low) / (high - low)
    blended = (1 - smooth) * inv / factor + smooth * inv
    return np.where(wavelength > old_context / low, inv / factor,
                    np.where(wavelength < old_context / high, inv, blended))


def rope(x, theta, scaling=None):
    """x: [heads, T, hd]; HF rotate_half layout (dimension i pairs with i + hd/2)."""
    hd = x.shape[-1]
    inv = theta ** (-np.arange(0, hd, 2) / hd)
    if scaling is not None:
        inv = llama3_frequencies(inv, *scaling)
    angles = np.arange(x.shape[1])[:, None] * inv[None, :]
    cos, sin = np.cos(np.concatenate([angles, angles], -1)), np.sin(np.concatenate([angles, angles], -1))
    rotated = np.concatenate([-x[..., hd // 2:], x[..., : hd // 2]], -1)
    return x * cos + rotated * sin


class LlamaFamily:
    """How one Llama-family variant differs from Llama 2 in llama(): the checkpoint's config and tensors."""

    def __init__(self, architecture, model_type=None, head_dim=None, scaling=None, bias=False, qk_norm=None,
                 tied=False, window=None, fused=False, transformers5=False, config=None):
        self.architecture = architecture  # architectures[0] (None: "architectures": null)
        self.model_type = model_type      # None: the variant's name
        self.head_dim = head_dim          # None: hidden / heads
        self.scaling = scaling            # Llama 3.1 rope_scaling (factor, low, high, original context)
        self.bias = bias                  # q/k/v biases
        self.qk_norm = qk_norm            # "head" (per head) or "projection" (over the whole q / k projection)
        self.tied = tied                  # tied embeddings, no lm_head
        self.window = window              # sliding_window applied to every layer
        self.fused = fused                # Phi-3's qkv_proj and gate_up_proj
        self.transformers5 = transformers5  # dtype and rope_parameters instead of torch_dtype and rope_theta
        self.config = config or {}        # further config.json keys

    @property
    def post_norms(self):  # OLMo-2: norms after the sublayers instead of before (with its QK-norm over projections)
        return self.qk_norm == "projection"


LLAMA_FAMILIES = {
    "llama": LlamaFamily("LlamaForCausalLM"),
    "llama3": LlamaFamily("LlamaForCausalLM", model_type="llama", head_dim=16, scaling=(8.0, 1.0, 4.0, 64),
                          config={"head_dim": 16, "rope_scaling": {
                              "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                              "original_max_position_embeddings": 64}}),
    "qwen2": LlamaFamily("Qwen2ForCausalLM", bias=True, tied=True, transformers5=True,
                         config={"use_sliding_window": False, "sliding_window": 3, "max_window_layers": 1}),
    "mistral": LlamaFamily("MistralForCausalLM", window=4),
    "qwen3": LlamaFamily(None, head_dim=16, qk_norm="head", config={"head_dim": 16, "attention_bias": False}),
    "phi3": LlamaFamily("Phi3ForCausalLM", window=6, fused=True),
    "olmo2": LlamaFamily("Olmo2ForCausalLM", qk_norm="projection"),
}


def llama(out, rng, variant="llama"):
    """A Llama-family checkpoint in that family's exact tensor names and config keys (LLAMA_FAMILIES):
    llama   Llama 2 style, BF16 in two shards, GQA, untied lm_head, transformers-4 config (torch_dtype, rope_theta);
    llama3  Llama 3.1-style rope_scaling (all three frequency bands hit) and head_dim 16 != hidden/heads;
    qwen2   q/k/v biases, tied embeddings, transformers-5 config (dtype, rope_parameters), an inactive sliding_window;
    mistral sliding_window 4 < the 9 test tokens, so the window masks real positions;
    qwen3   QK-norm (q_norm/k_norm RMSNorm per head before RoPE), head_dim 16, "architectures": null;
    phi3    fused qkv_proj ([q; k; v] rows) and gate_up_proj ([gate; up] rows), sliding_window 6;
    olmo2   QK-norm over the whole q and k projections, no pre-norms: each sublayer's output is normalised
            (post_attention_layernorm, post_feedforward_layernorm) before its residual add.
    """
    family = LLAMA_FAMILIES[variant]
    L, H, KV, d, V, P, I = 2, 4, 2, 32, 100, 64, 40
    hd = family.head_dim or d // H
    scaling, bias, tied, window = family.scaling, family.bias, family.tied, family.window
    qk_norm, post_norms = family.qk_norm is not None, family.post_norms
    config = {"architectures": [family.architecture] if family.architecture else None,
              "model_type": family.model_type or variant,
              "num_hidden_layers": L, "num_attention_heads": H, "num_key_value_heads": KV, "hidden_size": d,
              "intermediate_size": I, "vocab_size": V, "max_position_embeddings": P, "rms_norm_eps": 1e-5,
              "rope_theta": 500.0, "hidden_act": "silu", "tie_word_embeddings": tied, "bos_token_id": 128000,
              "eos_token_id": [2, 7], "torch_dtype": "bfloat16"}
    if family.transformers5:
        del config["rope_theta"], config["torch_dtype"]
        config.update({"dtype": "bfloat16", "rope_parameters": {"rope_type": "default", "rope_theta": 500.0}})
    config.update(family.config)
    if window:
        config["sliding_window"] = window
    t = {"model.embed_tokens.weight": rng.normal(0, 0.5, (V, d))}
    for l in range(L):
        p = f"model.layers.{l}."
        if not post_norms:
            t[p + "input_layernorm.weight"] = 1 + rng.normal(0, 0.1, d)
        t[p + "self_attn.q_proj.weight"] = rng.normal(0, 0.35, (H * hd, d))
        t[p + "self_attn.k_proj.weight"] = rng.normal(0, 0.35, (KV * hd, d))
        t[p + "self_attn.v_proj.weight"] = rng.normal(0, 0.2, (KV * hd, d))
        if bias:
            t[p + "self_attn.q_proj.bias"] = rng.normal(0, 0.5, H * hd)
            t[p + "self_attn.k_proj.bias"] = rng.normal(0, 0.5, KV * hd)
            t[p + "self_attn.v_proj.bias"] = rng.normal(0, 0.5, KV * hd)
        if qk_norm:  # per head (Qwen3) or over the whole projection (OLMo-2)
            t[p + "self_attn.q_norm.weight"] = 1 + rng.normal(0, 0.3, H * hd if post_norms else hd)
            t[p + "self_attn.k_norm.weight"] = 1 + rng.normal(0, 0.3, KV * hd if post_norms else hd)
        t[p + "self_attn.o_proj.weight"] = rng.normal(0, 0.1, (d, H * hd))
        t[p + "post_attention_layernorm.weight"] = 1 + rng.normal(0, 0.1, d)
        t[p + "mlp.gate_proj.weight"] = rng.normal(0, 0.2, (I, d))
        t[p + "mlp.up_proj.weight"] = rng.normal(0, 0.2, (I, d))
        t[p + "mlp.down_proj.weight"] = rng.normal(0, 0.1, (d, I))
        if post_norms:
            t[p + "post_feedforward_layernorm.weight"] = 1 + rng.normal(0, 0.1, d)
    t["model.norm.weight"] = 1 + rng.normal(0, 0.1, d)
    if not tied:
        t["lm_head.weight"] = rng.normal(0, 0.3, (V, d))
    fused = {}  # Phi-3's fused tensor name -> [(separate name, its rows)], stacked in that order
    if family.fused:
        for l in range(L):
            p = f"model.layers.{l}."
            fused[p + "self_attn.qkv_proj.weight"] = [(p + "self_attn.q_proj.weight", H * hd),
                                                      (p + "self_attn.k_proj.weight", KV * hd),
                                                      (p + "self_attn.v_proj.weight", KV * hd)]
            fused[p + "mlp.gate_up_proj.weight"] = [(p + "mlp.gate_proj.weight", I), (p + "mlp.up_proj.weight", I)]
        for name, parts in fused.items():
            t[name] = np.concatenate([t.pop(part) for part, _ in parts], axis=0)
    names = list(t)
    half = len(names) // 2
    w, weight_map = {}, {}
    for index, part in enumerate((names[:half], names[half:])):
        shard = f"model-{index + 1:05d}-of-00002.safetensors"
        w.update(write_weights(os.path.join(out, shard), {n: t[n] for n in part}, "BF16"))
        weight_map.update({n: shard for n in part})
    for name, parts in fused.items():  # the forward below reads the separate matrices, as stored (rounded)
        begin = 0
        for part, rows in parts:
            w[part], begin = w[name][begin:begin + rows], begin + rows
    with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f, indent=1)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=1)

    T = len(TOKENS)
    h = w["model.embed_tokens.weight"][TOKENS]
    qs, ks, qpre, kpre, qraw, kraw, atts = [], [], [], [], [], [], []
    keep = np.ones((T, T), dtype=bool)
    if window:
        keep = np.arange(T)[:, None] - np.arange(T)[None, :] < window
    for l in range(L):
        p = f"model.layers.{l}."
        x = h if post_norms else rms_norm(h, w[p + "input_layernorm.weight"], 1e-5)
        proj = {}
        for name in ("q", "k", "v"):
            proj[name] = x @ w[p + f"self_attn.{name}_proj.weight"].T
            if bias:
                proj[name] = proj[name] + w[p + f"self_attn.{name}_proj.bias"]
        q = split_heads(proj["q"], H)
        k = np.repeat(split_heads(proj["k"], KV), H // KV, axis=0)
        v = np.repeat(split_heads(proj["v"], KV), H // KV, axis=0)
        if post_norms:  # OLMo-2 normalises the whole projection, then splits heads
            qraw.append(q), kraw.append(k)
            q = split_heads(rms_norm(proj["q"], w[p + "self_attn.q_norm.weight"], 1e-5), H)
            k = np.repeat(split_heads(rms_norm(proj["k"], w[p + "self_attn.k_norm.weight"], 1e-5), KV), H // KV, axis=0)
        elif qk_norm:
            qraw.append(q), kraw.append(k)
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], 1e-5)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], 1e-5)
        qpre.append(q), kpre.append(k)
        q, k = rope(q, 500.0, scaling), rope(k, 500.0, scaling)
        a, o = attention(q, k, v, True, keep)
        qs.append(q), ks.append(k), atts.append(a)
        if post_norms:
            h = h + rms_norm(o @ w[p + "self_attn.o_proj.weight"].T, w[p + "post_attention_layernorm.weight"], 1e-5)
            gate = h @ w[p + "mlp.gate_proj.weight"].T
            fed = ((gate / (1 + np.exp(-gate))) * (h @ w[p + "mlp.up_proj.weight"].T)) @ w[p + "mlp.down_proj.weight"].T
            h = h + rms_norm(fed, w[p + "post_feedforward_layernorm.weight"], 1e-5)
            continue
        h = h + o @ w[p + "self_attn.o_proj.weight"].T
        x = rms_norm(h, w[p + "post_attention_layernorm.weight"], 1e-5)
        gate = x @ w[p + "mlp.gate_proj.weight"].T
        h = h + ((gate / (1 + np.exp(-gate))) * (x @ w[p + "mlp.up_proj.weight"].T)) @ w[p + "mlp.down_proj.weight"].T
    h = rms_norm(h, w["model.norm.weight"], 1e-5)
    logits = h @ w["model.embed_tokens.weight" if tied else "lm_head.weight"].T
    extra = {"q_prenorm": np.stack(qraw), "k_prenorm": np.stack(kraw)} if qk_norm else {}
    if window:  # guard: the window must have masked something the causal mask alone would keep
        assert np.abs(np.stack(atts)[..., T - 1, 0]).max() == 0.0
    return np.stack(qs), np.stack(ks), np.stack(atts), np.stack(qpre), np.stack(kpre), True, logits, extra


def gpt_neox(out, rng):
    """GPT-NeoX / Pythia: F16, per-head interleaved query_key_value, rotary_pct 0.5 (RoPE on 4 of 8 dimensions per
    head), parallel residual, exact-erf GELU, untied embed_out."""
    L, H, d, V, P, I = 2, 4, 32, 100, 64, 48
    hd, rot = d // H, 4
    config = {"architectures": ["GPTNeoXForCausalLM"], "model_type": "gpt_neox", "num_hidden_layers": L,
              "num_attention_heads": H, "hidden_size": d, "intermediate_size": I, "vocab_size": V,
              "max_position_embeddings": P, "rotary_pct": rot / hd, "rotary_emb_base": 500, "layer_norm_eps": 1e-5,
              "hidden_act": "gelu", "use_parallel_residual": True, "tie_word_embeddings": False,
              "torch_dtype": "float16"}
    t = {"gpt_neox.embed_in.weight": rng.normal(0, 0.5, (V, d))}
    for l in range(L):
        p = f"gpt_neox.layers.{l}."
        t[p + "input_layernorm.weight"] = 1 + rng.normal(0, 0.1, d)
        t[p + "input_layernorm.bias"] = rng.normal(0, 0.1, d)
        t[p + "post_attention_layernorm.weight"] = 1 + rng.normal(0, 0.1, d)
        t[p + "post_attention_layernorm.bias"] = rng.normal(0, 0.1, d)
        t[p + "attention.query_key_value.weight"] = rng.normal(0, 0.35, (3 * d, d))
        t[p + "attention.query_key_value.bias"] = rng.normal(0, 0.3, 3 * d)
        t[p + "attention.dense.weight"] = rng.normal(0, 0.1, (d, d))
        t[p + "attention.dense.bias"] = rng.normal(0, 0.1, d)
        t[p + "mlp.dense_h_to_4h.weight"] = rng.normal(0, 0.2, (I, d))
        t[p + "mlp.dense_h_to_4h.bias"] = rng.normal(0, 0.1, I)
        t[p + "mlp.dense_4h_to_h.weight"] = rng.normal(0, 0.1, (d, I))
        t[p + "mlp.dense_4h_to_h.bias"] = rng.normal(0, 0.1, d)
    t["gpt_neox.final_layer_norm.weight"] = 1 + rng.normal(0, 0.1, d)
    t["gpt_neox.final_layer_norm.bias"] = rng.normal(0, 0.1, d)
    t["embed_out.weight"] = rng.normal(0, 0.3, (V, d))
    w = write_weights(os.path.join(out, "model.safetensors"), t, "F16")
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=1)

    def partial_rope(x):  # RoPE on the first `rot` dimensions of each head, the rest unchanged
        return np.concatenate([rope(x[..., :rot], 500.0), x[..., rot:]], -1)

    h = w["gpt_neox.embed_in.weight"][TOKENS]
    qs, ks, qpre, kpre, atts = [], [], [], [], []
    for l in range(L):
        p = f"gpt_neox.layers.{l}."
        x = layer_norm(h, w[p + "input_layernorm.weight"], w[p + "input_layernorm.bias"], 1e-5)
        qkv = x @ w[p + "attention.query_key_value.weight"].T + w[p + "attention.query_key_value.bias"]
        qkv = qkv.reshape(len(TOKENS), H, 3 * hd).transpose(1, 0, 2)  # [H, T, 3 hd]: q, k, v per head
        q, k, v = qkv[..., :hd], qkv[..., hd:2 * hd], qkv[..., 2 * hd:]
        qpre.append(q), kpre.append(k)
        q, k = partial_rope(q), partial_rope(k)
        a, o = attention(q, k, v, True)
        qs.append(q), ks.append(k), atts.append(a)
        attended = o @ w[p + "attention.dense.weight"].T + w[p + "attention.dense.bias"]
        x = layer_norm(h, w[p + "post_attention_layernorm.weight"], w[p + "post_attention_layernorm.bias"], 1e-5)
        inner = gelu_erf(x @ w[p + "mlp.dense_h_to_4h.weight"].T + w[p + "mlp.dense_h_to_4h.bias"])
        h = h + attended + inner @ w[p + "mlp.dense_4h_to_h.weight"].T + w[p + "mlp.dense_4h_to_h.bias"]
    h = layer_norm(h, w["gpt_neox.final_layer_norm.weight"], w["gpt_neox.final_layer_norm.bias"], 1e-5)
    logits = h @ w["embed_out.weight"].T
    return np.stack(qs), np.stack(ks), np.stack(atts), np.stack(qpre), np.stack(kpre), True, logits


def gemma(out, rng, variant="gemma"):
    """The Gemma family, as transformers' modeling_gemma.py / modeling_gemma2.py / modeling_gemma3.py compute it:
    RMSNorm x * (1 + w) (weights drawn around 0, so a plain x * w would fail), embeddings times sqrt(hidden_size), GeGLU
    MLP with gelu_pytorch_tanh, tied output, head_dim 16 != hidden/heads, one key/value head (multi-query).
    gemma   Gemma 1, transformers-4 config with hidden_act "gelu" beside hidden_activation "gelu_pytorch_tanh" (the
            latter is what transformers 4 runs).
    gemma2  plus pre/post attention and feed-forward norms, query_pre_attn_scalar 24 as the score scale (not head_dim),
            attention logits soft-capped at 5 (c tanh(x / c) before the mask and softmax), final logits capped at 3,
            sliding window 4 on the even layers 0 and 2 (layer 1 global), as Gemma2 derives it without layer_types.
    gemma2_hd  gemma2 with query_pre_attn_scalar = head_dim (Gemma 2 2B/9B; the scale llama.cpp uses for GGUF)
    gemma3_t4  gemma3 as transformers 4 writes gemma-3-1b: 6 layers, sliding_window_pattern 6 (layer 5 global),
               rope_local_base_freq 10000, global rope_theta 1e6 with linear scaling 2, query_pre_attn_scalar = hd
    gemma3  Gemma 3 text: QK-norm per head with (1 + w) before RoPE, no attention soft-capping, local layers 0 and 1
            (sliding_window_pattern 3) with rope_local_base_freq 100, global layer 2 with rope_theta 10000 and linear
            RoPE scaling 2, transformers-5 config (dtype, rope_parameters per layer type, layer_types).
    """
    L, H, KV, d, V, P, I, hd = 3, 4, 1, 32, 100, 64, 40, 16
    if variant == "gemma":
        L = 2
    if variant == "gemma3_t4":
        L = 6
    sandwich, qk_norm = variant != "gemma", variant in ("gemma3", "gemma3_t4")
    eps = 1e-6
    config = {"architectures": [{"gemma": "GemmaForCausalLM", "gemma2": "Gemma2ForCausalLM", "gemma2_hd": "",
                                 "gemma3": "Gemma3ForCausalLM", "gemma3_t4": "Gemma3ForCausalLM"}[variant]],
              "model_type": "gemma3_text" if variant.startswith("gemma3") else variant, "num_hidden_layers": L,
              "num_attention_heads": H, "num_key_value_heads": KV, "head_dim": hd, "hidden_size": d,
              "intermediate_size": I, "vocab_size": V, "max_position_embeddings": P, "rms_norm_eps": eps,
              "hidden_activation": "gelu_pytorch_tanh", "bos_token_id": 2, "eos_token_id": 1, "pad_token_id": 0,
              "attention_bias": False, "torch_dtype": "bfloat16"}
    scale, attn_cap, final_cap = 1 / math.sqrt(hd), None, None
    thetas, scalings, windows = [10000.0] * L, [None] * L, [None] * L
    if variant == "gemma":
        config.update({"hidden_act": "gelu", "rope_theta": 10000.0})
    if variant == "gemma2_hd":  # query_pre_attn_scalar = head_dim, as in Gemma 2 2B/9B (llama.cpp's GGUF rule)
        variant = "gemma2"
        config["architectures"], config["model_type"], qpas = ["Gemma2ForCausalLM"], "gemma2", hd
    else:
        qpas = 24
    if variant == "gemma2":
        config.update({"query_pre_attn_scalar": 24, "attn_logit_softcapping": 5.0, "final_logit_softcapping": 3.0,
                       "sliding_window": 4, "rope_theta": 10000.0, "cache_implementation": "hybrid"})
        config["query_pre_attn_scalar"] = qpas
        scale, attn_cap, final_cap = qpas ** -0.5, 5.0, 3.0
        windows = [4 if l % 2 == 0 else None for l in range(L)]
    if variant == "gemma3":
        del config["torch_dtype"]
        config.update({"dtype": "bfloat16", "query_pre_attn_scalar": 24, "sliding_window": 4,
                       "layer_types": ["sliding_attention", "sliding_attention", "full_attention"],
                       "attn_logit_softcapping": None, "final_logit_softcapping": None,
                       "rope_parameters": {"full_attention": {"rope_type": "linear", "factor": 2.0,
                                                              "rope_theta": 10000.0},
                                           "sliding_attention": {"rope_type": "default", "rope_theta": 100.0}}})
        scale = 24 ** -0.5
        windows = [4, 4, None]
        thetas, scalings = [100.0, 100.0, 10000.0], [None, None, 2.0]
    if variant == "gemma3_t4":  # transformers 4, as gemma-3-1b: pattern 6, local base 10000, query_pre_attn_scalar hd
        config.update({"query_pre_attn_scalar": hd, "sliding_window": 4, "sliding_window_pattern": 6,
                       "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0,
                       "rope_scaling": {"rope_type": "linear", "factor": 2.0}, "attn_logit_softcapping": None,
                       "final_logit_softcapping": None})
        windows = [4, 4, 4, 4, 4, None]
        thetas, scalings = [10000.0] * 5 + [1000000.0], [None] * 5 + [2.0]
    t = {"model.embed_tokens.weight": rng.normal(0, 0.5, (V, d))}
    norms = ["input_layernorm", "post_attention_layernorm"]
    if sandwich:
        norms += ["pre_feedforward_layernorm", "post_feedforward_layernorm"]
    for l in range(L):
        p = f"model.layers.{l}."
        for norm in norms:
            t[p + norm + ".weight"] = rng.normal(0, 0.2, d)  # centred on 0: the model scales by (1 + w)
        t[p + "self_attn.q_proj.weight"] = rng.normal(0, 0.35, (H * hd, d))
        t[p + "self_attn.k_proj.weight"] = rng.normal(0, 0.35, (KV * hd, d))
        t[p + "self_attn.v_proj.weight"] = rng.normal(0, 0.2, (KV * hd, d))
        if qk_norm:
            t[p + "self_attn.q_norm.weight"] = rng.normal(0, 0.3, hd)
            t[p + "self_attn.k_norm.weight"] = rng.normal(0, 0.3, hd)
        t[p + "self_attn.o_proj.weight"] = rng.normal(0, 0.1, (d, H * hd))
        t[p + "mlp.gate_proj.weight"] = rng.normal(0, 0.2, (I, d))
        t[p + "mlp.up_proj.weight"] = rng.normal(0, 0.2, (I, d))
        t[p + "mlp.down_proj.weight"] = rng.normal(0, 0.1, (d, I))
    t["model.norm.weight"] = rng.normal(0, 0.2, d)
    w = write_weights(os.path.join(out, "model.safetensors"), t, "BF16")
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=1)

    def norm1(x, weight):  # Gemma's RMSNorm
        return x / np.sqrt((x**2).mean(-1, keepdims=True) + eps) * (1 + weight)

    def rope_scaled(x, theta, factor):
        if factor is None:
            return rope(x, theta)
        hd_ = x.shape[-1]  # linear scaling: every inverse frequency divided by the factor
        inv = theta ** (-np.arange(0, hd_, 2) / hd_) / factor
        angles = np.arange(x.shape[1])[:, None] * inv[None, :]
        cos, sin = np.cos(np.concatenate([angles, angles], -1)), np.sin(np.concatenate([angles, angles], -1))
        return x * cos + np.concatenate([-x[..., hd_ // 2:], x[..., : hd_ // 2]], -1) * sin

    T = len(TOKENS)
    h = w["model.embed_tokens.weight"][TOKENS] * math.sqrt(d)
    qs, ks, qpre, kpre, qraw, kraw, atts = [], [], [], [], [], [], []
    capped_somewhere = False
    for l in range(L):
        p = f"model.layers.{l}."
        x = norm1(h, w[p + "input_layernorm.weight"])
        q = split_heads(x @ w[p + "self_attn.q_proj.weight"].T, H)
        k = np.repeat(split_heads(x @ w[p + "self_attn.k_proj.weight"].T, KV), H // KV, axis=0)
        v = np.repeat(split_heads(x @ w[p + "self_attn.v_proj.weight"].T, KV), H // KV, axis=0)
        if qk_norm:
            qraw.append(q), kraw.append(k)
            q, k = norm1(q, w[p + "self_attn.q_norm.weight"]), norm1(k, w[p + "self_attn.k_norm.weight"])
        qpre.append(q), kpre.append(k)
        q, k = rope_scaled(q, thetas[l], scalings[l]), rope_scaled(k, thetas[l], scalings[l])
        scores = q @ k.transpose(0, 2, 1) * scale
        if attn_cap is not None:
            capped_somewhere |= np.abs(scores).max() > attn_cap  # the cap must bend real scores
            scores = attn_cap * np.tanh(scores / attn_cap)
        keep = np.tril(np.ones((T, T), dtype=bool))
        if windows[l]:
            keep &= np.arange(T)[:, None] - np.arange(T)[None, :] < windows[l]
        scores = np.where(keep, scores, -np.inf)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        a = scores / scores.sum(-1, keepdims=True)
        o = (a @ v).transpose(1, 0, 2).reshape(T, -1)
        qs.append(q), ks.append(k), atts.append(a)
        attended = o @ w[p + "self_attn.o_proj.weight"].T
        if sandwich:
            h = h + norm1(attended, w[p + "post_attention_layernorm.weight"])
            x = norm1(h, w[p + "pre_feedforward_layernorm.weight"])
        else:
            h = h + attended
            x = norm1(h, w[p + "post_attention_layernorm.weight"])
        fed = (gelu_tanh(x @ w[p + "mlp.gate_proj.weight"].T) * (x @ w[p + "mlp.up_proj.weight"].T))
        fed = fed @ w[p + "mlp.down_proj.weight"].T
        h = h + (norm1(fed, w[p + "post_feedforward_layernorm.weight"]) if sandwich else fed)
    h = norm1(h, w["model.norm.weight"])
    logits = h @ w["model.embed_tokens.weight"].T
    if final_cap is not None:
        assert np.abs(logits).max() > final_cap  # the final cap must bend real logits
        logits = final_cap * np.tanh(logits / final_cap)
    if attn_cap is not None:
        assert capped_somewhere
    if any(windows):  # guard: a window masked something the causal mask alone would keep
        assert np.stack(atts)[0, :, T - 1, 0].max() == 0.0
    extra = {"q_prenorm": np.stack(qraw), "k_prenorm": np.stack(kraw)} if qk_norm else {}
    return np.stack(qs), np.stack(ks), np.stack(atts), np.stack(qpre), np.stack(kpre), True, logits, extra


def generate(out_dir):
    families = [("gpt2", gpt2), ("bert", bert)] + [(name, lambda out, rng, v=name: llama(out, rng, v))
                                                   for name in LLAMA_FAMILIES] + [
        ("gpt_neox", gpt_neox)] + [(name, lambda out, rng, v=name: gemma(out, rng, v))
                                   for name in ("gemma", "gemma2", "gemma3", "gemma2_hd", "gemma3_t4")]
    for seed, (name, build) in enumerate(families):
        folder = os.path.join(out_dir, name)
        os.makedirs(folder, exist_ok=True)
        q, k, attn, qpre, kpre, causal, logits, *rest = build(folder, np.random.default_rng(1000 + seed))
        # Guard against a meaningless test: attention must be far from uniform somewhere.
        assert np.abs(attn[..., -1, :] - 1.0 / len(TOKENS)).max() > 0.1 or not causal
        write_capture(os.path.join(out_dir, f"{name}_reference.safetensors"), q, k, attn,
                      [f"t{i}" for i in TOKENS], TOKENS, q_prerope=qpre, k_prerope=kpre, causal=causal,
                      extra={"logits": logits, **(rest[0] if rest else {})})


def compare(reference_path, engine_path):
    ref, ref_meta = read_safetensors(reference_path)
    got, got_meta = read_safetensors(engine_path)
    failures = []
    if json.loads(ref_meta["token_ids"]) != json.loads(got_meta["token_ids"]):
        failures.append("token_ids differ")
    if ref_meta.get("causal") != got_meta.get("causal"):
        failures.append(f"causal: reference {ref_meta.get('causal')}, engine {got_meta.get('causal')}")
    for name in ("q", "k", "attn", "q_prerope", "k_prerope", "q_prenorm", "k_prenorm", "logits"):
        if name not in ref:
            continue
        if name not in got:
            failures.append(f"engine capture lacks '{name}'")
            continue
        if ref[name].shape != got[name].shape:
            failures.append(f"{name}: shape {got[name].shape}, reference {ref[name].shape}")
            continue
        error = float(np.abs(ref[name] - got[name]).max())
        print(f"{name}: max |engine - reference| = {error:.2e}")
        if not error <= TOLERANCE:
            failures.append(f"{name}: max abs error {error:.3e} > {TOLERANCE}")
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "generate":
        generate(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "token_ids":
        print("token_ids", read_safetensors(sys.argv[2])[1]["token_ids"].replace(" ", ""))
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    else:
        sys.exit(__doc__)
