#!/usr/bin/python3
"""Write a synthetic quilt3 manifest (JSON Lines) for tests and benchmarks.

  gen_manifest.py OUT N [--seed S] [--style realistic|random] [--shuffle]

realistic: keys like data/2024/part-00017/sample_000123.parquet, s3 physical
  keys with versionIds, sha2-256-chunked hashes, small user meta; about 420
  bytes a line, as the issue's 1,000,000-entry benchmark describes.
random: stress for compatibility: unicode keys (astral, combining, U+2028),
  directory meta, metadata with floats of every shape, huge integers,
  escapes, NaN/Infinity and lone surrogates (such lines are written with
  ensure_ascii so they stay valid UTF-8), and mixed hash types.
Lines are written as quilt3 writes them (json.dumps, ensure_ascii=False) in
tree-walk order unless --shuffle.
"""
import argparse
import base64
import hashlib
import json
import math
import random
import struct


def walk_key(key):
    return key.split("/")


def b64(data):
    return base64.b64encode(data).decode()


def realistic_entry(rng, i):
    year = 2015 + i % 10
    part = (i // 1000) % 100
    key = "data/%d/part-%05d/sample_%06d.parquet" % (year, part, i)
    version = b64(rng.randbytes(24)).replace("+", ".").replace("/", "_")[:32]
    pk = "s3://my-data-bucket/%s?versionId=%s" % (key, version)
    size = rng.randrange(1, 1 << 30)
    meta = {"user_meta": {"source": "sensor-%d" % (i % 97), "rows": rng.randrange(10**6),
                          "quality": round(rng.random(), 4)}}
    h = {"type": "sha2-256-chunked", "value": b64(hashlib.sha256(key.encode()).digest())}
    return {"logical_key": key, "physical_keys": [pk], "size": size, "hash": h, "meta": meta}


ALPHABET = ["a", "b", "Z", "_", "-", ".", " ", "0", "é", "ß", "ü", "中", "文", "😀", "𐍈",
            "\u2028", "\u0301", "~", "+", "#", "%", "'", '"', "\\", "\t", "\x7f", "Ａ"]


def random_name(rng):
    while True:
        name = "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(1, 8)))
        if name not in (".", ".."):
            return name


def random_float(rng):
    kind = rng.randrange(8)
    if kind == 0:
        return struct.unpack("<d", rng.randbytes(8))[0]
    if kind == 1:
        return rng.choice([0.0, -0.0, 1e16, 1e-5, 1e-4, 1e15, 9007199254740993.0, 5e-324,
                           1.7976931348623157e308, 0.1, 123456789.12345679])
    if kind == 2:
        return rng.random() * 10 ** rng.randrange(-30, 30)
    return round(rng.uniform(-1e6, 1e6), rng.randrange(0, 8))


def random_value(rng, depth=0):
    kind = rng.randrange(10 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.choice([0, -1, 2**53 + 1, 2**63, -(2**63) - 1, 10**40, rng.randrange(-10**6, 10**6)])
    if kind == 3:
        f = random_float(rng)
        return f if not math.isnan(f) and not math.isinf(f) else 1.5
    if kind in (4, 5):
        return random_name(rng)
    if kind in (6, 7):
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {random_name(rng): random_value(rng, depth + 1) for _ in range(rng.randrange(4))}


def random_entry(rng, key):
    htype = rng.choice(["sha2-256-chunked", "sha2-256-chunked", "SHA256", "CRC64NVME"])
    digest = hashlib.sha256(key.encode()).digest()
    value = {"SHA256": digest.hex(), "sha2-256-chunked": b64(digest), "CRC64NVME": b64(digest[:8])}[htype]
    meta = {}
    if rng.random() < 0.6:
        meta["user_meta"] = random_value(rng)
    if rng.random() < 0.2:
        meta[random_name(rng)] = random_value(rng)
    pk = "s3://bucket/" + "".join(c if c.isalnum() else "%%%02X" % (ord(c) % 256) for c in key)
    return {"logical_key": key, "physical_keys": [pk], "size": rng.randrange(0, 2**40),
            "hash": {"type": htype, "value": value}, "meta": meta}


def random_manifest(rng, n):
    keys = set()
    while len(keys) < n:
        keys.add("/".join(random_name(rng) for _ in range(rng.randrange(1, 4))))
    # Drop keys that would be both a file and a directory.
    keys = sorted(keys, key=walk_key)
    keys = [k for k in keys if not any(o.startswith(k + "/") for o in keys)]
    meta = {"version": "v0"}
    if rng.random() < 0.7:
        meta["user_meta"] = random_value(rng)
    meta["message"] = rng.choice([None, random_name(rng)])
    dirs = sorted({k.rsplit("/", 1)[0] + "/" for k in keys if "/" in k}, key=walk_key)
    dir_lines = [{"logical_key": d, "meta": {"x": random_value(rng)}} for d in dirs if rng.random() < 0.3]
    return meta, dir_lines, [random_entry(rng, k) for k in keys]


def dumps(record):
    try:
        text = json.dumps(record, ensure_ascii=False, allow_nan=False)
        text.encode("utf-8")
        return text
    except (ValueError, UnicodeEncodeError):
        return json.dumps(record)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--style", choices=["realistic", "random"], default="realistic")
    ap.add_argument("--shuffle", action="store_true")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    if args.style == "realistic":
        meta = {"version": "v0", "message": "synthetic benchmark manifest"}
        entries = sorted((realistic_entry(rng, i) for i in range(args.n)),
                         key=lambda e: walk_key(e["logical_key"]))
        dir_lines = []
    else:
        meta, dir_lines, entries = random_manifest(rng, args.n)
        if rng.random() < 0.5:
            entries[0]["meta"]["user_meta"] = {"nan": float("nan"), "inf": float("inf"),
                                               "lone": "\ud800x\udfff"}
    body = dir_lines + entries
    if args.shuffle:
        rng.shuffle(body)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write(dumps(meta) + "\n")
        for record in body:
            f.write(dumps(record) + "\n")


if __name__ == "__main__":
    main()
