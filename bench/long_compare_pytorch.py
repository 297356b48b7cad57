#!/usr/bin/python3
"""One long head side by side: attnscope's streamed map (bench/long_bench) and PyTorch computing the same head's
full N x N map and pooling it (it needs the whole matrix). Prints a Markdown table.

Usage: long_compare_pytorch.py LONG_BENCH [--n 32768] [--d 64] [--threads 2] [--repeat 3] [--kernels dpa,ea]
                               [--causal]

Both sides start from seeded N(0,1) queries and keys (N x d) and produce the 1024 x 1024 max-pooled overview of the
full (or causal) map. PyTorch runs in a child process whose environment has OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
removed (TOOLCHAIN.md), with the same thread count. Peak RSS is each child's own maximum resident set.
"""
import argparse
import json
import os
import resource
import subprocess
import sys


def torch_worker(kernel, n, d, threads, repeat, causal):
    import statistics
    import time

    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(1)
    q = torch.randn(n, d, generator=gen)
    k = torch.randn(n, d, generator=gen)
    scale = 1.0 / d ** 0.5
    pixels = 1024
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        with torch.no_grad():
            x = torch.mm(q, k.t()).mul_(scale)  # N x N logits: 4 GiB at N = 32768
            if causal:
                x.masked_fill_(torch.ones(n, n, dtype=torch.bool).triu_(1), float("-inf") if kernel == "dpa" else 0.0)
            if kernel == "dpa":
                w = torch.softmax(x, dim=1)
            else:  # saturating expressive attention, in place
                x.square_()
                w = x.div_(x + 1.0)
                w.div_(w.sum(dim=1, keepdim=True))
            pooled = F.max_pool2d(w[None, None], kernel_size=n // pixels)[0, 0]
            del x, w
        times.append(time.perf_counter() - start)
        assert pooled.shape == (pixels, pixels)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"overview_s": statistics.median(times), "peak_rss": peak, "torch": torch.__version__,
                      "blas": torch.__config__.show().count("OpenBLAS") > 0}))


def run(argv, env=None):
    """Runs argv and returns the last line of its output as JSON."""
    result = subprocess.run(argv, capture_output=True, text=True, env=env, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    if sys.argv[1] == "--torch-worker":
        kernel, n, d, threads, repeat, causal = sys.argv[2:8]
        torch_worker(kernel, int(n), int(d), int(threads), int(repeat), causal == "1")
        return 0
    parser = argparse.ArgumentParser()
    parser.add_argument("long_bench")
    parser.add_argument("--n", type=int, default=32768)
    parser.add_argument("--d", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kernels", default="dpa,ea")
    parser.add_argument("--causal", action="store_true")
    args = parser.parse_args()

    torch_env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    torch_env["OMP_NUM_THREADS"] = torch_env["OPENBLAS_NUM_THREADS"] = str(args.threads)
    rows = []
    for kernel in args.kernels.split(","):
        # Each side in its own process, one after the other, so each peak RSS is that side's alone.
        ours = run([args.long_bench, "--n", str(args.n), "--d", str(args.d), "--threads",
                                      str(args.threads), "--repeat", str(args.repeat), "--kernels", kernel] +
                   (["--causal"] if args.causal else []))
        torch = run([sys.executable, os.path.abspath(__file__), "--torch-worker", kernel, str(args.n),
                                str(args.d), str(args.threads), str(args.repeat), "1" if args.causal else "0"],
                    env=torch_env)
        rows.append((kernel, ours, torch))

    gib = 1024.0 ** 3
    print(f"One head, N = {args.n}, d = {args.d}, {args.threads} threads, {'causal' if args.causal else 'full'} map, "
          f"1024 x 1024 max-pooled overview; medians of {args.repeat}.\n")
    print("| kernel | attnscope normalisers | attnscope overview | attnscope total (CPU) | 512 x 512 tile | "
          "statistics | attnscope peak RSS | PyTorch dense + pool | PyTorch peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kernel, ours, torch in rows:
        rss = f"{ours['peak_rss'] / gib:.2f} GiB"
        print(f"| {kernel} | {ours['normalisers_s']:.2f} s | {ours['overview_s']:.2f} s | "
              f"{ours['overview_total_s']:.2f} s ({ours['overview_total_cpu_s']:.2f} s) | {ours['tile_ms']:.1f} ms | "
              f"{ours['statistics_s']:.2f} s | {rss} | {torch['overview_s']:.2f} s | {torch['peak_rss'] / gib:.2f} GiB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
