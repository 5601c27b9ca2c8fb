"""The walkthrough of quilt3's documentation (Editing, Building, Browsing,
Installing a package), written as a quilt3 user writes it; only the import
differs. Run by test_quilt3_scripts.py in a scratch directory."""

import os
import sys

import numpy as np
import pandas as pd

import quiltcpp as quilt3

registry = sys.argv[1]

# Creating and editing a package
os.makedirs("data/stuff", exist_ok=True)
pd.DataFrame({"fruit": ["banana", "apple"], "count": [3, 5]}).to_csv("data/data.csv", index=False)
with open("data/banana.txt", "w") as f:
    f.write("yellow\n")
with open("data/stuff/notes.md", "w") as f:
    f.write("# notes\n")

p = quilt3.Package()
p = p.set("data.csv", "data/data.csv")
p = p.set("banana.txt", "data/banana.txt", meta={"color": "yellow"})
p.set_dir("stuff/", "data/stuff/")
p.set("df.parquet", pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]}))
p.set("array.npy", np.eye(3))
p.set("config.json", {"threshold": 0.5})
p.set_meta({"project": "fruit"})
p.delete("stuff/notes.md")
p.set_dir("stuff/", "data/stuff/")

assert "banana.txt" in p
assert p["banana.txt"].meta == {"color": "yellow"}

# Building and pushing a package locally
top_hash = p.build("aleksey/hello_world", registry=registry, message="Initial commit")
print("built", top_hash)

# Browsing a package
p = quilt3.Package.browse("aleksey/hello_world", registry=registry)
for logical_key, entry in p.walk():
    print(logical_key, entry.size, entry.hash["type"])
print(p["data.csv"]())
print(p["df.parquet"]().dtypes.to_dict())
assert p["config.json"]() == {"threshold": 0.5}
assert p["banana.txt"].get_as_string() == "yellow\n"
assert p.meta == {"project": "fruit"}
assert (p["array.npy"]() == np.eye(3)).all()
print(quilt3.list_packages(registry))

# Installing a package to a directory
quilt3.Package.install("aleksey/hello_world", registry=registry, dest="installed")
assert open("installed/banana.txt").read() == "yellow\n"
p2 = quilt3.Package.browse("aleksey/hello_world", registry=registry, top_hash=top_hash)
assert p2.top_hash == top_hash
print("ok")
