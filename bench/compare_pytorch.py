#!/usr/bin/python3
"""Times attnscope's kernels (via `attnscope bench`) and the same kernels in PyTorch side by side; prints Markdown.

Usage: compare_pytorch.py ATTNSCOPE_BINARY [--sizes 256,1024,4096] [--d 64] [--repeat 10] [--threads 2]
                          [--kernels dpa,ea,ea-pure,mgk,mgk-hard,mlk,cosine]

Both sides compute the N x M weights only (no scores), from standard-normal Q and K, N = M, with the same number
of threads. MGK uses two components with separate key matrices, priors 1/2 and variances sqrt(d), sqrt(d)/3 (the
official code's settings); PyTorch computes it the usual way, with torch.cdist and logsumexp.
PyTorch runs in a child process (`--torch-worker`) whose environment has OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
removed (this machine's environment sets them, and they slow current OpenBLAS builds); attnscope keeps the
environment as it is. Sizes and kernels alternate between the two, so load from other processes hits both alike.
"""
import argparse
import json
import os
import subprocess
import sys

TARGETS_MS = {"dpa": 20.0, "ea": 30.0, "mgk": 45.0}  # at N = M = 4096, d = 64 (issue 2)
ALL_KERNELS = ["dpa", "ea", "ea-pure", "mgk", "mgk-hard", "mlk", "cosine"]


# ---- PyTorch side (child process) --------------------------------------------------------------------------------

def torch_worker(kernel, n, d, repeat, threads):
    import statistics
    import time

    import torch

    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(1)
    q = torch.randn(n, d, generator=gen)
    k = torch.randn(n, d, generator=gen)
    k2 = torch.randn(n, d, generator=gen)
    scale = 1.0 / d ** 0.5
    sigma2 = (d ** 0.5, d ** 0.5 / 3.0)
    log_pi = torch.log(torch.tensor([0.5, 0.5]))

    def dpa():
        return torch.softmax((q * scale) @ k.T, dim=-1)

    def ea(pure=False):
        x = (q * scale) @ k.T
        f = x * x if pure else x * x / (1.0 + x * x)
        return f / f.sum(dim=-1, keepdim=True)

    def mgk_terms():
        return torch.stack([log_pi[r] - torch.cdist(q, c) ** 2 / (2.0 * sigma2[r]) for r, c in enumerate((k, k2))])

    def mgk():
        return torch.softmax(torch.logsumexp(mgk_terms(), dim=0), dim=-1)

    def mgk_hard():
        t = torch.stack([-torch.cdist(q, c) ** 2 / (2.0 * sigma2[r]) for r, c in enumerate((k, k2))])
        return torch.softmax(t.max(dim=0).values, dim=-1)

    def mlk():
        phi = lambda x: torch.nn.functional.elu(x) + 1.0
        kappa = 0.5 * phi(k) + 0.5 * phi(k2)
        s = phi(q) @ kappa.T
        return s / s.sum(dim=-1, keepdim=True)

    def cosine():
        qn = torch.nn.functional.normalize(q, dim=-1)
        kn = torch.nn.functional.normalize(k, dim=-1)
        return torch.softmax(qn @ kn.T / 0.1, dim=-1)

    fn = {"dpa": dpa, "ea": ea, "ea-pure": lambda: ea(True), "mgk": mgk, "mgk-hard": mgk_hard, "mlk": mlk,
          "cosine": cosine}[kernel]
    with torch.no_grad():
        fn()
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            out = fn()
            times.append(1e3 * (time.perf_counter() - start))
            del out
    blas = sorted({line.split()[-1] for line in open("/proc/self/maps") if "blas" in line.lower()})
    print(json.dumps({"median_ms": statistics.median(times), "min_ms": min(times), "blas": blas,
                      "torch": torch.__version__, "threads": torch.get_num_threads()}))


# ---- driver ------------------------------------------------------------------------------------------------------

def torch_available():
    try:
        import torch  # noqa: F401
        return True
    except ImportError:
        return False


def run_torch(kernel, n, d, repeat, threads):
    env = dict(os.environ)
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        env.pop(name, None)
    env["OMP_NUM_THREADS"] = str(threads)
    env["OPENBLAS_NUM_THREADS"] = str(threads)
    cmd = [sys.executable, os.path.abspath(__file__), "--torch-worker", kernel, str(n), str(d), str(repeat),
           str(threads)]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"PyTorch worker failed for {kernel} N={n}: {result.stderr.strip()[-400:]}")
    return json.loads(result.stdout)


def run_attnscope(binary, kernel, n, d, repeat, threads):
    env = dict(os.environ)
    env["OMP_NUM_THREADS"] = str(threads)
    cmd = [binary, "bench", "--kernel", kernel, "--n", str(n), "--d", str(d), "--repeat", str(repeat)]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"attnscope bench failed for {kernel} N={n}: {result.stderr.strip()}")
    return json.loads(result.stdout)


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--torch-worker":
        kernel, n, d, repeat, threads = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(
            sys.argv[6])
        torch_worker(kernel, n, d, repeat, threads)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("attnscope")
    parser.add_argument("--sizes", default="256,1024,4096")
    parser.add_argument("--d", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--kernels", default=",".join(ALL_KERNELS))
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    kernels = args.kernels.split(",")
    have_torch = torch_available()
    if not have_torch:
        print("PyTorch comparison skipped: python3-torch is not installed for " + sys.executable +
              " (apt-get install python3-torch libopenblas0-pthread)\n")

    rows = []
    blas_seen = set()
    torch_version = None
    for n in sizes:
        for kernel in kernels:
            ours = run_attnscope(args.attnscope, kernel, n, args.d, args.repeat, args.threads)
            theirs = run_torch(kernel, n, args.d, args.repeat, args.threads) if have_torch else None
            if theirs:
                blas_seen.update(theirs["blas"])
                torch_version = theirs["torch"]
            rows.append((kernel, n, ours, theirs))
            print(f"measured {kernel} N=M={n}", file=sys.stderr)

    print(f"Weights only, d = {args.d}, {args.threads} threads, median of {args.repeat} runs after one warm-up "
          f"(attnscope CPU time per call in brackets: all threads, user + system).")
    if have_torch:
        print(f"PyTorch {torch_version}; BLAS libraries mapped in the PyTorch process: "
              f"{', '.join(sorted(blas_seen)) or 'none found'}")
        if not any("openblas" in b for b in blas_seen):
            print("WARNING: PyTorch is not using OpenBLAS (select libopenblas0-pthread with update-alternatives); "
                  "its numbers are not a fair baseline.")
    print()
    print("| kernel | N = M | attnscope ms | (CPU ms) | PyTorch ms | speed-up | target ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for kernel, n, ours, theirs in rows:
        target = TARGETS_MS.get(kernel) if n == 4096 and args.d == 64 else None
        torch_ms = f"{theirs['median_ms']:.1f}" if theirs else "skipped"
        speedup = f"{theirs['median_ms'] / ours['median_ms']:.2f}x" if theirs else "-"
        target_text = "-" if target is None else (f"{target:.0f} " + ("met" if ours["median_ms"] <= target else "MISSED"))
        print(f"| {kernel} | {n} | {ours['median_ms']:.1f} | ({ours.get('cpu_ms', float('nan')):.1f}) | {torch_ms} | "
              f"{speedup} | {target_text} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
