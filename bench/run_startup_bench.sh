#!/usr/bin/env bash
# Start-up: `quiltcpp --help` against `git --version`, both measured in the
# same run (the mean of many runs each). Target (issue #3): within 3x.
#
#   bench/run_startup_bench.sh               # 300 runs each
#   QUILT_BENCH_SMOKE=1 bench/run_startup_bench.sh   # 20 runs, no verdict
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${QUILT_BUILD_DIR:-build}
CLI="$(pwd)/$BUILD_DIR/quiltcpp"
if [ -n "${QUILT_BENCH_SMOKE:-}" ]; then N=20; else N=${QUILT_BENCH_RUNS:-300}; fi

mean_ms() {  # mean wall milliseconds of N runs of "$@"
  local s e
  "$@" > /dev/null 2>&1
  s=$(date +%s%N)
  for _ in $(seq "$N"); do "$@" > /dev/null 2>&1; done
  e=$(date +%s%N)
  awk "BEGIN{printf \"%.3f\", ($e - $s) / 1e6 / $N}"
}
git_ms=$(mean_ms git --version)
ours_ms=$(mean_ms "$CLI" --help)
ratio=$(awk "BEGIN{printf \"%.2f\", $ours_ms / $git_ms}")
echo "start-up: quiltcpp --help ${ours_ms} ms, git --version ${git_ms} ms: ratio ${ratio} (target <= 3)"
if [ -z "${QUILT_BENCH_SMOKE:-}" ]; then
  if awk "BEGIN{exit !($ratio <= 3)}"; then echo "PASS"; else echo "FAIL"; exit 1; fi
fi
