// Reading a Parquet file into a Table. bench/run_parquet_read_bench.sh makes the 3.15M-row file
// of issue #4 with DuckDB, measures DuckDB reading it in the same run, and compares.
//
// Environment:
//   QUILT_BENCH_PARQUET_FILE  the file to read (required; the script makes it)

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdlib>
#include <string>

#include "quilt/parquet.h"
#include "quilt/thread_pool.h"

namespace {

double process_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Read the whole file with a pool of one worker per core plus the calling thread (arg 1), or on
// the calling thread alone (arg 0).
void BM_ReadParquetFile(benchmark::State& state) {
  const char* path = std::getenv("QUILT_BENCH_PARQUET_FILE");
  if (path == nullptr || *path == '\0') {
    state.SkipWithError("set QUILT_BENCH_PARQUET_FILE (bench/run_parquet_read_bench.sh does)");
    return;
  }
  quilt::ThreadPool pool;
  quilt::ParquetReadOptions options{.pool = state.range(0) != 0 ? &pool : nullptr};
  int64_t rows = 0;
  double cpu = process_cpu_seconds();
  for (auto _ : state) {
    quilt::Table table = quilt::read_parquet_file(path, options);
    rows = table.num_rows();
    benchmark::DoNotOptimize(table);
  }
  cpu = process_cpu_seconds() - cpu;
  state.counters["rows"] = static_cast<double>(rows);
  state.counters["cpu_seconds_per_read"] = cpu / static_cast<double>(state.iterations());
}

BENCHMARK(BM_ReadParquetFile)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
