#!/usr/bin/python3
"""Runs every row of tests/bad_inputs.md against the real CLI and checks its exit code and exact message.

    /usr/bin/python3 tests/reliab/bad_inputs.py ATTNSCOPE_BINARY WORK_DIR [--only ID] [--print]
    /usr/bin/python3 tests/reliab/bad_inputs.py --app-cases WORK_DIR

Each row names a case id; make_case(id) below writes the input files for it into a fresh folder, the row's command
runs there (relative file names keep messages independent of the folder), and stderr must be exactly
"attnscope: error: <message>" with exit code 1. --print shows what the CLI says instead of checking (to write rows).
The table is the single source of truth: a row without a case here, or a case without a row, fails the test.
--app-cases writes every row whose input the app opens (its "app" cell is not "-") into WORK_DIR/<id>/ and lists
them in WORK_DIR/app_cases.tsv (id, input to open, environment, app message) for tests/reliab/app_bad_inputs_test.cpp,
which opens each input in the app and checks the banner and that the open scene is unchanged.
"""
import io
import json
import os
import shlex
import shutil
import struct
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, "..", "bad_inputs.md")
sys.path.insert(0, os.path.join(HERE, "..", "fuzz"))
from make_seeds import gguf_bytes  # noqa: E402 (the fuzz seeds' GGUF writer, shared rather than copied)


def npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def npy_with_header(header_text, body):
    text = header_text.encode("latin1")
    text += b" " * ((64 - (10 + len(text) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + body


def safetensors(tensors, metadata=None, patch=None):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, array in tensors:
        raw = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(np.shape(array)), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if patch:
        patch(header)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def capture(patch=None, values=None, tokens=2, heads=1):
    rng = np.random.default_rng(7)
    q = rng.standard_normal((1, heads, tokens, 2)).astype("<f4")
    k = rng.standard_normal((1, heads, tokens, 2)).astype("<f4")
    causal = np.tril(np.ones((tokens, tokens), dtype="<f4"))
    attn = np.broadcast_to(causal / causal.sum(-1, keepdims=True), (1, heads, tokens, tokens)).copy()
    if values:
        values(q, k, attn)
    metadata = {"format": "attnscope-capture", "version": "1", "tokens": json.dumps(["t"] * tokens),
                "token_ids": json.dumps([3 + i % 5 for i in range(tokens)]), "causal": "true", "rope": "false"}
    return safetensors([("q", q), ("k", k), ("attn", attn)], metadata, patch)


def capture_without_attention(tokens=2, q_tokens=None):
    """A capture holding only q and k (README "Long sequences"); q_tokens gives k another token count."""
    rng = np.random.default_rng(7)
    q = rng.standard_normal((1, 1, tokens, 2)).astype("<f4")
    k = rng.standard_normal((1, 1, q_tokens or tokens, 2)).astype("<f4")
    metadata = {"format": "attnscope-capture", "version": "1", "token_ids": json.dumps([3] * tokens), "causal": "true"}
    return safetensors([("q", q), ("k", k)], metadata)


def llama2c(dim=8, hidden=16, layers=1, heads=2, kv_heads=2, vocab=16, seq=8, nan=False):
    head_dim = dim // heads
    kv_dim = kv_heads * head_dim
    floats = (vocab * dim + layers * (2 * dim + 2 * dim * dim + 2 * kv_dim * dim + 3 * hidden * dim) + dim +
              seq * head_dim)
    weights = (0.1 * np.random.default_rng(8).standard_normal(floats)).astype("<f4")
    if nan:
        weights[3] = np.nan
    return struct.pack("<7i", dim, hidden, layers, heads, kv_heads, vocab, seq) + weights.tobytes()


sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import gguf_reference  # noqa: E402 (the independent GGUF writer of the GGUF tests)


def gguf_retyped(type_number):
    """A one-tensor GGUF whose Q8_0 tensor claims ggml type `type_number`."""
    data = bytearray(gguf_reference.gguf_bytes(3, [], [("t", "Q8_0", [32], gguf_reference.quantise(
        "Q8_0", np.ones(32, np.float32)))]))
    struct.pack_into("<I", data, 24 + 8 + 1 + 4 + 8, type_number)
    return bytes(data)


def gguf_ragged():
    raw = gguf_reference.quantise("Q8_0", np.arange(64, dtype=np.float32))
    return gguf_reference.gguf_bytes(3, [], [("w", "Q8_0", [40, 1], raw)])


def npz(compressed=False, **arrays):
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def zip_of(members, method=0):
    """A zip built by Python's zipfile with free member names (method 0 stored, 8 deflate, 12 bzip2)."""
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = method
            archive.writestr(info, data)
    return buffer.getvalue()


def flip_data_byte(archive):
    """A stored archive with one byte of its first member's array data changed: its CRC no longer matches."""
    data = bytearray(archive)
    data[archive.index(b"\x93NUMPY") + 130] ^= 0xFF
    return bytes(data)


def declare_size(archive, size):
    """The archive with its first member's uncompressed size set to `size` in the local and central headers."""
    data = bytearray(archive)
    struct.pack_into("<I", data, 22, size)
    struct.pack_into("<I", data, data.index(b"PK\x01\x02") + 24, size)
    return bytes(data)


GOOD_Q = npy(np.array([[1, 0, 0], [0, 1, 0]], dtype="<f4"))
GOOD_K = npy(np.array([[1, 0, 0], [0, 0, 1], [1, 1, 1]], dtype="<f4"))


def write(folder, name, data):
    path = os.path.join(folder, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as out:
        out.write(data)


# Case id -> {file name: bytes, or None for a folder}. Every case also gets q.npy and k.npy (valid inputs).
CASES = {
    "npy-missing": {},
    "npy-empty": {"x.npy": b""},
    "npy-directory": {"x.npy": None},
    "npy-inside-file": {"file": b"not a folder"},
    "npy-unreadable": {"x.npy": GOOD_Q},
    "npy-wrong-magic": {"x.npy": b"PK\x03\x04" + GOOD_Q[4:]},
    "npy-version": {"x.npy": GOOD_Q[:6] + b"\x07\x00" + GOOD_Q[8:]},
    "npy-truncated-header": {"x.npy": GOOD_Q[:30]},
    "npy-truncated-data": {"x.npy": GOOD_Q[:-5]},
    "npy-header-lies": {"x.npy": npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (300, 3), }",
                                                 b"\x00" * 24)},
    "npy-terabytes": {"x.npy": npy_with_header(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }", b"")},
    "npy-overflow": {"x.npy": npy_with_header(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }", b"")},
    "npy-trailing": {"x.npy": GOOD_Q + b"\x00\x00\x00\x00"},
    "npy-malformed-dict": {"x.npy": npy_with_header("{'descr': '<f4', 'shape': (2, 3)", b"\x00" * 24)},
    "npy-dtype": {"x.npy": npy(np.arange(6, dtype="<i8").reshape(2, 3))},
    "npy-fortran": {"x.npy": npy(np.asfortranarray(np.ones((2, 3), dtype="<f4")))},
    "npy-1d": {"x.npy": npy(np.ones(3, dtype="<f4"))},
    "npy-3d": {"x.npy": npy(np.ones((1, 2, 3), dtype="<f4"))},
    "npy-no-rows": {"x.npy": npy(np.ones((0, 3), dtype="<f4"))},
    "npy-nan": {"x.npy": npy(np.array([[1, 0, 0], [0, np.nan, 0]], dtype="<f4"))},
    "npy-inf": {"x.npy": npy(np.array([[1, 0, -np.inf]], dtype="<f4"))},
    "npy-f64-overflow": {"x.npy": npy(np.array([[1e300, 0, 0]], dtype="<f8"))},
    "npy-dimension-mismatch": {"x.npy": npy(np.ones((2, 4), dtype="<f4"))},
    "npy-budget": {"x.npy": npy(np.ones((600, 600), dtype="<f4"))},
    "npz-empty": {"x.npz": b""},
    "npz-not-zip": {"x.npz": GOOD_Q},
    "npz-truncated": {"x.npz": npz(q=np.ones((2, 3), "<f4"))[:-10]},
    "npz-no-arrays": {"x.npz": zip_of([])},
    "npz-member-not-npy": {"x.npz": zip_of([("notes.txt", b"hello")])},
    "npz-member-truncated": {"x.npz": zip_of([("q.npy", GOOD_Q[:-5])])},
    "npz-crc": {"x.npz": flip_data_byte(npz(q=np.ones((2, 3), "<f4")))},
    "npz-bzip2": {"x.npz": zip_of([("q.npy", GOOD_Q)], method=12)},
    "npz-duplicate": {"x.npz": zip_of([("q.npy", GOOD_Q), ("q.npy", GOOD_Q)])},
    "npz-ambiguous": {"x.npz": npz(a=np.ones((2, 3), "<f4"), b=np.ones((2, 3), "<f4"))},
    "npz-no-such-member": {"x.npz": npz(q=np.ones((2, 3), "<f4"), k=np.ones((3, 3), "<f4"))},
    "npz-1d": {"x.npz": npz(q=np.ones(3, "<f4"), k=np.ones((3, 3), "<f4"))},
    "npz-nan": {"x.npz": npz(True, q=np.array([[1, 0, 0], [0, np.nan, 0]], "<f4"), k=np.ones((3, 3), "<f4"))},
    "npz-declared-size-stored": {"x.npz": declare_size(zip_of([("q.npy", GOOD_Q)]), 100 << 20)},
    "npz-declared-size-deflated": {"x.npz": declare_size(zip_of([("q.npy", GOOD_Q)], method=8), 100 << 20)},
    "npz-declared-budget": {"x.npz": npz(True, q=np.zeros((600, 600), "<f4"))},
    "weights-budget": {"big.npy": npy(np.ones((600, 3), dtype="<f4"))},
    "weights-out-inside-file": {"file": b"not a folder"},
    "divergence-nan": {"x.npy": npy(np.array([[np.nan, 0, 0]], dtype="<f4"))},
    "divergence-dimension-mismatch": {"x.npy": npy(np.ones((2, 4), dtype="<f4"))},
    "divergence-budget": {"big.npy": npy(np.random.default_rng(9).standard_normal((600, 3)).astype("<f4"))},
    "bench-terabytes": {},
    "export-budget": {},
    "scene-dimension-lies": {"x.json": b'{"format":"attnscope-scene","version":1,"dimension":2000000000,'
                                       b'"queries":[],"keys":[5]}'},
    "scene-unknown-kernel": {"x.json": b'{"format":"attnscope-scene","version":1,"dimension":2,"queries":[[1,0]],'
                                       b'"keys":[[0,1]],"display":{"kernels":["dpa","softmax"]}}'},
    "train-data-float": {"x.npy": npy(np.arange(6, dtype="<f4").reshape(2, 3))},
    "train-data-vocab": {"x.npy": npy(np.arange(6, dtype="<i8").reshape(2, 3))},
    "train-data-truncated": {"x.npy": npy_with_header("{'descr': '<i4', 'fortran_order': False, 'shape': (1000000, 65), }",
                                                      b"")},
    "train-budget": {},
    "train-diverged": {},
    "train-workspace-budget": {},
    "ladder-symbols": {},
    "ladder-context": {},
    "model-missing": {},
    "model-empty-folder": {"m": None},
    "model-empty-file": {"m.bin": b""},
    "llama2c-truncated": {"m.bin": llama2c()[:-4]},
    "llama2c-oversized": {"m.bin": llama2c() + b"\x00" * 8},
    "llama2c-bad-header": {"m.bin": struct.pack("<7i", 8, 16, 1, 3, 1, 16, 8) + b"\x00" * 64},
    "llama2c-terabytes": {"m.bin": struct.pack("<7i", 1 << 20, 1 << 22, 1 << 10, 8, 8, 1 << 20, 1 << 20)},
    "llama2c-nan": {"m.bin": llama2c(nan=True)},
    "llama2c-kv-budget": {"m.bin": llama2c(seq=1 << 20, dim=8, heads=2)},
    "gguf-empty": {"m.gguf": b""},
    "gguf-magic": {"m.gguf": b"GGML" + gguf_reference.tiny_llama()[4:]},
    "gguf-version": {"m.gguf": b"GGUF" + struct.pack("<I", 4) + gguf_reference.tiny_llama()[8:]},
    "gguf-truncated-header": {"m.gguf": gguf_reference.tiny_llama()[:300]},
    "gguf-truncated-data": {"m.gguf": gguf_reference.tiny_llama()[:-40]},
    "gguf-key-count": {"m.gguf": gguf_reference.tiny_llama()[:16] + struct.pack("<Q", 1 << 60) +
                       gguf_reference.tiny_llama()[24:]},
    "gguf-string-length": {"m.gguf": gguf_reference.tiny_llama()[:24] + struct.pack("<Q", 1 << 40) +
                           gguf_reference.tiny_llama()[32:]},
    "gguf-type-unsupported": {"m.gguf": gguf_retyped(10)},
    "gguf-type-unknown": {"m.gguf": gguf_retyped(99)},
    "gguf-ragged-rows": {"m.gguf": gguf_ragged()},
    "gguf-architecture": {"m.gguf": gguf_reference.tiny_llama(
        metadata=[("general.architecture", gguf_reference.STRING, "rwkv")] + gguf_reference.tiny_llama_metadata()[1:])},
    "gguf-olmo3-window": {"m.gguf": gguf_reference.tiny_llama_family(
        "olmo2", [("olmo2.attention.sliding_window", gguf_reference.UINT32, 4)])},
    "gguf-missing-tensor": {"m.gguf": gguf_reference.tiny_llama(drop="blk.0.ffn_up.weight")},
    "gguf-nan": {"m.gguf": gguf_reference.tiny_llama(nan_at=("blk.0.attn_q.weight", 5))},
    "gguf-budget": {"m.gguf": gguf_reference.tiny_llama(kind="Q4_0", vocab=16384)},
    "tokenizer-truncated": {"m.bin": llama2c(), "tok.bin": struct.pack("<i", 8) + struct.pack("<fi", 0.0, 5) + b"ab"},
    "spm-tokenizer-merge": {"c.safetensors": capture(), "t.json": json.dumps(
        {"model": {"type": "BPE", "byte_fallback": True, "vocab": {"<unk>": 0, "\u2581": 1}, "merges": ["a b"]}}).encode()},
    "spm-tokenizer-normalizer": {"c.safetensors": capture(), "t.json": json.dumps(
        {"normalizer": {"type": "Replace", "pattern": {"Regex": " +"}, "content": "\u2581"},
         "model": {"type": "BPE", "byte_fallback": True, "vocab": {"<unk>": 0}, "merges": []}}).encode()},
    "gguf-tokenizer-missing": {"c.safetensors": capture(), "v.gguf": gguf_bytes([("general.name", "str", "x")])},
    "gguf-tokenizer-short-scores": {"c.safetensors": capture(), "v.gguf": gguf_bytes([
        ("tokenizer.ggml.model", "str", "llama"), ("tokenizer.ggml.tokens", ("arr", "str"), ["<unk>", "a", "b"]),
        ("tokenizer.ggml.scores", ("arr", "f32"), [0.0, -1.0])])},
    "gguf-tokenizer-bos": {"c.safetensors": capture(), "v.gguf": gguf_bytes([
        ("tokenizer.ggml.model", "str", "llama"), ("tokenizer.ggml.tokens", ("arr", "str"), ["<unk>", "a"]),
        ("tokenizer.ggml.scores", ("arr", "f32"), [0.0, -1.0]), ("tokenizer.ggml.bos_token_id", "u32", 4000)])},
    "gguf-tokenizer-huge": {"c.safetensors": capture(), "v.gguf": gguf_bytes([
        ("tokenizer.ggml.model", "str", "llama"), ("tokenizer.ggml.tokens", ("arr", "str"), ["a"])])[:-17] +
        struct.pack("<Q", 1 << 40) + struct.pack("<Q", 1) + b"a"},
    "hf-config-missing": {"m/model.safetensors": safetensors([("x", np.ones(2))])},
    "hf-config-malformed": {"m/config.json": b'{"architectures": ["LlamaForCausalLM"], ',
                            "m/model.safetensors": safetensors([("x", np.ones(2))])},
    "hf-architecture": {"m/config.json": b'{"architectures": ["T5ForConditionalGeneration"]}',
                        "m/model.safetensors": safetensors([("x", np.ones(2))])},
    "hf-gemma3-multimodal": {"m/config.json": b'{"architectures": ["Gemma3ForConditionalGeneration"], '
                                              b'"model_type": "gemma3", "text_config": {}}',
                             "m/model.safetensors": safetensors([("x", np.ones(2))])},
    "capture-header-past-end": {"c.safetensors": struct.pack("<Q", 1 << 40) + b"{}"},
    "capture-not-json": {"c.safetensors": struct.pack("<Q", 8) + b"{nope!!}"},
    "capture-offsets-past-end": {"c.safetensors": capture(lambda h: h["q"].update(data_offsets=[0, 1 << 30]))},
    "capture-shape-mismatch": {"c.safetensors": capture(lambda h: h["q"].update(shape=[1, 1, 3, 2]))},
    "capture-dtype": {"c.safetensors": capture(lambda h: h["q"].update(dtype="I32"))},
    "capture-nan": {"c.safetensors": capture(values=lambda q, k, a: q.__setitem__((0, 0, 1, 1), np.nan))},
    "capture-token-count": {"c.safetensors": capture(lambda h: h["__metadata__"].update(token_ids="[3,4,5]"))},
    "capture-truncated": {"c.safetensors": capture()[:-6]},
    "capture-budget": {"c.safetensors": capture(tokens=300, heads=4)},
    "capture-too-long": {"c.safetensors": capture_without_attention(tokens=131073)},
    "capture-k-shape": {"c.safetensors": capture_without_attention(tokens=2, q_tokens=3)},
    "map-head-missing": {"c.safetensors": capture_without_attention()},
    "map-head-budget": {"c.safetensors": capture_without_attention(tokens=70000)},
    "longmap-head-missing": {"c.safetensors": capture_without_attention()},
    "longmap-head-budget": {"c.safetensors": capture_without_attention(tokens=70000)},
    "map-region-empty": {"c.safetensors": capture_without_attention()},
    "map-out-extension": {"c.safetensors": capture_without_attention()},
}


# What the app opens for a row: the case's first file (its top folder for a Hugging Face folder), unless named here.
APP_INPUT = {"model-missing": "nothing.bin"}


def app_input(case):
    if case in APP_INPUT:
        return APP_INPUT[case]
    return next(iter(CASES[case])).split("/")[0]


def make_case(case, folder):
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    write(folder, "q.npy", GOOD_Q)
    write(folder, "k.npy", GOOD_K)
    for name, data in CASES[case].items():
        if data is None:
            os.makedirs(os.path.join(folder, name))
        else:
            write(folder, name, data)
    if case == "npy-unreadable":
        os.chmod(os.path.join(folder, "x.npy"), 0)


def read_table():
    """Rows of the table: (id, command, environment, exit code, message)."""
    rows = []
    with open(TABLE, encoding="utf-8") as table:
        for line in table:
            if not line.startswith("| `"):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            if len(cells) != 7:
                raise SystemExit(f"bad_inputs.md: expected 7 cells, got {len(cells)}: {line}")
            case, _what, command, env, code, message, app = (c.strip("`") for c in cells)
            rows.append((case, command, env, int(code), message.replace("\\|", "|"), app.replace("\\|", "|")))
    return rows


def write_app_cases(work):
    """Inputs of the rows the app opens, and the manifest the app test reads (tab-separated, one row per line)."""
    lines = []
    for case, _command, env, _code, _message, app in read_table():
        if app == "-" or case not in CASES:
            continue
        make_case(case, os.path.join(work, case))
        lines.append("\t".join([case, os.path.join(work, case, app_input(case)), env, app]))
    with open(os.path.join(work, "app_cases.tsv"), "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    print(f"{len(lines)} app cases written to {work}")
    return 0


def main():
    if sys.argv[1] == "--app-cases":
        return write_app_cases(sys.argv[2])
    binary, work = sys.argv[1], sys.argv[2]
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    show = "--print" in sys.argv
    rows = read_table()
    ids = [r[0] for r in rows]
    problems = [f"case {c} has no row in bad_inputs.md" for c in CASES if c not in ids]
    problems += [f"row {c} has no case in bad_inputs.py" for c in ids if c not in CASES]
    problems += [f"row {c} appears twice" for c in set(ids) if ids.count(c) > 1]
    root = os.geteuid() == 0
    checked = 0
    for case, command, env, code, message, _app in rows:
        if only and case != only or case not in CASES:
            continue
        if case == "npy-unreadable" and root:
            print(f"skip {case}: running as root, where permissions do not stop reads (npy-inside-file covers it)")
            continue
        folder = os.path.join(work, case)
        make_case(case, folder)
        environment = dict(os.environ)
        environment.pop("ATTNSCOPE_MEMORY_BUDGET_MB", None)
        if env != "-":
            key, value = env.split("=", 1)
            environment[key] = value
        argv = [binary] + shlex.split(command)[1:]
        result = subprocess.run(argv, cwd=folder, env=environment, capture_output=True, text=True, timeout=120)
        said = result.stderr.strip()
        prefix = "attnscope: error: "
        if show:
            print(f"{case}\t{result.returncode}\t{said[len(prefix):] if said.startswith(prefix) else said}")
            continue
        checked += 1
        if result.returncode != code:
            problems.append(f"{case}: exit code {result.returncode}, expected {code}; stderr: {said}")
        elif said != prefix + message:
            problems.append(f"{case}: message differs\n  expected: {prefix + message}\n  got:      {said}")
        if result.returncode < 0 or "Sanitizer" in result.stderr:
            problems.append(f"{case}: crashed (signal {-result.returncode}): {result.stderr[-2000:]}")
    for problem in problems:
        print("FAIL " + problem)
    if not show:
        print(f"{checked} rows checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
