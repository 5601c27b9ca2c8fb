"""Entries serialized the way quilt3 serializes objects (its bytes and its
`format` meta) deserialize in quiltcpp, and quiltcpp's entries carry the
meta quilt3 reads."""

import hashlib
import io
import json

import numpy as np
import pandas as pd
import pandas.testing as pdt

import quiltcpp

NA_VALUES = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
             "1.#QNAN", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null"]


def csv_meta(fieldsep):
    return {"format": {"opts": {"encoding": "utf-8", "index_names_are_keys": False,
                                "na_values": NA_VALUES, "use_header": True, "use_index": False,
                                "linesep": "\n", "fieldsep": fieldsep}, "name": "csv"},
            "target": "csv"}


def simple_meta(name):
    return {"format": {"name": name}, "target": name}


def manifest_of(tmp_path, items):
    """A manifest quilt3 could have written: legacy SHA256 hashes, quilt3's meta."""
    lines = [json.dumps({"version": "v0", "message": None})]
    for key, data, meta in items:
        path = tmp_path / "objects" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        lines.append(json.dumps({
            "logical_key": key, "physical_keys": [path.as_uri()], "size": len(data),
            "hash": {"type": "SHA256", "value": hashlib.sha256(data).hexdigest()},
            "meta": meta}))
    return io.StringIO("\n".join(lines) + "\n")


def test_quilt3_serialized_entries(tmp_path):
    df = pd.DataFrame({"a": [1, 2], "b": ["x", None], "c": [0.5, float("nan")]})
    buffer = io.BytesIO()
    np.save(buffer, np.arange(6, dtype="<f4").reshape(2, 3))
    items = [
        ("t.csv", df.to_csv(index=False).encode(), csv_meta(",")),
        ("t.tsv", df.to_csv(index=False, sep="\t").encode(), csv_meta("\t")),
        ("a.npy", buffer.getvalue(), simple_meta("numpy")),
        ("o.json", json.dumps({"k": [1, "\u2028"]}).encode(), simple_meta("json")),
        ("s.txt", "caf\u00e9\n".encode(), simple_meta("utf-8")),
        ("b.bin", b"\x00\x01", simple_meta("bytes")),
    ]
    pkg = quiltcpp.Package.load(manifest_of(tmp_path, items))
    pdt.assert_frame_equal(pkg["t.csv"](), pd.read_csv(io.StringIO(df.to_csv(index=False))),
                           check_exact=True)
    pdt.assert_frame_equal(pkg["t.tsv"](), pkg["t.csv"](), check_exact=True)
    np.testing.assert_array_equal(pkg["a.npy"](), np.arange(6, dtype="<f4").reshape(2, 3))
    assert pkg["o.json"]() == {"k": [1, "\u2028"]}
    assert pkg["s.txt"]() == "caf\u00e9\n"
    assert pkg["b.bin"]() == b"\x00\x01"


def test_our_meta_is_quilt3s():
    pkg = quiltcpp.Package()
    df = pd.DataFrame({"a": [1]})
    pkg.set("t.csv", df)
    pkg.set("t.tsv", df)
    pkg.set("o.json", {"a": 1})
    pkg.set("a.npy", np.zeros(2))
    pkg.set("b.bin", b"x")
    assert pkg["t.csv"]._meta == csv_meta(",")
    assert pkg["t.tsv"]._meta == csv_meta("\t")
    assert pkg["o.json"]._meta == simple_meta("json")
    assert pkg["a.npy"]._meta == simple_meta("numpy")
    assert pkg["b.bin"]._meta == simple_meta("bytes")
    # quilt3's json handler writes json.dumps(obj).
    assert pkg["o.json"].get_bytes() == json.dumps({"a": 1}).encode()
