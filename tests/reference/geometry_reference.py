#!/usr/bin/python3
"""Independent NumPy reference for core/geometry.cpp and core/density_field.cpp on seeded random data.

Writes inputs as .npy, runs geometry_reference_tool (the C++ core), and compares its outputs with plain NumPy:
cosines, joint PCA (SVD of the centred stack), row entropy, numerical rank (numpy.linalg.matrix_rank rule), and the
Gaussian-key field evaluated from the d-dimensional points of the plane directly (not from the in-plane/offset
decomposition the C++ code uses). Exits non-zero with a message on the first mismatch.
"""
import argparse
import pathlib
import subprocess
import sys

import numpy as np

FAILURES = []


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + detail))
    if not ok:
        FAILURES.append(name)


def close(name, actual, expected, rtol, atol):
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        check(name, False, f"shape {actual.shape} != {expected.shape}")
        return
    error = np.abs(actual - expected) - (atol + rtol * np.abs(expected))
    worst = np.unravel_index(np.argmax(error), error.shape)
    check(name, bool(np.all(error <= 0)),
          f"at {worst}: got {actual[worst]!r}, expected {expected[worst]!r}")


def run(tool, *args):
    result = subprocess.run([tool, *map(str, args)], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"geometry_reference_tool failed: {result.stderr.strip()}")


def geometry_case(tool, work, rng):
    d = 16
    scales = np.linspace(3.0, 0.2, d)  # distinct variances so the principal directions are well defined
    Q = (rng.standard_normal((40, d)) * scales + 0.5).astype(np.float32)
    K = (rng.standard_normal((50, d)) * scales - 0.3).astype(np.float32)
    Q[7] = 0.0  # a zero query: cosine 0 by definition
    A = rng.random((20, 4))
    B = rng.random((4, 30))
    W = A @ B
    W = (W / W.sum(axis=1, keepdims=True)).astype(np.float32)  # row-stochastic, rank 4
    for name, array in (("Q", Q), ("K", K), ("W", W)):
        np.save(work / f"{name}.npy", array)
    run(tool, "geometry", work)

    q64, k64 = Q.astype(np.float64), K.astype(np.float64)
    qn = np.linalg.norm(q64, axis=1, keepdims=True)
    kn = np.linalg.norm(k64, axis=1, keepdims=True)
    cosine = np.divide(q64, qn, out=np.zeros_like(q64), where=qn > 0) @ (k64 / kn).T
    close("cosine matrix", np.load(work / "cosine.npy"), cosine, 0, 1e-6)

    stacked = np.vstack([q64, k64])
    mean = stacked.mean(axis=0)
    _, singular, vt = np.linalg.svd(stacked - mean, full_matrices=False)
    components = vt[:3].copy()
    for row in components:  # the C++ sign rule: largest-magnitude entry positive
        if row[np.argmax(np.abs(row))] < 0:
            row *= -1
    variance = singular[:3] ** 2 / stacked.shape[0]
    close("pca mean", np.load(work / "pca_mean.npy")[0], mean, 0, 1e-5)
    close("pca components", np.load(work / "pca_components.npy"), components, 0, 2e-4)
    close("pca explained variance", np.load(work / "pca_variance.npy")[0], variance, 1e-5, 0)
    close("pca projection of K", np.load(work / "pca_projected_k.npy"), (k64 - mean) @ components.T, 1e-4, 1e-4)

    w64 = W.astype(np.float64)
    p = w64 / w64.sum(axis=1, keepdims=True)
    entropy = -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0), axis=1)
    close("row entropy", np.load(work / "entropy.npy")[0], entropy, 1e-6, 1e-6)
    sv = np.linalg.svd(w64, compute_uv=False)
    rank = np.linalg.matrix_rank(w64, tol=max(W.shape) * np.finfo(np.float32).eps * sv[0])
    check("numerical rank", int(np.load(work / "rank.npy")[0, 0]) == rank == 4,
          f"C++ {np.load(work / 'rank.npy')[0, 0]}, NumPy {rank}")
    close("leading singular values", np.load(work / "singular_values.npy")[0][:4], sv[:4], 1e-5, 0)


