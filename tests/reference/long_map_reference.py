#!/usr/bin/python3
"""`attnscope map` against NumPy (float64): exact tiles, pooled overviews and long-range statistics of a seeded
capture without attention, and the map of a real stories260K capture without attention against the attention the
model itself stored in a full capture.

    long_map_reference.py ATTNSCOPE WORKDIR MODELS_DIR
"""
import os
import re
import shutil
import struct
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from write_capture import read_safetensors, write_capture  # noqa: E402

BINARY, WORK, MODELS = sys.argv[1], sys.argv[2], sys.argv[3]
problems = []


def run(*args, env=None):
    result = subprocess.run([BINARY, *args], cwd=WORK, capture_output=True, text=True, timeout=600,
                            env={**os.environ, **(env or {})})
    if result.returncode != 0:
        raise SystemExit(f"attnscope {' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return result


def check(name, actual, expected, rtol=1e-5, atol=1e-9):
    if actual.shape != expected.shape:
        problems.append(f"{name}: shape {actual.shape}, expected {expected.shape}")
        return
    error = np.abs(actual - expected) - (rtol * np.abs(expected) + atol)
    if error.max() > 0:
        where = np.unravel_index(np.argmax(error), error.shape)
        problems.append(f"{name}: at {where} attnscope {actual[where]:.9g}, NumPy {expected[where]:.9g}")
    else:
        print(f"ok  {name}: max |difference| {np.abs(actual - expected).max():.3g}")


def softmax_map(q, k, causal=True):
    logits = (q.astype(np.float64) @ k.astype(np.float64).T) / np.sqrt(q.shape[1])
    if causal:
        logits[np.triu_indices(len(q), 1, len(k))] = -np.inf
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    return weights / weights.sum(axis=1, keepdims=True)


def expressive_map(q, k, causal=True):
    x = (q.astype(np.float64) @ k.astype(np.float64).T) / np.sqrt(q.shape[1])
    f = x * x / (1.0 + x * x)
    if causal:
        f[np.triu_indices(len(q), 1, len(k))] = 0.0
    return f / f.sum(axis=1, keepdims=True)


def pool(weights, pixels, how):
    rows, cols = weights.shape
    p, q = min(pixels, rows), min(pixels, cols)
    out = np.zeros((p, q))
    for a in range(p):
        for b in range(q):
            cells = weights[a * rows // p:(a + 1) * rows // p, b * cols // q:(b + 1) * cols // q]
            out[a, b] = {"max": cells.max(), "mean": cells.mean(), "sum": cells.sum()}[how]
    return out


def statistics(weights, sink_tokens=1, threshold=0.3, window=64):
    n = len(weights)
    distance = np.arange(n)[:, None] - np.arange(weights.shape[1])[None, :]
    sink = weights[:, :sink_tokens].sum(axis=1)
    bins = np.zeros(int(n - 1).bit_length() + 1)
    index = np.where(distance > 0, np.floor(np.log2(np.maximum(distance, 1))).astype(int) + 1, 0)
    np.add.at(bins, index[distance >= 0], weights[distance >= 0])
    recent = weights[(distance >= 0) & (distance < window)].sum()
    return {"sink rate": (sink >= threshold).mean(), "mean sink mass": sink.mean(), "recent share": recent / n,
            "bins": bins / n}


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)

# A seeded capture without attention: 2 layers x 2 heads x 3000 tokens, head dim 16; head (1, 0) gets a sink at
# key 0 so the statistics are not trivial.
rng = np.random.default_rng(2026)
tokens, dim = 3000, 16
q = rng.standard_normal((2, 2, tokens, dim)).astype(np.float32)
k = rng.standard_normal((2, 2, tokens, dim)).astype(np.float32)
q[1, 0, :, 0] += 2.0
k[1, 0, 0, 0] = 16.0
write_capture(os.path.join(WORK, "synthetic.safetensors"), q, k, None, [f"t{i}" for i in range(tokens)],
              list(range(tokens)))
reference = softmax_map(q[1, 0], k[1, 0])

run("map", "--capture", "synthetic.safetensors", "--layer", "1", "--head", "0", "--size", "4096", "--out", "all.npy")
check("whole 3000 x 3000 map, exact", np.load(os.path.join(WORK, "all.npy")), reference)

result = run("map", "--capture", "synthetic.safetensors", "--layer", "1", "--head", "0", "--rows", "2900:3500",
             "--cols", "10:500", "--out", "zoom.npy")
check("zoom past the bottom edge, clamped", np.load(os.path.join(WORK, "zoom.npy")), reference[2900:3000, 10:500])
if "clamped to the map's rows 2900:3000, columns 10:500" not in result.stderr:
    problems.append(f"zoom past the edge: no clamping note on stderr: {result.stderr!r}")

for how in ("max", "mean", "sum"):
    run("map", "--capture", "synthetic.safetensors", "--layer", "1", "--head", "0", "--size", "100", "--pool", how,
        "--out", f"pool_{how}.npy")
    check(f"100 x 100 {how}-pooled overview", np.load(os.path.join(WORK, f"pool_{how}.npy")), pool(reference, 100, how),
          rtol=1e-5 if how == "max" else 2e-5)

run("map", "--capture", "synthetic.safetensors", "--layer", "0", "--head", "1", "--kernel", "ea", "--rows", "0:700",
    "--cols", "0:700", "--out", "ea.npy")
check("EA tile", np.load(os.path.join(WORK, "ea.npy")), expressive_map(q[0, 1], k[0, 1])[:700, :700])

# Every kernel side by side: a kernels x rows x cols array in kAllKernels order (dpa, ea, ...).
run("map", "--capture", "synthetic.safetensors", "--layer", "0", "--head", "1", "--kernel", "all", "--rows", "2500:2600",
    "--cols", "0:3000", "--size", "4096", "--out", "every.npy")
every = np.load(os.path.join(WORK, "every.npy"))
if every.shape != (7, 100, 3000):
    problems.append(f"--kernel all: shape {every.shape}, expected (7, 100, 3000)")
else:
    check("--kernel all: DPA slice", every[0], softmax_map(q[0, 1], k[0, 1])[2500:2600])
    check("--kernel all: EA slice", every[1], expressive_map(q[0, 1], k[0, 1])[2500:2600])
    check("--kernel all: every kernel's rows sum to 1", every.sum(axis=2), np.ones((7, 100)), rtol=1e-5)

# PNG: the 3000-token map is larger than the default --size 1024, so it is written as a 1024 x 1024 overview.
run("map", "--capture", "synthetic.safetensors", "--layer", "1", "--head", "0", "--log", "--out", "map.png")
with open(os.path.join(WORK, "map.png"), "rb") as png:
    head = png.read(24)
if head[:8] != b"\x89PNG\r\n\x1a\n" or struct.unpack(">II", head[16:24]) != (1024, 1024):
    problems.append(f"map.png: not a 1024 x 1024 PNG (header {head!r})")

# Statistics printed by --stats against NumPy.
text = run("map", "--capture", "synthetic.safetensors", "--layer", "1", "--head", "0", "--stats").stdout
expected = statistics(reference)
for label in ("sink rate", "mean sink mass", "recent share"):
    value = float(re.search(label + r":\s+([0-9.]+)", text).group(1))
    if abs(value - expected[label]) > 1e-4:
        problems.append(f"--stats {label}: {value}, NumPy {expected[label]:.6f}")
bins = [float(v) for v in re.findall(r"^\s+\d+ \.\. \d+\s+([0-9.]+)$", text, re.M)]
if len(bins) != len(expected["bins"]) or np.abs(np.array(bins) - expected["bins"]).max() > 1e-4:
    problems.append(f"--stats histogram {bins}, NumPy {np.round(expected['bins'], 4).tolist()}")
if not 0.05 < expected["sink rate"] < 0.95:
    problems.append(f"the planted sink should make some rows sinks, NumPy says {expected['sink rate']}")
print(f"ok  --stats: sink rate {expected['sink rate']:.4f}, recent share {expected['recent share']:.4f}")

# A real capture: stories260K (context 512) with and without attention. The streamed DPA map of the q/k-only file
# equals the attention the model stored, for every head checked.
model = os.path.join(MODELS, "stories260K.bin")
if not os.path.exists(model):
    raise SystemExit(f"missing model file {model} (set ATTNSCOPE_MODELS_DIR to the folder of the shared model files)")
ids = ",".join(str(1 + (i * 37) % 500) for i in range(512))
run("model", "capture", model, "--token-ids", ids, "--out", "full.safetensors")
run("model", "capture", model, "--token-ids", ids, "--out", "qk.safetensors", "--no-attention")
stored, _ = read_safetensors(os.path.join(WORK, "full.safetensors"))
qk, metadata = read_safetensors(os.path.join(WORK, "qk.safetensors"))
if "attn" in qk or sorted(qk) != ["k", "k_prerope", "logits", "q", "q_prerope"]:
    problems.append(f"--no-attention capture holds {sorted(qk)}")
for layer, head in ((0, 0), (2, 5), (4, 7)):
    run("map", "--capture", "qk.safetensors", "--layer", str(layer), "--head", str(head), "--size", "512", "--out",
        "real.npy")
    check(f"stories260K layer {layer} head {head}: streamed map vs the model's stored attention",
          np.load(os.path.join(WORK, "real.npy")), stored["attn"][layer, head], rtol=0, atol=5e-6)

if problems:
    print("\n".join("FAIL " + p for p in problems))
    sys.exit(1)
print("all attnscope map checks passed")
