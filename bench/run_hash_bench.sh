#!/usr/bin/env bash
# Measure sha2-256-chunked of one large file in the page cache against the
# single-core `openssl speed -evp sha256` rate, measured in the same run.
#
# Target (the hashing issue): ours >= 0.9 x (2 x openssl single core).
#
# Usage: bench/run_hash_bench.sh [--record] [--help]
#   --record   add (or replace) this run's row in the Hashing table of bench/README.md
# Environment:
#   QUILT_BENCH_SMOKE=1     64 MiB file and short timings, for CI; never fails on the ratio
#   QUILT_BENCH_SIZE=N      file size in bytes (default 2 GiB; smoke: 64 MiB)
#   QUILT_BENCH_FILE=PATH   file to use (default: $TMPDIR or /tmp/quilt_hash_bench_<size>.bin,
#                           created from /dev/urandom when absent or of another size)
#   QUILT_BUILD_DIR=DIR     build directory holding quilt_bench and quiltcpp (default: build)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${QUILT_BUILD_DIR:-$root/build}
record=0
for arg in "$@"; do
  case $arg in
    --record) record=1 ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run_hash_bench.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

smoke=${QUILT_BENCH_SMOKE:-0}
if [[ $smoke == 1 ]]; then
  size=${QUILT_BENCH_SIZE:-$((64 << 20))}
  openssl_seconds=1
  min_time=0.2
else
  size=${QUILT_BENCH_SIZE:-$((2 << 30))}
  openssl_seconds=5
  min_time=4
fi
file=${QUILT_BENCH_FILE:-${TMPDIR:-/tmp}/quilt_hash_bench_${size}.bin}
threshold=0.9

if [[ ! -x $build/quilt_bench ]]; then
  echo "run_hash_bench.sh: $build/quilt_bench not found; build it first:" >&2
  echo "  cmake -S . -B build -G Ninja && ninja -C build quilt_bench" >&2
  exit 2
fi

if [[ ! -f $file || $(stat -c %s "$file") != "$size" ]]; then
  echo "creating $file ($size bytes)"
  head -c "$size" /dev/urandom >"$file.tmp"
  mv "$file.tmp" "$file"
fi
available=$(awk '/^MemAvailable:/ {printf "%.0f", $2 * 1024}' /proc/meminfo)
if ((size > available * 8 / 10)); then
  echo "warning: $size bytes may not stay in the page cache ($available bytes available)"
fi
# Put the file in the page cache as reading it from disk leaves it: evict our
# own pages, then read it sequentially, so readahead fills the cache with large
# folios. Freshly written pages are 4 KiB folios, which pread copies 3x slower
# on this VM (see bench/README.md); which one the file has would otherwise
# depend on how it was made.
dd if="$file" iflag=nocache count=0 status=none
cat "$file" >/dev/null
cat "$file" >/dev/null

load_before=$(cut -d' ' -f1 /proc/loadavg)

# OpenSSL's figure is in 1000s of bytes per second, e.g. "sha256  1660944.38k".
openssl_k=$(openssl speed -evp sha256 -bytes 8388608 -seconds "$openssl_seconds" 2>/dev/null |
  awk '$1 == "sha256" {sub(/k$/, "", $2); print $2}')
if [[ -z $openssl_k ]]; then
  echo "run_hash_bench.sh: could not read the rate from openssl speed" >&2
  exit 2
fi
openssl_bps=$(awk -v k="$openssl_k" 'BEGIN {printf "%.0f", k * 1000}')

json=$(QUILT_BENCH_HASH_FILE=$file "$build/quilt_bench" --benchmark_filter='^BM_ChunkedHashFile' \
  --benchmark_min_time="$min_time" --benchmark_format=json 2>/dev/null)
ours_bps=$(grep -o '"bytes_per_second": [0-9.e+]*' <<<"$json" | head -n 1 |
  awk '{printf "%.0f", $2}')
