// The pieces together, as the file writer and reader will use them: a one-column file
// (optional INT32, PLAIN values, RLE definition levels, each codec) assembled byte by byte and
// read back. Files like these were read correctly by DuckDB and parquet-wasm when this was
// written (shared/parquet-oracle's pqcheck.mjs --cross).

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "formats/parquet/compression.h"
#include "formats/parquet/metadata.h"
#include "formats/parquet/plain.h"
#include "formats/parquet/rle.h"
#include "quilt/errors.h"

namespace quilt::parquet {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr int kRows = 1000;

bool is_valid(int row) { return row % 3 != 0; }

void append(Bytes& out, std::span<const uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

FileMetaData footer_for(Codec codec, const PageHeader& page, int64_t offset, int64_t size) {
  FileMetaData m;
  m.num_rows = kRows;
  m.schema.resize(2);
  m.schema[0].name = "schema";
  m.schema[0].num_children = 1;
  m.schema[1].name = "x";
  m.schema[1].type = PhysicalType::kInt32;
  m.schema[1].repetition = Repetition::kOptional;
  ColumnMetaData c;
  c.type = PhysicalType::kInt32;
  c.encodings = {Encoding::kPlain, Encoding::kRle};
  c.path_in_schema = {"x"};
  c.codec = codec;
  c.num_values = kRows;
  c.total_compressed_size = size;
  c.total_uncompressed_size = size - page.compressed_page_size + page.uncompressed_page_size;
  c.data_page_offset = offset;
  RowGroup g;
  g.num_rows = kRows;
  g.total_byte_size = c.total_uncompressed_size;
  g.columns.push_back({.file_path = std::nullopt, .file_offset = offset, .meta_data = c});
  m.row_groups = {g};
  return m;
}

Bytes write_file(Codec codec) {
  std::vector<uint8_t> levels(kRows);
  std::vector<int32_t> values;
  for (int row = 0; row < kRows; ++row) {
    levels[row] = is_valid(row);
    if (is_valid(row)) values.push_back(row * 10);
  }
  RleEncoder rle(1);
  rle.encode_length_prefixed(levels);
  PlainEncoder plain;
  plain.put(std::span<const int32_t>(values));
  Bytes page;
  append(page, rle.bytes());
  append(page, plain.bytes());
  Compressor compressor(codec);
  std::span<const uint8_t> packed = compressor.compress(page);
  PageHeader header;
  header.uncompressed_page_size = static_cast<int32_t>(page.size());
  header.compressed_page_size = static_cast<int32_t>(packed.size());
  header.data_page_header.emplace();
  header.data_page_header->num_values = kRows;

  Bytes file = {'P', 'A', 'R', '1'};
  CompactWriter writer;
  write_page_header(writer, header);
  append(file, writer.bytes());
  append(file, packed);
  int64_t size = static_cast<int64_t>(file.size()) - 4;
  writer.clear();
  write_file_metadata(writer, footer_for(codec, header, 4, size));
  append(file, writer.bytes());
  auto length = static_cast<uint32_t>(writer.bytes().size());
  append(file, {reinterpret_cast<const uint8_t*>(&length), 4});
  append(file, Bytes{'P', 'A', 'R', '1'});
  return file;
}

TEST(ParquetBuildingBlocks, OneColumnFileRoundTripsWithEveryCodec) {
  for (Codec codec : {Codec::kUncompressed, Codec::kSnappy, Codec::kGzip, Codec::kZstd}) {
    Bytes file = write_file(codec);
    ASSERT_EQ(std::memcmp(file.data() + file.size() - 4, "PAR1", 4), 0);
    uint32_t length;
    std::memcpy(&length, file.data() + file.size() - 8, 4);
    ASSERT_LE(length + 12, file.size());
    FileMetaData m = read_file_metadata({file.data() + file.size() - 8 - length, length}, "footer");
    const ColumnMetaData& column = *m.row_groups.at(0).columns.at(0).meta_data;
    EXPECT_EQ(column.codec, codec);

    std::span<const uint8_t> rest(file.data() + column.data_page_offset,
                                  file.size() - column.data_page_offset);
    CompactReader reader(rest, "page header");
    PageHeader header = read_page_header(reader);
    Bytes page(header.uncompressed_page_size);
    decompress(column.codec, rest.subspan(reader.position(), header.compressed_page_size), page);

    std::vector<uint8_t> levels(header.data_page_header->num_values);
    size_t used = decode_levels_v1(page, 1, levels);
    std::vector<int32_t> values(std::count(levels.begin(), levels.end(), 1));
    PlainDecoder(std::span<const uint8_t>(page).subspan(used), "x").decode(std::span(values));
    size_t next = 0;
    for (int row = 0; row < kRows; ++row) {
      ASSERT_EQ(levels[row], is_valid(row)) << row;
      if (is_valid(row)) {
        ASSERT_EQ(values[next++], row * 10) << row;
      }
    }
  }
}

}  // namespace
}  // namespace quilt::parquet
