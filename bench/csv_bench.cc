// CSV writer and reader on the issue #4 table: 3.15M rows of int64, float64,
// an 8-character string (1,000 distinct), bool and timestamp[ns].
// bench/run_csv_bench.sh runs these beside DuckDB's COPY ... TO csv of the
// same data, measured in the same run.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "quilt/csv.h"

namespace {

int64_t bench_rows() {
  const char* smoke = std::getenv("QUILT_BENCH_SMOKE");
  return smoke != nullptr && *smoke != '\0' ? 100000 : 3150000;
}

// The rows DuckDB makes in run_csv_bench.sh: i, i * 0.5, 'key_' || lpad(i % 1000),
// i % 2 = 0, 2020-01-01 plus i milliseconds.
const quilt::Table& bench_table() {
  static const quilt::Table table = [] {
    const int64_t n = bench_rows();
    std::vector<int64_t> a(n);
    std::vector<double> b(n);
    std::vector<std::string> c(n);
    std::vector<bool> d(n);
    std::vector<int64_t> e(n);
    for (int64_t i = 0; i < n; ++i) {
      a[i] = i;
      b[i] = static_cast<double>(i) * 0.5;
      char key[16];
      std::snprintf(key, sizeof key, "key_%04d", static_cast<int>(i % 1000));
      c[i] = key;
      d[i] = i % 2 == 0;
      e[i] = 1577836800000000000 + i * 1000000;
    }
    return quilt::Table::make(
        {quilt::Column::from_values<int64_t>("a", std::move(a)),
         quilt::Column::from_values<double>("b", std::move(b)), quilt::Column::from_strings("c", c),
         quilt::Column::from_bools("d", d),
         quilt::Column::from_timestamps("e", std::move(e), quilt::TimeUnit::kNano)});
  }();
  return table;
}

std::string bench_path() {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/quilt_csv_bench.csv";
}

// Write the table to a file (as DuckDB's COPY does); arg: formatting threads (0: all cores).
void BM_WriteCsvFile(benchmark::State& state) {
  const quilt::Table& table = bench_table();
  quilt::CsvWriteOptions options;
  options.threads = static_cast<size_t>(state.range(0));
  size_t bytes = 0;
  for (auto _ : state) {
    const int fd = ::open(bench_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) state.SkipWithError("cannot open the output file");
    bytes = 0;
    quilt::write_csv(
        table,
        [&](std::span<const uint8_t> piece) {
          if (::write(fd, piece.data(), piece.size()) != static_cast<ssize_t>(piece.size())) {
            std::abort();
          }
          bytes += piece.size();
        },
        options);
    ::close(fd);
  }
  state.counters["MB"] = static_cast<double>(bytes) / 1e6;
  state.SetBytesProcessed(static_cast<int64_t>(bytes) * state.iterations());
}
BENCHMARK(BM_WriteCsvFile)
    ->Arg(1)
    ->Arg(0)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

// Read back the file BM_WriteCsvFile wrote, inferring every column's type.
void BM_ReadCsvFile(benchmark::State& state) {
  quilt::CsvWriteOptions options;
  const int fd = ::open(bench_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  quilt::write_csv(
      bench_table(),
      [&](std::span<const uint8_t> piece) {
        if (::write(fd, piece.data(), piece.size()) != static_cast<ssize_t>(piece.size()))
          std::abort();
      },
      options);
  ::close(fd);
  for (auto _ : state) {
    const quilt::Table t = quilt::read_csv_file(bench_path());
    benchmark::DoNotOptimize(t.num_rows());
  }
}
BENCHMARK(BM_ReadCsvFile)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

}  // namespace
