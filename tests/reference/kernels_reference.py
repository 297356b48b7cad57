#!/usr/bin/env python3
"""Independent NumPy reference for attnscope's attention kernels, checked through the `attnscope weights` CLI.

Usage: kernels_reference.py ATTNSCOPE_BINARY WORK_DIR [--errors]
Without --errors: writes seeded random Q/K .npy files, runs `attnscope weights` for every kernel and option
combination, and compares the float32 output with a float64 NumPy implementation written from MATH.md (direct
distances for MGK, no GEMM form, so it is independent of the C++ code's algebra).
With --errors: checks that bad input exits non-zero with a one-line message naming the problem.
"""
import os
import subprocess
import sys

import numpy as np

TOLERANCE = 2e-5


# ---- reference kernels (float64) ---------------------------------------------------------------------------------

def visible_mask(n, m, causal):
    if not causal:
        return np.ones((n, m), dtype=bool)
    return np.arange(m)[None, :] <= np.arange(n)[:, None]


def normalise_rows(mass, mask):
    mass = np.where(mask, mass, 0.0)
    total = mass.sum(axis=1, keepdims=True)
    uniform = mask / np.maximum(mask.sum(axis=1, keepdims=True), 1)
    return np.where(total > 0, mass / np.where(total > 0, total, 1.0), uniform)


def softmax_rows(logits, mask):
    logits = np.where(mask, logits, -np.inf)
    top = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - top)
    return e / e.sum(axis=1, keepdims=True)


def dpa(q, k, scale=None, causal=False):
    s = 1.0 / np.sqrt(q.shape[1]) if scale is None else scale
    return softmax_rows(s * q @ k.T, visible_mask(len(q), len(k), causal))


def ea(q, k, scale=None, causal=False, pure=False):
    s = 1.0 / np.sqrt(q.shape[1]) if scale is None else scale
    x = s * q @ k.T
    f = x ** 2 if pure else x ** 2 / (1.0 + x ** 2)
    return normalise_rows(f, visible_mask(len(q), len(k), causal))


def centres_of(k, component_keys, shifts):
    if component_keys:
        return component_keys
    if shifts is not None:
        return [k + b for b in shifts]
    return [k]


def mgk(q, k, component_keys=None, shifts=None, priors=None, sigma2=None, hard=False, causal=False):
    centres = centres_of(k, component_keys, shifts)
    r = len(centres)
    priors = np.full(r, 1.0 / r) if priors is None else np.clip(np.asarray(priors, float), 0.0, 1.0)
    sigma2 = np.full(r, np.sqrt(q.shape[1])) if sigma2 is None else np.asarray(sigma2, float)
    # t[c, i, j] = log pi_c - |q_i - k_jc|^2 / (2 sigma_c^2), distances taken directly.
    t = np.stack([-((q[:, None, :] - c[None, :, :]) ** 2).sum(-1) / (2 * s2) for c, s2 in zip(centres, sigma2)])
    if hard:
        log_s = t.max(axis=0)
    else:
        with np.errstate(divide="ignore"):
            t = t + np.log(priors)[:, None, None]
        top = t.max(axis=0)
        log_s = top + np.log(np.exp(t - top).sum(axis=0))
    return softmax_rows(log_s, visible_mask(len(q), len(k), causal))


def elu_plus_one(x):
    return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))


def mlk(q, k, component_keys=None, shifts=None, priors=None, causal=False):
    centres = centres_of(k, component_keys, shifts)
    r = len(centres)
    priors = np.full(r, 1.0 / r) if priors is None else np.clip(np.asarray(priors, float), 0.0, 1.0)
    kappa = sum(p * elu_plus_one(c) for p, c in zip(priors, centres))
    return normalise_rows(elu_plus_one(q) @ kappa.T, visible_mask(len(q), len(k), causal))


def cosine(q, k, tau=0.1, causal=False):
    qn = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-300)
    kn = k / np.maximum(np.linalg.norm(k, axis=1, keepdims=True), 1e-300)
    return softmax_rows(qn @ kn.T / tau, visible_mask(len(q), len(k), causal))


# ---- driver ------------------------------------------------------------------------------------------------------

def run(binary, args):
    return subprocess.run([binary] + args, capture_output=True, text=True)


def check_weights(binary, work, name, args, expected):
    out = os.path.join(work, name + ".npy")
    result = run(binary, ["weights"] + args + ["--out", out])
    if result.returncode != 0:
        print(f"FAIL {name}: exit {result.returncode}: {result.stderr.strip()}")
        return False
    got = np.load(out)
    if got.dtype != np.float32 or got.shape != expected.shape:
        print(f"FAIL {name}: got {got.dtype} {got.shape}, expected float32 {expected.shape}")
        return False
    err = np.abs(got.astype(np.float64) - expected).max()
    rows_ok = np.allclose(got.sum(axis=1), 1.0, atol=1e-5)
    ok = err <= TOLERANCE and rows_ok
    print(f"{'ok  ' if ok else 'FAIL'} {name}: max |attnscope - numpy| = {err:.2e}")
    return ok


