#!/usr/bin/python3
"""Independent NumPy reference for `attnscope divergence` (core/divergence.cpp), run by CTest.

Each metric is recomputed here the direct way (explicit pairwise differences instead of the GEMM form, the primal
objective of entropic OT instead of the dual, eigenvalues of S1 S2 instead of a matrix square root) on seeded random
clouds, and compared with the JSON the command prints. Conventions shared with the C++ side, by design:
  - CT/Chamfer: t(x) = x / |x|, t(0) = 0; C_ij = |t(k_i) - t(q_j)| or 1 - cos (cos with a zero vector is 0).
  - MMD: k(x, y) = exp(-|x - y|^2 / (2 sigma^2)); sigma = numpy.median of Euclidean distances over distinct pooled
    pairs (pooled = Q then K; beyond 1024 points the subset floor(s * P / 1024)); 0 -> mean non-zero distance -> 1.
  - Sinkhorn: cost |x - y|^2, uniform weights, OT_eps = <P, C> + eps KL(P || a b^T), S = OT(q,k) - (OT(q,q)+OT(k,k))/2.
  - Gaussians: 1/n covariances plus lambda I, lambda = 1e-6 (tr S_q + tr S_k) / (2 d) + 1e-9; gauss-kl value is the
    mean of both directions; gauss-w2 value is W2^2.
Usage: divergence_reference.py ATTNSCOPE_BINARY WORK_DIR
"""
import json
import math
import os
import subprocess
import sys

import numpy as np

RTOL = 2e-5
ATOL = 1e-9
failures = []


def check(label, got, expected, rtol=RTOL, atol=ATOL):
    if not (math.isfinite(got) and abs(got - expected) <= atol + rtol * abs(expected)):
        failures.append(f"{label}: attnscope {got!r} vs reference {expected!r}")


# ---- reference implementations ----------------------------------------------------------------------------------

def directions(x):
    norms = np.sqrt((x * x).sum(axis=1))
    t = np.zeros_like(x)
    nz = norms > 0
    t[nz] = x[nz] / norms[nz, None]
    return t


def ct_reference(q, k, rho=0.5, tau=1.0, cost="euclid"):
    tq, tk = directions(q), directions(k)
    cos = np.clip(tk @ tq.T, -1.0, 1.0)  # M x N navigator logits
    if cost == "euclid":
        c = np.sqrt(((tk[:, None, :] - tq[None, :, :]) ** 2).sum(axis=2))
    else:
        c = 1.0 - cos
    z = cos / tau
    fwd = np.exp(z - z.max(axis=1, keepdims=True))
    fwd /= fwd.sum(axis=1, keepdims=True)  # softmax over queries j for each key i
    bwd = np.exp(z - z.max(axis=0, keepdims=True))
    bwd /= bwd.sum(axis=0, keepdims=True)  # softmax over keys i for each query j
    forward = (c * fwd).sum(axis=1).mean()
    backward = (c * bwd).sum(axis=0).mean()
    return rho * forward + (1 - rho) * backward, forward, backward


def chamfer_reference(q, k, rho=0.5, cost="euclid"):
    tq, tk = directions(q), directions(k)
    if cost == "euclid":
        c = np.sqrt(((tk[:, None, :] - tq[None, :, :]) ** 2).sum(axis=2))
    else:
        c = 1.0 - np.clip(tk @ tq.T, -1.0, 1.0)
    forward, backward = c.min(axis=1).mean(), c.min(axis=0).mean()
    return rho * forward + (1 - rho) * backward, forward, backward


def pairwise_sq(a, b):
    return ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)


