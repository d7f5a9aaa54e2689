#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets under test/fuzz/corpus/.

npy/        small .npy files of every dtype moe-run reads, format 1.0/2.0/3.0
layer-spec/ the layer specs of the tests and the standard shapes
mlir/       test/Dialect/Moe and test/Transforms, split at `// -----`
manifest/   (not written here) manifests of artifacts the numeric tests
            compiled: moe_artifact_manifest() of build/test/numeric/cache/*.so

Run from anywhere: python3 test/fuzz/make-seeds.py
"""
import os
import re
import struct

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
corpus = os.path.join(here, "corpus")


def write(kind, name, data):
    os.makedirs(os.path.join(corpus, kind), exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(os.path.join(corpus, kind, name), mode) as f:
        f.write(data)


def npy(descr, shape, payload, version=1):
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, dims)
    prefix = 10 if version == 1 else 12
    header += " " * ((64 - (prefix + len(header) + 1) % 64) % 64) + "\n"
    length = (struct.pack("<H", len(header)) if version == 1
              else struct.pack("<I", len(header)))
    return (b"\x93NUMPY" + bytes([version, 0]) + length + header.encode()
            + payload)


def npy_seeds():
    write("npy", "f4-2x3", npy("<f4", (2, 3), struct.pack("<6f", *range(6))))
    write("npy", "f2-4", npy("<f2", (4,), struct.pack("<4e", 1, -2, .5, 0)))
    write("npy", "f8-2x2", npy("<f8", (2, 2), struct.pack("<4d", 1, 2, 3, 4)))
    # bf16 as moe-run writes it: raw 16-bit words.
    write("npy", "u2-bf16-3", npy("<u2", (3,), struct.pack("<3H", 0x3f80, 0x4000, 0xbf80)))
    write("npy", "i4-2x2", npy("<i4", (2, 2), struct.pack("<4i", 0, 1, 7, -1)))
    write("npy", "i8-3", npy("<i8", (3,), struct.pack("<3q", 0, 1, 2)))
    write("npy", "i1-scalar", npy("|i1", (), b"\x05"))
    write("npy", "f4-0x4", npy("<f4", (0, 4), b""))
    write("npy", "f4-v2", npy("<f4", (2,), struct.pack("<2f", 1, 2), version=2))
    write("npy", "i4-v3", npy("<i4", (1, 1), struct.pack("<i", 3), version=3))
    write("npy", "f4-big-endian", npy(">f4", (1,), struct.pack(">f", 1)))


def spec_seeds():
    specs = set()
    pattern = re.compile(r"experts=[A-Za-z0-9_=.,+-]+")
    for top in ("test", "tools", "scripts", "examples", "docs"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            if "fuzz" in dirpath:
                continue
            for name in files:
                try:
                    text = open(os.path.join(dirpath, name)).read()
                except (UnicodeDecodeError, OSError):
                    continue
                for match in pattern.findall(text):
                    specs.add(match.rstrip(",."))
    specs.update([
        "experts=128,k=8,hidden=2048,inter=768,dtype=bf16,renormalize=1",
        "experts=8,k=2,hidden=4096,inter=14336,dtype=bf16",
        "experts=256,k=8,hidden=7168,inter=2048,dtype=bf16,scoring=sigmoid,"
        "router_bias=1,groups=8,group_topk=4,scaling=2.5,renormalize=1,"
        "shared_inter=2048",
    ])
    for i, spec in enumerate(sorted(specs)):
        write("layer-spec", "spec-%02d" % i, spec)


def mlir_seeds():
    for folder in ("test/Dialect/Moe", "test/Transforms"):
        for name in sorted(os.listdir(os.path.join(root, folder))):
            if not name.endswith(".mlir"):
                continue
            text = open(os.path.join(root, folder, name)).read()
            for i, part in enumerate(re.split(r"^// -----.*$", text, flags=re.M)):
                # RUN/CHECK lines are comments: drop them, keep the IR.
                lines = [l for l in part.splitlines()
                         if not l.lstrip().startswith("//")]
                body = "\n".join(lines).strip()
                if body:
                    write("mlir", "%s-%02d" % (name[:-5], i), body + "\n")


npy_seeds()
spec_seeds()
mlir_seeds()
