#!/usr/bin/python3
"""Writes the seed corpus of every fuzz target into tests/fuzz/corpus/<target>/.

valid_* files must load (the corpus regression test checks it); bad_* files are hand-made corrupt variants that
must be refused with attnscope::Error. Crash reproducers found by fuzzing are added as crash_* files by hand and are
never overwritten here. Deterministic: rerunning rewrites the same bytes.

    /usr/bin/python3 tests/fuzz/make_seeds.py
"""
import json
import os
import struct
import zlib

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as out:
        out.write(data)


def npy_bytes(array, header_override=None):
    """numpy's own writer (independent of attnscope's); header_override replaces the dict text."""
    import io
    buffer = io.BytesIO()
    np.save(buffer, array)
    data = buffer.getvalue()
    if header_override is None:
        return data
    (length,) = struct.unpack("<H", data[8:10])
    body = data[10 + length:]
    text = header_override.encode("latin1")
    text += b" " * ((64 - (10 + len(text) + 1) % 64) % 64) + b"\n"
    return data[:8] + struct.pack("<H", len(text)) + text + body


def safetensors_bytes(tensors, metadata=None, header_patch=None):
    """tensors: list of (name, dtype string, shape, raw bytes). header_patch edits the header dict before writing."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if header_patch:
        header_patch(header)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def f32(array):
    return np.ascontiguousarray(array, dtype="<f4").tobytes()


def seeds_npy():
    rng = np.random.default_rng(1)
    put("npy", "valid_f32_2x3.npy", npy_bytes(np.arange(6, dtype="<f4").reshape(2, 3)))
    put("npy", "valid_f64_be_3x2.npy", npy_bytes(rng.standard_normal((3, 2)).astype(">f8")))
    put("npy", "valid_scalar.npy", npy_bytes(np.float32(1.5)))
    put("npy", "valid_empty_0x4.npy", npy_bytes(np.zeros((0, 4), dtype="<f4")))
    put("npy", "valid_3d.npy", npy_bytes(rng.standard_normal((2, 2, 2)).astype("<f4")))
    good = npy_bytes(np.ones((2, 2), dtype="<f4"))
    put("npy", "bad_empty.npy", b"")
    put("npy", "bad_magic.npy", b"\x93NUMPX" + good[6:])
    put("npy", "bad_version.npy", good[:6] + b"\x09\x00" + good[8:])
    put("npy", "bad_truncated_header.npy", good[:20])
    put("npy", "bad_truncated_data.npy", good[:-3])
    put("npy", "bad_trailing.npy", good + b"\x00" * 4)
    put("npy", "bad_dtype_i8.npy", npy_bytes(np.arange(4, dtype="<i8").reshape(2, 2)))
    put("npy", "bad_fortran.npy", npy_bytes(np.asfortranarray(np.ones((2, 3), dtype="<f4"))))
    put("npy", "bad_shape_lies.npy",
        npy_bytes(np.ones((2, 2), dtype="<f4"), "{'descr': '<f4', 'fortran_order': False, 'shape': (200, 200), }"))
    put("npy", "bad_shape_terabytes.npy",
        npy_bytes(np.ones((2, 2), dtype="<f4"),
                  "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000000000), }"))
    put("npy", "bad_shape_overflow.npy",
        npy_bytes(np.ones((2, 2), dtype="<f4"),
                  "{'descr': '<f4', 'fortran_order': False, 'shape': (18446744073709551615, 3), }"))
    put("npy", "bad_header_garbage.npy", npy_bytes(np.ones((2, 2), dtype="<f4"), "{'descr': '<f4', 'shape': (2,"))
    put("npy", "nan_values.npy", npy_bytes(np.array([[np.nan, np.inf]], dtype="<f4")))


def npz_bytes(compressed=False, **arrays):
    """numpy's own .npz writer (np.savez / np.savez_compressed)."""
    import io
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def zip_bytes(members, method=None):
    """A zip of raw members via Python's zipfile (names and contents chosen freely, for the corrupt variants)."""
    import io
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method if method is not None else zipfile.ZIP_STORED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = method if method is not None else zipfile.ZIP_STORED
            archive.writestr(info, data)
    return buffer.getvalue()


def fix_npz_dates(data):
    """np.savez stamps members with the current time: pin every DOS date/time so reruns rewrite the same bytes."""
    data = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 10), (b"PK\x01\x02", 12)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            data[start + offset:start + offset + 4] = struct.pack("<HH", 0, (46 << 9) | (1 << 5) | 1)
            start += 4
    return bytes(data)


def declare_npz_member_size(archive, size):
    """The archive with its first member's uncompressed size set to `size` in the local and central headers."""
    data = bytearray(archive)
    struct.pack_into("<I", data, 22, size)
    struct.pack_into("<I", data, data.index(b"PK\x01\x02") + 24, size)
    return bytes(data)


