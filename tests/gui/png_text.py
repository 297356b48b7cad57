#!/usr/bin/env python3
"""Independent PNG reader for the export tests: prints the text chunk KEY of a PNG (tEXt, zTXt or iTXt), or with
--size its width and height, or with --pixel X Y the RGB(A) of that pixel. Pure standard library (zlib, struct)."""
import struct
import sys
import zlib


def chunks(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG")
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise SystemExit(f"{path}: bad CRC in {kind!r}")
        yield kind, body
        pos += 12 + length


def text(path, key):
    for kind, body in chunks(path):
        if kind == b"tEXt":
            k, v = body.split(b"\0", 1)
            if k.decode() == key:
                return v.decode("latin-1")
        if kind == b"iTXt":
            k, rest = body.split(b"\0", 1)
            compressed, _method = rest[0], rest[1]
            _lang, rest = rest[2:].split(b"\0", 1)
            _translated, value = rest.split(b"\0", 1)
            if k.decode() == key:
                return (zlib.decompress(value) if compressed else value).decode("utf-8")
    raise SystemExit(f"{path}: no text chunk {key!r}")


def image(path):
    idat = b""
    for kind, body in chunks(path):
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
    channels = {2: 3, 6: 4}[colour]
    assert depth == 8
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, channels, rows


if __name__ == "__main__":
    if sys.argv[1] == "--size":
        for kind, body in chunks(sys.argv[2]):
            if kind == b"IHDR":
                print(*struct.unpack(">II", body[:8]))
                break
    elif sys.argv[1] == "--pixel":
        w, h, ch, rows = image(sys.argv[2])
        x, y = int(sys.argv[3]), int(sys.argv[4])
        print(*rows[y][x * ch:(x + 1) * ch])
    else:
        print(text(sys.argv[1], sys.argv[2]), end="")