def reference_checks(binary, work):
    rng = np.random.default_rng(20260121)
    n, m, d = 37, 53, 16
    q = rng.standard_normal((n, d))
    k = rng.standard_normal((m, d))
    k2 = rng.standard_normal((m, d)) * 1.5
    shifts = rng.standard_normal((3, d)) * 0.5
    qs = q.astype(np.float32)  # what attnscope sees; the reference uses the same float32 values in float64
    q64, k64, k264, sh64 = (a.astype(np.float32).astype(np.float64) for a in (q, k, k2, shifts))
    paths = {}
    for label, array in (("q", qs), ("k", k.astype(np.float32)), ("k2", k2.astype(np.float32)),
                         ("shifts", shifts.astype(np.float32))):
        paths[label] = os.path.join(work, label + ".npy")
        np.save(paths[label], array)
    paths["q64"] = os.path.join(work, "q64.npy")
    np.save(paths["q64"], q64)  # float64 input file
    qk = ["--q", paths["q"], "--k", paths["k"]]
    # The same matrices in .npz archives written by NumPy: stored (np.savez), deflated (np.savez_compressed, with
    # float64 big-endian queries), and one archive holding every matrix under other names.
    paths["qk"] = os.path.join(work, "qk.npz")
    np.savez(paths["qk"], q=qs, k=k.astype(np.float32))
    paths["qk_deflated"] = os.path.join(work, "qk_deflated.npz")
    np.savez_compressed(paths["qk_deflated"], q=q64.astype(">f8"), k=k.astype(np.float32))
    paths["all"] = os.path.join(work, "all.npz")
    np.savez_compressed(paths["all"], queries=qs, keys=k.astype(np.float32), keys2=k2.astype(np.float32),
                        offsets=shifts.astype(np.float32))

    cases = [
        ("dpa", qk + ["--kernel", "dpa"], dpa(q64, k64)),
        ("dpa_scale_causal", qk + ["--kernel", "dpa", "--scale", "0.3", "--causal"], dpa(q64, k64, 0.3, True)),
        ("dpa_float64_input", ["--q", paths["q64"], "--k", paths["k"], "--kernel", "dpa"], dpa(q64, k64)),
        ("ea", qk + ["--kernel", "ea"], ea(q64, k64)),
        ("ea_scale_causal", qk + ["--kernel", "ea", "--scale", "0.7", "--causal"], ea(q64, k64, 0.7, True)),
        ("ea_form_pure", qk + ["--kernel", "ea", "--ea-form", "pure"], ea(q64, k64, pure=True)),
        ("ea_pure", qk + ["--kernel", "ea-pure", "--causal"], ea(q64, k64, pure=True, causal=True)),
        ("mgk_two_key_matrices", qk + ["--k", paths["k2"], "--kernel", "mgk", "--pi", "0.7,0.3", "--sigma2", "4,1.33"],
         mgk(q64, k64, [k64, k264], priors=[0.7, 0.3], sigma2=[4, 1.33])),
        ("mgk_shifts_default_priors", qk + ["--kernel", "mgk", "--shifts", paths["shifts"]],
         mgk(q64, k64, shifts=sh64)),
        ("mgk_clamped_prior", qk + ["--k", paths["k2"], "--kernel", "mgk", "--pi", "1.5,0", "--causal"],
         mgk(q64, k64, [k64, k264], priors=[1.5, 0.0], causal=True)),
        ("mgk_single", qk + ["--kernel", "mgk", "--sigma2", "2"], mgk(q64, k64, sigma2=[2.0])),
        ("mgk_hard", qk + ["--k", paths["k2"], "--kernel", "mgk-hard", "--sigma2", "4,1.33"],
         mgk(q64, k64, [k64, k264], sigma2=[4, 1.33], hard=True)),
        ("mlk_shifts", qk + ["--kernel", "mlk", "--shifts", paths["shifts"], "--pi", "0.2,0.5,0.9"],
         mlk(q64, k64, shifts=sh64, priors=[0.2, 0.5, 0.9])),
        ("mlk_causal", qk + ["--kernel", "mlk", "--causal"], mlk(q64, k64, causal=True)),
        ("cosine", qk + ["--kernel", "cosine", "--tau", "0.5"], cosine(q64, k64, 0.5)),
        ("npz_stored_default_members", ["--q", paths["qk"], "--k", paths["qk"], "--kernel", "dpa"], dpa(q64, k64)),
        ("npz_deflated_f8_be", ["--q", paths["qk_deflated"], "--k", paths["qk_deflated"] + ":k", "--kernel", "ea"],
         ea(q64, k64)),
        ("npz_named_members_mgk", ["--q", paths["all"] + ":queries", "--k", paths["all"] + ":keys", "--k",
                                   paths["all"] + ":keys2", "--kernel", "mgk", "--pi", "0.7,0.3"],
         mgk(q64, k64, [k64, k264], priors=[0.7, 0.3])),
        ("npz_named_shifts_mlk", ["--q", paths["all"] + ":queries", "--k", paths["all"] + ":keys", "--shifts",
                                  paths["all"] + ":offsets", "--kernel", "mlk"], mlk(q64, k64, shifts=sh64)),
        ("cosine_default_causal", qk + ["--kernel", "cosine", "--causal"], cosine(q64, k64, causal=True)),
    ]
    results = [check_weights(binary, work, name, args, expected) for name, args, expected in cases]
    return all(results)


