#!/usr/bin/python3
"""Independent NumPy reference for attnscope's GGUF reader (run with Debian's /usr/bin/python3).

Written from the GGUF specification and ggml's block layouts (ggml-common.h), sharing no code with the C++ reader:
a GGUF writer for versions 1-3, a quantiser and a dequantiser for every block type attnscope reads, and a small
reader for the F32 stories260K.gguf. Fixtures are written at test time from fixed seeds.

  gguf_reference.py fixtures OUTDIR [MODELS_DIR]
      OUTDIR/types_v{1,2,3}.gguf   one tensor per supported type (2 rows x 512 values, seeded) and metadata of every
                                   value type including nested arrays; OUTDIR/expected_<TYPE>.f32 holds NumPy's
                                   dequantisation of each tensor (little-endian float32) for a bit-exact comparison
      OUTDIR/stories260K_v1.gguf, _v2.gguf   the F32 model rewritten as GGUF v1 / v2 (same tensors and metadata)
      OUTDIR/stories260K_q8_0.gguf           the model with every 2-D weight quantised to Q8_0 by this script
      OUTDIR/stories260K_q4_0.gguf           ... to Q4_0 where rows are whole blocks (norms and ffn_down stay F32)
      OUTDIR/mistral_style.gguf              a tiny llama with grouped-query attention and rope.freq_base 1e6
      OUTDIR/ragged_q8_0.gguf                a Q8_0 tensor whose rows (40 values) are not whole 32-value blocks
  gguf_reference.py gpt2 HF_FOLDER OUT.gguf
      the GPT-2 folder written by hf_reference.py generate, converted as llama.cpp's converter does
  gguf_reference.py gptneox HF_FOLDER OUT.gguf
      hf_reference.py's gpt_neox folder, converted as llama.cpp's converter does (see gptneox_from_hf)
  gguf_reference.py (qwen2|qwen3|phi3|olmo2|gemma|gemma2|gemma3) HF_FOLDER OUT.gguf
      that family's hf_reference.py folder, converted as llama.cpp's converter does (see llama_family_from_hf)
"""
import os
import struct
import sys

import numpy as np

# ---- GGUF value and tensor types (numbers from the specification / ggml.h) ----
UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 = range(13)
SCALAR_FORMAT = {UINT8: "<B", INT8: "<b", UINT16: "<H", INT16: "<h", UINT32: "<I", INT32: "<i", FLOAT32: "<f",
                 BOOL: "<?", UINT64: "<Q", INT64: "<q", FLOAT64: "<d"}
GGML = {"F32": 0, "F16": 1, "Q4_0": 2, "Q4_1": 3, "Q5_0": 6, "Q5_1": 7, "Q8_0": 8, "Q4_K": 12, "Q5_K": 13,
        "Q6_K": 14, "BF16": 30}
GGML_NAME = {v: k for k, v in GGML.items()}
BLOCK = {"F32": (1, 4), "F16": (1, 2), "BF16": (1, 2), "Q4_0": (32, 18), "Q4_1": (32, 20), "Q5_0": (32, 22),
         "Q5_1": (32, 24), "Q8_0": (32, 34), "Q4_K": (256, 144), "Q5_K": (256, 176), "Q6_K": (256, 210)}


# ---- writer ----
def gguf_bytes(version, metadata, tensors, alignment=32):
    """metadata: list of (key, type, value); arrays: value = (element_type, [values]) (nested: element_type ARRAY,
    values are (element_type, [values]) again). tensors: list of (name, type_name, dims (ggml order), raw bytes)."""
    count = "<I" if version == 1 else "<Q"

    def string(text):
        data = text.encode("utf-8")
        return struct.pack(count, len(data)) + data

    def value(kind, v):
        if kind == STRING:
            return string(v)
        if kind == ARRAY:
            element_type, items = v
            return struct.pack("<I", element_type) + struct.pack(count, len(items)) + b"".join(
                value(element_type, item) for item in items)
        return struct.pack(SCALAR_FORMAT[kind], v)

    out = bytearray(b"GGUF" + struct.pack("<I", version) + struct.pack(count, len(tensors)) +
                    struct.pack(count, len(metadata)))
    for key, kind, v in metadata:
        out += string(key) + struct.pack("<I", kind) + value(kind, v)
    offset = 0
    offsets = []
    for name, type_name, dims, raw in tensors:
        offsets.append(offset)
        out += string(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack(count, d) for d in dims)
        out += struct.pack("<I", GGML[type_name]) + struct.pack("<Q", offset)
        offset += (len(raw) + alignment - 1) // alignment * alignment
    out += b"\0" * (-len(out) % alignment)
    for (name, type_name, dims, raw), start in zip(tensors, offsets):
        out += raw + b"\0" * (-len(raw) % alignment)
    return bytes(out)


# ---- reader (v3, enough for stories260K.gguf) ----
def read_gguf(path):
    data = open(path, "rb").read()
    assert data[:4] == b"GGUF"
    version, n_tensors, n_kv = struct.unpack_from("<IQQ", data, 4)
    assert version == 3
    pos = 24

    def read(fmt):
        nonlocal pos
        v = struct.unpack_from(fmt, data, pos)[0]
        pos += struct.calcsize(fmt)
        return v

    def string():
        nonlocal pos
        n = read("<Q")
        s = data[pos:pos + n].decode("utf-8")
        pos += n
        return s

    def value(kind):
        if kind == STRING:
            return string()
        if kind == ARRAY:
            element_type = read("<I")
            return (element_type, [value(element_type) for _ in range(read("<Q"))])
        return read(SCALAR_FORMAT[kind])

    metadata = []
    for _ in range(n_kv):
        key = string()
        kind = read("<I")
        metadata.append((key, kind, value(kind)))
    infos = []
    for _ in range(n_tensors):
        name = string()
        dims = [read("<Q") for _ in range(read("<I"))]
        infos.append((name, read("<I"), dims, read("<Q")))
    alignment = next((v for k, _, v in metadata if k == "general.alignment"), 32)
    start = (pos + alignment - 1) // alignment * alignment
    tensors = []
    for name, kind, dims, offset in infos:
        assert GGML_NAME[kind] == "F32", "the reference reader only reads F32 files"
        n = int(np.prod(dims))
        tensors.append((name, dims, np.frombuffer(data, "<f4", n, start + offset).copy()))
    return metadata, tensors