def median_bandwidth(q, k):
    pooled = np.vstack([q, k])
    total = len(pooled)
    count = min(total, 1024)
    subset = pooled[(np.arange(count) * total) // count]
    d = np.sqrt(pairwise_sq(subset, subset))
    upper = d[np.triu_indices(count, 1)]
    med = float(np.median(upper))
    if med > 0:
        return med
    nz = upper[upper > 0]
    return float(nz.mean()) if nz.size else 1.0


def mmd_reference(q, k, unbiased, sigma=None):
    if sigma is None:
        sigma = median_bandwidth(q, k)
    kern = lambda a, b: np.exp(-pairwise_sq(a, b) / (2 * sigma * sigma))
    kqq, kkk, kqk = kern(q, q), kern(k, k), kern(q, k)
    n, m = len(q), len(k)
    if unbiased:
        value = ((kqq.sum() - np.trace(kqq)) / (n * (n - 1)) + (kkk.sum() - np.trace(kkk)) / (m * (m - 1))
                 - 2 * kqk.mean())
    else:
        value = kqq.mean() + kkk.mean() - 2 * kqk.mean()
    return value, sigma


def entropic_ot_primal(x, y, eps, iterations=200000, tol=1e-13):
    """Plain alternating log-domain Sinkhorn to a tight tolerance, then the primal <P,C> + eps KL(P || a b^T)."""
    c = pairwise_sq(x, y)
    n, m = c.shape
    loga, logb = np.full(n, -np.log(n)), np.full(m, -np.log(m))
    f, g = np.zeros(n), np.zeros(m)

    def lse(a, axis):
        mx = a.max(axis=axis, keepdims=True)
        return (mx + np.log(np.exp(a - mx).sum(axis=axis, keepdims=True))).squeeze(axis)

    for _ in range(iterations):
        g = -eps * lse(loga[:, None] + (f[:, None] - c) / eps, 0)
        f = -eps * lse(logb[None, :] + (g[None, :] - c) / eps, 1)
        logp = (f[:, None] + g[None, :] - c) / eps + loga[:, None] + logb[None, :]
        p = np.exp(logp)
        if np.abs(p.sum(axis=0) - np.exp(logb)).sum() < tol:
            break
    kl = (p * (logp - loga[:, None] - logb[None, :])).sum()
    return (p * c).sum() + eps * kl


def sinkhorn_reference(q, k, eps):
    return entropic_ot_primal(q, k, eps) - 0.5 * (entropic_ot_primal(q, q, eps) + entropic_ot_primal(k, k, eps))


def gaussian_fits(q, k):
    mq, mk = q.mean(axis=0), k.mean(axis=0)
    sq = (q - mq).T @ (q - mq) / len(q)
    sk = (k - mk).T @ (k - mk) / len(k)
    d = q.shape[1]
    lam = 1e-6 * (np.trace(sq) + np.trace(sk)) / (2 * d) + 1e-9
    return mq, sq + lam * np.eye(d), mk, sk + lam * np.eye(d)


def kl_gauss(m1, s1, m2, s2):
    inv2 = np.linalg.inv(s2)
    d = len(m1)
    diff = m2 - m1
    return 0.5 * (np.trace(inv2 @ s1) + diff @ inv2 @ diff - d + np.linalg.slogdet(s2)[1] - np.linalg.slogdet(s1)[1])


def w2_gauss(m1, s1, m2, s2):
    # tr((S1^1/2 S2 S1^1/2)^1/2) = sum of square roots of the (real, non-negative) eigenvalues of S1 S2.
    eig = np.clip(np.linalg.eigvals(s1 @ s2).real, 0, None)
    return float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(eig).sum())


# ---- driver -------------------------------------------------------------------------------------------------------

