#!/usr/bin/python3
"""Plain-Python reference for a manifest's top hash, written from quilt3's
algorithm (DESIGN.md): json.loads each line, then SHA-256 over the canonical
json.dumps of the package meta and of each entry's {hash, logical_key, meta,
size} in tree-walk order. Tests compare quiltcpp against it; the manifest
benchmark times it as the reference.

Usage: /usr/bin/python3 scripts/py_top_hash.py MANIFEST...
"""
import hashlib
import json
import sys


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8")


def top_hash(path):
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    meta = json.loads(lines[0])
    meta.pop("top_hash", None)
    digest = hashlib.sha256(canonical(meta))
    entries = []
    for line in lines[1:]:
        record = json.loads(line)
        if record.get("physical_keys"):
            entries.append(record)
    entries.sort(key=lambda r: r["logical_key"].split("/"))
    for r in entries:
        part = {"hash": r["hash"], "logical_key": r["logical_key"],
                "meta": r.get("meta") or {}, "size": r["size"]}
        digest.update(canonical(part))
    return digest.hexdigest()


def main():
    for path in sys.argv[1:]:
        print(top_hash(path))


if __name__ == "__main__":
    main()