ours_cpu_bps=$(grep -o '"bytes_per_cpu_second": [0-9.e+]*' <<<"$json" | head -n 1 |
  awk '{printf "%.0f", $2}')
if [[ -z $ours_bps || -z $ours_cpu_bps ]]; then
  echo "run_hash_bench.sh: quilt_bench printed no bytes_per_second" >&2
  exit 2
fi

# End to end through the CLI once, for information: process start, pool, output.
cli_seconds=""
if [[ -x $build/quiltcpp ]]; then
  start=$(date +%s.%N)
  "$build/quiltcpp" hash "$file" >/dev/null
  cli_seconds=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.3f", e - s}')
fi

ratio=$(awk -v o="$ours_bps" -v r="$openssl_bps" 'BEGIN {printf "%.3f", o / (2 * r)}')
cpu_ratio=$(awk -v o="$ours_cpu_bps" -v r="$openssl_bps" 'BEGIN {printf "%.3f", o / r}')
pass=$(awk -v x="$ratio" -v t="$threshold" 'BEGIN {print (x >= t) ? "PASS" : "FAIL"}')
gbps() { awk -v b="$1" 'BEGIN {printf "%.2f", b / 1e9}'; }
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)

echo "file:               $file ($size bytes, page cache warm)"
echo "cpu:                $cpu, $(nproc) cores"
echo "openssl 1 core:     $(gbps "$openssl_bps") GB/s" \
  "(openssl speed -evp sha256 -bytes 8388608 -seconds $openssl_seconds)"
echo "quiltcpp chunked:   $(gbps "$ours_bps") GB/s" \
  "(quilt_bench BM_ChunkedHashFile; pool of $(nproc) workers + the caller)"
if [[ -n $cli_seconds ]]; then
  cli_bps=$(awk -v b="$size" -v s="$cli_seconds" 'BEGIN {printf "%.0f", b / s}')
  echo "quiltcpp hash CLI:  $cli_seconds s wall for the file, $(gbps "$cli_bps") GB/s"
fi
echo "per CPU-second:     $(gbps "$ours_cpu_bps") GB/s, $cpu_ratio of openssl's" \
  "(openssl speed also counts CPU time)"
echo "load average:       $load_before before the run"
if awk -v l="$load_before" 'BEGIN {exit !(l > 0.5)}'; then
  echo "warning: other processes are using the CPU; the wall-clock ratio understates ours" \
    "(openssl speed reports per CPU-second, so it is not affected)"
fi
echo "ratio:              $ratio of 2 x openssl single core (target >= $threshold)"
if [[ $smoke == 1 ]]; then
  echo "result:             $pass (smoke run: the ratio is not enforced)"
else
  echo "result:             $pass"
fi

if [[ $record == 1 ]]; then
  commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
  row="| $(date -u +%Y-%m-%d) | $commit | $((size >> 20)) MiB | $cpu, $(nproc) cores |"
  row+=" $(gbps "$openssl_bps") | $(gbps "$ours_bps") | $ratio | $cpu_ratio | $load_before |"
  row+=" $pass |"
  /usr/bin/python3 - "$root/bench/README.md" "$row" "$commit" "$((size >> 20)) MiB" <<'EOF'
import sys
path, row, commit, size = sys.argv[1:5]
lines = open(path, encoding="utf-8").read().split("\n")
start = lines.index("## Hashing")
end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
table = [i for i in range(start, end) if lines[i].startswith("|")]
if not table:
    sys.exit("bench/README.md: no results table under '## Hashing'")
# Replace the row of the same commit and size, else add after the last row.
same = [i for i in table if f"| {commit} | {size} |" in lines[i]]
if same:
    lines[same[0]] = row
else:
    lines.insert(table[-1] + 1, row)
open(path, "w", encoding="utf-8").write("\n".join(lines))
EOF
  echo "recorded in bench/README.md"
fi

if [[ $smoke != 1 && $pass != PASS ]]; then
  exit 1
fi
