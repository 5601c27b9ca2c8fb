// Json on the manifest hot path: one Json::parse per manifest line, one
// dump_canonical per entry for the top hash, one dump_manifest per line written.
// References measured in the same run: nlohmann::json (the usual C++ JSON
// library, which cannot keep quilt3's numbers exactly) on the same work, and
// memchr over the same bytes (the floor: looking at every byte once).

#include <benchmark/benchmark.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "quilt/json.h"

namespace {

/// A realistic manifest entry line, as quilt3 writes it (~340 bytes).
std::string entry_line(int i) {
  const std::string n = std::to_string(100000 + i).substr(1);
  return R"({"logical_key": "data/2024/part-00017/sample_)" + n +
         R"(.parquet", "physical_keys": ["s3://my-bucket/data/2024/part-00017/sample_)" + n +
         R"(.parquet?versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"], "size": )" +
         std::to_string(1048576 + i) +
         R"(, "hash": {"type": "sha2-256-chunked", )"
         R"("value": "OmHzEEK1X/fcxCt/TNolpgxlag/1Ex0mKs05HJHI8vk="}, )"
         R"("meta": {"user_meta": {"source": "sensor-7", "rows": 1024}}})";
}

/// A thousand distinct lines, so the branch predictor cannot learn one line.
const std::vector<std::string>& lines() {
  static const std::vector<std::string> kLines = [] {
    std::vector<std::string> v;
    for (int i = 0; i < 1000; ++i) v.push_back(entry_line(i));
    return v;
  }();
  return kLines;
}

int64_t total_bytes() {
  int64_t n = 0;
  for (const auto& l : lines()) n += static_cast<int64_t>(l.size());
  return n;
}

void BM_JsonParseEntryLine(benchmark::State& state) {
  for (auto _ : state) {
    for (const auto& line : lines()) benchmark::DoNotOptimize(quilt::Json::parse(line));
  }
  state.SetBytesProcessed(state.iterations() * total_bytes());
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(lines().size()));
}
BENCHMARK(BM_JsonParseEntryLine);

void BM_JsonCanonicalEntry(benchmark::State& state) {
  std::vector<quilt::Json> values;
  for (const auto& line : lines()) values.push_back(quilt::Json::parse(line));
  std::string out;
  int64_t bytes = 0;
  for (auto _ : state) {
    for (const auto& v : values) {
      out.clear();
      v.dump_canonical(out);
      bytes += static_cast<int64_t>(out.size());
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetBytesProcessed(bytes);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(values.size()));
}
BENCHMARK(BM_JsonCanonicalEntry);

void BM_JsonManifestEntry(benchmark::State& state) {
  std::vector<quilt::Json> values;
  for (const auto& line : lines()) values.push_back(quilt::Json::parse(line));
  std::string out;
  int64_t bytes = 0;
  for (auto _ : state) {
    for (const auto& v : values) {
      out.clear();
      v.dump_manifest(out);
      bytes += static_cast<int64_t>(out.size());
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetBytesProcessed(bytes);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(values.size()));
}
BENCHMARK(BM_JsonManifestEntry);

/// Parse then canonical-encode each line: the top-hash work per manifest entry.
void BM_JsonParseAndCanonical(benchmark::State& state) {
  std::string out;
  for (auto _ : state) {
    for (const auto& line : lines()) {
      out.clear();
      quilt::Json::parse(line).dump_canonical(out);
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetBytesProcessed(state.iterations() * total_bytes());
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(lines().size()));
}
BENCHMARK(BM_JsonParseAndCanonical);

/// Reference: nlohmann::json parse of the same lines.
void BM_JsonReferenceNlohmannParse(benchmark::State& state) {
  for (auto _ : state) {
    for (const auto& line : lines()) benchmark::DoNotOptimize(nlohmann::json::parse(line));
  }
  state.SetBytesProcessed(state.iterations() * total_bytes());
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(lines().size()));
}
BENCHMARK(BM_JsonReferenceNlohmannParse);

/// Reference: nlohmann::json parse and compact dump (its objects are sorted maps).
void BM_JsonReferenceNlohmannParseAndDump(benchmark::State& state) {
  for (auto _ : state) {
    for (const auto& line : lines()) benchmark::DoNotOptimize(nlohmann::json::parse(line).dump());
  }
  state.SetBytesProcessed(state.iterations() * total_bytes());
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(lines().size()));
}
BENCHMARK(BM_JsonReferenceNlohmannParseAndDump);

/// Reference: scan the same bytes once for a byte that is not there.
void BM_JsonReferenceMemchr(benchmark::State& state) {
  for (auto _ : state) {
    for (const auto& line : lines()) {
      benchmark::DoNotOptimize(std::memchr(line.data(), '\x01', line.size()));
    }
  }
  state.SetBytesProcessed(state.iterations() * total_bytes());
}
BENCHMARK(BM_JsonReferenceMemchr);

}  // namespace
