#!/usr/bin/env bash
# Build 10,000 small files (1-4 KiB) into a local registry, against
# `find DIR -type f -print0 | xargs -0 sha256sum` of the same files measured
# in the same run. Target (issue #3): quiltcpp no slower than sha256sum.
#
#   bench/run_build_bench.sh                 # 10,000 files, best of 5
#   QUILT_BENCH_SMOKE=1 bench/run_build_bench.sh   # 500 files, no verdict
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${QUILT_BUILD_DIR:-build}
CLI="$(pwd)/$BUILD_DIR/quiltcpp"
OUT=bench/out
mkdir -p "$OUT"
if [ -n "${QUILT_BENCH_SMOKE:-}" ]; then N=500; RUNS=1; else N=${QUILT_BENCH_FILES:-10000}; RUNS=5; fi
DIR="$OUT/small_files_$N"
if [ ! -d "$DIR" ]; then
  echo "creating $N files in $DIR..."
  /usr/bin/python3 - "$DIR" "$N" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
for i in range(n):
    d = os.path.join(root, "d%03d" % (i % 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%05d.bin" % i), "wb") as f:
        f.write(rng.randbytes(rng.randrange(1024, 4097)))
PY
fi
find "$DIR" -type f -print0 | xargs -0 cat > /dev/null  # page cache for both

best() {  # best wall time of RUNS runs of "$@"
  local best=""
  for _ in $(seq "$RUNS"); do
    local s e
    s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N)
    local t; t=$(awk "BEGIN{print $e - $s}")
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
  done
  echo "$best"
}

sha() { find "$DIR" -type f -print0 | xargs -0 sha256sum; }
build() {
  rm -rf "$OUT/build_registry"
  "$CLI" build bench/small --dir "$DIR" --registry "$OUT/build_registry" --message bench
}
ref=$(best sha)
ours=$(best build)
ratio=$(awk "BEGIN{printf \"%.2f\", $ours / $ref}")
echo "build of $N small files: quiltcpp ${ours}s, sha256sum ${ref}s: ratio ${ratio} (target <= 1.0)"
if [ -z "${QUILT_BENCH_SMOKE:-}" ]; then
  if awk "BEGIN{exit !($ratio <= 1.0)}"; then echo "PASS"; else echo "FAIL"; exit 1; fi
fi
