"""`attnscope train` end to end: --steps 0 writes a GPT-2 folder that `model info` opens with its kernel, --init
continues it, --data trains on an integer .npy with vocab = largest id + 1, and bad input gets one clear line:
non-integer or out-of-vocabulary token files, absurd sizes (refused against the memory budget before allocating),
a diverging learning rate (stops, names the step, keeps finite weights), an architecture that differs from --init.
Debian's /usr/bin/python3 with NumPy."""
import json
import pathlib
import shutil
import subprocess
import sys

import numpy as np

failures = []


def run(args, cwd, expect_ok=True):
    proc = subprocess.run([BINARY] + args, cwd=cwd, capture_output=True, text=True, timeout=300)
    if expect_ok and proc.returncode != 0:
        failures.append(f"{' '.join(args)}: exit {proc.returncode}: {proc.stderr.strip()}")
    if not expect_ok and proc.returncode == 0:
        failures.append(f"{' '.join(args)}: expected failure, got success")
    return proc


def expect_error(args, cwd, fragment):
    proc = run(args, cwd, expect_ok=False)
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    if len(lines) != 1 or fragment not in lines[0]:
        failures.append(f"{' '.join(args)}: expected one line containing {fragment!r}, got {proc.stderr!r}")


BINARY = sys.argv[1]
work = pathlib.Path(sys.argv[2])
shutil.rmtree(work, ignore_errors=True)
work.mkdir(parents=True)
small = ["--layers", "1", "--heads", "2", "--dim", "16", "--batch", "4"]

run(["train", "--task", "copy", "--kernel", "ea", "--context", "16", "--steps", "0", "--out", "s0"] + small, work)
config = json.loads((work / "s0" / "config.json").read_text())
if config["model_type"] != "gpt2" or config["vocab_size"] != 16 or config["attnscope"]["kernel"] != "ea":
    failures.append(f"s0/config.json: unexpected {config}")
info = run(["model", "info", "s0"], work).stdout
if "kernel ea" not in info:
    failures.append(f"model info s0 does not name kernel ea: {info}")
run(["train", "--task", "copy", "--init", "s0", "--steps", "3", "--batch", "4", "--out", "s1", "--log", "s1.csv"], work)
if len((work / "s1.csv").read_text().splitlines()) != 4:
    failures.append("s1.csv should hold a header and 3 steps")
expect_error(["train", "--task", "copy", "--init", "s0", "--layers", "3", "--steps", "1", "--out", "s2"], work,
             "--layers 3 differs from the checkpoint")

ids = np.arange(4 * 9, dtype=np.int64).reshape(4, 9) % 13
np.save(work / "seqs.npy", ids)
run(["train", "--data", "seqs.npy", "--kernel", "mgk", "--steps", "2", "--out", "d0"] + small, work)
config = json.loads((work / "d0" / "config.json").read_text())
if config["vocab_size"] != 13 or config["n_positions"] < 8:
    failures.append(f"--data: vocab {config['vocab_size']} (want 13), positions {config['n_positions']} (want >= 8)")
np.save(work / "floats.npy", ids.astype(np.float32))
expect_error(["train", "--data", "floats.npy", "--out", "x"] + small, work, "is not an integer type")
expect_error(["train", "--data", "seqs.npy", "--vocab", "10", "--out", "x"] + small, work,
             "is outside the vocabulary [0, 10)")
expect_error(["train", "--task", "copy", "--dim", "65536", "--layers", "512", "--out", "x"], work, "memory budget")
expect_error(["train", "--task", "copy", "--optimizer", "sgd", "--clip", "0", "--lr", "1e30", "--steps", "20",
              "--context", "16", "--out", "nan"] + small, work, "learning rate too high")
if not (work / "nan" / "model.safetensors").exists():
    failures.append("a diverged run must still write its last good weights")
else:
    info = run(["model", "info", "nan"], work)  # loads: every tensor finite (the loader refuses NaN/Inf)

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
