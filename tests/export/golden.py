#!/usr/bin/env python3
"""Golden-image comparison for the export tests (numpy + the standard library only).

usage: golden.py ACTUAL.png GOLDEN.png DIFF.png
Exit 0 when the images have the same size and at most 0.2% of the pixels differ by more than 24 (of 255) in some
channel, with a mean absolute difference under 0.5: llvmpipe is deterministic on one machine, the tolerance absorbs
another Mesa's rounding of anti-aliased edges. Otherwise writes DIFF.png (differing pixels red over a faded copy of
the actual image) and exits 1 with the numbers.
"""
import importlib.util
import os
import struct
import sys
import zlib

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("png_text", os.path.join(here, "..", "gui", "png_text.py"))
png_text = importlib.util.module_from_spec(spec)
spec.loader.exec_module(png_text)

MAX_CHANNEL_DELTA = 24
MAX_BAD_FRACTION = 0.002
MAX_MEAN_DELTA = 0.5


def load_rgb(path):
    width, height, channels, rows = png_text.image(path)
    pixels = np.frombuffer(b"".join(bytes(r) for r in rows), dtype=np.uint8).reshape(height, width, channels)
    return pixels[:, :, :3].astype(np.int16)


def write_png(path, rgb):
    height, width, _ = rgb.shape
    raw = b"".join(b"\0" + rgb[y].astype(np.uint8).tobytes() for y in range(height))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    data += chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


def main():
    actual_path, golden_path, diff_path = sys.argv[1:4]
    if not os.path.exists(golden_path):
        print(f"no golden image {golden_path} (regenerate: tests/export/update_golden.sh BUILD/attnscope)")
        return 1
    actual, golden = load_rgb(actual_path), load_rgb(golden_path)
    if actual.shape != golden.shape:
        print(f"{actual_path}: size {actual.shape[1]}x{actual.shape[0]}, golden {golden.shape[1]}x{golden.shape[0]}")
        return 1
    delta = np.abs(actual - golden)
    bad = delta.max(axis=2) > MAX_CHANNEL_DELTA
    fraction, mean = bad.mean(), delta.mean()
    if fraction <= MAX_BAD_FRACTION and mean <= MAX_MEAN_DELTA:
        return 0
    faded = (actual * 0.35 + 160).astype(np.int16)
    faded[bad] = (255, 0, 0)
    write_png(diff_path, faded)
    print(f"{actual_path} differs from {golden_path}: {fraction * 100:.3f}% pixels off by > {MAX_CHANNEL_DELTA}, "
          f"mean |delta| {mean:.3f}; diff image: {diff_path}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