# ---- quantisers: one block layout each, rows of whole blocks; x is float32 with a multiple of the block size ----
def f16(values):
    return np.asarray(values, np.float32).astype("<f2")


def f16_to_f32(raw):
    return raw.view("<f2").astype(np.float32)


def quantise(type_name, x):
    x = np.asarray(x, np.float32)
    elements, size = BLOCK[type_name]
    if type_name == "F32":
        return x.astype("<f4").tobytes()
    if type_name == "F16":
        return x.astype("<f2").tobytes()
    if type_name == "BF16":  # round to nearest even on the upper 16 bits
        bits = x.view("<u4").astype(np.uint64)
        return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2").tobytes()
    blocks = x.reshape(-1, elements)
    return b"".join(QUANTISERS[type_name](b) for b in blocks)


def q8_0(b):
    amax = np.abs(b).max()
    d = amax / 127.0
    q = np.round(b / d).astype(np.int8) if d > 0 else np.zeros(32, np.int8)
    return f16([d]).tobytes() + q.astype("<i1").tobytes()


def q4_0(b):
    mx = b[np.argmax(np.abs(b))]
    d = mx / -8.0
    q = np.clip(np.floor(b / d + 8.5), 0, 15).astype(np.uint8) if d != 0 else np.full(32, 8, np.uint8)
    return f16([d]).tobytes() + (q[:16] | (q[16:] << 4)).astype(np.uint8).tobytes()


def q4_1(b):
    lo, hi = b.min(), b.max()
    d = (hi - lo) / 15.0
    q = np.clip(np.floor((b - lo) / d + 0.5), 0, 15).astype(np.uint8) if d > 0 else np.zeros(32, np.uint8)
    return f16([d, lo]).tobytes() + (q[:16] | (q[16:] << 4)).astype(np.uint8).tobytes()


def q5_0(b):
    mx = b[np.argmax(np.abs(b))]
    d = mx / -16.0
    q = np.clip(np.floor(b / d + 16.5), 0, 31).astype(np.uint32) if d != 0 else np.full(32, 16, np.uint32)
    high = int(np.sum(((q >> 4) & 1) << np.arange(32, dtype=np.uint32)))
    low = (q & 15).astype(np.uint8)
    return f16([d]).tobytes() + struct.pack("<I", high) + (low[:16] | (low[16:] << 4)).astype(np.uint8).tobytes()


def q5_1(b):
    lo, hi = b.min(), b.max()
    d = (hi - lo) / 31.0
    q = np.clip(np.floor((b - lo) / d + 0.5), 0, 31).astype(np.uint32) if d > 0 else np.zeros(32, np.uint32)
    high = int(np.sum(((q >> 4) & 1) << np.arange(32, dtype=np.uint32)))
    low = (q & 15).astype(np.uint8)
    return f16([d, lo]).tobytes() + struct.pack("<I", high) + (low[:16] | (low[16:] << 4)).astype(np.uint8).tobytes()


def pack_k_scales(scales, mins):
    """Eight 6-bit scales and mins into 12 bytes (ggml's K_SCALE packing)."""
    s = bytearray(12)
    for j in range(8):
        if j < 4:
            s[j] = scales[j]
            s[j + 4] = mins[j]
        else:
            s[j + 4] = (scales[j] & 0xF) | ((mins[j] & 0xF) << 4)
            s[j - 4] |= (scales[j] >> 4) << 6
            s[j] |= (mins[j] >> 4) << 6
    return bytes(s)


def k_scales(b, levels):
    """Per 32-value sub-block: an affine grid x = scale * q - min with q in [0, levels]; the scales and mins are
    themselves quantised to 6 bits against super-block factors d and dmin."""
    sub = b.reshape(8, 32)
    mins = np.maximum(-sub.min(axis=1), 0.0)
    scales = (sub.max(axis=1) + mins) / levels
    d = scales.max() / 63.0
    dmin = mins.max() / 63.0
    d16, dmin16 = f16_to_f32(f16([d, dmin]).view("<u2"))
    qs = np.clip(np.round(scales / d16), 0, 63).astype(np.int64) if d16 > 0 else np.zeros(8, np.int64)
    qm = np.clip(np.round(mins / dmin16), 0, 63).astype(np.int64) if dmin16 > 0 else np.zeros(8, np.int64)
    q = np.zeros((8, 32), np.int64)
    for j in range(8):
        step = np.float32(d16) * np.float32(qs[j])
        offset = np.float32(dmin16) * np.float32(qm[j])
        if step > 0:
            q[j] = np.clip(np.round((sub[j] + offset) / step), 0, levels)
    return f16([d, dmin]).tobytes(), qs, qm, q.reshape(256)


def q4_k(b):
    header, qs, qm, q = k_scales(b, 15)
    packed = bytearray(128)
    for pair in range(4):
        for i in range(32):
            packed[32 * pair + i] = int(q[64 * pair + i]) | (int(q[64 * pair + 32 + i]) << 4)
    return header + pack_k_scales(qs, qm) + bytes(packed)


