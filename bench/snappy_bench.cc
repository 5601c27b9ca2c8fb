// Our snappy encoder (src/formats/parquet/snappy_encoder.h) against libsnappy
// on the pages of issue #4's table (bench/run_table_bench.sh): the first row
// group (1,048,576 rows) written uncompressed by our Parquet writer, cut back
// into its pages, each compressed on its own as the writer does.
//
//   build/quilt_bench --benchmark_filter=SnappyPages
//
// Reports MB/s of uncompressed page bytes and the compressed size of the
// column ("packed_bytes") and its ratio to the uncompressed size.

#include <benchmark/benchmark.h>
#include <snappy.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "formats/parquet/metadata.h"
#include "formats/parquet/snappy_encoder.h"
#include "formats/parquet/thrift_compact.h"
#include "quilt/parquet.h"
#include "quilt/table.h"

namespace quilt {
namespace {

constexpr int64_t kRows = 1048576;
const char *const kColumns[] = {"id", "value", "name", "flag", "ts"};

// The table of bench/table_bench_main.cc, row i:
//   id = i, value = ((i * 2654435761) % 1000003) / 1000.0,
//   name = "n" + (i * 7919) % 1000 in 7 digits, flag = (i * 31) % 7 < 3,
//   ts = 1600000000000000000 + i * 1000003 ns.
Table make_table() {
  std::vector<int64_t> ids(kRows);
  std::vector<double> values(kRows);
  std::vector<int32_t> offsets(kRows + 1);
  std::vector<uint8_t> chars(static_cast<size_t>(kRows) * 8);
  std::vector<uint8_t> flags((kRows + 7) / 8, 0);
  std::vector<int64_t> stamps(kRows);
  for (int64_t i = 0; i < kRows; ++i) {
    ids[i] = i;
    values[i] = static_cast<double>((i * 2654435761LL) % 1000003) / 1000.0;
    char name[16];
    std::snprintf(name, sizeof name, "n%07lld", static_cast<long long>((i * 7919) % 1000));
    std::memcpy(&chars[static_cast<size_t>(i) * 8], name, 8);
    offsets[i] = static_cast<int32_t>(i * 8);
    if ((i * 31) % 7 < 3) flags[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
    stamps[i] = 1600000000000000000LL + i * 1000003LL;
  }
  offsets[kRows] = static_cast<int32_t>(kRows * 8);
  std::vector<Column> columns;
  columns.push_back(Column::from_values("id", std::move(ids)));
  columns.push_back(Column::from_values("value", std::move(values)));
  ColumnBuffers name_buffers;
  name_buffers.values = Buffer::from_vector(std::move(offsets));
  name_buffers.data = Buffer::from_vector(std::move(chars));
  columns.push_back(Column::make("name", DataType::string(), kRows, std::move(name_buffers)));
  ColumnBuffers flag_buffers;
  flag_buffers.values = Buffer::from_vector(std::move(flags));
  columns.push_back(Column::make("flag", DataType::boolean(), kRows, std::move(flag_buffers)));
  ColumnBuffers ts_buffers;
  ts_buffers.values = Buffer::from_vector(std::move(stamps));
  columns.push_back(Column::make("ts", DataType::timestamp(TimeUnit::kNano), kRows,
                                 std::move(ts_buffers)));
  return Table::make(std::move(columns));
}

// The uncompressed pages (dictionary and data) of each column, in file order.
std::vector<std::vector<std::vector<uint8_t>>> column_pages() {
  std::vector<uint8_t> file;
  ParquetWriteOptions options;
  options.compression = ParquetCompression::kNone;
  write_parquet(make_table(), [&](std::span<const uint8_t> bytes) {
    file.insert(file.end(), bytes.begin(), bytes.end());
  }, options);
  uint32_t footer_size = 0;
  std::memcpy(&footer_size, file.data() + file.size() - 8, 4);
  const parquet::FileMetaData metadata = parquet::read_file_metadata(
      std::span(file).subspan(file.size() - 8 - footer_size, footer_size), "footer");
  std::vector<std::vector<std::vector<uint8_t>>> pages(std::size(kColumns));
  for (const parquet::RowGroup &group : metadata.row_groups) {
    for (size_t c = 0; c < group.columns.size(); ++c) {
      const parquet::ColumnMetaData &meta = *group.columns[c].meta_data;
      const auto start =
          static_cast<size_t>(meta.dictionary_page_offset.value_or(meta.data_page_offset));
      const std::span<const uint8_t> chunk =
          std::span(file).subspan(start, static_cast<size_t>(meta.total_compressed_size));
      size_t position = 0;
      while (position < chunk.size()) {
        parquet::CompactReader reader(chunk.subspan(position), "page header");
        const parquet::PageHeader header = parquet::read_page_header(reader);
        position += reader.position();
        const auto body = chunk.subspan(position, static_cast<size_t>(header.compressed_page_size));
        pages[c].emplace_back(body.begin(), body.end());
        position += body.size();
      }
    }
  }
  return pages;
}

const std::vector<std::vector<std::vector<uint8_t>>> &pages() {
  static const auto all = column_pages();
  return all;
}

// Arg 0: the column (index into kColumns); arg 1: 0 ours, 1 libsnappy.
void BM_SnappyPages(benchmark::State &state) {
  const auto &column = pages()[static_cast<size_t>(state.range(0))];
  const bool ours = state.range(1) == 0;
  size_t largest = 0;
  size_t raw = 0;
  for (const auto &page : column) {
    largest = std::max(largest, page.size());
    raw += page.size();
  }
  parquet::SnappyEncoder encoder;
  std::vector<uint8_t> out(
      std::max(parquet::SnappyEncoder::max_compressed_length(largest),
               snappy::MaxCompressedLength(largest)));
  size_t packed = 0;
  for (auto _ : state) {
    packed = 0;
    for (const auto &page : column) {
      size_t size = 0;
      if (ours) {
        size = encoder.compress(page, out.data());
      } else {
        snappy::RawCompress(reinterpret_cast<const char *>(page.data()), page.size(),
                            reinterpret_cast<char *>(out.data()), &size);
      }
      packed += size;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(raw) * state.iterations());
  state.SetLabel(std::string(kColumns[state.range(0)]) + (ours ? " ours" : " libsnappy"));
  state.counters["raw_bytes"] = static_cast<double>(raw);
  state.counters["packed_bytes"] = static_cast<double>(packed);
  state.counters["ratio"] = static_cast<double>(packed) / static_cast<double>(raw);
}
BENCHMARK(BM_SnappyPages)->ArgsProduct({{0, 1, 2, 3, 4}, {0, 1}});

}  // namespace
}  // namespace quilt
