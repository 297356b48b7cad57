#!/usr/bin/env python3
"""`attnscope model heads` against an independent NumPy computation.

Runs `attnscope model heads` on stories260K with explicit token ids and a seeded induction sequence (which it prints),
recomputes every layer's and head's attention in float64 with the NumPy llama2.c forward of llama_reference.py on
both sequences, computes each statistic from its definition (head_metrics.h) and the CT divergence with
divergence_reference.py's ct_reference, and fails if any CSV entry differs by more than 1e-4 (relative for norms).
It also checks --sort, the sink count on the summary line, the capture-file path (no induction) and one-line errors.
Usage: head_metrics_reference.py ATTNSCOPE MODEL.bin TOKENIZER.bin WORKDIR
"""
import csv
import os
import re
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from divergence_reference import ct_reference  # noqa: E402
from llama_reference import forward, load_llama2c  # noqa: E402

TOLERANCE = 1e-4
PROMPT_IDS = [1, 403, 407, 261, 378, 426, 429, 402, 260, 386, 300, 271, 414, 265, 296, 261, 378, 426]
PERIOD, SEED, THRESHOLD = 12, 5, 0.3


def statistics(att, q, k, rep_att, prefix, period):
    """One head's row: att (T x T), q/k (T x d) of the prompt, rep_att of the repeated sequence."""
    T = att.shape[0]
    distance = np.abs(np.arange(T)[:, None] - np.arange(T)[None, :])
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(att > 0, np.log(np.where(att > 0, att, 1.0)), 0.0)
    row = {
        "sink": att[:, 0].mean(),
        "prev_token": np.mean([att[i, i - 1] for i in range(1, T)]),
        "distance": (att * distance).sum(axis=1).mean(),
        "entropy": (-(att * logs).sum(axis=1)).mean(),
        "q_norm": np.linalg.norm(q, axis=1).mean(),
        "k_norm": np.linalg.norm(k, axis=1).mean(),
        "divergence": ct_reference(q, k)[0],
    }
    second = [prefix + period + j for j in range(period)]
    row["induction"] = np.mean([rep_att[i, i - period + 1] for i in second])
    return row


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    attnscope, model, tokenizer, workdir = sys.argv[1:]
    for path in (model, tokenizer):
        if not os.path.exists(path):
            sys.exit(f"missing model file {path}: this test needs the shared model files (ATTNSCOPE_MODELS_DIR)")
    os.makedirs(workdir, exist_ok=True)
    out_csv = os.path.join(workdir, "heads.csv")
    run = subprocess.run([attnscope, "model", "heads", model, "--tokenizer", tokenizer, "--token-ids",
                          ",".join(map(str, PROMPT_IDS)), "--induction-period", str(PERIOD), "--seed", str(SEED),
                          "--sort", "prev_token", "--csv", out_csv], check=True, capture_output=True, text=True)
    failures = []
    match = re.search(r"induction sequence \(seed %d, period %d\): ([0-9 ]+)" % (SEED, PERIOD), run.stdout)
    if not match:
        sys.exit("no induction sequence line in:\n" + run.stdout)
    repeated = [int(t) for t in match.group(1).split()]
    prefix = 1  # the prompt starts with BOS (1), so the induction sequence does too
    if repeated[0] != 1 or len(repeated) != prefix + 2 * PERIOD or repeated[1:1 + PERIOD] != repeated[1 + PERIOD:]:
        failures.append(f"the induction sequence is not BOS + r + r with |r| = {PERIOD}: {repeated}")
    if len(set(repeated[1:1 + PERIOD])) != PERIOD or 1 in repeated[1:]:
        failures.append("the induction sequence's random half repeats a token or contains the BOS")

    cfg, w = load_llama2c(model)
    ref, ref_rep = forward(cfg, w, PROMPT_IDS), forward(cfg, w, repeated)
    rows = list(csv.DictReader(open(out_csv)))
    if len(rows) != cfg["layers"] * cfg["heads"]:
        failures.append(f"{len(rows)} CSV rows, expected {cfg['layers'] * cfg['heads']}")
    sinks = 0
    for row in rows:
        layer, head = int(row["layer"]), int(row["head"])
        want = statistics(ref["attn"][layer][head], ref["q"][layer][head], ref["k"][layer][head],
                          ref_rep["attn"][layer][head], prefix, PERIOD)
        for name, value in want.items():
            got = float(row[name])
            scale = abs(value) if name in ("q_norm", "k_norm") else 1.0
            if not abs(got - value) <= TOLERANCE * scale:
                failures.append(f"layer {layer} head {head} {name}: attnscope {got} vs NumPy {value}")
        expected_sink = want["sink"] > THRESHOLD
        sinks += expected_sink
        if int(row["sink_head"]) != int(expected_sink):
            failures.append(f"layer {layer} head {head}: sink_head {row['sink_head']}, expected {int(expected_sink)}")
    previous = [float(r["prev_token"]) for r in rows]
    if previous != sorted(previous, reverse=True):
        failures.append("--sort prev_token did not order the rows largest first")
    summary = f"{sinks} of {len(rows)} heads are sink heads"
    if summary not in run.stdout:
        failures.append(f"the summary line does not say '{summary}':\n{run.stdout.splitlines()[0]}")

    # A capture file gives the same pattern statistics for its recorded sequence and leaves induction out.
    capture = os.path.join(workdir, "heads_capture.safetensors")
    subprocess.run([attnscope, "model", "capture", model, "--tokenizer", tokenizer, "--token-ids",
                    ",".join(map(str, PROMPT_IDS)), "--out", capture], check=True, capture_output=True)
    capture_csv = os.path.join(workdir, "heads_capture.csv")
    subprocess.run([attnscope, "model", "heads", capture, "--csv", capture_csv], check=True, capture_output=True)
    from_capture = {(r["layer"], r["head"]): r for r in csv.DictReader(open(capture_csv))}
    for row in rows:
        other = from_capture[(row["layer"], row["head"])]
        if other["induction"] != "":
            failures.append("a capture file reported an induction score")
        for name in ("sink", "prev_token", "distance", "entropy", "divergence"):
            if abs(float(other[name]) - float(row[name])) > 1e-6:
                failures.append(f"capture file vs model, layer {row['layer']} head {row['head']} {name}")

    # Bad options: one line on stderr, exit code 1, nothing written.
    for args, message in (
            (["--sort", "sinks"], "unknown head statistic 'sinks' (valid: sink, prev_token, induction"),
            (["--induction-period", "300"], "601 tokens exceed the model's context of 512 positions"),
            (["--induction-period", "600"], "the induction period 600 exceeds the 511 distinct token ids"),
            (["--divergence", "kl"], "unknown")):
        bad = subprocess.run([attnscope, "model", "heads", model, "--tokenizer", tokenizer, "--token-ids", "1,2,3"] +
                             args + ["--csv", os.path.join(workdir, "never.csv")], capture_output=True, text=True)
        lines = bad.stderr.strip().splitlines()
        if bad.returncode != 1 or not lines or message not in lines[-1] or not lines[-1].startswith("attnscope: error:"):
            failures.append(f"{args}: exit {bad.returncode}, stderr {bad.stderr!r}")
    if os.path.exists(os.path.join(workdir, "never.csv")):
        failures.append("a failed run wrote its CSV")

    for failure in failures[:40]:
        print(failure)
    print(f"{len(rows)} heads, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
