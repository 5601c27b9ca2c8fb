// The founding benchmark (issue #4): put a 3.15M-row table into a package.
//
// Builds the table of the issue in memory (int64, float64, an 8-character
// string with 1,000 distinct values, bool, timestamp[ns]; 283 MB as pandas
// counts it), then times, best of --runs:
//   parquet  set() to parquet/snappy: serialize, hash, write into the store
//   csv      set() to csv
//   ref      a plain write plus SHA-256 of as many bytes as the parquet file
//   read     reading the parquet file back into a Table
// and prints one JSON document. bench/run_table_bench.sh runs DuckDB on the
// same data (the same formulas in SQL) and compares. No child process is
// started here: forking with a large heap stalls this machine.
//
//   quilt_table_bench --rows N --out DIR [--runs R]

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "quilt/csv.h"
#include "quilt/errors.h"
#include "quilt/package_builder.h"
#include "quilt/parquet.h"
#include "quilt/table.h"
#include "quilt/thread_pool.h"
#include "storage/content_store.h"

namespace quilt {
namespace {

// The same values run_table_bench.sh asks DuckDB for, row i:
//   id    = i
//   value = ((i * 2654435761) % 1000003) / 1000.0
//   name  = 'n' || lpad(((i * 7919) % 1000)::VARCHAR, 7, '0')
//   flag  = (i * 31) % 7 < 3
//   ts    = make_timestamp_ns(1600000000000000000 + i * 1000003)
Table make_table(int64_t rows) {
  std::vector<int64_t> ids(rows);
  std::vector<double> values(rows);
  std::vector<int32_t> offsets(rows + 1);
  std::vector<uint8_t> chars(static_cast<size_t>(rows) * 8);
  std::vector<uint8_t> flags((rows + 7) / 8, 0);
  std::vector<int64_t> stamps(rows);
  for (int64_t i = 0; i < rows; ++i) {
    ids[i] = i;
    values[i] = static_cast<double>((i * 2654435761LL) % 1000003) / 1000.0;
    char name[16];
    std::snprintf(name, sizeof name, "n%07lld", static_cast<long long>((i * 7919) % 1000));
    std::memcpy(&chars[static_cast<size_t>(i) * 8], name, 8);
    offsets[i] = static_cast<int32_t>(i * 8);
    if ((i * 31) % 7 < 3) flags[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
    stamps[i] = 1600000000000000000LL + i * 1000003LL;
  }
  offsets[rows] = static_cast<int32_t>(rows * 8);
  std::vector<Column> columns;
  columns.push_back(Column::from_values("id", std::move(ids)));
  columns.push_back(Column::from_values("value", std::move(values)));
  ColumnBuffers name_buffers;
  name_buffers.values = Buffer::from_vector(std::move(offsets));
  name_buffers.data = Buffer::from_vector(std::move(chars));
  columns.push_back(Column::make("name", DataType::string(), rows, std::move(name_buffers)));
  ColumnBuffers flag_buffers;
  flag_buffers.values = Buffer::from_vector(std::move(flags));
  columns.push_back(Column::make("flag", DataType::boolean(), rows, std::move(flag_buffers)));
  ColumnBuffers ts_buffers;
  ts_buffers.values = Buffer::from_vector(std::move(stamps));
  columns.push_back(Column::make("ts", DataType::timestamp(TimeUnit::kNano), rows,
                                 std::move(ts_buffers)));
  return Table::make(std::move(columns));
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double best_of(int runs, const std::function<void()>& fn) {
  double best = 1e30;
  for (int r = 0; r < runs; ++r) {
    auto start = std::chrono::steady_clock::now();
    fn();
    best = std::min(best, seconds_since(start));
  }
  return best;
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// The reference: write `bytes` bytes to `path` from a reused 1 MiB buffer,
// hashing each piece with SHA-256 (one stream, as a plain tool would).
void write_and_sha(const std::string& path, uint64_t bytes) {
  static std::vector<uint8_t> buffer = [] {
    std::vector<uint8_t> b(1 << 20);
    uint64_t x = 88172645463325252ULL;
    for (auto& c : b) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      c = static_cast<uint8_t>(x);
    }
    return b;
  }();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw IoError("cannot open " + path);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  uint64_t left = bytes;
  while (left > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(left, buffer.size()));
    EVP_DigestUpdate(ctx, buffer.data(), n);
    if (::write(fd, buffer.data(), n) != static_cast<ssize_t>(n)) throw IoError("short write");
    left -= n;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx, digest, &length);
  EVP_MD_CTX_free(ctx);
  ::close(fd);
}

int run(int argc, char** argv) {
  int64_t rows = 3150000;
  int runs = 3;
  std::string out = "bench/out/table";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--rows") rows = std::atoll(argv[i + 1]);
    else if (flag == "--runs") runs = std::atoi(argv[i + 1]);
    else if (flag == "--out") out = argv[i + 1];
    else throw InvalidArgument("unknown flag " + flag);
  }
  std::filesystem::create_directories(out);
  ThreadPool pool(2);

  Table table = make_table(rows);
  // pandas' memory_usage(deep=True): 8 bytes per int64/float64/datetime64
  // value, 1 per bool, and for the object column an 8-byte pointer plus a
  // 57-byte Python str of 8 ASCII characters per row, plus the RangeIndex.
  double pandas_bytes = static_cast<double>(rows) * (8 + 8 + 1 + 8 + 8 + 57) + 128;
  long rss_before = peak_rss_kib();

  std::string store_dir = out + "/store";
  std::filesystem::remove_all(store_dir);

  // The time of one set(key, table) into the store, as a user's store is
  // after its first use: its directories exist, the object does not. The
  // object the run before made is deleted first, untimed (dropping 48 MB from
  // the page cache takes 5-7 ms here and is no part of set()). `*stored` is
  // the object's path.
  auto time_set = [&](const std::string& key, uint64_t* size, std::string* stored) {
    if (!stored->empty()) std::filesystem::remove(*stored);
    auto start = std::chrono::steady_clock::now();
    SetObjectOptions options;
    options.data_dir = store_dir;
    options.pool = &pool;
    PackageBuilder builder;
    builder.set(key, table, options);
    // build() hashes nothing here: set() already gave the entry its hash.
    Package package = builder.build(pool);
    const double seconds = seconds_since(start);
    const ManifestEntry* entry = package.find(key);
    *size = entry->size;
    *stored = entry->physical_key.local_path();
    return seconds;
  };
  auto keep_as = [&](const std::string& stored, const std::string& ext) {
    std::filesystem::copy_file(stored, out + "/ours." + ext,
                               std::filesystem::copy_options::overwrite_existing);
  };

  // parquet set() and the reference take turns, so both meet the same
  // neighbours on this shared machine; best of each. The reference writes a
  // file that does not exist yet, as set() does.
  uint64_t parquet_bytes = 0;
  std::string parquet_stored;
  double parquet_seconds = 1e30;
  double ref_seconds = 1e30;
  double rss_growth_mb = 0;
  const std::string ref_path = out + "/ref.bin";
  for (int r = 0; r < runs; ++r) {
    parquet_seconds =
        std::min(parquet_seconds, time_set("table.parquet", &parquet_bytes, &parquet_stored));
    rss_growth_mb = static_cast<double>(peak_rss_kib() - rss_before) / 1024.0;
    std::filesystem::remove(ref_path);
    const auto start = std::chrono::steady_clock::now();
    write_and_sha(ref_path, parquet_bytes);
    ref_seconds = std::min(ref_seconds, seconds_since(start));
  }
  std::filesystem::remove(ref_path);
  keep_as(parquet_stored, "parquet");

  uint64_t csv_bytes = 0;
  std::string csv_stored;
  double csv_seconds = 1e30;
  for (int r = 0; r < runs; ++r) {
    csv_seconds = std::min(csv_seconds, time_set("table.csv", &csv_bytes, &csv_stored));
  }
  keep_as(csv_stored, "csv");

  ParquetReadOptions read_options;
  read_options.pool = &pool;
  int64_t rows_read = 0;
  double read_seconds = best_of(runs, [&] {
    Table back = read_parquet_file(out + "/ours.parquet", read_options);
    rows_read = back.num_rows();
  });
  if (rows_read != rows) throw Corrupt("read back " + std::to_string(rows_read) + " rows");

  std::printf(
      "{\"rows\": %lld, \"pandas_mb\": %.1f, "
      "\"parquet\": {\"seconds\": %.4f, \"bytes\": %llu, \"peak_rss_growth_mb\": %.1f}, "
      "\"write_sha_ref\": {\"seconds\": %.4f}, "
      "\"csv\": {\"seconds\": %.4f, \"bytes\": %llu}, "
      "\"read\": {\"seconds\": %.4f}}\n",
      static_cast<long long>(rows), pandas_bytes / 1e6, parquet_seconds,
      static_cast<unsigned long long>(parquet_bytes), rss_growth_mb, ref_seconds, csv_seconds,
      static_cast<unsigned long long>(csv_bytes), read_seconds);
  return 0;
}

}  // namespace
}  // namespace quilt

int main(int argc, char** argv) {
  try {
    return quilt::run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "quilt_table_bench: %s\n", e.what());
    return 1;
  }
}