def q5_k(b):
    header, qs, qm, q = k_scales(b, 31)
    packed = bytearray(128)
    high = bytearray(32)
    for pair in range(4):
        for i in range(32):
            a, c = int(q[64 * pair + i]), int(q[64 * pair + 32 + i])
            packed[32 * pair + i] = (a & 15) | ((c & 15) << 4)
            high[i] |= ((a >> 4) << (2 * pair)) | ((c >> 4) << (2 * pair + 1))
    return header + pack_k_scales(qs, qm) + bytes(high) + bytes(packed)


def q6_k(b):
    sub = b.reshape(16, 16)
    amax = sub[np.arange(16), np.argmax(np.abs(sub), axis=1)]
    scales = amax / -32.0
    d = np.abs(scales).max() / 127.0
    d16 = f16_to_f32(f16([d]).view("<u2"))[0]
    sc = np.clip(np.round(scales / d16), -128, 127).astype(np.int8) if d16 > 0 else np.zeros(16, np.int8)
    q = np.zeros(256, np.int64)
    for j in range(16):
        step = np.float32(d16) * np.float32(sc[j])
        if step != 0:
            q[16 * j:16 * j + 16] = np.clip(np.round(sub[j] / step), -32, 31) + 32
        else:
            q[16 * j:16 * j + 16] = 32
    ql = bytearray(128)
    qh = bytearray(64)
    for half in range(2):
        base = 128 * half
        for i in range(32):
            q0, q1, q2, q3 = (int(q[base + i + 32 * k]) for k in range(4))
            ql[64 * half + i] = (q0 & 15) | ((q2 & 15) << 4)
            ql[64 * half + i + 32] = (q1 & 15) | ((q3 & 15) << 4)
            qh[32 * half + i] = (q0 >> 4) | ((q1 >> 4) << 2) | ((q2 >> 4) << 4) | ((q3 >> 4) << 6)
    return bytes(ql) + bytes(qh) + sc.astype("<i1").tobytes() + f16([d]).tobytes()


QUANTISERS = {"Q8_0": q8_0, "Q4_0": q4_0, "Q4_1": q4_1, "Q5_0": q5_0, "Q5_1": q5_1, "Q4_K": q4_k, "Q5_K": q5_k,
              "Q6_K": q6_k}


