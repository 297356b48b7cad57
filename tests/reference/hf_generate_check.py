#!/usr/bin/env python3
"""Greedy generation through the key-value cache equals greedy decoding by the full forward pass.

Runs `attnscope model generate MODEL --token-ids PROMPT --temperature 0 --steps N --ids` (token ids out), then `attnscope model capture` on the whole generated sequence, whose full forward
hf_reference.py checks against NumPy, and requires each generated id to be the argmax of the capture's logits at the
position before it, and that generation stops at --steps.
Usage: hf_generate_check.py ATTNSCOPE MODEL_DIR WORKDIR
"""
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from write_capture import read_safetensors  # noqa: E402

PROMPT, STEPS = [5, 17, 3], 12


def main():
    attnscope, model, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    out = subprocess.run([attnscope, "model", "generate", model, "--token-ids", ",".join(map(str, PROMPT)),
                          "--temperature", "0", "--steps", str(STEPS), "--bench", "--ids"], check=True, capture_output=True,
                         text=True)
    ids = [int(t) for t in out.stdout.split()]
    failures = []
    if ids[:len(PROMPT)] != PROMPT or len(ids) != STEPS:
        failures.append(f"expected the prompt then {STEPS - len(PROMPT)} generated ids, got {ids}")
    if "key-value cache" not in out.stderr:
        failures.append(f"--bench did not report the cached run: {out.stderr!r}")
    capture = os.path.join(work, os.path.basename(model) + "_generated.safetensors")
    subprocess.run([attnscope, "model", "capture", model, "--token-ids", ",".join(map(str, ids)), "--out", capture],
                   check=True, capture_output=True)
    logits = read_safetensors(capture)[0]["logits"]
    for position in range(len(PROMPT), len(ids)):
        best = int(np.argmax(logits[position - 1]))
        if best != ids[position]:
            failures.append(f"position {position}: generated {ids[position]}, full forward's argmax {best}")
    print(f"{os.path.basename(model)}: generated {ids[len(PROMPT):]}; {len(failures)} failures")
    for failure in failures:
        print(failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
