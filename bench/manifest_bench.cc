// Micro-benchmarks of manifest parsing, writing and the top hash on realistic
// entries built in memory. bench/run_manifest_bench.sh measures the whole CLI
// on a 1,000,000-entry file against the Python reference.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "quilt/manifest.h"
#include "quilt/thread_pool.h"

namespace {

std::string make_manifest(int entries) {
  std::string text = "{\"version\": \"v0\", \"message\": \"bench\"}\n";
  char line[1024];
  for (int i = 0; i < entries; ++i) {
    std::snprintf(line, sizeof line,
                  "{\"logical_key\": \"data/%d/part-%05d/sample_%06d.parquet\", \"physical_keys\": "
                  "[\"s3://my-data-bucket/data/%d/part-%05d/sample_%06d.parquet?versionId="
                  "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY\"], \"size\": %d, \"hash\": {\"type\": "
                  "\"sha2-256-chunked\", \"value\": \"OmHzEEK1X/fcxCt/TNolpgxlag/1Ex0mKs05HJHI8vk=\"}, "
                  "\"meta\": {\"user_meta\": {\"source\": \"sensor-%d\", \"rows\": %d, \"quality\": 0.%04d}}}\n",
                  2015 + i % 10, i / 1000, i, 2015 + i % 10, i / 1000, i, 1000 + i * 7, i % 97,
                  i * 13, i % 10000);
    text += line;
  }
  return text;
}

const std::string& manifest_text() {
  static const std::string text = make_manifest(50000);
  return text;
}

void BM_ReadManifest(benchmark::State& state) {
  const std::string& text = manifest_text();
  quilt::ThreadPool pool(static_cast<size_t>(state.range(0)));
  quilt::ManifestReadOptions options;
  options.pool = state.range(0) > 1 ? &pool : nullptr;
  for (auto _ : state) benchmark::DoNotOptimize(quilt::read_manifest(text, options));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ReadManifest)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

void BM_TopHash(benchmark::State& state) {
  quilt::Manifest manifest = quilt::read_manifest(manifest_text());
  quilt::ThreadPool pool(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(quilt::compute_top_hash(manifest, state.range(0) > 1 ? &pool : nullptr));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * manifest_text().size()));
}
BENCHMARK(BM_TopHash)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

void BM_WriteManifest(benchmark::State& state) {
  quilt::Manifest manifest = quilt::read_manifest(manifest_text());
  for (auto _ : state) {
    std::string out;
    quilt::write_manifest(manifest, out);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * manifest_text().size()));
}
BENCHMARK(BM_WriteManifest)->Unit(benchmark::kMillisecond);

}  // namespace