def run(binary, args, expect_ok=True):
    proc = subprocess.run([binary, "divergence", *args], capture_output=True, text=True)
    if expect_ok:
        if proc.returncode != 0:
            failures.append(f"divergence {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
            return None
        return json.loads(proc.stdout)
    return proc


def main():
    binary, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(20211024)
    cases = []
    for index, (n, m, d, shift, dtype) in enumerate(
            [(20, 15, 3, 0.5, np.float32), (9, 9, 5, 0.0, np.float64), (30, 7, 2, 1.5, np.float32),
             (1, 6, 4, 0.3, np.float64), (12, 25, 8, 0.2, np.float32)]):
        q = rng.standard_normal((n, d)).astype(dtype)
        k = (rng.standard_normal((m, d)) * 0.8 + shift).astype(dtype)
        if index == 2:
            q[3] = 0.0  # a zero vector: no direction, must not produce NaN
        qp, kp = os.path.join(work, f"q{index}.npy"), os.path.join(work, f"k{index}.npy")
        np.save(qp, q)
        np.save(kp, k)
        # The command reads float32 as is and float64 rounded to float32 (the core's storage type).
        cases.append((index, qp, kp, q.astype(np.float32).astype(np.float64), k.astype(np.float32).astype(np.float64)))

    for index, qp, kp, q, k in cases:
        base = ["--q", qp, "--k", kp]
        label = f"case {index} ({len(q)}x{len(k)}, d={q.shape[1]})"
        for rho, tau, cost in [(0.5, 1.0, "euclid"), (0.3, 0.2, "one-minus-cos"), (0.8, 3.0, "euclid")]:
            out = run(binary, base + ["--metric", "ct", "--rho", str(rho), "--tau", str(tau), "--cost", cost])
            if out:
                value, forward, backward = ct_reference(q, k, rho, tau, cost)
                check(f"{label} ct rho={rho} tau={tau} {cost}", out["value"], value)
                check(f"{label} ct forward_term", out["forward_term"], forward)
                check(f"{label} ct backward_term", out["backward_term"], backward)
            out = run(binary, base + ["--metric", "chamfer", "--rho", str(rho), "--cost", cost])
            if out:
                value, forward, backward = chamfer_reference(q, k, rho, cost)
                check(f"{label} chamfer rho={rho} {cost}", out["value"], value)
        out = run(binary, base + ["--metric", "mmd"])
        if out:
            value, sigma = mmd_reference(q, k, False)
            check(f"{label} mmd bandwidth", out["bandwidth"], sigma, rtol=1e-6)
            check(f"{label} mmd", out["value"], value, atol=1e-8)
        out = run(binary, base + ["--metric", "mmd", "--bandwidth", "0.7"])
        if out:
            check(f"{label} mmd sigma=0.7", out["value"], mmd_reference(q, k, False, 0.7)[0], atol=1e-8)
        if len(q) >= 2 and len(k) >= 2:
            out = run(binary, base + ["--metric", "mmd-unbiased"])
            if out:
                check(f"{label} mmd-unbiased", out["value"], mmd_reference(q, k, True)[0], atol=1e-8)
        else:
            proc = run(binary, base + ["--metric", "mmd-unbiased"], expect_ok=False)
            if proc.returncode == 0 or "at least 2" not in proc.stderr:
                failures.append(f"{label} mmd-unbiased with one point should fail clearly: {proc.stderr.strip()}")
        for eps in (0.5, 2.0):
            out = run(binary, base + ["--metric", "sinkhorn", "--epsilon", str(eps), "--iters", "100000",
                                      "--tolerance", "1e-11"])
            if out:
                if not out["converged"]:
                    failures.append(f"{label} sinkhorn eps={eps} did not converge: {out}")
                check(f"{label} sinkhorn eps={eps}", out["value"], sinkhorn_reference(q, k, eps), atol=1e-7)
        mq, sq, mk, sk = gaussian_fits(q, k)
        out = run(binary, base + ["--metric", "gauss-kl"])
        if out:
            klqk, klkq = kl_gauss(mq, sq, mk, sk), kl_gauss(mk, sk, mq, sq)
            check(f"{label} gauss-kl q->k", out["kl_q_to_k"], klqk, rtol=1e-5)
            check(f"{label} gauss-kl k->q", out["kl_k_to_q"], klkq, rtol=1e-5)
            check(f"{label} gauss-kl value", out["value"], 0.5 * (klqk + klkq), rtol=1e-5)
        out = run(binary, base + ["--metric", "gauss-w2"])
        if out:
            check(f"{label} gauss-w2", out["value"], w2_gauss(mq, sq, mk, sk), rtol=1e-5, atol=1e-7)

    # A pooled cloud beyond 1024 points exercises the median heuristic's evenly spaced subset (MMD only: the plain
    # reference Sinkhorn would be slow at this size).
    q = rng.standard_normal((700, 6)).astype(np.float32)
    k = (rng.standard_normal((650, 6)) + 0.1).astype(np.float32)
    qp, kp = os.path.join(work, "q_large.npy"), os.path.join(work, "k_large.npy")
    np.save(qp, q)
    np.save(kp, k)
    q, k = q.astype(np.float64), k.astype(np.float64)
    for metric, unbiased in (("mmd", False), ("mmd-unbiased", True)):
        out = run(binary, ["--q", qp, "--k", kp, "--metric", metric])
        if out:
            value, sigma = mmd_reference(q, k, unbiased)
            check(f"large {metric} bandwidth", out["bandwidth"], sigma, rtol=1e-6)
            check(f"large {metric}", out["value"], value, atol=1e-9)

    # Bad input is refused with a one-line message and exit code 1.
    bad = os.path.join(work, "nan.npy")
    np.save(bad, np.array([[1.0, float("nan"), 0.0]], dtype=np.float32))
    proc = run(binary, ["--q", bad, "--k", cases[0][2], "--metric", "ct"], expect_ok=False)
    if proc.returncode != 1 or "NaN" not in proc.stderr:
        failures.append(f"NaN input not refused clearly: rc={proc.returncode} {proc.stderr.strip()}")
    proc = run(binary, ["--q", cases[0][1], "--k", cases[1][2], "--metric", "mmd"], expect_ok=False)
    if proc.returncode != 1 or "dimension" not in proc.stderr:
        failures.append(f"dimension mismatch not refused clearly: rc={proc.returncode} {proc.stderr.strip()}")

    if failures:
        print("\n".join(failures))
        print(f"{len(failures)} mismatch(es)")
        return 1
    print("divergence reference: all metrics agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
