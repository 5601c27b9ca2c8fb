#!/usr/bin/env bash
# Run every benchmark. With QUILT_BENCH_SMOKE=1 (CI) each runs in a short form
# that checks it works end to end but gives no verdict on speed.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${QUILT_BUILD_DIR:-build}
for script in bench/run_*_bench.sh; do
  echo "== $script"
  "$script"
done
if [ -x "$BUILD_DIR/quilt_bench" ]; then
  echo "== quilt_bench (micro-benchmarks)"
  # The CSV and Parquet-read benchmarks need the files their scripts make, and
  # ran above with them.
  filter='-(BM_ReadParquetFile|BM_WriteCsvFile|BM_ReadCsvFile)'
  if [ -n "${QUILT_BENCH_SMOKE:-}" ]; then
    "$BUILD_DIR/quilt_bench" --benchmark_min_time=0.01 --benchmark_filter="$filter"
  else
    "$BUILD_DIR/quilt_bench" --benchmark_filter="$filter"
  fi
fi
