"""`attnscope ladder` end to end on a small seeded ladder (DPA and EA, levels 1 and 4, one seed, 60 steps, one
thread): the CSV, the Markdown table and, in a GUI build, the figure. Checks what a reader can check by hand: level 1
(copy) is solved by both kernels within 60 steps (measured 1.000), the chance column is 1/8 for copy and 1/7 for three
hops (S = 8), the PNG is 900 x 560 with both series' colours and the grey chance line in it, and the SVG holds the
legend, axis labels and level names as text. Bad options fail in one line before anything trains.
Usage: train_ladder_cli_test.py BINARY WORKDIR [--gui]. Debian's /usr/bin/python3 (standard library and NumPy)."""
import csv
import os
import pathlib
import shutil
import struct
import subprocess
import sys
import time
import zlib

import numpy as np

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def run(args, cwd, expect_ok=True):
    proc = subprocess.run([BINARY] + args, cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    if expect_ok and proc.returncode != 0:
        failures.append(f"{' '.join(args)}: exit {proc.returncode}: {proc.stderr.strip()}")
    if not expect_ok and proc.returncode == 0:
        failures.append(f"{' '.join(args)}: expected failure, got success")
    return proc


def expect_error(args, cwd, fragment):
    start = time.monotonic()
    proc = run(args, cwd, expect_ok=False)
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    if len(lines) != 1 or fragment not in lines[0]:
        failures.append(f"{' '.join(args)}: expected one line containing {fragment!r}, got {proc.stderr!r}")
    # Validation happens before the first run trains (a run of the default 1500 steps takes about 20 s).
    check(time.monotonic() - start < 10, f"{' '.join(args)}: refused only after {time.monotonic() - start:.1f} s")


def read_png_rgb(path):
    """Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what attnscope writes) into an H x W x 3 array."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "PNG signature"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    image = np.zeros((height, stride), dtype=np.int32)
    previous = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=y * (stride + 1) + 1).astype(np.int32)
        out = np.zeros(stride, dtype=np.int32)
        if kind == 0:
            out = line
        elif kind == 2:
            out = (line + previous) & 255
        else:  # 1 (sub), 3 (average), 4 (Paeth) depend on the left neighbour: decode byte by byte
            for i in range(stride):
                left = out[i - channels] if i >= channels else 0
                up = previous[i]
                upper_left = previous[i - channels] if i >= channels else 0
                if kind == 1:
                    predictor = left
                elif kind == 3:
                    predictor = (left + up) // 2
                else:
                    p = left + up - upper_left
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - upper_left)
                    predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else upper_left)
                out[i] = (line[i] + predictor) & 255
        image[y] = out
        previous = out
    return image.reshape(height, width, channels)[:, :, :3]


def pixels_of(image, rgb, tolerance=8):
    return int(np.all(np.abs(image - np.array(rgb)) <= tolerance, axis=2).sum())


BINARY = sys.argv[1]
work = pathlib.Path(sys.argv[2])
gui = "--gui" in sys.argv[3:]
shutil.rmtree(work, ignore_errors=True)
work.mkdir(parents=True)

run(["ladder", "--kernels", "dpa,ea", "--levels", "4,1", "--seeds", "1", "--steps", "60", "--out", "small"], work)
out = work / "small"
rows = list(csv.DictReader((out / "ladder.csv").open()))
check([r["kernel"] + r["level"] for r in rows] == ["dpa1", "dpa4", "ea1", "ea4"], f"CSV rows: {rows}")
for r in rows:
    check(r["steps"] == "60" and r["seed"] == "1" and r["heads"] == "4", f"CSV row {r}")
    chance = 1 / 8 if r["level"] == "1" else 1 / 7
    check(abs(float(r["chance"]) - chance) < 1e-5, f"chance of level {r['level']}: {r['chance']}, expected {chance}")
    accuracy = float(r["eval_accuracy"])
    check(0.0 <= accuracy <= 1.0, f"accuracy {accuracy}")
    if r["level"] == "1":
        check(accuracy >= 0.9, f"{r['kernel']} level 1 after 60 steps: {accuracy} < 0.9 (measured 1.000)")
    check(float(r["cpu_seconds"]) > 0.0, f"cpu_seconds {r['cpu_seconds']}")
md = (out / "ladder.md").read_text()
check("| kernel | level 1 (copy) | level 4 (3 hops) |" in md, f"Markdown header: {md}")
check("| chance | 0.125 | 0.143 |" in md, f"Markdown chance row: {md}")
check("| dpa (H=4) | **1.000 ± 0.000** |" in md, f"solved cells in bold: {md}")

if gui:
    image = read_png_rgb(out / "ladder.png")
    check(image.shape == (560, 900, 3), f"PNG size {image.shape}")
    # Okabe-Ito blue (dpa) and vermillion (ea), the first two series colours; the chance line's grey (110, 110, 110).
    check(pixels_of(image, (0, 114, 178)) > 200, "dpa's blue line is missing from the PNG")
    check(pixels_of(image, (213, 94, 0)) > 200, "ea's vermillion line is missing from the PNG")
    check(pixels_of(image, (110, 110, 110), 2) > 100, "the chance line's grey is missing from the PNG")
    svg = (out / "ladder.svg").read_text()
    for text in ["dpa (H=4)", "ea (H=4)", "chance", "solved (&gt;= 0.90)", "ladder level", "held-out accuracy",
                 "1: copy", "4: 3 hops"]:
        check(text in svg, f"SVG lacks the text {text!r}")
    check('viewBox="0 0 900 560"' in svg, "SVG viewBox")
else:
    check(not (out / "ladder.png").exists(), "a build without the GUI writes no figure")

# --seed picks the first seed: --seed 5 --seeds 2 trains seeds 5 and 6, and seed 5 is the run the default ladder would
# not repeat (it starts at 1). Level 1 at 10 steps: quick.
run(["ladder", "--kernels", "dpa", "--levels", "1", "--seed", "5", "--seeds", "2", "--steps", "10", "--out", "seeded"],
    work)
seeded = list(csv.DictReader((work / "seeded" / "ladder.csv").open()))
check([r["seed"] for r in seeded] == ["5", "6"], f"--seed 5 --seeds 2 trained seeds {[r['seed'] for r in seeded]}")

expect_error(["ladder", "--levels", "1,2", "--symbols", "65", "--out", "bad"], work, "at most 64")
expect_error(["ladder", "--levels", "1,2", "--context", "9", "--out", "bad"], work, "at least 10")
expect_error(["ladder", "--levels", "2", "--vocab", "20", "--out", "bad"], work, "uses 73 token ids")
expect_error(["ladder", "--threads", "0", "--out", "bad"], work, "--threads must be at least 1")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("train_ladder_cli: ok")
