#!/usr/bin/python3
"""Times one AdamW training step of attnscope's transformer (`attnscope bench --train`) and of the same model in
PyTorch (eager, batched, autograd), side by side; prints JSON lines and a Markdown table.

Usage: train_bench.py ATTNSCOPE_BINARY [--kernels dpa,ea,mgk] [--repeat 10] [--threads 1] [--rounds 3]
       [--layers 2 --heads 4 --dim 64 --context 64 --batch 32 --vocab 32]

The model is the issue's benchmark model (2 layers, 4 heads, d = 64, context 64, batch 32, vocabulary 32): GPT-2
shape, tied output, gelu_new, causal attention with the chosen kernel (MGK: 2 shifted components, sigma^2 =
sqrt(d_head)), cross-entropy on uniform random tokens, clip 1, AdamW. Both sides run with the same thread count;
PyTorch runs in a child process without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (TOOLCHAIN.md). Rounds alternate the
two, so load from other processes hits both alike; the best median of the rounds is reported for each.
"""
import argparse
import json
import math
import os
import subprocess
import sys


def torch_worker(a):
    import statistics
    import time
    import torch
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    L, H, d, T, B, V, R = a.layers, a.heads, a.dim, a.context, a.batch, a.vocab, 2
    hd = d // H
    p = {"wte": torch.randn(V, d) * 0.02, "wpe": torch.randn(T, d) * 0.02, "lnf_w": torch.ones(d), "lnf_b": torch.zeros(d)}
    for l in range(L):
        p.update({f"{l}.ln1_w": torch.ones(d), f"{l}.ln1_b": torch.zeros(d), f"{l}.attn_w": torch.randn(d, 3 * d) * 0.02,
                  f"{l}.attn_b": torch.zeros(3 * d), f"{l}.proj_w": torch.randn(d, d) * 0.02, f"{l}.proj_b": torch.zeros(d),
                  f"{l}.ln2_w": torch.ones(d), f"{l}.ln2_b": torch.zeros(d), f"{l}.fc_w": torch.randn(d, 4 * d) * 0.02,
                  f"{l}.fc_b": torch.zeros(4 * d), f"{l}.out_w": torch.randn(4 * d, d) * 0.02, f"{l}.out_b": torch.zeros(d),
                  f"{l}.shifts": torch.randn(H, R, hd) / math.sqrt(hd), f"{l}.priors": torch.full((H, R), 1.0 / R)})
    for t in p.values():
        t.requires_grad_(True)
    opt = torch.optim.AdamW(p.values(), lr=1e-3, weight_decay=0.0)
    x_ids = torch.randint(0, V, (B, T))
    y_ids = torch.randint(0, V, (B, T))
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))

    def attention(q, k, l):  # q, k: B x H x T x hd
        if a.kernel == "dpa":
            s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
            return torch.softmax(s.masked_fill(~mask, float("-inf")), -1)
        if a.kernel == "ea":
            x = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
            f = (x * x / (1 + x * x)) * mask
            return f / f.sum(-1, keepdim=True)
        var = math.sqrt(hd)
        logs = []
        for r in range(R):
            kr = k + p[f"{l}.shifts"][None, :, r, None, :]
            dist = (q * q).sum(-1, keepdim=True) + (kr * kr).sum(-1)[..., None, :] - 2 * q @ kr.transpose(-1, -2)
            logs.append(torch.log(p[f"{l}.priors"][None, :, r, None, None].clamp(0, 1)) - dist / (2 * var))
        s = torch.logsumexp(torch.stack(logs), 0)
        return torch.softmax(s.masked_fill(~mask, float("-inf")), -1)

    def step():
        x = p["wte"][x_ids] + p["wpe"][None]
        for l in range(L):
            h = torch.nn.functional.layer_norm(x, (d,), p[f"{l}.ln1_w"], p[f"{l}.ln1_b"])
            q, k, v = (h @ p[f"{l}.attn_w"] + p[f"{l}.attn_b"]).split(d, -1)
            q, k, v = (t.view(B, T, H, hd).transpose(1, 2) for t in (q, k, v))
            o = (attention(q, k, l) @ v).transpose(1, 2).reshape(B, T, d)
            x = x + o @ p[f"{l}.proj_w"] + p[f"{l}.proj_b"]
            h = torch.nn.functional.layer_norm(x, (d,), p[f"{l}.ln2_w"], p[f"{l}.ln2_b"])
            h = torch.nn.functional.gelu(h @ p[f"{l}.fc_w"] + p[f"{l}.fc_b"], approximate="tanh")
            x = x + h @ p[f"{l}.out_w"] + p[f"{l}.out_b"]
        x = torch.nn.functional.layer_norm(x, (d,), p["lnf_w"], p["lnf_b"])
        loss = torch.nn.functional.cross_entropy((x @ p["wte"].T).view(B * T, V), y_ids.view(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(p.values(), 1.0)
        opt.step()

    step()
    times = []
    for _ in range(a.repeat):
        start = time.perf_counter()
        step()
        times.append(1e3 * (time.perf_counter() - start))
    print(json.dumps({"median_ms": statistics.median(times), "min_ms": min(times)}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary", nargs="?")
    parser.add_argument("--kernels", default="dpa,ea,mgk")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    for name, default in (("layers", 2), ("heads", 4), ("dim", 64), ("context", 64), ("batch", 32), ("vocab", 32)):
        parser.add_argument("--" + name, type=int, default=default)
    parser.add_argument("--torch-worker", action="store_true")
    parser.add_argument("--kernel", default="dpa")
    a = parser.parse_args()
    if a.torch_worker:
        torch_worker(a)
        return 0
    sizes = ["--layers", str(a.layers), "--heads", str(a.heads), "--dim", str(a.dim), "--context", str(a.context),
             "--vocab", str(a.vocab)]
    torch_env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    ours_env = dict(os.environ, OMP_NUM_THREADS=str(a.threads))
    rows = []
    for kernel in a.kernels.split(","):
        ours, theirs = [], []
        for _ in range(a.rounds):
            out = subprocess.run([a.binary, "bench", "--train", "--kernel", kernel, "--batch", str(a.batch),
                                  "--repeat", str(a.repeat)] + sizes, env=ours_env, check=True,
                                 capture_output=True, text=True).stdout
            ours.append(json.loads(out)["median_ms"])
            out = subprocess.run([sys.executable, __file__, "--torch-worker", "--kernel", kernel, "--repeat",
                                  str(a.repeat), "--threads", str(a.threads), "--batch", str(a.batch)] +
                                 [x for x in sizes], env=torch_env, check=True, capture_output=True, text=True).stdout
            theirs.append(json.loads(out)["median_ms"])
        row = {"kernel": kernel, "attnscope_ms": min(ours), "torch_ms": min(theirs),
               "ratio": min(ours) / min(theirs), "threads": a.threads}
        print(json.dumps(row), flush=True)
        rows.append(row)
    print("\n| kernel | attnscope ms/step | PyTorch ms/step | ratio |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r['kernel']} | {r['attnscope_ms']:.1f} | {r['torch_ms']:.1f} | {r['ratio']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
