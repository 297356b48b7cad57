#!/usr/bin/env python3
"""Independent NumPy forward pass of a llama2.c checkpoint, checked against attnscope's capture file.

Runs `attnscope model capture` (on a prompt and on explicit token ids), reads the capture safetensors file with
plain json + numpy, recomputes every layer's and head's Q/K (before and after RoPE), the causal attention and the
logits in float64 from the .bin file, and fails if any entry differs by more than the tolerance.
Usage: llama_reference.py ATTNSCOPE MODEL.bin TOKENIZER.bin WORKDIR
"""
import json
import os
import struct
import subprocess
import sys

import numpy as np

TOLERANCE = 1e-4


def load_llama2c(path):
    raw = open(path, "rb").read()
    dim, hidden, layers, heads, kv_heads, vocab, seq_len = struct.unpack_from("<7i", raw, 0)
    shared = vocab > 0
    vocab = abs(vocab)
    head = dim // heads
    kv_dim = kv_heads * head
    floats = np.frombuffer(raw, dtype="<f4", offset=28).astype(np.float64)
    cursor = [0]

    def take(*shape):
        n = int(np.prod(shape))
        out = floats[cursor[0]:cursor[0] + n].reshape(shape)
        cursor[0] += n
        return out

    w = {
        "emb": take(vocab, dim),
        "rms_att": take(layers, dim),
        "wq": take(layers, dim, dim),
        "wk": take(layers, kv_dim, dim),
        "wv": take(layers, kv_dim, dim),
        "wo": take(layers, dim, dim),
        "rms_ffn": take(layers, dim),
        "w1": take(layers, hidden, dim),
        "w2": take(layers, dim, hidden),
        "w3": take(layers, hidden, dim),
        "rms_final": take(dim),
    }
    take(seq_len, head // 2)
    take(seq_len, head // 2)
    w["cls"] = w["emb"] if shared else take(vocab, dim)
    assert cursor[0] == floats.size, "file size does not match the header"
    cfg = dict(dim=dim, hidden=hidden, layers=layers, heads=heads, kv_heads=kv_heads, vocab=vocab, head=head)
    return cfg, w


def rmsnorm(x, weight):
    # x: T x dim
    return weight * x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + 1e-5)


def rope(x, head):
    # x: T x H x head; rotates pairs (2j, 2j+1) by pos * 10000^(-2j/head)
    T = x.shape[0]
    pairs = np.arange(head // 2)
    freq = 1.0 / (10000.0 ** (2.0 * pairs / head))
    angle = np.arange(T)[:, None] * freq[None, :]
    cos, sin = np.cos(angle)[:, None, :], np.sin(angle)[:, None, :]
    even, odd = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = even * cos - odd * sin
    out[..., 1::2] = even * sin + odd * cos
    return out


def forward(cfg, w, tokens):
    """Whole-sequence (not incremental) forward pass: returns per-layer q, k (per query head), pre-RoPE q, k,
    attention and the logits."""
    T, H, G, D = len(tokens), cfg["heads"], cfg["kv_heads"], cfg["head"]
    group = H // G
    x = w["emb"][tokens]
    mask = np.triu(np.ones((T, T), dtype=bool), 1)
    result = {"q": [], "k": [], "q_prerope": [], "k_prerope": [], "attn": []}
    for l in range(cfg["layers"]):
        xb = rmsnorm(x, w["rms_att"][l])
        q = (xb @ w["wq"][l].T).reshape(T, H, D)
        k = (xb @ w["wk"][l].T).reshape(T, G, D)
        v = (xb @ w["wv"][l].T).reshape(T, G, D)
        qr, kr = rope(q, D), rope(k, D)
        # Query head h reads kv head h // group.
        k_per_head, kr_per_head, v_per_head = (np.repeat(a, group, axis=1) for a in (k, kr, v))
        scores = np.einsum("thd,shd->hts", qr, kr_per_head) / np.sqrt(D)
        scores[:, mask] = -np.inf
        scores -= scores.max(axis=-1, keepdims=True)
        att = np.exp(scores)
        att /= att.sum(axis=-1, keepdims=True)
        out = np.einsum("hts,shd->thd", att, v_per_head).reshape(T, H * D)
        x = x + out @ w["wo"][l].T
        xb = rmsnorm(x, w["rms_ffn"][l])
        h1, h3 = xb @ w["w1"][l].T, xb @ w["w3"][l].T
        x = x + ((h1 / (1.0 + np.exp(-h1))) * h3) @ w["w2"][l].T
        result["q"].append(qr.transpose(1, 0, 2))
        result["k"].append(kr_per_head.transpose(1, 0, 2))
        result["q_prerope"].append(q.transpose(1, 0, 2))
        result["k_prerope"].append(k_per_head.transpose(1, 0, 2))
        result["attn"].append(att)
    reference = {name: np.stack(values) for name, values in result.items()}
    reference["logits"] = rmsnorm(x, w["rms_final"]) @ w["cls"].T
    return reference


def load_tokenizer(path, vocab):
    raw = open(path, "rb").read()
    offset = 4
    pieces, scores = [], []
    for _ in range(vocab):
        score, length = struct.unpack_from("<fi", raw, offset)
        offset += 8
        pieces.append(raw[offset:offset + length])
        scores.append(score)
        offset += length
    return pieces, scores


def encode(pieces, scores, text):
    """llama2.c's encode() written from its description: BOS, dummy-prefix space, one token per UTF-8 character
    (else its bytes as <0xXX>), then merge the best-scoring adjacent pair (leftmost on ties) until none is left."""
    ids = {}
    for i, piece in enumerate(pieces):
        ids.setdefault(piece, i)
    tokens = [1]
    data = text.encode("utf-8")
    if data:
        tokens.append(ids[b" "])
    for char in text:
        encoded = char.encode("utf-8")
        if encoded in ids:
            tokens.append(ids[encoded])
        else:
            tokens.extend(ids[b"<0x%02X>" % byte] for byte in encoded)
    while True:
        best = None
        for i in range(len(tokens) - 1):
            merged = ids.get(pieces[tokens[i]] + pieces[tokens[i + 1]])
            if merged is not None and scores[merged] > -1e10 and (best is None or scores[merged] > best[0]):
                best = (scores[merged], i, merged)
        if best is None:
            return tokens
        _, i, merged = best
        tokens[i:i + 2] = [merged]


def read_safetensors(path):
    raw = open(path, "rb").read()
    (header_size,) = struct.unpack_from("<Q", raw, 0)
    header = json.loads(raw[8:8 + header_size])
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        assert entry["dtype"] == "F32", f"{name}: dtype {entry['dtype']}"
        begin, end = entry["data_offsets"]
        data = np.frombuffer(raw, dtype="<f4", count=(end - begin) // 4, offset=8 + header_size + begin)
        tensors[name] = data.reshape(entry["shape"]).astype(np.float64)
    return tensors, metadata


def check(label, cfg, w, capture_path):
    tensors, metadata = read_safetensors(capture_path)
    tokens = json.loads(metadata["token_ids"])
    reference = forward(cfg, w, tokens)
    failures = 0
    for name in ("q", "k", "q_prerope", "k_prerope", "attn", "logits"):
        if name not in tensors:
            print(f"{label}: capture lacks tensor {name}")
            failures += 1
            continue
        got, want = tensors[name], reference[name]
        if got.shape != want.shape:
            print(f"{label}: {name} has shape {got.shape}, reference {want.shape}")
            failures += 1
            continue
        error = np.max(np.abs(got - want))
        limit = TOLERANCE
        status = "ok" if error <= limit else "FAIL"
        print(f"{label}: {name:10s} shape {str(got.shape):22s} max |diff| {error:.2e} (limit {limit:.1e}) {status}")
        failures += error > limit
    # The weights are causal and rows are distributions.
    attn = tensors["attn"]
    upper = np.triu(np.ones(attn.shape[-2:], dtype=bool), 1)
    if np.any(attn[..., upper] != 0) or np.max(np.abs(attn.sum(axis=-1) - 1)) > 1e-5:
        print(f"{label}: attention is not causal with unit row sums")
        failures += 1
    return failures, tokens


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    attnscope, model, tokenizer, workdir = sys.argv[1:]
    for path in (model, tokenizer):
        if not os.path.exists(path):
            sys.exit(f"missing model file {path}: the llama2.c reference test needs the shared model files (ATTNSCOPE_MODELS_DIR)")
    os.makedirs(workdir, exist_ok=True)
    cfg, w = load_llama2c(model)
    failures = 0
    prompt_capture = os.path.join(workdir, "llama_prompt_capture.safetensors")
    subprocess.run([attnscope, "model", "capture", model, "--tokenizer", tokenizer, "--prompt",
                    "Once upon a time, a little fox found a shiny stone.", "--out", prompt_capture], check=True)
    count, tokens = check("prompt", cfg, w, prompt_capture)
    failures += count
    pieces, scores = load_tokenizer(tokenizer, cfg["vocab"])
    expected = encode(pieces, scores, "Once upon a time, a little fox found a shiny stone.")
    if tokens != expected:
        print(f"prompt: token ids {tokens}, reference encoder gives {expected}")
        failures += 1

    # The encoder alone, on text with byte fallback (non-ASCII) and repeated spaces.
    for index, text in enumerate(["Lily and Ben  went to the park.\nThey saw a dog!", "caf\u00e9 na\u00efve \u2713 ok",
                                  "a", "the the the"]):
        path = os.path.join(workdir, f"llama_encode_{index}.safetensors")
        subprocess.run([attnscope, "model", "capture", model, "--tokenizer", tokenizer, "--prompt", text, "--out",
                        path], check=True, stdout=subprocess.DEVNULL)
        _, metadata = read_safetensors(path)
        got, want = json.loads(metadata["token_ids"]), encode(pieces, scores, text)
        print(f"encode {text!r}: {'ok' if got == want else 'FAIL'} ({len(got)} tokens)")
        if got != want:
            print(f"  attnscope {got}\n  reference {want}")
            failures += 1

    # A longer sequence of explicit ids reaches far RoPE angles and exercises every position of the KV cache.
    rng = np.random.default_rng(7)
    ids = [1] + [int(t) for t in rng.integers(3, cfg["vocab"], size=199)]
    ids_capture = os.path.join(workdir, "llama_ids_capture.safetensors")
    subprocess.run([attnscope, "model", "capture", model, "--tokenizer", tokenizer, "--token-ids",
                    ",".join(map(str, ids)), "--out", ids_capture], check=True)
    count, tokens = check("token-ids", cfg, w, ids_capture)
    failures += count
    if tokens != ids:
        print("token-ids: the capture's token_ids differ from the ids given")
        failures += 1
    if failures:
        sys.exit(f"{failures} comparison(s) failed")
    print("all captured tensors match the NumPy reference")


if __name__ == "__main__":
    main()