def error_checks(binary, work):
    good = os.path.join(work, "good.npy")
    np.save(good, np.ones((4, 3), np.float32))
    nan = os.path.join(work, "nan.npy")
    a = np.ones((4, 3), np.float32)
    a[2, 1] = np.nan
    np.save(nan, a)
    wide = os.path.join(work, "wide.npy")
    np.save(wide, np.ones((4, 5), np.float32))
    fortran = os.path.join(work, "fortran.npy")
    np.save(fortran, np.asfortranarray(np.ones((4, 3), np.float32)))
    ints = os.path.join(work, "ints.npy")
    np.save(ints, np.ones((4, 3), np.int64))
    truncated = os.path.join(work, "truncated.npy")
    with open(good, "rb") as f:
        data = f.read()
    with open(truncated, "wb") as f:
        f.write(data[:-5])
    out = os.path.join(work, "out.npy")
    base = ["weights", "--kernel", "dpa", "--out", out]
    cases = [
        ("missing file", base + ["--q", os.path.join(work, "absent.npy"), "--k", good], "absent.npy: no such file"),
        ("NaN input", base + ["--q", nan, "--k", good], "nan.npy contains NaN at row 2, column 1"),
        ("shape mismatch", base + ["--q", good, "--k", wide], "dimension"),
        ("Fortran order", base + ["--q", fortran, "--k", good], "Fortran order"),
        ("integer dtype", base + ["--q", ints, "--k", good], "unsupported dtype '<i8'"),
        ("truncated", base + ["--q", truncated, "--k", good], "truncated"),
        ("unknown option", base + ["--q", good, "--k", good, "--frobnicate"], "frobnicate"),
        ("unknown kernel", ["weights", "--kernel", "softmax", "--q", good, "--k", good, "--out", out], "softmax"),
        ("bad --pi", ["weights", "--kernel", "mgk", "--q", good, "--k", good, "--pi", "0.5,x", "--out", out], "--pi"),
        ("priors per component", ["weights", "--kernel", "mgk", "--q", good, "--k", good, "--pi", "0.5,0.5", "--out",
                                  out], "2 MGK priors but there are 1 components"),
        ("repeated --k for dpa", base + ["--q", good, "--k", good, "--k", good], "only mgk"),
        ("bench unknown option", ["bench", "--kernel", "dpa", "--n", "4", "--d", "2", "--bogus"], "bogus"),
    ]
    ok = True
    for name, args, needle in cases:
        result = run(binary, args)
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        message = lines[0] if lines else ""
        passed = result.returncode != 0 and needle in result.stderr and not os.path.exists(out)
        print(f"{'ok  ' if passed else 'FAIL'} {name}: exit {result.returncode}: {message}")
        ok = ok and passed
    for help_args in (["weights", "--help"], ["bench", "--help"]):
        result = run(binary, help_args)
        passed = result.returncode == 0 and "--kernel" in result.stdout
        print(f"{'ok  ' if passed else 'FAIL'} {' '.join(help_args)}")
        ok = ok and passed
    bench = run(binary, ["bench", "--kernel", "mgk", "--n", "64", "--d", "8", "--repeat", "3"])
    import json
    try:
        report = json.loads(bench.stdout)
        passed = bench.returncode == 0 and report["median_ms"] > 0 and report["n"] == 64 and report["m"] == 64
    except (ValueError, KeyError):
        passed = False
    print(f"{'ok  ' if passed else 'FAIL'} bench JSON: {bench.stdout.strip()}")
    return ok and passed


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    binary, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    ok = error_checks(binary, work) if "--errors" in sys.argv[3:] else reference_checks(binary, work)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
