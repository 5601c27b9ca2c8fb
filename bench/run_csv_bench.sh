#!/usr/bin/env bash
# Write the issue #4 table (3.15M rows: int64, float64, 8-char string, bool,
# timestamp[ns]) as CSV to a file, against DuckDB's COPY ... TO csv of the same
# rows, measured in the same run (best of 3 each). Target: no slower than DuckDB.
# Also prints our read_csv_file of the result beside DuckDB's read_csv of it,
# for information (no target).
#
#   bench/run_csv_bench.sh
#   QUILT_BENCH_SMOKE=1 bench/run_csv_bench.sh   # 100,000 rows, no verdict
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${QUILT_BUILD_DIR:-build}
DUCK="node tools/parquet-oracle/duckdb_sql.mjs"
TMP=${TMPDIR:-/tmp}
if [ -n "${QUILT_BENCH_SMOKE:-}" ]; then N=100000; else N=3150000; fi

MAKE="CREATE TABLE t AS SELECT i::BIGINT AS a, (i * 0.5)::DOUBLE AS b,
  'key_' || lpad((i % 1000)::VARCHAR, 4, '0') AS c, (i % 2 = 0) AS d,
  '2020-01-01'::TIMESTAMP_NS + to_microseconds(i * 1000) AS e FROM range($N) r(i)"
# The wall time in ms of the last of the statements in $1, timed by DuckDB alone.
duck_ms() {
  $DUCK "$1" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["statement_ms"][-1])'
}
best_copy=""
for _ in 1 2 3; do
  copy=$(duck_ms "$MAKE; COPY t TO '$TMP/quilt_csv_bench_duckdb.csv'")
  if [ -z "$best_copy" ] || awk "BEGIN{exit !($copy < $best_copy)}"; then best_copy=$copy; fi
done
duck_bytes=$(stat -c %s "$TMP/quilt_csv_bench_duckdb.csv")

"$BUILD_DIR/quilt_bench" --benchmark_filter='^BM_(Write|Read)CsvFile' --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=false --benchmark_format=csv 2>/dev/null > "$TMP/quilt_csv_bench.out"
best_of() { grep "^\"$1\"" "$TMP/quilt_csv_bench.out" | cut -d, -f3 | sort -g | head -1; }
w1=$(best_of "BM_WriteCsvFile/1/min_time:2.000/real_time")
w0=$(best_of "BM_WriteCsvFile/0/min_time:2.000/real_time")
rd=$(best_of "BM_ReadCsvFile/min_time:2.000/real_time")
ours_bytes=$(stat -c %s "$TMP/quilt_csv_bench.csv")
# For information: DuckDB reading our file into a table (best of 3).
best_read=""
for _ in 1 2 3; do
  r=$(duck_ms "CREATE TABLE r AS SELECT * FROM read_csv('$TMP/quilt_csv_bench.csv')")
  if [ -z "$best_read" ] || awk "BEGIN{exit !($r < $best_read)}"; then best_read=$r; fi
done
echo "csv: $N rows"
echo "  DuckDB COPY TO csv:          ${best_copy} ms ($((duck_bytes / 1000000)) MB)"
echo "  write_csv, 1 thread:         ${w1} ms ($((ours_bytes / 1000000)) MB)"
echo "  write_csv, all cores:        ${w0} ms"
echo "  read_csv_file (inferred):    ${rd} ms (DuckDB read_csv into a table: ${best_read} ms)"
best=$(awk "BEGIN{print ($w0 < $w1 ? $w0 : $w1)}")
ratio=$(awk "BEGIN{printf \"%.2f\", $best / ($best_copy > 0 ? $best_copy : 0.001)}")
echo "  ours / DuckDB: ${ratio} (target <= 1)"
if [ -z "${QUILT_BENCH_SMOKE:-}" ]; then
  if awk "BEGIN{exit !($ratio <= 1)}"; then echo "PASS"; else echo "FAIL"; exit 1; fi
fi
