// Files no writer at hand produces, assembled from the building blocks: INT96 timestamps (what
// older pyarrow and Spark write), REQUIRED columns with RLE-encoded booleans, and a row group
// whose chunks disagree with each other.

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "formats/parquet/metadata.h"
#include "formats/parquet/plain.h"
#include "formats/parquet/rle.h"
#include "quilt/errors.h"
#include "quilt/parquet.h"

namespace quilt::parquet {
namespace {

using Bytes = std::vector<uint8_t>;

void append(Bytes& out, std::span<const uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

struct ColumnPages {
  SchemaElement element;
  Bytes page;  // uncompressed page body
  int32_t num_values = 0;
  Encoding encoding = Encoding::kPlain;
};

// One row group of REQUIRED columns, one uncompressed page each.
Bytes assemble(const std::vector<ColumnPages>& columns, int64_t rows) {
  Bytes file = {'P', 'A', 'R', '1'};
  FileMetaData m;
  m.num_rows = rows;
  m.schema.push_back({});
  m.schema[0].name = "schema";
  m.schema[0].num_children = static_cast<int32_t>(columns.size());
  RowGroup g;
  g.num_rows = rows;
  for (const ColumnPages& c : columns) {
    m.schema.push_back(c.element);
    PageHeader header;
    header.uncompressed_page_size = static_cast<int32_t>(c.page.size());
    header.compressed_page_size = static_cast<int32_t>(c.page.size());
    header.data_page_header.emplace();
    header.data_page_header->num_values = c.num_values;
    header.data_page_header->encoding = c.encoding;
    CompactWriter w;
    write_page_header(w, header);
    ColumnMetaData md;
    md.type = *c.element.type;
    md.encodings = {c.encoding};
    md.path_in_schema = {c.element.name};
    md.num_values = c.num_values;
    md.data_page_offset = static_cast<int64_t>(file.size());
    md.total_compressed_size = static_cast<int64_t>(w.bytes().size() + c.page.size());
    md.total_uncompressed_size = md.total_compressed_size;
    append(file, w.bytes());
    append(file, c.page);
    g.columns.push_back(
        {.file_path = std::nullopt, .file_offset = md.data_page_offset, .meta_data = md});
  }
  m.row_groups = {g};
  CompactWriter w;
  write_file_metadata(w, m);
  append(file, w.bytes());
  auto length = static_cast<uint32_t>(w.bytes().size());
  append(file, {reinterpret_cast<const uint8_t*>(&length), 4});
  append(file, Bytes{'P', 'A', 'R', '1'});
  return file;
}

SchemaElement required(const char* name, PhysicalType type) {
  SchemaElement e;
  e.name = name;
  e.type = type;
  e.repetition = Repetition::kRequired;
  return e;
}

TEST(ParquetReaderAssembled, Int96TimestampsAndRleBooleans) {
  constexpr int kRows = 1000;
  // INT96: nanoseconds of the day, then the Julian day; 2440588 is 1970-01-01.
  std::vector<Int96> stamps(kRows);
  std::vector<int64_t> expected(kRows);
  for (int i = 0; i < kRows; ++i) {
    uint64_t nanos = 3600ULL * 1000000000ULL * (i % 24) + static_cast<uint64_t>(i);
    auto day = static_cast<uint32_t>(2440588 - 500 + i);
    stamps[i] = {{static_cast<uint32_t>(nanos), static_cast<uint32_t>(nanos >> 32), day}};
    expected[i] = (static_cast<int64_t>(day) - 2440588) * 86400LL * 1000000000LL +
                  static_cast<int64_t>(nanos);
  }
  ColumnPages ts{required("ts", PhysicalType::kInt96), {}, kRows, Encoding::kPlain};
  ts.page.resize(stamps.size() * 12);
  std::memcpy(ts.page.data(), stamps.data(), ts.page.size());
  std::vector<uint8_t> bits(kRows);
  for (int i = 0; i < kRows; ++i) bits[i] = (i / 10) % 2;
  ColumnPages flags{required("flag", PhysicalType::kBoolean), encode_levels_v1(bits, 1), kRows,
                    Encoding::kRle};

  Bytes file = assemble({ts, flags}, kRows);
  Table t = read_parquet(Buffer(file.data(), file.size(), nullptr), "assembled.parquet");
  ASSERT_EQ(t.column(0).type(), DataType::timestamp(quilt::TimeUnit::kNano));
  ASSERT_EQ(t.column(1).type(), DataType::boolean());
  for (int i = 0; i < kRows; ++i) {
    ASSERT_EQ(t.column(0).values<int64_t>()[i], expected[i]) << i;
    ASSERT_EQ(t.column(1).bool_at(i), bits[i] == 1) << i;
  }
  EXPECT_TRUE(t.column(0).validity_buffer().empty());
}

TEST(ParquetReaderAssembled, PageWithTooFewRleBooleans) {
  std::vector<uint8_t> bits(100, 1);
  ColumnPages flags{required("flag", PhysicalType::kBoolean), encode_levels_v1(bits, 1), 200,
                    Encoding::kRle};
  Bytes file = assemble({flags}, 200);
  try {
    read_parquet(Buffer(file.data(), file.size(), nullptr), "assembled.parquet");
    FAIL() << "read 200 booleans from a page of 100";
  } catch (const Corrupt& e) {
    EXPECT_NE(std::string(e.what()).find("assembled.parquet: column 'flag', row group 0, page 0"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace quilt::parquet