def seeds_npz():
    q = np.array([[1, 0], [0, 1], [0.6, 0.8]], dtype="<f4")
    k = np.array([[1, 0], [-1, 0]], dtype="<f4")
    put("npz", "valid_savez_qk.npz", fix_npz_dates(npz_bytes(q=q, k=k)))
    put("npz", "valid_savez_compressed_qk.npz", fix_npz_dates(npz_bytes(True, q=q, k=k)))
    put("npz", "valid_f64_be.npz", fix_npz_dates(npz_bytes(a=np.arange(6, dtype=">f8").reshape(3, 2))))
    put("npz", "valid_many.npz", fix_npz_dates(npz_bytes(True, **{f"x{i}": np.full((i + 1, 2), i, "<f4")
                                                                  for i in range(5)})))
    good = fix_npz_dates(npz_bytes(q=q))
    put("npz", "valid_only_q.npz", good)
    put("npz", "bad_empty.npz", b"")
    put("npz", "bad_not_zip.npz", b"\x93NUMPY" + good[6:40])
    put("npz", "bad_truncated.npz", good[:-10])
    put("npz", "bad_no_members.npz", zip_bytes([]))
    put("npz", "bad_member_not_npy.npz", zip_bytes([("readme.txt", b"hello")]))
    put("npz", "bad_member_corrupt_npy.npz", zip_bytes([("q.npy", npy_bytes(q)[:-3])]))
    put("npz", "bad_duplicate.npz", zip_bytes([("q.npy", npy_bytes(q)), ("q.npy", npy_bytes(q))]))
    crc = bytearray(good)
    crc[good.index(b"\x93NUMPY") + 140] ^= 0xFF  # a data byte of the stored member: its CRC no longer matches
    put("npz", "bad_crc.npz", bytes(crc))
    put("npz", "bad_bzip2.npz", zip_bytes([("q.npy", npy_bytes(q))], method=12))
    # Issue 12 (validate, then allocate): a member whose headers declare 100 MiB (within the fuzz budget of 256 MiB),
    # stored and deflated; only the compressed bytes present can refuse them.
    ones = npy_bytes(np.ones((2, 3), "<f4"))
    put("npz", "bad_declared_100mib_stored.npz", declare_npz_member_size(zip_bytes([("q.npy", ones)]), 100 << 20))
    put("npz", "bad_declared_100mib_deflated.npz",
        declare_npz_member_size(zip_bytes([("q.npy", ones)], method=8), 100 << 20))


def seeds_safetensors():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((2, 3)).astype("<f4")
    half = np.array([1.0, -2.5, 65504.0, 6e-8], dtype="<f2").tobytes()
    bf16 = (np.array([1.0, -3.0, 0.5], dtype="<f4").view("<u4") >> 16).astype("<u2").tobytes()
    tensors = [("a", "F32", (2, 3), f32(a)), ("h", "F16", (4,), half), ("b", "BF16", (3, 1), bf16)]
    put("safetensors", "valid_mixed.safetensors", safetensors_bytes(tensors, {"format": "pt"}))
    put("safetensors", "valid_i64_listed.safetensors",
        safetensors_bytes([("ids", "I64", (2,), np.array([1, 2], dtype="<i8").tobytes()), ("x", "F32", (1,), f32([1]))]))
    put("safetensors", "valid_scalar_and_empty.safetensors",
        safetensors_bytes([("s", "F32", (), f32([3])), ("e", "F32", (0, 5), b"")]))
    good = safetensors_bytes(tensors)
    put("safetensors", "bad_empty.safetensors", b"")
    put("safetensors", "bad_short.safetensors", good[:5])
    put("safetensors", "bad_header_length_past_end.safetensors", struct.pack("<Q", 1 << 40) + good[8:])
    put("safetensors", "bad_truncated_data.safetensors", good[:-4])
    put("safetensors", "bad_not_json.safetensors", struct.pack("<Q", 8) + b"{nope!!}")

    def past_end(h):
        h["a"]["data_offsets"] = [0, 1 << 30]

    def overlap(h):
        h["h"]["data_offsets"] = [0, 8]

    def shape_lies(h):
        h["a"]["shape"] = [3, 3]

    def negative(h):
        h["a"]["shape"] = [-2, -3]

    def huge(h):
        h["a"]["shape"] = [1 << 40, 1 << 40]

    for name, patch in [("offsets_past_end", past_end), ("overlap", overlap), ("shape_mismatch", shape_lies),
                        ("negative_shape", negative), ("terabyte_shape", huge)]:
        put("safetensors", "bad_" + name + ".safetensors", safetensors_bytes(tensors, None, patch))