# ---- dequantisers: vectorised over blocks, every product rounded to float32 in ggml's order ----
def dequantise(type_name, raw, count):
    elements, size = BLOCK[type_name]
    buf = np.frombuffer(raw, np.uint8)
    if type_name == "F32":
        return buf.view("<f4").astype(np.float32)
    if type_name == "F16":
        return buf.view("<f2").astype(np.float32)
    if type_name == "BF16":
        return (buf.view("<u2").astype(np.uint32) << 16).view(np.float32)
    blocks = buf.reshape(count // elements, size)
    half = lambda col: blocks[:, col:col + 2].copy().view("<f2").astype(np.float32)  # noqa: E731 (n x 1)
    if type_name == "Q8_0":
        return (blocks[:, 2:].view(np.int8).astype(np.float32) * half(0)).reshape(-1)
    if type_name in ("Q4_0", "Q4_1"):
        qs = blocks[:, 2 if type_name == "Q4_0" else 4:]
        q = np.concatenate([qs & 15, qs >> 4], axis=1).astype(np.int32)
        if type_name == "Q4_0":
            return ((q - 8).astype(np.float32) * half(0)).reshape(-1)
        return (q.astype(np.float32) * half(0) + half(2)).reshape(-1)
    if type_name in ("Q5_0", "Q5_1"):
        at = 2 if type_name == "Q5_0" else 4
        high = blocks[:, at:at + 4].copy().view("<u4")  # n x 1
        bits = ((high >> np.arange(32, dtype=np.uint32)) & 1).astype(np.int32)  # n x 32, bit i -> element i
        qs = blocks[:, at + 4:]
        q = np.concatenate([qs & 15, qs >> 4], axis=1).astype(np.int32) | (bits << 4)
        if type_name == "Q5_0":
            return ((q - 16).astype(np.float32) * half(0)).reshape(-1)
        return (q.astype(np.float32) * half(0) + half(2)).reshape(-1)
    if type_name in ("Q4_K", "Q5_K"):
        d, dmin = half(0), half(2)
        s = blocks[:, 4:16].astype(np.int32)
        scale = np.concatenate([s[:, 0:4] & 63, (s[:, 8:12] & 15) | ((s[:, 0:4] >> 6) << 4)], axis=1)
        mins = np.concatenate([s[:, 4:8] & 63, (s[:, 8:12] >> 4) | ((s[:, 4:8] >> 6) << 4)], axis=1)
        qs = blocks[:, 16:144] if type_name == "Q4_K" else blocks[:, 48:176]
        q = np.zeros((len(blocks), 8, 32), np.int32)
        for pair in range(4):
            chunk = qs[:, 32 * pair:32 * pair + 32].astype(np.int32)
            q[:, 2 * pair] = chunk & 15
            q[:, 2 * pair + 1] = chunk >> 4
        if type_name == "Q5_K":
            qh = blocks[:, 16:48].astype(np.int32)
            for j in range(8):
                q[:, j] += ((qh >> j) & 1) * 16
        d_sub = (d * scale.astype(np.float32))[:, :, None]
        m_sub = (dmin * mins.astype(np.float32))[:, :, None]
        return (d_sub * q.astype(np.float32) - m_sub).reshape(-1)
    if type_name == "Q6_K":
        ql = blocks[:, 0:128].astype(np.int32)
        qh = blocks[:, 128:192].astype(np.int32)
        sc = blocks[:, 192:208].view(np.int8).astype(np.float32)
        d = half(208)
        y = np.zeros((len(blocks), 256), np.float32)
        for h in range(2):
            low, high, scales = ql[:, 64 * h:64 * h + 64], qh[:, 32 * h:32 * h + 32], sc[:, 8 * h:8 * h + 8]
            quads = [(low[:, :32] & 15) | (((high >> 0) & 3) << 4), (low[:, 32:] & 15) | (((high >> 2) & 3) << 4),
                     (low[:, :32] >> 4) | (((high >> 4) & 3) << 4), (low[:, 32:] >> 4) | (((high >> 6) & 3) << 4)]
            for k, quad in enumerate(quads):
                for group in range(2):  # 16 values share scales[group + 2k]
                    cols = slice(16 * group, 16 * group + 16)
                    factor = d * scales[:, group + 2 * k:group + 2 * k + 1]
                    y[:, 128 * h + 32 * k + 16 * group:128 * h + 32 * k + 16 * group + 16] = \
                        factor * (quad[:, cols] - 32).astype(np.float32)
        return y.reshape(-1)
    raise ValueError(type_name)


# ---- fixtures ----
def every_value_type_metadata():
    return [
        ("general.name", STRING, "attnscope-test"),  # no architecture: a file of tensors, not a model
        ("general.alignment", UINT32, 64),
        ("test.u8", UINT8, 200), ("test.i8", INT8, -100), ("test.u16", UINT16, 60000), ("test.i16", INT16, -30000),
        ("test.u32", UINT32, 4000000000), ("test.i32", INT32, -2000000000), ("test.f32", FLOAT32, 0.25),
        ("test.bool", BOOL, True), ("test.string", STRING, "h\u00e9llo \u2581world"),
        ("test.u64", UINT64, 1 << 40), ("test.i64", INT64, -(1 << 40)), ("test.f64", FLOAT64, -1.5),
        ("test.strings", ARRAY, (STRING, ["a", "", "\u2581b"])),
        ("test.floats", ARRAY, (FLOAT32, [0.5, -2.0, 3.25])),
        ("test.ints", ARRAY, (INT32, [1, -2, 3])),
        ("test.nested", ARRAY, (ARRAY, [(INT8, [1, 2]), (STRING, ["x"]), (ARRAY, [(UINT8, [])])])),
    ]


TINY_DIM, TINY_HIDDEN = 32, 32


def tiny_llama_metadata(vocab=8):
    tokens = ["<unk>", "<s>", "</s>", "\u2581a", "\u2581b", "a", "b", "\u2581"] + ["t%d" % i for i in range(vocab - 8)]
    return [("general.architecture", STRING, "llama"), ("llama.context_length", UINT32, 8),
            ("llama.embedding_length", UINT32, TINY_DIM), ("llama.feed_forward_length", UINT32, TINY_HIDDEN),
            ("llama.block_count", UINT32, 1), ("llama.attention.head_count", UINT32, 2),
            ("llama.attention.head_count_kv", UINT32, 1), ("llama.attention.layer_norm_rms_epsilon", FLOAT32, 1e-5),
            ("tokenizer.ggml.model", STRING, "llama"), ("tokenizer.ggml.tokens", ARRAY, (STRING, tokens)),
            ("tokenizer.ggml.scores", ARRAY, (FLOAT32, [0.0, 0.0, 0.0] + [-1.0 - i for i in range(vocab - 3)])),
            ("tokenizer.ggml.token_type", ARRAY, (INT32, [2, 3, 3] + [1] * (vocab - 3))),
            ("tokenizer.ggml.bos_token_id", UINT32, 1), ("tokenizer.ggml.eos_token_id", UINT32, 2)]


def tiny_llama(version=3, kind="F32", metadata=None, drop=None, vocab=8, nan_at=None):
    """A one-layer llama GGUF (dim 32, 2 query heads, 1 key/value head) with seeded weights and an embedded
    SentencePiece vocabulary; 2-D weights stored as `kind`. For fuzz seeds and bad-input cases."""
    rng = np.random.default_rng(160)
    d, h = TINY_DIM, TINY_HIDDEN
    shapes = [("token_embd.weight", [d, vocab]), ("output_norm.weight", [d]), ("blk.0.attn_norm.weight", [d]),
              ("blk.0.attn_q.weight", [d, d]), ("blk.0.attn_k.weight", [d, d // 2]),
              ("blk.0.attn_v.weight", [d, d // 2]), ("blk.0.attn_output.weight", [d, d]),
              ("blk.0.ffn_norm.weight", [d]), ("blk.0.ffn_gate.weight", [d, h]), ("blk.0.ffn_down.weight", [h, d]),
              ("blk.0.ffn_up.weight", [d, h])]
    tensors = []
    for name, dims in shapes:
        values = (rng.standard_normal(int(np.prod(dims))) * 0.3).astype(np.float32)
        if nan_at is not None and name == nan_at[0]:
            values[nan_at[1]] = np.nan
        stored = kind if len(dims) == 2 else "F32"
        if name != drop:
            tensors.append((name, stored, dims, quantise(stored, values)))
    return gguf_bytes(version, tiny_llama_metadata(vocab) if metadata is None else metadata, tensors)


def tiny_gpt2(kind="F32"):
    """A one-layer gpt2 GGUF (dim 32, 2 heads, context 8) with seeded weights and hf_reference.py's byte-level
    vocabulary (263 tokens, 6 merges); 2-D weights stored as `kind`. For fuzz seeds."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from hf_reference import byte_tokenizer_json
    vocab = byte_tokenizer_json(263)["model"]
    tokens = sorted(vocab["vocab"], key=vocab["vocab"].get)
    rng = np.random.default_rng(161)
    d, n = 32, len(tokens)
    shapes = [("token_embd.weight", [d, n]), ("position_embd.weight", [d, 8]), ("output_norm.weight", [d]),
              ("output_norm.bias", [d])]
    for part, dims in (("attn_norm", [d]), ("attn_qkv", [d, 3 * d]), ("attn_output", [d, d]), ("ffn_norm", [d]),
                       ("ffn_up", [d, 4 * d]), ("ffn_down", [4 * d, d])):
        shapes.append(("blk.0.%s.weight" % part, dims))
        shapes.append(("blk.0.%s.bias" % part, [dims[-1]]))
    tensors = []
    for name, dims in shapes:
        values = (rng.standard_normal(int(np.prod(dims))) * 0.3).astype(np.float32)
        stored = kind if len(dims) == 2 and dims[0] % BLOCK[kind][0] == 0 else "F32"
        tensors.append((name, stored, dims, quantise(stored, values)))
    metadata = [("general.architecture", STRING, "gpt2"), ("gpt2.block_count", UINT32, 1),
                ("gpt2.context_length", UINT32, 8), ("gpt2.embedding_length", UINT32, d),
                ("gpt2.feed_forward_length", UINT32, 4 * d), ("gpt2.attention.head_count", UINT32, 2),
                ("gpt2.attention.layer_norm_epsilon", FLOAT32, 1e-5), ("tokenizer.ggml.model", STRING, "gpt2"),
                ("tokenizer.ggml.tokens", ARRAY, (STRING, tokens)),
                ("tokenizer.ggml.token_type", ARRAY, (INT32, [1] * (n - 1) + [3])),
                ("tokenizer.ggml.merges", ARRAY, (STRING, vocab["merges"])),
                ("tokenizer.ggml.bos_token_id", UINT32, n - 1), ("tokenizer.ggml.eos_token_id", UINT32, n - 1)]
    return gguf_bytes(3, metadata, tensors)


def tiny_llama_family(arch, extra_metadata=()):
    """A one-layer qwen2 / qwen3 / phi3 / olmo2 / gemma2 / gemma3 GGUF (dim 16, 2 query heads, 1 key/value head of 8, vocabulary 8,
    context 8) with seeded F32 weights under llama.cpp's names and that family's extra tensors and keys. For fuzz
    seeds."""
    rng = np.random.default_rng({"qwen2": 171, "qwen3": 172, "gemma2": 173, "gemma3": 174, "phi3": 176,
                                 "olmo2": 177}[arch])
    d, q, kv, ff, n = 16, 16, 8, 24, 8
    shapes = [("token_embd.weight", [d, n]), ("output_norm.weight", [d])]
    parts = [("attn_norm", [d]), ("attn_q", [d, q]), ("attn_k", [d, kv]), ("attn_v", [d, kv]), ("attn_output", [q, d]),
             ("ffn_norm", [d]), ("ffn_gate", [d, ff]), ("ffn_up", [d, ff]), ("ffn_down", [ff, d])]
    if arch == "phi3":  # fused [q; k; v] and [gate; up]
        parts = [p for p in parts if p[0] not in ("attn_q", "attn_k", "attn_v", "ffn_gate", "ffn_up")]
        parts += [("attn_qkv", [d, q + 2 * kv]), ("ffn_up", [d, 2 * ff])]
    if arch == "qwen2":
        parts += [("attn_q", [q]), ("attn_k", [kv]), ("attn_v", [kv])]  # biases
    if arch in ("qwen3", "gemma3"):
        parts += [("attn_q_norm", [8]), ("attn_k_norm", [8])]
    if arch == "olmo2":  # no pre-norms; QK-norm over the whole q and k projections
        parts = [p for p in parts if p[0] not in ("attn_norm", "ffn_norm")] + [("attn_q_norm", [q]), ("attn_k_norm", [kv])]
    if arch.startswith("gemma") or arch == "olmo2":
        parts += [("post_attention_norm", [d]), ("post_ffw_norm", [d])]
    for part, dims in parts:
        shapes.append(("blk.0.%s.%s" % (part, "bias" if part in ("attn_q", "attn_k", "attn_v") and len(dims) == 1
                                          else "weight"), dims))
    tensors = [(name, "F32", dims, (rng.standard_normal(int(np.prod(dims))) * 0.3).astype(np.float32).tobytes())
               for name, dims in shapes]
    metadata = [("general.architecture", STRING, arch), (arch + ".block_count", UINT32, 1),
                (arch + ".context_length", UINT32, 8), (arch + ".embedding_length", UINT32, d),
                (arch + ".feed_forward_length", UINT32, ff), (arch + ".attention.head_count", UINT32, 2),
                (arch + ".attention.head_count_kv", UINT32, 1), (arch + ".attention.key_length", UINT32, 8),
                (arch + ".rope.freq_base", FLOAT32, 10000.0),
                (arch + ".attention.layer_norm_rms_epsilon", FLOAT32, 1e-6)]
    if arch.startswith("gemma") or arch == "phi3":
        metadata += [(arch + ".attention.sliding_window", UINT32, 4)]
    if arch == "gemma2":
        metadata += [("gemma2.attn_logit_softcapping", FLOAT32, 50.0), ("gemma2.final_logit_softcapping", FLOAT32, 30.0)]
    return gguf_bytes(3, metadata + list(extra_metadata), tensors)


def tiny_gptneox():
    """A one-layer gptneox GGUF (dim 16, 2 heads of 8, RoPE on 4 of them, vocabulary 8, context 8), seeded F32
    weights under llama.cpp's names, qkv rows as [all q; all k; all v]. For fuzz seeds."""
    rng = np.random.default_rng(175)
    d, ff, n = 16, 32, 8
    shapes = [("token_embd.weight", [d, n]), ("output_norm.weight", [d]), ("output_norm.bias", [d]),
              ("output.weight", [d, n])]
    for part, dims in (("attn_norm", [d]), ("attn_qkv", [d, 3 * d]), ("attn_output", [d, d]), ("ffn_norm", [d]),
                       ("ffn_up", [d, ff]), ("ffn_down", [ff, d])):
        shapes += [("blk.0.%s.weight" % part, dims), ("blk.0.%s.bias" % part, [dims[-1]])]
    tensors = [(name, "F32", dims, (rng.standard_normal(int(np.prod(dims))) * 0.3).astype(np.float32).tobytes())
               for name, dims in shapes]
    metadata = [("general.architecture", STRING, "gptneox"), ("gptneox.block_count", UINT32, 1),
                ("gptneox.context_length", UINT32, 8), ("gptneox.embedding_length", UINT32, d),
                ("gptneox.feed_forward_length", UINT32, ff), ("gptneox.attention.head_count", UINT32, 2),
                ("gptneox.rope.dimension_count", UINT32, 4), ("gptneox.use_parallel_residual", BOOL, True),
                ("gptneox.attention.layer_norm_epsilon", FLOAT32, 1e-5)]
    return gguf_bytes(3, metadata, tensors)


def write_types(outdir):
    rng = np.random.default_rng(16)
    tensors = []
    for index, type_name in enumerate(sorted(BLOCK, key=lambda t: GGML[t])):
        values = (rng.standard_normal(2 * 512) * (0.5 + index)).astype(np.float32)
        values[:3] = [0.0, 1e-3, -4.0]
        raw = quantise(type_name, values)
        expected = dequantise(type_name, raw, values.size)
        assert np.all(np.isfinite(expected))
        # The quantiser must also be a quantiser: error of each element within the block type's resolution.
        assert np.max(np.abs(expected - values)) < 0.3 * (0.5 + index) * 4, type_name
        expected.astype("<f4").tofile(os.path.join(outdir, "expected_%s.f32" % type_name))
        tensors.append(("t." + type_name, type_name, [512, 2], raw))
    for version in (1, 2, 3):
        open(os.path.join(outdir, "types_v%d.gguf" % version), "wb").write(
            gguf_bytes(version, every_value_type_metadata(), tensors, alignment=64))
    # Mistral-style: architecture llama, grouped-query attention (2 query heads, 1 key/value head), rope.freq_base 1e6.
    open(os.path.join(outdir, "mistral_style.gguf"), "wb").write(
        tiny_llama(metadata=tiny_llama_metadata() + [("llama.rope.freq_base", FLOAT32, 1e6)]))
    ragged = quantise("Q8_0", np.arange(64, dtype=np.float32))
    open(os.path.join(outdir, "ragged_q8_0.gguf"), "wb").write(
        gguf_bytes(3, [("general.architecture", STRING, "llama")], [("ragged", "Q8_0", [40, 1], ragged[:34 * 2])]))


def write_stories(outdir, models_dir):
    metadata, tensors = read_gguf(os.path.join(models_dir, "gguf", "stories260K.gguf"))
    f32 = [(name, "F32", dims, values.astype("<f4").tobytes()) for name, dims, values in tensors]
    for version in (1, 2):
        open(os.path.join(outdir, "stories260K_v%d.gguf" % version), "wb").write(gguf_bytes(version, metadata, f32))
    for type_name in ("Q8_0", "Q4_0"):
        elements = BLOCK[type_name][0]
        quantised = [(name, type_name if len(dims) == 2 and dims[0] % elements == 0 else "F32", dims,
                      quantise(type_name if len(dims) == 2 and dims[0] % elements == 0 else "F32", values))
                     for name, dims, values in tensors]
        open(os.path.join(outdir, "stories260K_%s.gguf" % type_name.lower()), "wb").write(
            gguf_bytes(3, metadata, quantised))


def gguf_tensor_name(name, names, per_layer, skip):
    """llama.cpp's name of the Hugging Face tensor `name`, with its layer module and kind: a whole-model tensor from
    `names` (module None), else blk.L.<per_layer[module]>.<kind> for a name of `skip` leading parts, the layer number,
    the module and the kind ("h.0.attn.c_attn.weight": skip 1; "model.layers.0.self_attn.q_proj.weight": skip 2)."""
    if name in names:
        return names[name], None, None
    parts = name.split(".", skip + 1)
    layer, rest = parts[skip], parts[skip + 1]
    module, kind = rest.rsplit(".", 1)
    return "blk.%s.%s.%s" % (layer, per_layer[module], kind), module, kind


def gpt2_from_hf(folder, out_path):
    """Converts the Hugging Face GPT-2 folder of tests/reference/hf_reference.py to GGUF as llama.cpp's converter does:
    GGUF tensor names, Conv1D weights transposed to [out, in], its byte-level vocabulary embedded."""
    import json
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
    from write_capture import read_safetensors
    config = json.load(open(os.path.join(folder, "config.json")))
    weights, _ = read_safetensors(os.path.join(folder, "model.safetensors"))
    names = {"wte.weight": "token_embd.weight", "wpe.weight": "position_embd.weight",
             "ln_f.weight": "output_norm.weight", "ln_f.bias": "output_norm.bias"}
    per_layer = {"ln_1": "attn_norm", "attn.c_attn": "attn_qkv", "attn.c_proj": "attn_output", "ln_2": "ffn_norm",
                 "mlp.c_fc": "ffn_up", "mlp.c_proj": "ffn_down"}
    tensors = []
    for name, array in weights.items():
        name = name[len("transformer."):] if name.startswith("transformer.") else name
        gguf_name, module, kind = gguf_tensor_name(name, names, per_layer, 1)
        if module is not None and ".c_" in module and kind == "weight":
            array = array.T
        array = np.ascontiguousarray(array, np.float32)
        tensors.append((gguf_name, "F32", list(reversed(array.shape)), array.tobytes()))
    vocab = json.load(open(os.path.join(folder, "tokenizer.json"), encoding="utf-8"))["model"]
    tokens = sorted(vocab["vocab"], key=vocab["vocab"].get)
    tokens += ["[unused%d]" % i for i in range(config["vocab_size"] - len(tokens))]
    end = vocab["vocab"]["<|endoftext|>"]
    metadata = [("general.architecture", STRING, "gpt2"), ("gpt2.block_count", UINT32, config["n_layer"]),
                ("gpt2.context_length", UINT32, config["n_positions"]),
                ("gpt2.embedding_length", UINT32, config["n_embd"]),
                ("gpt2.feed_forward_length", UINT32, 4 * config["n_embd"]),
                ("gpt2.attention.head_count", UINT32, config["n_head"]),
                ("gpt2.attention.layer_norm_epsilon", FLOAT32, config["layer_norm_epsilon"]),
                ("tokenizer.ggml.model", STRING, "gpt2"), ("tokenizer.ggml.pre", STRING, "gpt-2"),
                ("tokenizer.ggml.tokens", ARRAY, (STRING, tokens)),
                ("tokenizer.ggml.token_type", ARRAY, (INT32, [3 if i == end else 1 for i in range(len(tokens))])),
                ("tokenizer.ggml.merges", ARRAY, (STRING, vocab["merges"])),
                ("tokenizer.ggml.bos_token_id", UINT32, end), ("tokenizer.ggml.eos_token_id", UINT32, end)]
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)  # may run before the fixtures setup
    open(out_path, "wb").write(gguf_bytes(3, metadata, tensors))


def llama_family_from_hf(arch, folder, out_path):
    """Converts hf_reference.py's qwen2, qwen3, phi3, olmo2, gemma, gemma2 (gemma2_hd) or gemma3 (gemma3_t4) folder to
    GGUF as llama.cpp's convert_hf_to_gguf.py does for these NEOX-rotary families: tensors renamed (blk.N.attn_q.weight,
    attn_q.bias, attn_q_norm, ffn_norm, ...), q/k NOT permuted (only architecture "llama" is; Olmo2Model has no
    modify_tensors), Gemma's RMSNorm weights stored as 1 + w, sizes under "<arch>.*". OLMo-2's q_norm/k_norm span the
    whole projection (heads x head_dim) and are stored so; its two post-sublayer norms take Gemma 2's post-norm names."""
    import json

    def read_safetensors(path):  # F32, F16 and BF16 (hf_reference.py's Llama-family folders are BF16)
        data = open(path, "rb").read()
        size = struct.unpack("<Q", data[:8])[0]
        header, body, out = json.loads(data[8:8 + size]), data[8 + size:], {}
        for name, entry in header.items():
            if name == "__metadata__":
                continue
            raw = body[entry["data_offsets"][0]:entry["data_offsets"][1]]
            if entry["dtype"] == "BF16":
                values = (np.frombuffer(raw, "<u2").astype(np.uint32) << 16).view(np.float32)
            else:
                values = np.frombuffer(raw, {"F32": "<f4", "F16": "<f2"}[entry["dtype"]]).astype(np.float32)
            out[name] = values.reshape(entry["shape"])
        return out, None

    config = json.load(open(os.path.join(folder, "config.json")))
    index = os.path.join(folder, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    weights = {}
    for name in files:
        weights.update(read_safetensors(os.path.join(folder, name))[0])
    names = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
             "lm_head.weight": "output.weight"}
    per_layer = {"input_layernorm": "attn_norm", "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
                 "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output", "self_attn.q_norm": "attn_q_norm",
                 "self_attn.k_norm": "attn_k_norm", "post_attention_layernorm": "ffn_norm",
                 "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down"}
    if arch == "phi3":  # fused tensors keep their [q; k; v] and [gate; up] rows
        per_layer.update({"self_attn.qkv_proj": "attn_qkv", "mlp.gate_up_proj": "ffn_up"})
    if arch in ("gemma2", "gemma3", "olmo2"):  # llama.cpp's ATTN_POST_NORM, FFN_PRE_NORM and FFN_POST_NORM
        per_layer.update({"post_attention_layernorm": "post_attention_norm", "pre_feedforward_layernorm": "ffn_norm",
                          "post_feedforward_layernorm": "post_ffw_norm"})
    tensors = []
    for name, array in weights.items():
        gguf_name, _, _ = gguf_tensor_name(name, names, per_layer, 2)
        array = np.asarray(array, np.float64)
        if arch.startswith("gemma") and name.endswith("norm.weight"):  # q_norm/k_norm too
            array = array + 1.0
        array = np.ascontiguousarray(array, np.float32)
        tensors.append((gguf_name, "F32", list(reversed(array.shape)), array.tobytes()))
    head_dim = config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]
    theta = config.get("rope_theta") or config.get("rope_parameters", {}).get("rope_theta", 10000.0)
    metadata = [("general.architecture", STRING, arch), (arch + ".block_count", UINT32, config["num_hidden_layers"]),
                (arch + ".context_length", UINT32, config["max_position_embeddings"]),
                (arch + ".embedding_length", UINT32, config["hidden_size"]),
                (arch + ".feed_forward_length", UINT32, config["intermediate_size"]),
                (arch + ".attention.head_count", UINT32, config["num_attention_heads"]),
                (arch + ".attention.head_count_kv", UINT32, config["num_key_value_heads"]),
                (arch + ".attention.key_length", UINT32, head_dim),
                (arch + ".attention.value_length", UINT32, head_dim),
                (arch + ".rope.dimension_count", UINT32, head_dim), (arch + ".rope.freq_base", FLOAT32, theta),
                (arch + ".attention.layer_norm_rms_epsilon", FLOAT32, config["rms_norm_eps"])]
    if arch == "gemma2":
        assert config["query_pre_attn_scalar"] == head_dim, "llama.cpp's gemma2 scales by 1/sqrt(key_length)"
        metadata += [("gemma2.attention.sliding_window", UINT32, config["sliding_window"]),
                     ("gemma2.attn_logit_softcapping", FLOAT32, config["attn_logit_softcapping"]),
                     ("gemma2.final_logit_softcapping", FLOAT32, config["final_logit_softcapping"])]
    if arch == "phi3" and config.get("sliding_window"):
        metadata += [("phi3.attention.sliding_window", UINT32, config["sliding_window"])]
    if arch == "gemma3":  # what llama.cpp hard-codes must hold for the folder
        assert config["query_pre_attn_scalar"] == head_dim and config["sliding_window_pattern"] == 6
        assert config["rope_local_base_freq"] == 10000.0
        metadata += [("gemma3.attention.sliding_window", UINT32, config["sliding_window"])]
        if config.get("rope_scaling"):
            metadata += [("gemma3.rope.scaling.type", STRING, config["rope_scaling"]["rope_type"]),
                         ("gemma3.rope.scaling.factor", FLOAT32, config["rope_scaling"]["factor"])]
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    open(out_path, "wb").write(gguf_bytes(3, metadata, tensors))


def gptneox_from_hf(folder, out_path):
    """Converts hf_reference.py's gpt_neox folder to GGUF as llama.cpp's converter does: query_key_value rows (and bias)
    de-interleaved from per-head [q_h; k_h; v_h] to [all q; all k; all v], tensors renamed, gptneox.* sizes,
    rope.dimension_count = int(rotary_pct * head size), use_parallel_residual as a bool, and rope.freq_base (the
    folder's rotary_emb_base) so the file says which base it rotates with."""
    import json
    data = open(os.path.join(folder, "model.safetensors"), "rb").read()
    size = struct.unpack("<Q", data[:8])[0]
    header, body = json.loads(data[8:8 + size]), data[8 + size:]
    config = json.load(open(os.path.join(folder, "config.json")))
    H, d = config["num_attention_heads"], config["hidden_size"]
    per_layer = {"input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
                 "attention.query_key_value": "attn_qkv", "attention.dense": "attn_output",
                 "mlp.dense_h_to_4h": "ffn_up", "mlp.dense_4h_to_h": "ffn_down"}
    names = {"gpt_neox.embed_in.weight": "token_embd.weight", "gpt_neox.final_layer_norm.weight": "output_norm.weight",
             "gpt_neox.final_layer_norm.bias": "output_norm.bias", "embed_out.weight": "output.weight"}
    tensors = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        raw = body[entry["data_offsets"][0]:entry["data_offsets"][1]]
        array = np.frombuffer(raw, {"F32": "<f4", "F16": "<f2"}[entry["dtype"]]).astype(np.float32).reshape(entry["shape"])
        gguf_name, module, _ = gguf_tensor_name(name, names, per_layer, 2)
        if module == "attention.query_key_value":
            array = array.reshape((H, 3, d // H) + array.shape[1:])
            array = np.concatenate([array[:, part].reshape((d,) + array.shape[3:]) for part in range(3)], axis=0)
        array = np.ascontiguousarray(array, np.float32)
        tensors.append((gguf_name, "F32", list(reversed(array.shape)), array.tobytes()))
    metadata = [("general.architecture", STRING, "gptneox"), ("gptneox.block_count", UINT32, config["num_hidden_layers"]),
                ("gptneox.context_length", UINT32, config["max_position_embeddings"]),
                ("gptneox.embedding_length", UINT32, d),
                ("gptneox.feed_forward_length", UINT32, config["intermediate_size"]),
                ("gptneox.rope.dimension_count", UINT32, int(config["rotary_pct"] * (d // H))),
                ("gptneox.rope.freq_base", FLOAT32, config["rotary_emb_base"]),
                ("gptneox.attention.head_count", UINT32, H),
                ("gptneox.use_parallel_residual", BOOL, config.get("use_parallel_residual", True)),
                ("gptneox.attention.layer_norm_epsilon", FLOAT32, config["layer_norm_eps"])]
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    open(out_path, "wb").write(gguf_bytes(3, metadata, tensors))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "gptneox":
        gptneox_from_hf(sys.argv[2], sys.argv[3])
        print("wrote", sys.argv[3])
        return
    if len(sys.argv) == 4 and sys.argv[1] == "gpt2":
        gpt2_from_hf(sys.argv[2], sys.argv[3])
        print("wrote", sys.argv[3])
        return
    if len(sys.argv) == 4 and sys.argv[1] in ("qwen2", "qwen3", "phi3", "olmo2", "gemma", "gemma2", "gemma3"):
        llama_family_from_hf(sys.argv[1], sys.argv[2], sys.argv[3])
        print("wrote", sys.argv[3])
        return
    if len(sys.argv) < 3 or sys.argv[1] != "fixtures":
        sys.exit(__doc__)
    outdir = sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    write_types(outdir)
    if len(sys.argv) > 3:
        write_stories(outdir, sys.argv[3])
    print("wrote GGUF fixtures to", outdir)


if __name__ == "__main__":
    main()
