#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets into fuzz/seeds/<target>/.

Seeds: the CSV code blocks of a Markdown file of example exports (the upstream export
specification this project was written against, which the repository does not ship;
docs/inputs.md describes the same formats in the project's words, without the examples),
dialect variants of its first (Shiny usage) example, and the first lines of each
sample_data/ file. Run from the repository root: python3 fuzz/make_seeds.py SPEC.md
The minimised corpus in fuzz/corpus/ grew from these; re-seeding is only needed to start
over.
"""
import gzip
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "seeds")
ZONES = ["UTC", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Kathmandu",
         "Pacific/Apia"]


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def examples(spec):
    """CSV code blocks of the spec: (index, text)."""
    text = open(spec, encoding="utf-8").read()
    out = []
    for i, b in enumerate(re.findall(r"```[a-z]*\n(.*?)```", text, re.S)):
        if not b.startswith("{") and "," in b.split("\n")[0]:
            out.append((i, b))
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: python3 fuzz/make_seeds.py SPEC.md (a Markdown file of example exports)")
    spec = sys.argv[1]
    csvs = [(f"spec{i}", b.encode()) for i, b in examples(spec)]
    for f in sorted(os.listdir(os.path.join(ROOT, "sample_data"))):
        if f.endswith(".csv"):
            with open(os.path.join(ROOT, "sample_data", f), "rb") as fh:
                lines = fh.read().split(b"\n")[:25]
            csvs.append((f"sample_{f[:-4]}", b"\n".join(lines) + b"\n"))
    # Dialect variants of the first shiny example: R row.names index, CRLF, BOM, pandas.
    shiny = csvs[0][1]
    lines = shiny.decode().strip("\n").split("\n")
    csvs.append(("rownames", ("\"\"," + lines[0] + "\n" + "\n".join(
        f"\"{i}\",{l}" for i, l in enumerate(lines[1:], 1)) + "\n").encode()))
    csvs.append(("crlf", shiny.replace(b"\n", b"\r\n")))
    csvs.append(("bom", b"\xef\xbb\xbf" + shiny))
    for name, data in csvs:
        # flags: bit 0 gzip, bit 1 .gz name, bits 4-7 zone; byte 1: 0 = own header.
        write("ingest", name, bytes([0x10, 0]) + data)
        write("ingest", name + "_utc_gz", bytes([0x01, 0]) + data)
        write("ingest", name + "_raw_gz", bytes([0x22, 0]) + gzip.compress(data, mtime=0))
        header, _, body = data.partition(b"\n")
        write("ingest", name + "_body", bytes([0x00, 0]) + body)
        write("detect", name, header.rstrip(b"\r").replace(b'"', b""))
    for kind in range(1, 9):
        write("ingest", f"header_only_{kind}", bytes([0x00, kind]))
    for i, s in enumerate([
        "2024-03-04T14:02:11Z", "2024-03-04t14:02:11z", "2024-03-04T15:02:11+01:00",
        "2024-03-04T15:02:11+0100", "2024-03-04T15:02:11+01", "2024-03-04 14:02:11+00:00",
        "2024-03-04 14:02:11", "2024-03-04 14:02", "2024-03-04", "1709560931",
        "1732573574.5", "2025-04-30T12:49:16.269904Z", "2025-04-30 12:49:16.123456789",
        "2024-03-10 02:30:00", "2024-11-03 01:30:00", "2011-12-30 12:00:00",
        "2099-12-31T23:59:59.999999Z", "2000-01-01", " NA ",
    ]):
        for z in (0, 1, 2, 5):
            write("timestamp", f"ts{i:02}_z{z}", bytes([z]) + s.encode())


if __name__ == "__main__":
    main()