def reference_field(centres, weights, variances, plane, mode, measure, grid):
    width, height, umin, umax, vmin, vmax = grid
    u = umin + (np.arange(width) + 0.5) * (umax - umin) / width
    v = vmax - (np.arange(height) + 0.5) * (vmax - vmin) / height
    uu, vv = np.meshgrid(u, v)  # H x W, row 0 = largest v
    origin, axis_u, axis_v = plane.astype(np.float64)
    mu = centres.astype(np.float64)
    var = variances.astype(np.float64)
    d = mu.shape[1]
    if measure == "slice":
        points = origin + uu[..., None] * axis_u + vv[..., None] * axis_v  # H x W x d, the plane inside R^d
        sq = ((points[:, :, None, :] - mu[None, None, :, :]) ** 2).sum(axis=-1)  # H x W x C
        dim = d
    else:
        a = (mu - origin) @ axis_u
        b = (mu - origin) @ axis_v
        sq = (uu[..., None] - a) ** 2 + (vv[..., None] - b) ** 2
        dim = 2
    w = weights.astype(np.float64)
    terms = -sq / (2 * var)
    with np.errstate(divide="ignore"):
        if mode == "density":
            terms = terms + np.log(w / w.sum()) - 0.5 * dim * np.log(2 * np.pi * var)
        else:
            terms = terms + np.log(w)
    top = terms.max(axis=-1)
    log_field = top + np.log(np.exp(terms - top[..., None]).sum(axis=-1))
    ordered = np.sort(terms, axis=-1)
    gap = ordered[..., -1] - ordered[..., -2] if terms.shape[-1] > 1 else np.full(top.shape, np.inf)
    return log_field, terms.argmax(axis=-1), gap


def density_case(tool, work, rng, name, d, components, variance_scale, mode, measure, grid, plane_kind):
    centres = (rng.standard_normal((components, d)) * 1.2).astype(np.float32)
    weights = rng.random(components).astype(np.float32)
    weights[components // 2] = 0.0  # a zero-weight component never wins
    variances = (variance_scale * (0.3 + rng.random(components))).astype(np.float32)
    if plane_kind == "axes":
        origin = np.zeros(d)
        basis = np.eye(d)[:2]
    else:  # a random orthonormal plane through the mean of the centres
        origin = centres.mean(axis=0)
        basis = np.linalg.qr(rng.standard_normal((d, 2)))[0].T
    plane = np.ascontiguousarray(np.vstack([origin, basis]), dtype=np.float32)
    case = work / name
    case.mkdir(parents=True, exist_ok=True)
    np.save(case / "centres.npy", centres)
    np.save(case / "weights.npy", weights[None, :])
    np.save(case / "variances.npy", variances[None, :])
    np.save(case / "plane.npy", plane)
    run(tool, "density", case, mode, measure, *grid)

    log_ref, argmax_ref, gap = reference_field(centres, weights, variances, plane, mode, measure, grid)
    log_cpp = np.load(case / "density_log.npy")
    close(f"{name}: log field", log_cpp, log_ref, 2e-6, 2e-3)
    close(f"{name}: display field", np.load(case / "density_display.npy"), np.exp(log_ref - log_ref.max()), 0, 2e-4)
    values_ref = np.exp(log_ref)
    close(f"{name}: raw field", np.load(case / "density_values.npy"), values_ref, 2e-3, 1e-6 * values_ref.max())
    argmax_cpp = np.load(case / "density_argmax.npy").astype(int)
    decided = gap > 1e-3  # pixels where two components tie within float rounding may go either way
    check(f"{name}: arg-max map", bool(np.all(argmax_cpp[decided] == argmax_ref[decided])),
          f"{int(np.sum(argmax_cpp[decided] != argmax_ref[decided]))} pixels differ")
    check(f"{name}: zero-weight component never wins", bool(np.all(argmax_cpp != components // 2)))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tool", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    work = pathlib.Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20240725)
    geometry_case(args.tool, work, rng)
    grid = (96, 80, -3.0, 3.0, -2.5, 2.5)
    density_case(args.tool, work, rng, "d2-density", 2, 12, 0.5, "density", "slice", grid, "axes")
    density_case(args.tool, work, rng, "d2-kernel", 2, 12, 0.5, "kernel", "slice", grid, "axes")
    density_case(args.tool, work, rng, "d16-slice-density", 16, 10, 2.0, "density", "slice", grid, "random")
    density_case(args.tool, work, rng, "d16-marginal-density", 16, 10, 2.0, "density", "marginal", grid, "random")
    density_case(args.tool, work, rng, "d16-slice-kernel", 16, 10, 2.0, "kernel", "slice", grid, "random")
    density_case(args.tool, work, rng, "d8-tiny-sigma", 8, 6, 1e-4, "density", "slice", grid, "random")
    if FAILURES:
        sys.exit(f"{len(FAILURES)} geometry reference check(s) failed: {', '.join(FAILURES)}")
    print("all geometry reference checks passed")


if __name__ == "__main__":
    main()
