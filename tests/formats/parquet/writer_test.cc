// The Parquet writer against independent readers: every file written here is
// read by DuckDB, parquet-wasm (arrow-rs) and hyparquet through the oracle
// (tools/parquet-oracle), which also checks the footer statistics against the
// data; values are compared with what the test expects, and where easy with
// the same data written by DuckDB itself (the oracle's per-column digests).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "formats/parquet/metadata.h"
#include "parquet_oracle.h"
#include "writer_test_util.h"
#include "quilt/errors.h"
#include "quilt/parquet.h"
#include "quilt/thread_pool.h"
#include "test_util.h"

namespace quilt::test {
namespace {

// One row of the test table as a function of its row number, in C++ and in
// DuckDB's SQL, so that DuckDB can write the same data for comparison.
template <class T>
std::optional<T> unless(bool is_null, T value) {
  return is_null ? std::nullopt : std::optional<T>(value);
}

Column binary_column(const std::string& name, const std::vector<std::optional<std::string>>& v) {
  Column c = Column::from_optional_strings(name, v);
  ColumnBuffers buffers;
  buffers.validity = c.validity_buffer();
  buffers.values = c.values_buffer();
  buffers.data = c.data_buffer();
  return Column::make(name, DataType::binary(), c.length(), std::move(buffers));
}

// Every column type, nulls in most, for rows [0, n).
Table make_table(int64_t n) {
  std::vector<std::optional<bool>> b;
  std::vector<std::optional<int8_t>> i8;
  std::vector<int16_t> i16;
  std::vector<int32_t> i32;
  std::vector<std::optional<int64_t>> i64;
  std::vector<uint8_t> u8;
  std::vector<uint16_t> u16;
  std::vector<std::optional<uint32_t>> u32;
  std::vector<uint64_t> u64;
  std::vector<std::optional<float>> f32;
  std::vector<double> f64;
  std::vector<std::optional<std::string>> s, bin;
  std::vector<int64_t> ts_ms, ts_ns;
  std::vector<std::optional<int64_t>> ts_us;
  std::vector<int32_t> d;
  std::vector<int32_t> cat;
  for (int64_t i = 0; i < n; ++i) {
    b.push_back(unless(i % 11 == 0, i % 3 == 0));
    i8.push_back(unless(i % 13 == 0, static_cast<int8_t>(i % 200 - 100)));
    i16.push_back(static_cast<int16_t>(i * 7 % 60000 - 30000));
    i32.push_back(static_cast<int32_t>(i * 99991 % 2000000000 - 1000000000));
    i64.push_back(unless(i % 5 == 0, i * 1000000007 - 5000000000000));
    u8.push_back(static_cast<uint8_t>(i % 256));
    u16.push_back(static_cast<uint16_t>(i * 3 % 65536));
    u32.push_back(unless(i % 29 == 0, static_cast<uint32_t>(i * 2654435761 % 4294967296)));
    u64.push_back(18446744000000000000ULL + static_cast<uint64_t>(i) * 1000003);
    f32.push_back(unless(i % 17 == 0, static_cast<float>((i % 100) * 0.25 - 10)));
    f64.push_back(static_cast<double>(i) * 0.1 - 100.0);
    s.push_back(unless(i % 19 == 0, std::string(i % 5 == 0 ? "\u00fc" : "s") +
                                        std::to_string(i * 7 % 500)));
    bin.push_back(unless(i % 23 == 0, std::string("b").append(std::to_string(i % 37))));
    ts_ms.push_back(1600000000000 + i * 1000);
    ts_us.push_back(unless(i % 31 == 0, 1600000000000000 + i * 7));
    ts_ns.push_back(1600000000000000000 + i * 123456789);
    d.push_back(static_cast<int32_t>(i - 1000));
    cat.push_back(i % 7 == 0 ? -1 : static_cast<int32_t>(i % 3));
  }
  return Table::make({
      Column::from_optional_bools("b", b),
      Column::from_optional("i8", i8),
      Column::from_values("i16", i16),
      Column::from_values("i32", i32),
      Column::from_optional("i64", i64),
      Column::from_values("u8", u8),
      Column::from_values("u16", u16),
      Column::from_optional("u32", u32),
      Column::from_values("u64", u64),
      Column::from_optional("f32", f32),
      Column::from_values("f64", f64),
      Column::from_optional_strings("s", s),
      binary_column("bin", bin),
      Column::from_timestamps("ts_ms", ts_ms, TimeUnit::kMilli),
      Column::from_optional_timestamps("ts_us", ts_us, TimeUnit::kMicro, "UTC"),
      Column::from_timestamps("ts_ns", ts_ns, TimeUnit::kNano),
      Column::from_dates("d", d),
      Column::from_dictionary("cat", cat, {"red", "green", "blue", "zzz_unused"}),
  });
}

// The same rows [begin, end) in DuckDB.
std::string reference_select(int64_t begin, int64_t end) {
  auto null_if = [](int k, const std::string& expr) {
    return "CASE WHEN range % " + std::to_string(k) + " = 0 THEN NULL ELSE " + expr + " END";
  };
  return "SELECT " + null_if(11, "range % 3 = 0") + " AS b, " +
         null_if(13, "(range % 200 - 100)::TINYINT") + " AS i8, " +
         "(range * 7 % 60000 - 30000)::SMALLINT AS i16, " +
         "(range * 99991 % 2000000000 - 1000000000)::INTEGER AS i32, " +
         null_if(5, "(range * 1000000007 - 5000000000000)::BIGINT") + " AS i64, " +
         "(range % 256)::UTINYINT AS u8, (range * 3 % 65536)::USMALLINT AS u16, " +
         null_if(29, "(range * 2654435761 % 4294967296)::UINTEGER") + " AS u32, " +
         "18446744000000000000::UBIGINT + (range * 1000003)::UBIGINT AS u64, " +
         null_if(17, "((range % 100) * 0.25 - 10)::FLOAT") + " AS f32, " +
         "range::DOUBLE * 0.1::DOUBLE - 100.0::DOUBLE AS f64, " +
         null_if(19, "CASE WHEN range % 5 = 0 THEN 'ü' ELSE 's' END || (range * 7 % 500)::VARCHAR") +
         " AS s, " + null_if(23, "('b' || (range % 37)::VARCHAR)::BLOB") + " AS bin, " +
         "epoch_ms(1600000000000 + range * 1000) AS ts_ms, " +
         null_if(31, "make_timestamp(1600000000000000 + range * 7)::TIMESTAMPTZ") + " AS ts_us, " +
         "make_timestamp_ns(1600000000000000000 + range * 123456789) AS ts_ns, " +
         "DATE '1970-01-01' + (range - 1000)::INTEGER AS d, " +
         null_if(7, "['red', 'green', 'blue'][range % 3 + 1]") + " AS cat " + "FROM range(" +
         std::to_string(begin) + ", " + std::to_string(end) + ")";
}

// Write the reference rows with DuckDB and return the oracle's summary.
Json reference_summary(const TempDir& dir, int64_t begin, int64_t end) {
  std::string path = (dir.path() / "duckdb.parquet").string();
  duckdb_sql("SET TimeZone = 'UTC'; COPY (" + reference_select(begin, end) + ") TO '" + path +
             "' (FORMAT parquet)");
  return check(path);
}

constexpr int64_t kRows = 3000;

// The reference summary of rows [0, kRows), made once: the oracle is slow.
const Json& full_reference() {
  static const Json summary = [] {
    TempDir dir;
    return reference_summary(dir, 0, kRows);
  }();
  return summary;
}

// The columns of `table` named in `names`.
Table select(const Table& table, std::initializer_list<const char*> names) {
  std::vector<Column> columns;
  for (const char* name : names) columns.push_back(*table.find_column(name));
  return Table::make(columns);
}

// Require every column of `ours` to hold the values of `reference`: the same
// digest (each value in order, timestamps as nanoseconds) and null count.
void expect_same_values(const Json& ours, const Json& reference) {
  ASSERT_TRUE(ours.is_object());
  ASSERT_TRUE(reference.is_object());
  EXPECT_EQ(ours.find("row_count")->as_int(), reference.find("row_count")->as_int());
  for (const Json& col : ours.find("columns")->as_array()) {
    const std::string name = col.find("name")->as_string();
    const Json& ref = summary_column(reference, name);
    EXPECT_EQ(text(*col.find("digest"), "sha256"), text(*ref.find("digest"), "sha256")) << name;
    EXPECT_EQ(text(col, "nulls"), text(ref, "nulls")) << name;
    if (ref.find("kind")->as_string().rfind("ts", 0) != 0) {
      EXPECT_EQ(text(col, "min"), text(ref, "min")) << name;
      EXPECT_EQ(text(col, "max"), text(ref, "max")) << name;
    }
  }
}

TEST(ParquetWriter, EveryTypeMatchesDuckDbWritingTheSameRows) {
  TempDir dir;
  std::string path = write(dir, "all.parquet", make_table(kRows));
  Json ours = check(path);
  expect_same_values(ours, full_reference());
  walk_pages(path);

  struct Expected {
    const char* name;
    const char* physical;
    const char* converted;
    const char* logical;  // a part of DuckDB's rendering
    const char* duckdb_type;
  };
  const Expected expected[] = {
      {"b", "BOOLEAN", "<absent>", "<absent>", "BOOLEAN"},
      {"i8", "INT32", "INT_8", "isSigned=1", "TINYINT"},
      {"i16", "INT32", "INT_16", "isSigned=1", "SMALLINT"},
      {"i32", "INT32", "INT_32", "isSigned=1", "INTEGER"},
      {"i64", "INT64", "INT_64", "isSigned=1", "BIGINT"},
      {"u8", "INT32", "UINT_8", "isSigned=0", "UTINYINT"},
      {"u16", "INT32", "UINT_16", "isSigned=0", "USMALLINT"},
      {"u32", "INT32", "UINT_32", "isSigned=0", "UINTEGER"},
      {"u64", "INT64", "UINT_64", "isSigned=0", "UBIGINT"},
      {"f32", "FLOAT", "<absent>", "<absent>", "FLOAT"},
      {"f64", "DOUBLE", "<absent>", "<absent>", "DOUBLE"},
      {"s", "BYTE_ARRAY", "UTF8", "StringType", "VARCHAR"},
      {"bin", "BYTE_ARRAY", "<absent>", "<absent>", "BLOB"},
      {"ts_ms", "INT64", "<absent>", "isAdjustedToUTC=0, unit=TimeUnit(MILLIS", "TIMESTAMP"},
      {"ts_us", "INT64", "TIMESTAMP_MICROS", "isAdjustedToUTC=1, unit=TimeUnit(MILLIS=<null>, MICROS",
       "TIMESTAMP WITH TIME ZONE"},
      {"ts_ns", "INT64", "<absent>", "NANOS", "TIMESTAMP_NS"},
      {"d", "INT32", "DATE", "DateType", "DATE"},
      {"cat", "BYTE_ARRAY", "UTF8", "StringType", "VARCHAR"},
  };
  for (const Expected& e : expected) {
    const Json& schema = summary_schema(ours, e.name);
    EXPECT_EQ(text(schema, "physical_type"), e.physical) << e.name;
    EXPECT_EQ(text(schema, "converted_type"), e.converted) << e.name;
    EXPECT_EQ(text(schema, "repetition_type"), "OPTIONAL") << e.name;
    EXPECT_NE(text(schema, "logical_type").find(e.logical), std::string::npos)
        << e.name << ": " << text(schema, "logical_type");
    EXPECT_EQ(text(schema, "duckdb_type"), e.duckdb_type) << e.name;
  }
  // Strings, binary and the categorical are dictionary-encoded; the rest PLAIN.
  for (const Json& col : ours.find("columns")->as_array()) {
    const std::string name = col.find("name")->as_string();
    const bool dictionary = name == "s" || name == "bin" || name == "cat";
    EXPECT_EQ(col.find("has_dictionary_page")->as_bool(), dictionary) << name;
    EXPECT_EQ(col.find("compressions")->canonical(), "[\"SNAPPY\"]") << name;
  }
  // The categorical's statistics cover the categories used, not "zzz_unused".
  EXPECT_EQ(text(summary_column(ours, "cat"), "max"), "red");
  FileMetaData footer = footer_of(path);
  EXPECT_EQ(footer.created_by, "quiltcpp version 0.1.0");
  ASSERT_EQ(footer.column_orders.size(), 18u);
  for (parquet::ColumnOrder order : footer.column_orders) {
    EXPECT_EQ(order, parquet::ColumnOrder::kTypeDefined);
  }
}

TEST(ParquetWriter, SlicedColumnsStartAtTheirOffset) {
  TempDir dir;
  // 13 and 1017: offsets that are not byte-aligned in the validity and bool bitmaps.
  Table table = make_table(kRows).slice(13, 1017);
  ASSERT_EQ(table.column(0).offset(), 13);
  std::string path = write(dir, "slice.parquet", table);
  expect_same_values(check(path), reference_summary(dir, 13, 13 + 1017));
}

TEST(ParquetWriter, RowGroupsAndPages) {
  TempDir dir;
  std::string path = write(dir, "groups.parquet", make_table(kRows),
                           {.row_group_size = 700, .data_page_size = 64});
  Json ours = check(path);
  expect_same_values(ours, full_reference());
  EXPECT_EQ(footer_of(path).row_groups.size(), 5u);
  EXPECT_EQ(ours.find("stats_check")->find("checked_chunks")->as_int(), 5 * 18);
  std::vector<ChunkPages> pages = walk_pages(path);
  for (size_t c = 0; c < pages.size(); ++c) {
    // Every column has more than one page in each of the 5 row groups.
    EXPECT_GT(pages[c].data_pages, 5) << "column " << c;
  }
}

TEST(ParquetWriter, EveryCodec) {
  TempDir dir;
  // A few columns (one per writer class) keep the oracle quick.
  Table table = select(make_table(kRows), {"b", "i64", "f32", "s", "ts_us", "cat"});
  const Json& reference = full_reference();
  for (ParquetCompression codec : {ParquetCompression::kNone, ParquetCompression::kSnappy,
                                   ParquetCompression::kGzip, ParquetCompression::kZstd}) {
    SCOPED_TRACE(std::string(parquet_compression_name(codec)));
    std::string path =
        write(dir, std::string(parquet_compression_name(codec)) + ".parquet", table,
              {.compression = codec, .compression_level = codec == ParquetCompression::kZstd ? 3 : 0});
    Json ours = check(path);
    expect_same_values(ours, reference);
    std::string name = codec == ParquetCompression::kNone ? "UNCOMPRESSED"
                                                         : std::string(parquet_compression_name(codec));
    std::transform(name.begin(), name.end(), name.begin(), ::toupper);
    EXPECT_EQ(summary_column(ours, "i64").find("compressions")->canonical(), "[\"" + name + "\"]");
    walk_pages(path);
  }
}

}  // namespace
}  // namespace quilt::test