def llama2c_model(dim=8, hidden=16, layers=1, heads=2, kv_heads=1, vocab=16, seq=8, shared=True, seed=3):
    rng = np.random.default_rng(seed)
    head_dim = dim // heads
    kv_dim = kv_heads * head_dim
    counts = [vocab * dim, layers * dim, layers * dim * dim, layers * kv_dim * dim, layers * kv_dim * dim,
              layers * dim * dim, layers * dim, layers * hidden * dim, layers * dim * hidden, layers * hidden * dim,
              dim, seq * head_dim // 2, seq * head_dim // 2]
    if not shared:
        counts.append(vocab * dim)
    weights = (0.3 * rng.standard_normal(sum(counts))).astype("<f4")
    header = struct.pack("<7i", dim, hidden, layers, heads, kv_heads, vocab if shared else -vocab, seq)
    return header, weights


def seeds_llama2c():
    header, weights = llama2c_model()
    good = header + weights.tobytes()
    put("llama2c", "valid_tiny_gqa.bin", good)
    h2, w2 = llama2c_model(dim=4, hidden=4, layers=2, heads=1, kv_heads=1, vocab=5, seq=3, shared=False, seed=4)
    put("llama2c", "valid_unshared.bin", h2 + w2.tobytes())
    put("llama2c", "bad_empty.bin", b"")
    put("llama2c", "bad_short_header.bin", good[:20])
    put("llama2c", "bad_truncated.bin", good[:-4])
    put("llama2c", "bad_oversized.bin", good + b"\x00" * 4)
    put("llama2c", "bad_zero_heads.bin", struct.pack("<7i", 8, 16, 1, 0, 1, 16, 8) + weights.tobytes())
    put("llama2c", "bad_heads_not_dividing.bin", struct.pack("<7i", 8, 16, 1, 3, 1, 16, 8) + weights.tobytes())
    put("llama2c", "bad_terabytes.bin", struct.pack("<7i", 1 << 20, 1 << 22, 1 << 10, 8, 8, 1 << 20, 1 << 20))
    nan = weights.copy()
    nan[5] = np.nan
    put("llama2c", "bad_nan_weight.bin", header + nan.tobytes())


def llama2c_tokenizer(pieces, scores, max_len=None):
    max_len = max_len if max_len is not None else max(len(p) for p in pieces)
    data = struct.pack("<i", max_len)
    for piece, score in zip(pieces, scores):
        data += struct.pack("<fi", score, len(piece)) + piece
    return data


def seeds_llama2c_tokenizer():
    pieces = [b"<unk>", b"\n<s>\n", b"\n</s>\n"] + [b"<0x%02X>" % i for i in range(256)]
    merges = [b" ", b"H", b"e", b"l", b"o", b"w", b"r", b"d", b"ll", b"He", b"llo", b" w", b"or", b" wor", b" world",
              b"Hello", b"\xc3\xa9"]
    pieces += merges
    scores = [0.0] * 259 + [-float(i) for i in range(len(merges))]
    data = llama2c_tokenizer(pieces, scores)
    vocab = struct.pack("<H", len(pieces) - 1)  # the fuzz input's first two bytes: vocabulary size - 1
    put("llama2c_tokenizer", "valid_bytes_and_merges.bin", vocab + data)
    small = [b"<unk>", b"\n<s>\n", b"\n</s>\n", b"a", b"b", b"ab"]
    put("llama2c_tokenizer", "valid_no_byte_tokens.bin",
        struct.pack("<H", len(small) - 1) + llama2c_tokenizer(small, [0, 0, 0, -1, -2, -0.5]))
    put("llama2c_tokenizer", "bad_empty.bin", vocab)
    put("llama2c_tokenizer", "bad_truncated.bin", vocab + data[:-3])
    put("llama2c_tokenizer", "bad_trailing.bin", vocab + data + b"xyz")
    put("llama2c_tokenizer", "bad_vocab_mismatch.bin", struct.pack("<H", len(pieces) + 9) + data)
    negative = bytearray(data)
    negative[8:12] = struct.pack("<i", -5)  # the first token's byte length
    put("llama2c_tokenizer", "bad_negative_length.bin", vocab + bytes(negative))
    huge = bytearray(data)
    huge[8:12] = struct.pack("<i", 0x7FFFFFFF)
    put("llama2c_tokenizer", "bad_huge_length.bin", vocab + bytes(huge))


def byte_char(b):
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    if b in printable:
        return chr(b)
    return chr(256 + [x for x in range(256) if x not in printable].index(b))


def seeds_hf_tokenizer():
    vocab = {byte_char(b): b for b in range(256)}
    merges = [("Ġ", "w"), ("o", "r"), ("Ġw", "or"), ("l", "d"), ("Ġwor", "ld"), ("H", "e"), ("l", "l"), ("He", "ll"),
              ("Hell", "o")]
    for i, (a, b) in enumerate(merges):
        vocab[a + b] = 256 + i
    vocab["<|endoftext|>"] = 256 + len(merges)
    bpe = {"version": "1.0",
           "added_tokens": [{"id": 256 + len(merges), "content": "<|endoftext|>", "special": True}],
           "normalizer": None,
           "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True},
           "post_processor": {"type": "TemplateProcessing",
                              "single": [{"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}},
                                         {"Sequence": {"id": "A", "type_id": 0}}]},
           "model": {"type": "BPE", "vocab": vocab, "merges": [a + " " + b for a, b in merges]}}
    put("hf_tokenizer", "valid_bytelevel_bpe.json", json.dumps(bpe).encode())
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", "world", "##s", "un", "##aff", "##able", ",", "!", "cafe",
             "中"]
    wordpiece = {"added_tokens": [{"id": i, "content": w} for i, w in enumerate(words[:4])],
                 "normalizer": {"type": "BertNormalizer", "lowercase": True, "strip_accents": None,
                                "handle_chinese_chars": True, "clean_text": True},
                 "pre_tokenizer": {"type": "BertPreTokenizer"},
                 "post_processor": {"type": "TemplateProcessing",
                                    "single": [{"SpecialToken": {"id": "[CLS]"}}, {"Sequence": {"id": "A"}},
                                               {"SpecialToken": {"id": "[SEP]"}}]},
                 "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                           "vocab": {w: i for i, w in enumerate(words)}}}
    put("hf_tokenizer", "valid_wordpiece.json", json.dumps(wordpiece, ensure_ascii=False).encode())
    put("hf_tokenizer", "bad_empty.json", b"")
    put("hf_tokenizer", "bad_truncated.json", json.dumps(bpe).encode()[:300])
    put("hf_tokenizer", "bad_unigram.json", b'{"model":{"type":"Unigram","vocab":[]}}')
    put("hf_tokenizer", "bad_no_model.json", b'{"version":"1.0"}')
    put("hf_tokenizer", "bad_wordpiece_no_unk.json", b'{"model":{"type":"WordPiece","vocab":{"a":0}}}')
    # Issue 12: a legal sparse id; the id table must cost the listed tokens, not 5000001 slots.
    put("hf_tokenizer", "valid_sparse_ids_gap_5e6.json",
        b'{"model":{"type":"WordPiece","vocab":{"[UNK]":0,"a":5000000}}}')
    bad_merge = json.loads(json.dumps(bpe))
    bad_merge["model"]["merges"].append("zz qq")
    put("hf_tokenizer", "merge_of_unknown_tokens.json", json.dumps(bad_merge).encode())


def seeds_hf_config():
    put("hf_config", "valid_gpt2.json",
        b'{"architectures":["GPT2LMHeadModel"],"n_layer":2,"n_head":2,"n_embd":8,"vocab_size":50,"n_positions":16,'
        b'"n_inner":null}')
    put("hf_config", "valid_llama.json",
        b'{"architectures":["LlamaForCausalLM"],"num_hidden_layers":2,"num_attention_heads":8,"num_key_value_heads":2,'
        b'"hidden_size":64,"intermediate_size":172,"vocab_size":512,"max_position_embeddings":256,'
        b'"eos_token_id":[2,9],"rope_scaling":null}')
    put("hf_config", "valid_bert.json",
        b'{"architectures":["BertModel"],"num_hidden_layers":1,"num_attention_heads":2,"hidden_size":8,'
        b'"intermediate_size":16,"vocab_size":30,"max_position_embeddings":16}')
    sizes = (b'"num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,"hidden_size":32,'
             b'"intermediate_size":40,"vocab_size":100,"max_position_embeddings":64,')
    put("hf_config", "valid_qwen2.json", b'{"architectures":["Qwen2ForCausalLM"],"model_type":"qwen2",' + sizes +
        b'"dtype":"bfloat16","use_sliding_window":false,"sliding_window":3,'
        b'"rope_parameters":{"rope_type":"default","rope_theta":500.0}}')
    put("hf_config", "valid_qwen3.json", b'{"architectures":null,"model_type":"qwen3","head_dim":16,' + sizes +
        b'"attention_bias":false,"rope_theta":1000000.0}')
    put("hf_config", "valid_mistral.json", b'{"architectures":["MistralForCausalLM"],' + sizes +
        b'"sliding_window":4096,"torch_dtype":"bfloat16"}')
    put("hf_config", "valid_phi3.json", b'{"architectures":["Phi3ForCausalLM"],"model_type":"phi3",' + sizes +
        b'"sliding_window":2047,"rope_scaling":null}')
    put("hf_config", "valid_gpt_neox.json", b'{"architectures":["GPTNeoXForCausalLM"],"num_hidden_layers":2,'
        b'"num_attention_heads":4,"hidden_size":64,"intermediate_size":256,"vocab_size":100,'
        b'"max_position_embeddings":64,"rotary_pct":0.25,"rotary_emb_base":10000,"use_parallel_residual":true}')
    put("hf_config", "valid_olmo2.json", b'{"architectures":["Olmo2ForCausalLM"],"model_type":"olmo2",' + sizes +
        b'"rope_theta":500000,"attention_bias":false}')
    gemma_sizes = sizes + b'"head_dim":16,'
    put("hf_config", "valid_gemma.json", b'{"architectures":["GemmaForCausalLM"],"model_type":"gemma",' +
        gemma_sizes + b'"hidden_act":"gelu","hidden_activation":"gelu_pytorch_tanh","torch_dtype":"bfloat16"}')
    put("hf_config", "valid_gemma2.json", b'{"architectures":["Gemma2ForCausalLM"],"model_type":"gemma2",' +
        gemma_sizes + b'"query_pre_attn_scalar":24,"attn_logit_softcapping":50.0,"final_logit_softcapping":30.0,'
        b'"sliding_window":4,"cache_implementation":"hybrid"}')
    put("hf_config", "valid_gemma3_text.json", b'{"architectures":["Gemma3ForCausalLM"],"model_type":"gemma3_text",' +
        gemma_sizes + b'"sliding_window":512,"sliding_window_pattern":6,"rope_local_base_freq":10000.0,'
        b'"rope_scaling":{"rope_type":"linear","factor":8.0},"attn_logit_softcapping":null}')
    put("hf_config", "valid_gemma3_text_v5.json", b'{"architectures":null,"model_type":"gemma3_text",' +
        gemma_sizes + b'"layer_types":["sliding_attention","full_attention"],"sliding_window":4,"dtype":"bfloat16",'
        b'"rope_parameters":{"full_attention":{"rope_type":"linear","factor":2.0,"rope_theta":10000.0},'
        b'"sliding_attention":{"rope_type":"default","rope_theta":100.0}}}')
    put("hf_config", "bad_gemma3_multimodal.json",
        b'{"architectures":["Gemma3ForConditionalGeneration"],"model_type":"gemma3","text_config":{}}')
    put("hf_config", "bad_gemma3_layer_types.json", b'{"model_type":"gemma3_text",' + gemma_sizes +
        b'"layer_types":["sliding_attention","chunked_attention"]}')
    put("hf_config", "bad_qwen2_window.json", b'{"model_type":"qwen2",' + sizes +
        b'"use_sliding_window":true,"sliding_window":8,"max_window_layers":1}')
    put("hf_config", "bad_rope_parameters.json", b'{"model_type":"qwen3",' + sizes +
        b'"rope_parameters":{"rope_type":"yarn","factor":4.0}}')
    put("hf_config", "bad_empty.json", b"")
    put("hf_config", "bad_t5.json", b'{"architectures":["T5Model"]}')
    put("hf_config", "bad_missing_dim.json",
        b'{"architectures":["GPT2Model"],"n_layer":1,"n_head":1,"vocab_size":5,"n_positions":4}')
    put("hf_config", "bad_heads_not_dividing.json",
        b'{"architectures":["GPT2Model"],"n_layer":1,"n_head":3,"n_embd":8,"vocab_size":5,"n_positions":4}')
    put("hf_config", "bad_huge.json",
        b'{"architectures":["GPT2Model"],"n_layer":99999999999,"n_head":1,"n_embd":8,"vocab_size":5,"n_positions":4}')


def capture_bytes(layers=1, heads=2, tokens=3, head_dim=4, rope=True, seed=5, patch=None):
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((layers, heads, tokens, head_dim)).astype("<f4")
    k = rng.standard_normal((layers, heads, tokens, head_dim)).astype("<f4")
    logits = np.einsum("lhtd,lhsd->lhts", q, k) / np.sqrt(head_dim)
    logits = np.where(np.tril(np.ones((tokens, tokens), bool)), logits, -np.inf)
    attn = np.exp(logits - logits.max(-1, keepdims=True))
    attn = (attn / attn.sum(-1, keepdims=True)).astype("<f4")
    tensors = [("q", "F32", q.shape, f32(q)), ("k", "F32", k.shape, f32(k)), ("attn", "F32", attn.shape, f32(attn))]
    if rope:
        tensors += [("q_prerope", "F32", q.shape, f32(q * 0.5)), ("k_prerope", "F32", k.shape, f32(k * 0.5))]
    metadata = {"format": "attnscope-capture", "version": "1", "tokens": json.dumps(["<s>", "a", "b"][:tokens]),
                "token_ids": json.dumps([1, 7, 9][:tokens]), "causal": "true", "rope": "true" if rope else "false"}
    if patch:
        patch(tensors, metadata)
    return safetensors_bytes(tensors, metadata)


def seeds_capture():
    put("capture", "valid_rope.safetensors", capture_bytes())
    put("capture", "valid_norope.safetensors", capture_bytes(layers=2, heads=1, rope=False, seed=6))
    put("capture", "bad_empty.safetensors", b"")

    def no_ids(tensors, metadata):
        del metadata["token_ids"]

    def wrong_count(tensors, metadata):
        metadata["token_ids"] = "[1, 2]"

    def wrong_format(tensors, metadata):
        metadata["format"] = "something-else"

    def nan_q(tensors, metadata):
        name, dtype, shape, raw = tensors[0]
        values = np.frombuffer(raw, dtype="<f4").copy()
        values[0] = np.nan
        tensors[0] = (name, dtype, shape, values.tobytes())

    def attn_shape(tensors, metadata):
        name, dtype, shape, raw = tensors[2]
        tensors[2] = (name, dtype, (shape[0], shape[1], shape[2] * shape[3]), raw)

    def ids_not_json(tensors, metadata):
        metadata["token_ids"] = "[1, 7,"

    def q_shape_lies(tensors, metadata):  # issue 12: 100000 layers x 1000 heads claimed for 96 bytes of data
        name, dtype, shape, raw = tensors[0]
        tensors[0] = (name, dtype, (100000, 1000, shape[2], shape[3]), raw)

    for name, patch in [("no_token_ids", no_ids), ("token_count_mismatch", wrong_count),
                        ("wrong_format", wrong_format), ("nan_q", nan_q), ("attn_rank", attn_shape),
                        ("token_ids_not_json", ids_not_json), ("q_shape_lies", q_shape_lies)]:
        put("capture", "bad_" + name + ".safetensors", capture_bytes(patch=patch))


# --- scene files (app/gui/scene_io.cpp) and PNG exports carrying one (app/render/png_io.cpp) ---------------------

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def repo_file(*parts):
    with open(os.path.join(REPO, *parts), "rb") as source:
        return source.read()


def minimal_scene(**extra):
    scene = {"format": "attnscope-scene", "version": 1, "queries": [[1.0, 0.0]], "keys": [[0.0, 1.0], [-1.0, 0.5]]}
    scene.update(extra)
    return scene


def scene_text(scene, indent=None):
    return json.dumps(scene, indent=indent).encode("utf-8")


def seeds_scene_json():
    # Real files: the start-up scene and the scenes of the demos a teacher opens (a demo file is an "attnscope-demo"
    # whose steps each hold a scene; 5-high-dimensions is left out: 550 KB), written compactly as the app reads them.
    put("scene_json", "valid_default_scene.json", repo_file("assets", "default_scene.json"))
    for demo in ["1-dot-product", "2-expressive", "3-gaussian-keys", "4-alignment", "6-real-model"]:
        steps = json.loads(repo_file("assets", "demos", demo + ".json"))["steps"]
        for number in sorted({1, len(steps)}):
            put("scene_json", "valid_demo_%s_step%d.json" % (demo, number), scene_text(steps[number - 1]["scene"]))
    put("scene_json", "valid_minimal.json", scene_text(minimal_scene()))
    # Every optional field with its non-default value, and unknown fields at each level (warnings, not errors).
    full = minimal_scene(
        dimension=3, queries=[[1, 0, 0], [0, 1, 0]], keys=[[0, 0, 1], [1, 1, 1]], queryLabels=["a", "\u00e9\u4e2d"],
        keyLabels=["", "k"], selectedQuery=1, selectedKey=9, views=["canvas", "maps", "nonexistent-view"],
        randomSeed=18446744073709551615,
        kernel={"scale": 0.5, "causal": True, "eaForm": "pure",
                "mgk": {"components": 3, "centres": "per-key-offsets", "variant": "hard",
                        "shifts": [[0, 0, 0], [0.1, 0, 0], [0, 0.1, 0]],
                        "offsets": [[0.01 * i, 0, 0] for i in range(6)],
                        "priors": [[0.2, 0.3, 1.0], [0, 0.5, 0.5]], "variances": [[1, 2, 3], [0.5, 0.25, 1e-3]],
                        "future": 1}, "future": [1]},
        divergence={"ctRho": 1.0, "ctTau": 2.5, "ctCost": "one-minus-cos", "sinkhornEpsilon": 0.01, "future": None},
        display={"colorMap": "diverging", "heatmapLogScale": True, "classificationBandDegrees": 45,
                 "planeExtent": 3.5, "densityResolution": 8, "future": {}},
        model={"path": "/models/stories260K.bin", "tokenizer": "", "prompt": "Once upon", "tokenIds": [1, 403, 9],
               "layer": 2, "head": 1, "preRope": True},
        unknownTopLevel={"nested": [1, 2, 3]})
    put("scene_json", "valid_every_field.json", scene_text(full, indent=1))
    put("scene_json", "valid_null_fields.json",
        scene_text(minimal_scene(kernel={"scale": None, "mgk": None}, display=None, queryLabels=None)))
    put("scene_json", "valid_magma_euclid.json",
        scene_text(minimal_scene(display={"colorMap": "magma"}, divergence={"ctCost": "euclidean"})))
    default = repo_file("assets", "default_scene.json")
    put("scene_json", "bad_empty.json", b"")
    put("scene_json", "bad_truncated.json", default[: len(default) // 2])
    put("scene_json", "bad_not_object.json", b"[1, 2, 3]")
    put("scene_json", "bad_version_newer.json", scene_text(minimal_scene(version=2)))
    put("scene_json", "bad_version_zero.json", scene_text(minimal_scene(version=0)))
    put("scene_json", "bad_version_string.json", scene_text(minimal_scene(version="1")))
    put("scene_json", "bad_wrong_format.json", scene_text(minimal_scene(format="attnscope-scene-v2")))
    put("scene_json", "bad_no_keys.json", scene_text({"format": "attnscope-scene", "version": 1, "queries": [[1, 0]]}))
    put("scene_json", "bad_ragged_rows.json", scene_text(minimal_scene(keys=[[0, 1], [1, 0, 0]])))
    put("scene_json", "bad_dimension_mismatch.json", scene_text(minimal_scene(dimension=3)))
    put("scene_json", "bad_string_number.json", scene_text(minimal_scene(keys=[["0", 1]])))
    put("scene_json", "bad_infinite.json", scene_text(minimal_scene()).replace(b"-1.0", b"-1e999"))
    put("scene_json", "bad_components.json", scene_text(minimal_scene(kernel={"mgk": {"components": 9}})))
    put("scene_json", "bad_priors_rows.json",
        scene_text(minimal_scene(kernel={"mgk": {"components": 2, "priors": [[0.5, 0.5]]}})))
    put("scene_json", "bad_negative_variance.json",
        scene_text(minimal_scene(kernel={"mgk": {"components": 1, "variances": [[1], [-1]]}})))
    put("scene_json", "bad_enum.json", scene_text(minimal_scene(display={"colorMap": "jet"})))
    put("scene_json", "bad_rho.json", scene_text(minimal_scene(divergence={"ctRho": 1.5})))
    put("scene_json", "bad_density_resolution.json", scene_text(minimal_scene(display={"densityResolution": 4})))
    put("scene_json", "bad_negative_token.json", scene_text(minimal_scene(model={"path": "m.bin", "tokenIds": [-3]})))
    put("scene_json", "bad_kernel_not_object.json", scene_text(minimal_scene(kernel=[])))


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bytes(width=4, height=3, colour=2, depth=8, interlace=0, text=(), after=(), palette=None, trns=None,
              idat=None):
    """A PNG written independently of libpng. text/after: chunks (kind, data) before / after IDAT."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    row_bytes = (width * channels * depth + 7) // 8
    if idat is None:
        raw = b""
        if interlace:
            # Adam7: the seven passes one after the other, each row with its filter byte.
            passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
            for x0, y0, dx, dy in passes:
                pw = len(range(x0, width, dx))
                ph = len(range(y0, height, dy))
                if pw == 0 or ph == 0:
                    continue
                pass_row = (pw * channels * depth + 7) // 8
                for y in range(ph):
                    raw += b"\x00" + bytes((7 * y + 13 * i) % 256 for i in range(pass_row))
        else:
            for y in range(height):
                raw += bytes([y % 5]) + bytes((31 * y + 7 * i) % 256 for i in range(row_bytes))
        idat = zlib.compress(raw, 9)
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0,
                                                                  interlace))
    for kind, data in text:
        out += png_chunk(kind, data)
    if palette is not None:
        out += png_chunk(b"PLTE", palette)
    if trns is not None:
        out += png_chunk(b"tRNS", trns)
    out += png_chunk(b"IDAT", idat)
    for kind, data in after:
        out += png_chunk(kind, data)
    return out + png_chunk(b"IEND", b"")


def itxt(key, text, compressed=False):
    body = zlib.compress(text) if compressed else text
    return (b"iTXt", key + b"\x00" + bytes([1 if compressed else 0, 0]) + b"\x00\x00" + body)


def seeds_png_scene():
    scene = scene_text(minimal_scene(keyLabels=["caf\u00e9", "\u4e2d"]))
    key = b"attnscope-scene"
    # Exports by attnscope itself (tests/golden): RGB, iTXt chunks before IDAT.
    put("png_scene", "valid_golden_canvas.png", repo_file("tests", "golden", "canvas.png"))
    put("png_scene", "valid_golden_model.png", repo_file("tests", "golden", "model.png"))
    put("png_scene", "valid_rgb8_itxt.png", png_bytes(text=[itxt(b"Software", b"attnscope"), itxt(key, scene)]))
    put("png_scene", "valid_rgba_itxt_compressed.png", png_bytes(colour=6, text=[itxt(key, scene, True)]))
    put("png_scene", "valid_gray16_interlaced_ztxt.png",
        png_bytes(width=9, height=7, colour=0, depth=16, interlace=1,
                  text=[(b"zTXt", key + b"\x00\x00" + zlib.compress(scene_text(minimal_scene())))]))
    put("png_scene", "valid_palette_trns_text.png",
        png_bytes(width=5, height=2, colour=3, depth=4, palette=bytes(range(48)), trns=b"\x00\x80",
                  text=[(b"tEXt", key + b"\x00" + scene_text(minimal_scene()))]))
    put("png_scene", "valid_gray_alpha_text_after_idat.png",
        png_bytes(width=3, height=3, colour=4, depth=8, after=[itxt(key, scene)]))
    put("png_scene", "valid_plain_json.json", scene_text(minimal_scene()))
    put("png_scene", "bad_empty.png", b"")
    put("png_scene", "bad_signature_only.png", b"\x89PNG\r\n\x1a\n")
    put("png_scene", "bad_no_scene.png", png_bytes(text=[itxt(b"Title", b"attnscope: canvas")]))
    put("png_scene", "bad_scene_not_json.png", png_bytes(text=[itxt(key, b"{\"format\": ")]))
    put("png_scene", "bad_scene_version_newer.png", png_bytes(text=[itxt(key, scene_text(minimal_scene(version=7)))]))
    good = png_bytes(text=[itxt(key, scene)])
    put("png_scene", "bad_truncated.png", good[: len(good) - 30])
    broken_crc = bytearray(good)
    broken_crc[29] ^= 0xFF  # last byte of the IHDR CRC
    put("png_scene", "bad_ihdr_crc.png", bytes(broken_crc))
    put("png_scene", "bad_zero_width.png", png_bytes(width=0, text=[itxt(key, scene)]))
    put("png_scene", "bad_missing_image_data.png", png_bytes(width=64, height=64, text=[itxt(key, scene)],
                                                             idat=zlib.compress(b"\x00" * 10)))
    # Issue 12: a 1000000-pixel row of 16-bit RGBA (libpng's width limit) whose 11 IDAT bytes cannot hold it; libpng's
    # row buffers (8 MB) must not be allocated.
    put("png_scene", "bad_1000000x1_rgba16_without_data.png",
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1000000, 1, 16, 6, 0, 0, 0)) +
        png_chunk(b"IDAT", zlib.compress(b"\x00" * 8)) + png_chunk(b"IEND", b""))


METASPACE = "\u2581"


def seeds_spm_tokenizer_json():
    """SentencePiece-style tokenizer.json: the Llama 2 form (Prepend + Replace normalizer, string merges) and the
    newer Metaspace form (pair merges), both with byte fallback."""
    pieces = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)]
    merges = [(METASPACE, "t"), ("h", "e"), (METASPACE + "t", "he"), ("c", "a"), ("ca", "t"), (METASPACE, "cat")]
    letters = [METASPACE, "t", "h", "e", "c", "a", "o", "n"]
    vocab = {piece: i for i, piece in enumerate(pieces + letters)}
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    added = [{"id": i, "content": p, "special": True} for i, p in enumerate(pieces[:3])]
    template = {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                                                         {"Sequence": {"id": "A", "type_id": 0}}]}
    legacy = {"version": "1.0", "added_tokens": added,
              "normalizer": {"type": "Sequence", "normalizers": [
                  {"type": "Prepend", "prepend": METASPACE},
                  {"type": "Replace", "pattern": {"String": " "}, "content": METASPACE}]},
              "pre_tokenizer": None, "post_processor": template,
              "decoder": {"type": "Sequence", "decoders": [
                  {"type": "Replace", "pattern": {"String": METASPACE}, "content": " "}, {"type": "ByteFallback"},
                  {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
              "model": {"type": "BPE", "unk_token": "<unk>", "fuse_unk": True, "byte_fallback": True,
                        "vocab": vocab, "merges": [a + " " + b for a, b in merges]}}
    put("spm_tokenizer_json", "valid_llama2_form.json", json.dumps(legacy, ensure_ascii=False).encode())
    metaspace = json.loads(json.dumps(legacy))
    metaspace["normalizer"] = None
    metaspace["pre_tokenizer"] = {"type": "Metaspace", "replacement": METASPACE, "prepend_scheme": "first",
                                  "split": False}
    metaspace["decoder"] = {"type": "Metaspace", "replacement": METASPACE, "prepend_scheme": "first"}
    metaspace["model"]["merges"] = [[a, b] for a, b in merges]
    put("spm_tokenizer_json", "valid_metaspace_form.json", json.dumps(metaspace, ensure_ascii=False).encode())
    put("spm_tokenizer_json", "bad_truncated.json", json.dumps(legacy).encode()[:400])
    bad_merge = json.loads(json.dumps(legacy))
    bad_merge["model"]["merges"].append("zz qq")
    put("spm_tokenizer_json", "bad_merge_of_unknown_tokens.json", json.dumps(bad_merge).encode())
    regex = json.loads(json.dumps(legacy))
    regex["normalizer"]["normalizers"][1]["pattern"] = {"Regex": " +"}
    put("spm_tokenizer_json", "bad_regex_normalizer.json", json.dumps(regex).encode())


def gguf_bytes(kvs, version=3):
    """A metadata-only GGUF file. kvs: (key, type, value) with type "str", "u32", "bool", or ("arr", element type)."""
    def text(s):
        data = s.encode() if isinstance(s, str) else s
        return struct.pack("<Q", len(data)) + data
    scalar = {"u32": (4, "<I"), "i32": (5, "<i"), "f32": (6, "<f"), "bool": (7, "<?")}
    out = b"GGUF" + struct.pack("<IQQ", version, 0, len(kvs))
    for key, kind, value in kvs:
        out += text(key)
        if kind == "str":
            out += struct.pack("<I", 8) + text(value)
        elif kind in scalar:
            out += struct.pack("<I", scalar[kind][0]) + struct.pack(scalar[kind][1], value)
        else:
            element = kind[1]
            out += struct.pack("<IIQ", 9, 8 if element == "str" else scalar[element][0], len(value))
            for item in value:
                out += text(item) if element == "str" else struct.pack(scalar[element][1], item)
    return out


def seeds_gguf_tokenizer():
    """GGUF tokenizer metadata: a scored SentencePiece vocabulary (llama) and a byte-level one (gpt2)."""
    pieces = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)] + \
        [METASPACE, "t", "h", "e", METASPACE + "t", "he", METASPACE + "the", "c", "a", "ca", "cat"]
    scores = [0.0] * 259 + [-float(i) for i in range(len(pieces) - 259)]
    types = [2, 3, 3] + [6] * 256 + [1] * (len(pieces) - 259)
    llama = [("tokenizer.ggml.model", "str", "llama"), ("tokenizer.ggml.tokens", ("arr", "str"), pieces),
             ("tokenizer.ggml.scores", ("arr", "f32"), scores), ("tokenizer.ggml.token_type", ("arr", "i32"), types),
             ("tokenizer.ggml.bos_token_id", "u32", 1), ("tokenizer.ggml.eos_token_id", "u32", 2),
             ("tokenizer.ggml.unknown_token_id", "u32", 0), ("tokenizer.ggml.add_bos_token", "bool", True)]
    put("gguf_tokenizer", "valid_llama.gguf", gguf_bytes(llama))
    tokens = [byte_char(b) for b in range(256)] + ["\u0120t", "he", "\u0120the", "<|endoftext|>"]
    gpt2 = [("tokenizer.ggml.model", "str", "gpt2"), ("tokenizer.ggml.pre", "str", "gpt-2"),
            ("tokenizer.ggml.tokens", ("arr", "str"), tokens),
            ("tokenizer.ggml.token_type", ("arr", "i32"), [1] * (len(tokens) - 1) + [3]),
            ("tokenizer.ggml.merges", ("arr", "str"), ["\u0120 t", "h e", "\u0120t he"]),
            ("tokenizer.ggml.bos_token_id", "u32", len(tokens) - 1)]
    put("gguf_tokenizer", "valid_gpt2.gguf", gguf_bytes(gpt2))
    put("gguf_tokenizer", "bad_truncated.gguf", gguf_bytes(llama)[:700])
    put("gguf_tokenizer", "bad_no_tokenizer.gguf", gguf_bytes([("general.name", "str", "x")]))
    put("gguf_tokenizer", "bad_short_scores.gguf", gguf_bytes([kv if kv[0] != "tokenizer.ggml.scores" else
                                                               (kv[0], kv[1], scores[:-1]) for kv in llama]))
    put("gguf_tokenizer", "bad_bos_outside.gguf", gguf_bytes([kv if kv[0] != "tokenizer.ggml.bos_token_id" else
                                                              (kv[0], "u32", 99999) for kv in llama]))
    put("gguf_tokenizer", "bad_token_type_7.gguf", gguf_bytes([kv if kv[0] != "tokenizer.ggml.token_type" else
                                                               (kv[0], kv[1], types[:-1] + [7]) for kv in llama]))
    huge = bytearray(gguf_bytes(llama[:1] + [("tokenizer.ggml.tokens", ("arr", "str"), ["a"])]))
    huge[-17:-9] = struct.pack("<Q", 1 << 40)  # the tokens array claims 2^40 strings
    put("gguf_tokenizer", "bad_huge_token_count.gguf", bytes(huge))
    put("gguf_tokenizer", "bad_gpt2_merge_of_unknown_tokens.gguf",
        gguf_bytes([kv if kv[0] != "tokenizer.ggml.merges" else (kv[0], kv[1], ["zz qq"]) for kv in gpt2]))


def seeds_gguf():
    """Every GGUF version and tensor type (the reference's types_v1..3 fixtures), tiny llama models (F32 v1/v2/v3,
    Q8_0 and Q4_0 copies, with an embedded SentencePiece vocabulary) and corrupt variants."""
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
    import gguf_reference as g
    os.makedirs(os.path.join(ROOT, "gguf"), exist_ok=True)
    g.write_types(os.path.join(ROOT, "gguf"))
    for name in os.listdir(os.path.join(ROOT, "gguf")):  # keep the .gguf files, named as seeds
        path = os.path.join(ROOT, "gguf", name)
        if name.startswith("expected_"):
            os.remove(path)
        elif name.startswith("types_"):
            os.replace(path, os.path.join(ROOT, "gguf", "valid_" + name))
        elif name == "ragged_q8_0.gguf":
            os.replace(path, os.path.join(ROOT, "gguf", "bad_ragged_rows.gguf"))
    model = g.tiny_llama
    metadata = g.tiny_llama_metadata()
    for version in (1, 2, 3):
        put("gguf", "valid_tiny_llama_v%d.gguf" % version, model(version))
    put("gguf", "valid_tiny_llama_q8_0.gguf", model(kind="Q8_0"))
    put("gguf", "valid_tiny_llama_q4_0.gguf", model(kind="Q4_0"))
    put("gguf", "valid_tiny_gpt2.gguf", g.tiny_gpt2())
    put("gguf", "valid_tiny_gpt2_q8_0.gguf", g.tiny_gpt2("Q8_0"))
    for arch in ("qwen2", "qwen3", "phi3", "olmo2", "gemma2", "gemma3"):  # the Hugging Face Llama-family path under llama.cpp's names
        put("gguf", "valid_tiny_%s.gguf" % arch, g.tiny_llama_family(arch))
    put("gguf", "valid_tiny_gptneox.gguf", g.tiny_gptneox())
    good = model()
    put("gguf", "bad_empty.gguf", b"")
    put("gguf", "bad_magic.gguf", b"GGML" + good[4:])
    put("gguf", "bad_version_4.gguf", good[:4] + struct.pack("<I", 4) + good[8:])
    put("gguf", "bad_truncated_header.gguf", good[:300])
    put("gguf", "bad_truncated_data.gguf", good[:-40])
    put("gguf", "bad_key_count.gguf", good[:16] + struct.pack("<Q", 1 << 60) + good[24:])
    put("gguf", "bad_tensor_count.gguf", good[:8] + struct.pack("<Q", 1 << 60) + good[16:])
    # A string length of 2^40 in the first key.
    put("gguf", "bad_string_length.gguf", good[:24] + struct.pack("<Q", 1 << 40) + good[32:])
    put("gguf", "bad_missing_tensor.gguf", model(drop="blk.0.ffn_up.weight"))
    put("gguf", "bad_nan_weight.gguf", model(nan_at=("blk.0.attn_q.weight", 5)))
    put("gguf", "bad_architecture.gguf", model(metadata=[("general.architecture", g.STRING, "rwkv")] + metadata[1:]))
    put("gguf", "bad_nested_arrays.gguf", g.gguf_bytes(3, [("deep", g.ARRAY, nested(g, 12))], []))
    unsupported = bytearray(g.gguf_bytes(3, [], [("t", "Q8_0", [32], g.quantise("Q8_0", np.ones(32, np.float32)))]))
    type_at = 24 + 8 + 1 + 4 + 8  # after the header, the name "t", n_dims and the one dimension
    assert struct.unpack_from("<I", unsupported, type_at)[0] == 8
    struct.pack_into("<I", unsupported, type_at, 10)  # Q2_K
    put("gguf", "bad_type_q2_k.gguf", bytes(unsupported))
    struct.pack_into("<I", unsupported, type_at, 99)
    put("gguf", "bad_type_unknown.gguf", bytes(unsupported))
    misaligned = bytearray(unsupported)
    struct.pack_into("<I", misaligned, type_at, 8)
    struct.pack_into("<Q", misaligned, type_at + 4, 4)
    put("gguf", "bad_misaligned_offset.gguf", bytes(misaligned))


def nested(g, depth):
    return (g.UINT8, [1]) if depth == 0 else (g.ARRAY, [nested(g, depth - 1)])


if __name__ == "__main__":
    seeds_npy()
    seeds_npz()
    seeds_safetensors()
    seeds_llama2c()
    seeds_llama2c_tokenizer()
    seeds_hf_tokenizer()
    seeds_spm_tokenizer_json()
    seeds_gguf_tokenizer()
    seeds_hf_config()
    seeds_capture()
    seeds_scene_json()
    seeds_png_scene()
    seeds_gguf()
