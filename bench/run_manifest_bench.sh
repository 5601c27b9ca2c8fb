#!/usr/bin/env bash
# Load a 1,000,000-entry manifest (~420 MB) and compute its top hash, against
# the plain-Python reference (json.loads per line, canonical json.dumps,
# SHA-256: scripts/py_top_hash.py) measured in the same run.
# Targets (issue #2): >= 25x faster than the reference; peak RSS <= 2x file size.
#
#   bench/run_manifest_bench.sh            # full: 1,000,000 entries
#   QUILT_BENCH_SMOKE=1 bench/run_manifest_bench.sh   # CI smoke: 20,000 entries, no verdict
#   QUILT_BENCH_ENTRIES=N ...              # another size
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${QUILT_BUILD_DIR:-build}
CLI="$BUILD_DIR/quiltcpp"
PY=/usr/bin/python3
OUT=bench/out
mkdir -p "$OUT"

if [ -n "${QUILT_BENCH_SMOKE:-}" ]; then N=${QUILT_BENCH_ENTRIES:-20000}; RUNS=1; else N=${QUILT_BENCH_ENTRIES:-1000000}; RUNS=3; fi
MANIFEST="$OUT/manifest_$N.jsonl"
if [ ! -s "$MANIFEST" ]; then
  echo "generating $MANIFEST ($N entries)..."
  "$PY" scripts/gen_manifest.py "$MANIFEST.tmp" "$N" --seed 42 && mv "$MANIFEST.tmp" "$MANIFEST"
fi
BYTES=$(stat -c %s "$MANIFEST")
cat "$MANIFEST" > /dev/null  # page cache, for both tools alike

# Run a command RUNS times; print "best_seconds max_rss_kib stdout_of_last".
measure() {
  local best="" rss=0 out=""
  for _ in $(seq "$RUNS"); do
    out=$(/usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@")
    read -r secs kib < "$OUT/time.txt"
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; fi
    [ "$kib" -gt "$rss" ] && rss=$kib
  done
  echo "$best $rss $out"
}

read -r py_s py_rss py_hash < <(measure "$PY" scripts/py_top_hash.py "$MANIFEST")
read -r q_s q_rss q_hash < <(measure "$CLI" top-hash "$MANIFEST")

if [ "$py_hash" != "$q_hash" ]; then
  echo "FAIL: top hashes differ: python $py_hash, quiltcpp $q_hash"; exit 1
fi
ratio=$(awk "BEGIN{printf \"%.1f\", $py_s / ($q_s > 0 ? $q_s : 0.001)}")
rss_ratio=$(awk "BEGIN{printf \"%.2f\", ($q_rss * 1024) / $BYTES}")
mbps=$(awk "BEGIN{printf \"%.0f\", $BYTES / 1e6 / ($q_s > 0 ? $q_s : 0.001)}")
echo "manifest: $N entries, $((BYTES / 1000000)) MB, top hash $q_hash"
echo "  python reference: ${py_s} s, peak RSS $((py_rss / 1024)) MiB"
echo "  quiltcpp top-hash: ${q_s} s (${mbps} MB/s), peak RSS $((q_rss / 1024)) MiB (${rss_ratio}x file)"
echo "  speed-up: ${ratio}x (target >= 25x); RSS/file: ${rss_ratio} (target <= 2)"
if [ -z "${QUILT_BENCH_SMOKE:-}" ]; then
  if awk "BEGIN{exit !($ratio >= 25 && $rss_ratio <= 2)}"; then echo "PASS"; else echo "FAIL"; exit 1; fi
fi
