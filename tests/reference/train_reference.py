"""PyTorch autograd reference for attnscope's training engine (core/train).

Runs train_reference_tool, which writes one safetensors file per (kernel, regulariser) with a seeded small GPT-2-shaped
model, a batch, and the C++ loss and gradients (from the double and the float model). This script rebuilds the model
in float64 PyTorch from the definitions (MATH.md sections 1-5; README "Training lab"), written directly from the
formulas (pairwise differences, no GEMM identities), and checks every parameter gradient to 1e-4 relative:
max |grad_cpp - grad_torch| <= 1e-4 * max |grad_torch| per tensor. Debian's /usr/bin/python3 with python3-torch.
"""
import argparse
import json
import math
import pathlib
import struct
import subprocess
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)


def read_safetensors(path):
    raw = path.read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + size])
    metadata = header.pop("__metadata__", {})
    data = raw[8 + size:]
    tensors = {}
    for name, entry in header.items():
        assert entry["dtype"] == "F32", name
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(entry["shape"]).astype(np.float64)
    return tensors, metadata


def layer_norm(x, w, b):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps=1e-5)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def attention_weights(kernel, q, k, shifts, priors, log_variances=None):
    """Causal weights of one head: q, k T x dh; shifts R x dh; priors R; learned log sigma^2 (R) or None."""
    T, dh = q.shape
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    if kernel == "dpa":
        logits = (q @ k.T) / math.sqrt(dh)
        return torch.softmax(logits.masked_fill(~mask, float("-inf")), dim=-1)
    if kernel in ("ea", "ea-pure"):
        x = (q @ k.T) / math.sqrt(dh)
        f = x ** 2 if kernel == "ea-pure" else x ** 2 / (1 + x ** 2)
        f = f * mask
        return f / f.sum(-1, keepdim=True)
    if kernel == "cosine":
        c = (q / q.norm(dim=-1, keepdim=True)) @ (k / k.norm(dim=-1, keepdim=True)).T
        return torch.softmax((c / 0.1).masked_fill(~mask, float("-inf")), dim=-1)
    if kernel in ("mgk", "mgk-hard"):
        variance = torch.exp(log_variances) if log_variances is not None else math.sqrt(dh)
        centres = k[:, None, :] + shifts[None, :, :]                         # T x R x dh
        dist = ((q[:, None, None, :] - centres[None, :, :, :]) ** 2).sum(-1)  # T x T x R
        log_n = -dist / (2 * variance)
        if kernel == "mgk":
            log_s = torch.logsumexp(torch.log(priors.clamp(0, 1)) + log_n, dim=-1)
        else:
            log_s = log_n.max(dim=-1).values
        return torch.softmax(log_s.masked_fill(~mask, float("-inf")), dim=-1)
    if kernel == "mlk":
        phi = lambda x: torch.nn.functional.elu(x) + 1
        kappa = (priors.clamp(0, 1)[None, :, None] * phi(k[:, None, :] + shifts[None, :, :])).sum(1)
        g = (phi(q) @ kappa.T) * mask
        return g / g.sum(-1, keepdim=True)
    raise ValueError(kernel)


def ct(q, k, rho=0.5, tau=1.0):
    kn = k / k.norm(dim=-1, keepdim=True)
    qn = q / q.norm(dim=-1, keepdim=True)
    cost = ((kn[:, None, :] - qn[None, :, :]) ** 2).sum(-1).sqrt()  # M x N
    nav = kn @ qn.T / tau
    fwd = torch.softmax(nav, dim=1)
    bwd = torch.softmax(nav, dim=0)
    return rho * (cost * fwd).sum(1).mean() + (1 - rho) * (cost * bwd).sum(0).mean()


def mmd(q, k):
    pooled = torch.cat([q, k]).detach().numpy()
    diff = pooled[:, None, :] - pooled[None, :, :]
    dist = np.sqrt((diff ** 2).sum(-1))
    sigma = float(np.median(dist[np.triu_indices(len(pooled), 1)]))  # the median heuristic, a constant
    kern = lambda a, b: torch.exp(-((a[:, None, :] - b[None, :, :]) ** 2).sum(-1) / (2 * sigma ** 2))
    return kern(q, q).mean() + kern(k, k).mean() - 2 * kern(q, k).mean()


