#!/usr/bin/python3
"""Say what Python's json module makes of many JSON texts at once.

The differential tests of quilt::Json (tests/core/json_python_test.cc) run
this once per test with Debian's /usr/bin/python3, exchanging files:

    json_oracle.py dump IN OUT
    json_oracle.py eq IN OUT

IN is a sequence of records, each a 4-byte little-endian length and that many
bytes. Each text is decoded as strict UTF-8 and given to json.loads (a text
that is not UTF-8 is rejected, as quiltcpp rejects it).

dump: for each text, OUT gets b"E" when it is rejected, else b"O", the record
  json.dumps(v, sort_keys=True, separators=(",", ":")), then a status byte and
  the record json.dumps(v, ensure_ascii=False) encoded as UTF-8. The status is
  b"O", b"N" when allow_nan=False refuses the value (quiltcpp throws), or b"S"
  when the text holds a lone surrogate, which Python prints raw and quiltcpp
  writes as a \\udxxx escape; for b"S" the record has that escape already.
eq: IN holds pairs of texts; OUT gets one byte per pair: b"1" when
  json.loads(a) == json.loads(b), b"0" when not, b"E" when either is rejected.
"""

import json
import re
import struct
import sys

LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def read_records(path):
    with open(path, "rb") as f:
        data = f.read()
    records, pos = [], 0
    while pos < len(data):
        (size,) = struct.unpack_from("<I", data, pos)
        pos += 4
        records.append(data[pos:pos + size])
        pos += size
    return records


def record(data):
    return struct.pack("<I", len(data)) + data


def loads(text):
    """Return (True, value) or (False, None) when Python rejects the text."""
    try:
        return True, json.loads(text.decode("utf-8"))
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError, int digits
        return False, None


def dump_one(text):
    ok, value = loads(text)
    if not ok:
        return b"E"
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"))
    out = b"O" + record(canonical.encode("ascii"))
    try:
        manifest = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except ValueError:
        return out + b"N" + record(b"")
    escaped = LONE_SURROGATE.sub(lambda m: "\\u%04x" % ord(m.group()), manifest)
    status = b"O" if escaped == manifest else b"S"
    return out + status + record(escaped.encode("utf-8"))


def eq_one(a, b):
    ok_a, va = loads(a)
    ok_b, vb = loads(b)
    if not (ok_a and ok_b):
        return b"E"
    return b"1" if va == vb else b"0"


def main():
    mode, in_path, out_path = sys.argv[1:4]
    records = read_records(in_path)
    if mode == "dump":
        out = b"".join(dump_one(t) for t in records)
    elif mode == "eq":
        out = b"".join(eq_one(records[i], records[i + 1]) for i in range(0, len(records), 2))
    else:
        sys.exit("unknown mode " + mode)
    with open(out_path, "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main()
