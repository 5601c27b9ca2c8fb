// Hashing benchmarks. bench/run_hash_bench.sh runs BM_ChunkedHashFile on a
// 2 GiB file and compares it with `openssl speed -evp sha256` in the same run.
//
// Environment:
//   QUILT_BENCH_HASH_FILE  file for BM_ChunkedHashFile (default: a temp file)
//   QUILT_BENCH_HASH_SIZE  size of that temp file in bytes (default 256 MiB)

#define OPENSSL_SUPPRESS_DEPRECATED  // SHA256() is measured against EVP on purpose
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/crc64nvme.h"
#include "core/sha256.h"
#include "core/sha256_lanes.h"
#include "quilt/hasher.h"
#include "quilt/thread_pool.h"

namespace {

namespace fs = std::filesystem;

constexpr size_t kMiB = size_t{1} << 20;

std::vector<uint8_t> random_bytes(size_t n) {
  std::vector<uint8_t> out(n);
  std::mt19937_64 rng(42);
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v = rng();
    std::memcpy(out.data() + i, &v, sizeof v);
  }
  return out;
}

// User plus system time of every thread of this process.
double process_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

uint64_t env_size(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::stoull(value) : fallback;
}

// Files the benchmarks create, made once and removed at exit.
class TempFiles {
 public:
  TempFiles() : dir_(fs::temp_directory_path() / ("quilt_hash_bench_" + std::to_string(getpid()))) {
    fs::create_directories(dir_);
  }
  ~TempFiles() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  std::string make(const std::string& name, size_t size) {
    fs::path path = dir_ / name;
    if (fs::exists(path) && fs::file_size(path) == size) return path.string();
    std::vector<uint8_t> block = random_bytes(std::min(size, 64 * kMiB));
    std::ofstream out(path, std::ios::binary);
    for (size_t done = 0; done < size; done += block.size()) {
      size_t n = std::min(block.size(), size - done);
      out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(n));
    }
    return path.string();
  }

 private:
  fs::path dir_;
};

TempFiles& temp_files() {
  static TempFiles files;
  return files;
}

quilt::ThreadPool& pool() {
  static quilt::ThreadPool pool;  // one per hardware thread, as the CLI has
  return pool;
}

// sha2-256-chunked of one file (in the page cache after the first iteration).
void BM_ChunkedHashFile(benchmark::State& state) {
  const char* given = std::getenv("QUILT_BENCH_HASH_FILE");
  std::string path = given != nullptr && *given != '\0'
                         ? std::string(given)
                         : temp_files().make("one", env_size("QUILT_BENCH_HASH_SIZE", 256 * kMiB));
  uint64_t size = 0;
  double cpu_start = process_cpu_seconds();
  for (auto _ : state) {
    quilt::FileHash result = quilt::hash_file(path, quilt::HashType::kSha2256Chunked, pool());
    size = result.size;
    benchmark::DoNotOptimize(result);
  }
  double cpu = process_cpu_seconds() - cpu_start;
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
  state.counters["threads"] = static_cast<double>(pool().size());
  // Bytes per CPU-second of all our threads: comparable with `openssl speed`,
  // which reports per CPU-second too, even when other processes share the cores.
  state.counters["bytes_per_cpu_second"] = static_cast<double>(state.iterations() * size) / cpu;
}
BENCHMARK(BM_ChunkedHashFile)->UseRealTime()->Unit(benchmark::kMillisecond);

// One large file and many small ones: both kinds of parallelism at once.
void BM_HashFilesMixed(benchmark::State& state) {
  std::vector<std::string> paths = {temp_files().make("mixed_big", 128 * kMiB)};
  for (int i = 0; i < 256; ++i)
    paths.push_back(temp_files().make("small" + std::to_string(i), 256 << 10));
  uint64_t total = 128 * kMiB + 256 * (256 << 10);
  for (auto _ : state) {
    benchmark::DoNotOptimize(quilt::hash_files(paths, quilt::HashType::kSha2256Chunked, pool()));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * total));
}
BENCHMARK(BM_HashFilesMixed)->UseRealTime()->Unit(benchmark::kMillisecond);