def loss_of(params, meta, inputs, targets, weights):
    L, H, d = int(meta["layers"]), int(meta["heads"]), int(meta["dim"])
    kernel, align, lam = meta["kernel"], meta["align"], float(meta["align_weight"])
    hd = d // H
    B, T = inputs.shape
    P = lambda name: params["transformer." + name]
    x = P("wte.weight")[inputs] + P("wpe.weight")[:T][None]
    divergences = []
    for l in range(L):
        p = lambda name: P(f"h.{l}.{name}")
        a = layer_norm(x, p("ln_1.weight"), p("ln_1.bias"))
        qkv = a @ p("attn.c_attn.weight") + p("attn.c_attn.bias")
        q, k, v = qkv.split(d, dim=-1)
        outputs = []
        for b in range(B):
            heads = []
            for h in range(H):
                qh, kh, vh = (t[b, :, h * hd:(h + 1) * hd] for t in (q, k, v))
                shifts = p("attn.mgk_shifts")[h] if kernel in ("mgk", "mgk-hard", "mlk") else None
                priors = p("attn.mgk_priors")[h] if kernel in ("mgk", "mgk-hard", "mlk") else None
                log_var = p("attn.mgk_log_variances")[h] if f"transformer.h.{l}.attn.mgk_log_variances" in params else None
                heads.append(attention_weights(kernel, qh, kh, shifts, priors, log_var) @ vh)
                if align == "ct":
                    divergences.append(ct(qh, kh))
                elif align == "mmd":
                    divergences.append(mmd(qh, kh))
            outputs.append(torch.cat(heads, dim=-1))
        x = x + torch.stack(outputs) @ p("attn.c_proj.weight") + p("attn.c_proj.bias")
        m = layer_norm(x, p("ln_2.weight"), p("ln_2.bias"))
        x = x + gelu_new(m @ p("mlp.c_fc.weight") + p("mlp.c_fc.bias")) @ p("mlp.c_proj.weight") + p("mlp.c_proj.bias")
    f = layer_norm(x, P("ln_f.weight"), P("ln_f.bias"))
    logits = f @ P("wte.weight").T
    ce = torch.nn.functional.cross_entropy(logits.reshape(B * T, -1), targets.reshape(-1), reduction="none")
    w = weights.reshape(-1)
    loss = (ce * w).sum() / w.sum()
    if divergences:
        loss = loss + lam * torch.stack(divergences).mean()
    return loss


def check(path):
    tensors, meta = read_safetensors(path)
    names = [n for n in tensors if n.startswith("transformer.")]
    params = {n: torch.tensor(tensors[n], requires_grad=True) for n in names}
    inputs = torch.tensor(tensors["batch.inputs"]).long()
    targets = torch.tensor(tensors["batch.targets"]).long()
    weights = torch.tensor(tensors["batch.weights"])
    loss = loss_of(params, meta, inputs, targets, weights)
    loss.backward()
    failures = []
    for which in ("64", "32"):
        if abs(float(meta["loss" + which]) - loss.item()) > 1e-5 * abs(loss.item()) + 1e-6:
            failures.append(f"loss{which} {meta['loss' + which]} vs torch {loss.item():.8f}")
    worst = {"64": 0.0, "32": 0.0}
    for n in names:
        # A parameter the loss does not use (hard MGK's priors) has no autograd gradient: it is zero.
        grad = params[n].grad
        reference = grad.numpy() if grad is not None else np.zeros_like(tensors[n])
        scale = np.abs(reference).max()
        for which in ("64", "32"):
            error = np.abs(tensors[f"grad{which}.{n}"] - reference).max()
            relative = error / scale if scale > 0 else error
            worst[which] = max(worst[which], relative)
            if relative > 1e-4:
                failures.append(f"grad{which} {n}: max error {error:.3g}, {relative:.3g} of max |grad| {scale:.3g}")
    print(f"{path.stem}: loss {loss.item():.6f}, worst relative error double {worst['64']:.2e}, "
          f"float {worst['32']:.2e}")
    return failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tool", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    workdir = pathlib.Path(args.workdir)
    subprocess.run([args.tool, str(workdir)], check=True)
    files = sorted(workdir.glob("*.safetensors"))
    kernels = {f.stem.split("_")[0] for f in files}
    aligns = {f.stem.split("_")[1] for f in files}
    expected = {"dpa", "ea", "ea-pure", "mgk", "mgk-hard", "mlk", "cosine"}
    if kernels != expected or aligns != {"none", "ct", "mmd"}:
        print(f"FAIL: cases cover kernels {sorted(kernels)} and regularisers {sorted(aligns)}")
        return 1
    failures = []
    for f in files:
        failures += [f"{f.stem}: {m}" for m in check(f)]
    for m in failures:
        print("FAIL:", m)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
