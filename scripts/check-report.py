#!/usr/bin/env python3
"""Opens a loadtest HTML report in headless Chromium and checks that the plots were drawn: the
screenshot must hold enough pixels of each series colour named on the command line.
Usage: check-report.py REPORT.html COLOR [COLOR ...]   (colours as #rrggbb)"""
import struct
import subprocess
import sys
import tempfile
import zlib


def png_pixels(path):
    """RGB(A) rows of a non-interlaced 8-bit PNG (what Chromium writes), with the filters undone."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, chunks, header = 8, [], None
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        offset += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and interlace == 0 and colour in (2, 6), f"unexpected PNG format {header}"
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = previous[i]
            c = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        previous = line
    return rows, channels


def main():
    report, colours = sys.argv[1], sys.argv[2:]
    with tempfile.TemporaryDirectory() as directory:
        shot = f"{directory}/report.png"
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                        f"--user-data-dir={directory}/profile", f"--screenshot={shot}", "--window-size=1000,1400",
                        f"file://{report}"], check=True, capture_output=True, timeout=60)
        rows, channels = png_pixels(shot)
    wanted = {tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)): c for c in colours}
    counts = dict.fromkeys(wanted, 0)
    for line in rows:
        for x in range(0, len(line), channels):
            pixel = tuple(line[x:x + 3])
            if pixel in counts:
                counts[pixel] += 1
    missing = [wanted[rgb] for rgb, n in counts.items() if n < 50]
    if missing:
        print(f"check-report: the rendered page lacks the plot colours {missing} ({counts})", file=sys.stderr)
        sys.exit(1)
    print(f"check-report: {len(colours)} plot colours drawn")


if __name__ == "__main__":
    main()
