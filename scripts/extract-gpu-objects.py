#!/usr/bin/env python3
"""Writes the device objects of a GPU-lowered module to files.

    moe-opt k.mlir --moe-lower-to-nvvm=chip=sm_90 | extract-gpu-objects.py -o DIR

Each `gpu.binary @NAME [#gpu.object<TARGET, ..., assembly|bin = "...">]`
becomes DIR/NAME.<ext>: .ptx for NVVM assembly, .cubin for NVVM binaries,
.s for AMDGCN assembly, .hsaco for ROCDL binaries. Prints the paths written.
(`moe-compile --target nvptx|rocdl` will replace this once it exists.)
"""
import argparse
import os
import re
import sys

BINARY = re.compile(
    r'gpu\.binary @(?P<name>[\w$.]+)\s*(?:<[^>]*>\s*)?\[#gpu\.object<'
    r'#(?P<vendor>nvvm|rocdl)\.target<[^>]*>,\s*'
    r'(?:properties = \{[^}]*\},\s*)?'
    r'(?P<kind>assembly|bin) = "(?P<data>(?:[^"\\]|\\.)*)"')


def unescape(text):
    """MLIR string literal escapes: \\XX (hex), \\\\, \\", \\n, \\t."""
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        nxt = text[i + 1]
        if nxt in "\\\"":
            out.append(ord(nxt))
            i += 2
        elif nxt == "n":
            out.append(10)
            i += 2
        elif nxt == "t":
            out.append(9)
            i += 2
        else:
            out.append(int(text[i + 1:i + 3], 16))
            i += 3
    return bytes(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", default="-")
    parser.add_argument("-o", "--output-dir", required=True)
    args = parser.parse_args()
    text = sys.stdin.read() if args.input == "-" else open(args.input).read()
    os.makedirs(args.output_dir, exist_ok=True)
    extensions = {("nvvm", "assembly"): "ptx", ("nvvm", "bin"): "cubin",
                  ("rocdl", "assembly"): "s", ("rocdl", "bin"): "hsaco"}
    found = 0
    for match in BINARY.finditer(text):
        ext = extensions[(match["vendor"], match["kind"])]
        path = os.path.join(args.output_dir, f"{match['name']}.{ext}")
        with open(path, "wb") as f:
            f.write(unescape(match["data"]))
        print(path)
        found += 1
    if not found:
        sys.exit("extract-gpu-objects: no gpu.binary with an NVVM or ROCDL "
                 "object in the input")


if __name__ == "__main__":
    main()
