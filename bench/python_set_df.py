#!/usr/bin/python3
"""The founding case from Python (issue #6): pkg.set('df.parquet', df).

Times, best of --runs, for the 3.15M-row frame of issue #4 (int64, float64,
an 8-character str column, bool, datetime64[ns]; bench/table_bench_main.cc
builds the same rows with the same formulas):

  python   quiltcpp.Package().set('df.parquet', df) into the content store, as
           quilt_table_bench times the C++ set(): the store's directories
           made by the first run, the previous run's object deleted untimed
  cpp      PackageBuilder::set of the same table in C++ (quilt_table_bench,
           run first in its own process, before this one builds its heap)
  pickle   df.to_pickle of the same frame
  to_csv   df.to_csv(index=False) of the same frame (one run: it is slow)

and checks that the Python set() wrote the same Parquet bytes as the C++ one,
apart from the pandas metadata text. Target: python <= 1.5 x cpp.

    bench/python_set_df.py                       # 3,150,000 rows, best of 5
    QUILT_BENCH_SMOKE=1 bench/python_set_df.py   # 50,000 rows, no verdict
Environment: QUILT_BUILD_DIR (default build), QUILT_BENCH_ROWS.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BUILD = pathlib.Path(os.environ.get("QUILT_BUILD_DIR", ROOT / "build")).resolve()
OUT = ROOT / "bench" / "out" / "python"
SMOKE = bool(os.environ.get("QUILT_BENCH_SMOKE"))
ROWS = 50_000 if SMOKE else int(os.environ.get("QUILT_BENCH_ROWS", 3_150_000))
RUNS = 1 if SMOKE else 5  # as bench/run_table_bench.sh: the first two runs fill caches


def cpp_set():
    """quilt_table_bench's numbers for the same rows (its own process, started
    while this one is still small: forking with a large heap stalls here)."""
    out = OUT / "cpp"
    run = subprocess.run([str(BUILD / "quilt_table_bench"), "--rows", str(ROWS), "--runs",
                          str(RUNS), "--out", str(out)], capture_output=True, text=True,
                         check=True)
    return json.loads(run.stdout), out / "ours.parquet"


def make_frame():
    import numpy as np
    import pandas as pd
    i = np.arange(ROWS, dtype="int64")
    # One str object per row, as a frame read from a file holds them.
    names = np.array([f"n{(k * 7919) % 1000:07d}" for k in range(ROWS)], dtype=object)
    return pd.DataFrame({
        "id": i,
        "value": ((i * 2654435761) % 1000003) / 1000.0,
        "name": names,
        "flag": (i * 31) % 7 < 3,
        "ts": pd.to_datetime(1600000000000000000 + i * 1000003),
    })


def pd_read_pickle(path):
    import pandas as pd
    return pd.read_pickle(path)


def best_of(runs, fn, before=None):
    best = float("inf")
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def parquet_without_pandas_metadata(path):
    """The file's bytes before the footer (pages): equal when the data is."""
    data = pathlib.Path(path).read_bytes()
    footer = int.from_bytes(data[-8:-4], "little")
    return data[:len(data) - 8 - footer]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    cpp, cpp_file = cpp_set()

    store = OUT / "xdg"
    os.environ["XDG_DATA_HOME"] = str(store)
    sys.path.insert(0, str(BUILD / "python"))  # the module just built
    import quiltcpp
    df = make_frame()
    pandas_mb = df.memory_usage(deep=True).sum() / 1e6

    stored = {}

    def python_set():
        pkg = quiltcpp.Package()
        pkg.set("df.parquet", df)
        stored["path"] = pkg["df.parquet"].get()[len("file://"):]
        stored["size"] = pkg["df.parquet"].size
        stored["entry"] = pkg["df.parquet"]

    shutil.rmtree(store, True)

    def drop_last_object():
        if "path" in stored:
            os.unlink(stored["path"])

    python_seconds = best_of(RUNS, python_set, before=drop_last_object)
    same_pages = (parquet_without_pandas_metadata(stored["path"])
                  == parquet_without_pandas_metadata(cpp_file))
    # For information: reading it back into a DataFrame (hash checked).
    entry = stored["entry"]  # the last set()'s entry: hashed, in the store
    back = {}
    read_seconds = best_of(RUNS, lambda: back.update(df=entry.deserialize()))
    import pandas.testing
    pandas.testing.assert_frame_equal(back.pop("df"), df, check_exact=True)
    pickle_seconds = best_of(RUNS, lambda: df.to_pickle(OUT / "df.pickle"))
    unpickle_seconds = best_of(RUNS, lambda: pd_read_pickle(OUT / "df.pickle"))
    csv_seconds = best_of(1, lambda: df.to_csv(OUT / "df.csv", index=False))
    for name in ("df.pickle", "df.csv"):
        (OUT / name).unlink()
    shutil.rmtree(store, True)

    cpp_seconds = cpp["parquet"]["seconds"]
    ratio = python_seconds / cpp_seconds
    print(f"python set: {ROWS} rows, {pandas_mb:.0f} MB as pandas counts it; "
          f"parquet {stored['size'] / 1e6:.1f} MB (C++: {cpp['parquet']['bytes'] / 1e6:.1f} MB, "
          f"pages {'identical' if same_pages else 'DIFFER'})")
    print(f"pkg.set('df.parquet', df): {python_seconds:.3f}s; C++ set(): {cpp_seconds:.3f}s; "
          f"ratio {ratio:.2f} (target <= 1.5) "
          f"{'' if SMOKE else ('PASS' if ratio <= 1.5 else 'FAIL')}")
    print(f"deserialize() back to a DataFrame: {read_seconds:.3f}s; "
          f"pd.read_pickle: {unpickle_seconds:.3f}s")
    print(f"df.to_pickle: {pickle_seconds:.3f}s (set is {python_seconds / pickle_seconds:.2f}x); "
          f"df.to_csv: {csv_seconds:.3f}s (set is {python_seconds / csv_seconds:.2f}x)")
    if not same_pages or (not SMOKE and ratio > 1.5):
        sys.exit(1)


if __name__ == "__main__":
    main()
