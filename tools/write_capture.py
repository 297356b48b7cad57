#!/usr/bin/env python3
"""Write an attnscope Q/K capture file from any framework, with numpy only.

    from write_capture import write_capture
    write_capture("run.safetensors", q, k, attn, tokens=["The", " cat"], token_ids=[464, 3797])

q, k: [layers, heads, tokens, head_dim] (after RoPE for RoPE models; pass q_prerope/k_prerope too);
attn: [layers, heads, tokens, tokens], the weights the model used (rows sum to 1), or None for a capture without
attention (long sequences: attnscope computes the maps from q and k on demand). Grouped-query models
store keys per QUERY head (repeat each key head for the query heads that share it).
"""
import json
import os
import struct
import tempfile

import numpy as np

FORMAT = "attnscope-capture"
VERSION = 1


def write_safetensors(path, tensors, metadata=None):
    """tensors: dict name -> array (written as little-endian F32, in the given order)."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(np.shape(array)), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)  # data section starts 8-byte aligned
    folder = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".capture-")
    with os.fdopen(fd, "wb") as out:  # temp file + rename: readers never see a half-written file
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for blob in blobs:
            out.write(blob)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)  # mkstemp creates 0600; give the usual permissions
    os.replace(temporary, path)


def read_safetensors(path):
    """Returns (dict name -> float32 array, metadata dict). F32/F16 only (enough for tests and checks)."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    metadata = header.pop("__metadata__", {})
    out = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        dtype = {"F32": "<f4", "F16": "<f2"}[entry["dtype"]]
        out[name] = np.frombuffer(data[begin:end], dtype=dtype).astype(np.float32).reshape(entry["shape"])
    return out, metadata


def write_capture(path, q, k, attn, tokens, token_ids, q_prerope=None, k_prerope=None, causal=True, extra=None):
    q, k = (np.asarray(a, dtype=np.float32) for a in (q, k))
    if q.ndim != 4 or k.shape != q.shape:
        raise ValueError(f"q and k must both be [layers, heads, tokens, head_dim]; got {q.shape} and {k.shape}")
    layers, heads, count, _ = q.shape
    if count > 131072:
        raise ValueError(f"{count} tokens: attnscope accepts captures of at most 131072")
    if attn is not None:
        attn = np.asarray(attn, dtype=np.float32)
        if attn.shape != (layers, heads, count, count):
            raise ValueError(f"attn must be {(layers, heads, count, count)}; got {attn.shape}")
    if len(tokens) != count or len(token_ids) != count:
        raise ValueError(f"need {count} tokens and token_ids; got {len(tokens)} and {len(token_ids)}")
    rope = q_prerope is not None
    if rope != (k_prerope is not None):
        raise ValueError("pass both q_prerope and k_prerope, or neither")
    tensors = {"q": q, "k": k}
    if attn is not None:
        tensors["attn"] = attn
    if rope:
        tensors["q_prerope"] = np.asarray(q_prerope, dtype=np.float32)
        tensors["k_prerope"] = np.asarray(k_prerope, dtype=np.float32)
        if tensors["q_prerope"].shape != q.shape or tensors["k_prerope"].shape != q.shape:
            raise ValueError("q_prerope/k_prerope must have the shape of q")
    for name, array in (extra or {}).items():
        tensors[name] = np.asarray(array, dtype=np.float32)
    metadata = {
        "format": FORMAT,
        "version": VERSION,
        "tokens": json.dumps([str(t) for t in tokens], ensure_ascii=False),
        "token_ids": json.dumps([int(t) for t in token_ids]),
        "causal": "true" if causal else "false",
        "rope": "true" if rope else "false",
    }
    write_safetensors(path, tensors, metadata)


if __name__ == "__main__":
    # Smallest example: one layer, one head, three tokens, uniform causal attention.
    import sys

    q = np.random.default_rng(0).standard_normal((1, 1, 3, 4))
    attn = np.tril(np.ones((3, 3))) / np.arange(1, 4)[:, None]
    write_capture(sys.argv[1] if len(sys.argv) > 1 else "example_capture.safetensors", q, q, attn[None, None],
                  ["a", "b", "c"], [0, 1, 2])
