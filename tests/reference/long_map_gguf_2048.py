#!/usr/bin/python3
"""A real 2,048-token capture without attention: stories260K's GGUF (context 2048) run on 2,048 seeded token ids with
`model capture --no-attention`, then `attnscope map` tiles and overviews of several heads against the core's dense
kernel (`attnscope weights --causal` on the same q and k, float32: equal to 1e-6 relative) and against NumPy in double
precision (5e-5 relative: the float32 scores' own rounding, which the dense kernel shares), and `attnscope export --capture` of the long map view.

    long_map_gguf_2048.py ATTNSCOPE WORKDIR MODELS_DIR
"""
import os
import shutil
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from write_capture import read_safetensors  # noqa: E402

BINARY, WORK, MODELS = sys.argv[1], sys.argv[2], sys.argv[3]
TOKENS = 2048
problems = []
started = time.monotonic()


def run(*args):
    result = subprocess.run([BINARY, *args], cwd=WORK, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "DISPLAY": ""})
    if result.returncode != 0:
        raise SystemExit(f"attnscope {' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return result


def check(name, actual, expected, rtol, atol=1e-12):
    if actual.shape != expected.shape:
        problems.append(f"{name}: shape {actual.shape}, expected {expected.shape}")
        return
    excess = np.abs(actual - expected) - (rtol * np.abs(expected) + atol)
    if excess.max() > 0:
        where = np.unravel_index(np.argmax(excess), excess.shape)
        problems.append(f"{name}: at {where} attnscope map {actual[where]:.9g}, reference {expected[where]:.9g} "
                        f"(rtol {rtol})")
    else:
        print(f"ok  {name}: max relative difference "
              f"{(np.abs(actual - expected) / np.maximum(np.abs(expected), 1e-30)).max():.3g}")


def softmax_map(q, k):
    logits = (q.astype(np.float64) @ k.astype(np.float64).T) / np.sqrt(q.shape[1])
    logits[np.triu_indices(len(q), 1, len(k))] = -np.inf
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    return weights / weights.sum(axis=1, keepdims=True)


model = os.path.join(MODELS, "gguf", "stories260K.gguf")
if not os.path.isfile(model):
    raise SystemExit(f"{model} not found: the real-capture test needs the shared models folder "
                     "(see /work/shared/models/PROVENANCE.md)")
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)

# BOS, then seeded ids from the 512-entry vocabulary (3.. skips the control tokens): the model's full context.
rng = np.random.default_rng(2048)
ids = [1] + [int(x) for x in rng.integers(3, 512, TOKENS - 1)]
run("model", "capture", model, "--token-ids", ",".join(map(str, ids)), "--out", "qk2048.safetensors", "--no-attention")
tensors, meta = read_safetensors(os.path.join(WORK, "qk2048.safetensors"))
if "attn" in tensors:
    problems.append(f"--no-attention capture holds {sorted(tensors)}")
q_all, k_all = tensors["q"], tensors["k"]
if q_all.shape[2] != TOKENS:
    problems.append(f"capture holds {q_all.shape[2]} tokens, expected {TOKENS}")
print(f"capture: q {q_all.shape}, causal {meta.get('causal')}")

for layer, head in [(0, 0), (2, 5), (4, 7)]:
    q, k = q_all[layer, head], k_all[layer, head]
    np.save(os.path.join(WORK, "q.npy"), q)
    np.save(os.path.join(WORK, "k.npy"), k)
    run("weights", "--kernel", "dpa", "--q", "q.npy", "--k", "k.npy", "--causal", "--out", "dense.npy")
    dense = np.load(os.path.join(WORK, "dense.npy")).astype(np.float64)
    reference = softmax_map(q, k)
    # The whole map fits --size 2048: written cell for cell (exact weights), as tiles of the streamed engine.
    run("map", "--capture", "qk2048.safetensors", "--layer", str(layer), "--head", str(head), "--size", "2048",
        "--out", "full.npy")
    full = np.load(os.path.join(WORK, "full.npy")).astype(np.float64)
    check(f"layer {layer} head {head}: streamed map vs the core's dense kernel", full, dense, 1e-6)
    check(f"layer {layer} head {head}: streamed map vs NumPy float64", full, reference, 5e-5, 1e-9)
    check(f"layer {layer} head {head}: dense kernel vs NumPy float64 (the float32 rounding both share)", dense,
          reference, 5e-5, 1e-9)
    # A zoomed tile away from the origin.
    run("map", "--capture", "qk2048.safetensors", "--layer", str(layer), "--head", str(head), "--rows", "1500:1800",
        "--cols", "1200:1700", "--out", "tile.npy")
    tile = np.load(os.path.join(WORK, "tile.npy")).astype(np.float64)
    check(f"layer {layer} head {head}: tile 1500:1800 x 1200:1700 vs dense", tile, dense[1500:1800, 1200:1700], 1e-6)

# The long map view of the same capture through the export path (a 2,048-token capture would otherwise open dense).
run("export", "--capture", "qk2048.safetensors", "--layer", "2", "--head", "5", "--out", "longmap.png",
    "--width", "1200", "--height", "700")
with open(os.path.join(WORK, "longmap.png"), "rb") as png:
    if png.read(8) != b"\x89PNG\r\n\x1a\n":
        problems.append("export --capture did not write a PNG")

elapsed = time.monotonic() - started
print(f"took {elapsed:.1f} s")
if problems:
    print("\n".join("FAIL " + p for p in problems))
    sys.exit(1)
print("all checks passed")