// sha2-256-chunked of bytes in memory, parts on the pool.
void BM_ChunkedHashBytes(benchmark::State& state) {
  static const std::vector<uint8_t> data = random_bytes(256 * kMiB);
  for (auto _ : state) {
    benchmark::DoNotOptimize(quilt::hash_bytes(data, quilt::HashType::kSha2256Chunked, &pool()));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_ChunkedHashBytes)->UseRealTime()->Unit(benchmark::kMillisecond);

// StreamHasher fed 1 MiB at a time, as a serializer feeds it.
void BM_StreamHasherChunked(benchmark::State& state) {
  static const std::vector<uint8_t> data = random_bytes(256 * kMiB);
  for (auto _ : state) {
    quilt::StreamHasher hasher(quilt::HashType::kSha2256Chunked, data.size(), &pool());
    for (size_t at = 0; at < data.size(); at += kMiB) {
      hasher.update(std::span<const uint8_t>(data).subspan(at, std::min(kMiB, data.size() - at)));
    }
    benchmark::DoNotOptimize(hasher.finish());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_StreamHasherChunked)->UseRealTime()->Unit(benchmark::kMillisecond);

// One part digest, three ways: our EVP wrapper (EVP_MD fetched once),
// EVP_Digest with an implicit fetch per call, and the deprecated SHA256().
enum PartMethod { kCachedEvp, kImplicitEvp, kLowLevel };

void BM_Sha256Part(benchmark::State& state) {
  std::vector<uint8_t> data = random_bytes(static_cast<size_t>(state.range(0)));
  auto method = static_cast<PartMethod>(state.range(1));
  unsigned char digest[EVP_MAX_MD_SIZE];
  for (auto _ : state) {
    if (method == kCachedEvp) {
      benchmark::DoNotOptimize(quilt::detail::sha256(data));
    } else if (method == kImplicitEvp) {
      unsigned int length = 0;
      EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
    } else {
      SHA256(data.data(), data.size(), digest);
    }
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
  state.SetLabel(method == kCachedEvp ? "evp-cached" : method == kImplicitEvp ? "evp" : "SHA256()");
}
BENCHMARK(BM_Sha256Part)->ArgsProduct({{64, 4096, 8 << 20}, {kCachedEvp, kImplicitEvp, kLowLevel}});

// Sha256Lanes: N independent 8 MiB messages hashed together on one thread.
void BM_Sha256Lanes(benchmark::State& state) {
  size_t lanes = static_cast<size_t>(state.range(0));
  static const std::vector<uint8_t> data = random_bytes(4 * 8 * kMiB);
  std::array<std::span<const uint8_t>, quilt::detail::kMaxSha256Lanes> pieces;
  for (size_t i = 0; i < lanes; ++i) pieces[i] = std::span(data).subspan(i * 8 * kMiB, 8 * kMiB);
  for (auto _ : state) {
    quilt::detail::Sha256Lanes sha(lanes);
    sha.update(std::span(pieces).first(lanes));
    benchmark::DoNotOptimize(sha.finish());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * lanes * 8 * kMiB));
  state.SetLabel(quilt::detail::cpu_has_sha_ni() ? "sha-ni" : "openssl");
}
BENCHMARK(BM_Sha256Lanes)->DenseRange(1, 4);

void BM_Crc64Nvme(benchmark::State& state) {
  std::vector<uint8_t> data = random_bytes(static_cast<size_t>(state.range(0)));
  bool clmul = state.range(1) != 0;
  if (clmul && !quilt::detail::cpu_has_clmul()) {
    state.SkipWithError("no PCLMULQDQ on this CPU");
    return;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(clmul ? quilt::detail::crc64nvme_clmul(data)
                                   : quilt::detail::crc64nvme_table(data));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
  state.SetLabel(clmul ? "clmul" : "table");
}
BENCHMARK(BM_Crc64Nvme)->ArgsProduct({{4096, 1 << 20}, {0, 1}});

}  // namespace
