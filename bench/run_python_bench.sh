#!/usr/bin/env bash
# pkg.set('df.parquet', df) from Python against the C++ set() of the same rows
# (issue #6); see bench/python_set_df.py. QUILT_BENCH_SMOKE=1: short, no verdict.
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 bench/python_set_df.py
