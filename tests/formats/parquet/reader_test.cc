// The Parquet reader against files DuckDB writes: every type DuckDB maps to a flat Parquet
// column, nulls, each codec, several row groups, dictionary and PLAIN pages, unicode. Each value
// is compared with what DuckDB itself reads from the same file.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "parquet_oracle.h"
#include "quilt/errors.h"
#include "quilt/parquet.h"
#include "quilt/thread_pool.h"
#include "reader_test_util.h"
#include "test_util.h"

namespace quilt::test {
namespace {

// One column of the DuckDB test table: its SQL, the type we expect, and how DuckDB renders it
// as cell_text does (raw timestamps, days, hex).
struct Spec {
  const char* name;
  const char* sql;
  DataType type;
  const char* canonical;  // nullptr: the column itself
};

std::vector<Spec> duckdb_columns() {
  return {
      {"i64", "range::BIGINT", DataType::int64(), nullptr},
      {"i64n", "CASE WHEN range % 7 = 0 THEN NULL ELSE range * 3 - 1000 END", DataType::int64(),
       nullptr},
      {"i32", "(range % 100 - 50)::INTEGER", DataType::int32(), nullptr},
      {"i8", "(range % 120 - 60)::TINYINT", DataType::int8(), nullptr},
      {"i16", "(range * 13 % 30000 - 15000)::SMALLINT", DataType::int16(), nullptr},
      {"u8", "(range % 250)::UTINYINT", DataType::uint8(), nullptr},
      {"u16", "(range % 60000)::USMALLINT", DataType::uint16(), nullptr},
      {"u32", "(range * 7 + 4000000000)::UINTEGER", DataType::uint32(), nullptr},
      {"u64", "(range * 1000003 + 18000000000000000000)::UBIGINT", DataType::uint64(), nullptr},
      {"f64", "(CASE WHEN range % 13 = 0 THEN NULL ELSE range / 4.0 END)::DOUBLE",
       DataType::float64(), nullptr},
      {"f32", "(range / 8.0)::FLOAT", DataType::float32(), nullptr},
      {"b", "range % 3 = 0", DataType::boolean(), nullptr},
      {"bn", "CASE WHEN range % 5 = 0 THEN NULL ELSE range % 2 = 0 END", DataType::boolean(),
       nullptr},
      {"s_dict", "'k' || (range % 50)", DataType::string(), nullptr},
      {"s_plain", "CASE WHEN range % 11 = 0 THEN NULL ELSE md5(range::VARCHAR) END",
       DataType::string(), nullptr},
      {"s_uni", "CASE WHEN range % 2 = 0 THEN 'ü→' || range ELSE '日本' || (range % 10) END",
       DataType::string(), nullptr},
      {"d", "DATE '2000-01-01' + (range % 1000)::INTEGER", DataType::date32(),
       "date_diff('day', DATE '1970-01-01', d)"},
      {"ts", "TIMESTAMP '2020-01-01' + to_microseconds(range * 1000003)",
       DataType::timestamp(TimeUnit::kMicro), "epoch_us(ts)"},
      {"ts_ms", "(TIMESTAMP '2020-01-01' + to_milliseconds(range))::TIMESTAMP_MS",
       DataType::timestamp(TimeUnit::kMilli), "epoch_ms(ts_ms)"},
      {"ts_ns", "make_timestamp_ns(1577836800000000000 + range * 1001)",
       DataType::timestamp(TimeUnit::kNano), "epoch_ns(ts_ns)"},
      {"tstz", "TIMESTAMPTZ '2020-01-01 00:00:00+00' + to_seconds(range)",
       DataType::timestamp(TimeUnit::kMicro, "UTC"), "epoch_us(tstz)"},
      {"blob", "CASE WHEN range % 9 = 0 THEN NULL ELSE unhex(printf('%04x00ff', range)) END",
       DataType::binary(), "hex(blob)"},
  };
}

std::string select_list(const std::vector<Spec>& specs) {
  std::string s;
  for (const Spec& spec : specs) {
    if (!s.empty()) s += ", ";
    s.append(spec.sql).append(" AS ").append(spec.name);
  }
  return s;
}

std::string canonical_list(const std::vector<Spec>& specs) {
  std::string s;
  for (const Spec& spec : specs) {
    if (!s.empty()) s += ", ";
    s.append(spec.canonical ? spec.canonical : spec.name).append(" AS ").append(spec.name);
  }
  return s;
}

void expect_types(const Table& table, const std::vector<Spec>& specs) {
  ASSERT_EQ(table.num_columns(), static_cast<int>(specs.size()));
  for (size_t i = 0; i < specs.size(); ++i) {
    EXPECT_EQ(table.column(static_cast<int>(i)).name(), specs[i].name);
    EXPECT_EQ(table.column(static_cast<int>(i)).type(), specs[i].type)
        << specs[i].name << ": " << table.column(static_cast<int>(i)).type().to_string();
  }
}

TEST(ParquetReader, ReadsEveryDuckDbTypeWithEveryCodecAndRowGroups) {
  TempDir dir;
  std::vector<Spec> specs = duckdb_columns();
  const int rows = 5000;
  std::string query = "SELECT " + select_list(specs) + " FROM range(" + std::to_string(rows) + ")";
  std::vector<std::string> codecs = {"uncompressed", "snappy", "gzip", "zstd"};
  std::string sql;
  for (const std::string& codec : codecs) {
    sql += "COPY (" + query + ") TO '" + (dir.path() / (codec + ".parquet")).string() +
           "' (FORMAT parquet, COMPRESSION " + codec + ", ROW_GROUP_SIZE 2048);\n";
  }
  std::string reference = (dir.path() / "zstd.parquet").string();
  sql += "SELECT " + canonical_list(specs) + " FROM '" + reference + "'";
  Json expected = duckdb_sql(sql);
  ThreadPool pool(3);
  for (const std::string& codec : codecs) {
    SCOPED_TRACE(codec);
    Table table = read_parquet_file((dir.path() / (codec + ".parquet")).string(), {.pool = &pool});
    expect_types(table, specs);
    expect_same_rows(table, expected);
    table.validate_full();
    EXPECT_EQ(table.find_column("i64")->null_count(), 0);
    EXPECT_TRUE(table.find_column("i64")->validity_buffer().empty()) << "no bitmap without nulls";
    EXPECT_EQ(table.find_column("i64n")->null_count(), (rows + 6) / 7);
    EXPECT_EQ(table.find_column("bn")->null_count(), rows / 5);
  }
}

TEST(ParquetReader, SameTableWithAndWithoutAPool) {
  TempDir dir;
  std::string path = (dir.path() / "x.parquet").string();
  duckdb_sql(
      "COPY (SELECT range AS a, CASE WHEN range % 3 = 0 THEN NULL ELSE range % 2 = 1 END "
      "AS b, 'v' || (range % 7) AS s FROM range(10000)) TO '" +
      path + "' (FORMAT parquet, ROW_GROUP_SIZE 2048)");
  ThreadPool pool(4);
  Table serial = read_parquet_file(path);
  Table parallel = read_parquet_file(path, {.pool = &pool});
  EXPECT_TRUE(serial.equals(parallel));
  // Row groups of 2048 rows end on byte boundaries; these booleans and nulls come out whole.
  EXPECT_EQ(serial.find_column("b")->null_count(), 3334);
}

TEST(ParquetReader, RowGroupsThatSplitBitmapBytes) {
  // Row groups of 1000 rows: neighbouring chunks share a byte of the bool and validity bitmaps,
  // decoded on different threads.
  TempDir dir;
  std::string path = (dir.path() / "x.parquet").string();
  std::string pw = oracle_dir() + "/pw_write.mjs";
  std::string spec =
      R"({"row_group_size": 1000, "columns": [{"name": "b", "type": "bool", "values": [)";
  for (int i = 0; i < 5003; ++i) {
    if (i > 0) spec += ",";
    spec += i % 7 == 0 ? "null" : (i % 3 == 0 ? "true" : "false");
  }
  spec += "]}]}";
  RunResult r = run_program({"/usr/bin/node", pw, path}, spec);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ThreadPool pool(4);
  for (int round = 0; round < 5; ++round) {
    Table t = read_parquet_file(path, {.pool = &pool});
    const Column& b = t.column(0);
    ASSERT_EQ(b.length(), 5003);
    for (int i = 0; i < 5003; ++i) {
      ASSERT_EQ(b.is_null(i), i % 7 == 0) << i;
      if (i % 7 != 0) {
        ASSERT_EQ(b.bool_at(i), i % 3 == 0) << i;
      }
    }
  }
}

TEST(ParquetReader, KeepsKeyValueMetadataInFileOrder) {
  TempDir dir;
  std::string path = (dir.path() / "x.parquet").string();
  duckdb_sql("COPY (SELECT 1 AS a) TO '" + path +
             "' (FORMAT parquet, KV_METADATA {zeta: 'last letter', alpha: 'first', mid: ''})");
  Table t = read_parquet_file(path);
  KeyValueMetadata expected = {{"zeta", "last letter"}, {"alpha", "first"}, {"mid", ""}};
  EXPECT_EQ(t.metadata(), expected);
}

TEST(ParquetReader, RestoresTimeZoneAndCategoricalsFromPandasMetadata) {
  TempDir dir;
  std::string path = (dir.path() / "x.parquet").string();
  std::string pandas =
      R"({"index_columns": [], "columns": [)"
      R"({"name": "when", "field_name": "when", "pandas_type": "datetimetz", )"
      R"("numpy_type": "datetime64[ns]", "metadata": {"timezone": "Europe/Brussels"}},)"
      R"({"name": "cat", "field_name": "cat", "pandas_type": "categorical", )"
      R"("numpy_type": "int8", "metadata": {"num_categories": 3, "ordered": true}},)"
      R"({"name": "plain", "field_name": "plain", "pandas_type": "unicode", )"
      R"("numpy_type": "object", "metadata": null}]})";
  // Three row groups with different dictionaries, and nulls.
  duckdb_sql(
      "COPY (SELECT TIMESTAMPTZ '2021-03-04 05:06:07+00' + to_seconds(range) AS \"when\", "
      "CASE WHEN range % 10 = 0 THEN NULL WHEN range < 2048 THEN 'low' || (range % 3) "
      "ELSE 'high' || (range % 2) END AS cat, 'p' || range AS plain FROM range(5000)) TO '" +
      path + "' (FORMAT parquet, ROW_GROUP_SIZE 2048, KV_METADATA {pandas: '" + pandas + "'})");
  Table t = read_parquet_file(path);
  EXPECT_EQ(t.column(0).type(), DataType::timestamp(TimeUnit::kMicro, "Europe/Brussels"));
  EXPECT_EQ(t.column(0).values<int64_t>()[0], 1614834367000000);
  const Column& cat = t.column(1);
  ASSERT_EQ(cat.type(), DataType::dictionary(DataType::int32(), DataType::string(), true));
  EXPECT_EQ(cat.dictionary().length(), 5);
  for (int64_t i = 0; i < 5000; ++i) {
    if (i % 10 == 0) {
      ASSERT_TRUE(cat.is_null(i)) << i;
      continue;
    }
    std::string expected =
        i < 2048 ? "low" + std::to_string(i % 3) : "high" + std::to_string(i % 2);
    ASSERT_EQ(cell_text(cat, i), expected) << i;
  }
  EXPECT_EQ(t.column(2).type(), DataType::string());
  t.validate_full();
}

TEST(ParquetReader, NumericCategoricalsKeepTheirCodesAndCategories) {
  // pandas says "categorical" over numbers: the categories are the union of the chunks'
  // dictionaries in order of first appearance, as for strings, with the numbers' own type.
  TempDir dir;
  std::string path = (dir.path() / "x.parquet").string();
  std::string pandas =
      R"({"index_columns": [], "columns": [)"
      R"({"name": "n", "field_name": "n", "pandas_type": "categorical", )"
      R"("numpy_type": "int8", "metadata": {"num_categories": 5, "ordered": false}},)"
      R"({"name": "f", "field_name": "f", "pandas_type": "categorical", )"
      R"("numpy_type": "int8", "metadata": {"num_categories": 3, "ordered": true}},)"
      R"({"name": "s", "field_name": "s", "pandas_type": "categorical", )"
      R"("numpy_type": "int8", "metadata": {"num_categories": 2, "ordered": false}}]})";
  duckdb_sql(
      "COPY (SELECT CASE WHEN range % 7 = 0 THEN NULL WHEN range < 2048 THEN 30 - range % 3 "
      "ELSE 100 + range % 2 END::SMALLINT AS n, ((range % 3) * 0.5 + 0.25)::DOUBLE AS f, "
      "TIMESTAMP '2020-01-01' + to_days((range % 2)::INTEGER) AS s FROM range(5000)) TO '" +
      path + "' (FORMAT parquet, ROW_GROUP_SIZE 2048, KV_METADATA {pandas: '" + pandas + "'})");
  Table t = read_parquet_file(path);
  t.validate_full();
  const Column& n = t.column(0);
  ASSERT_EQ(n.type(), DataType::dictionary(DataType::int32(), DataType::int16()));
  // Row 1 is 29, row 2 is 28, row 3 is 30; the second row group adds 100, then 101.
  ASSERT_EQ(n.dictionary().length(), 5);
  std::span<const int16_t> categories = n.dictionary().values<int16_t>();
  EXPECT_EQ(std::vector<int16_t>(categories.begin(), categories.end()),
            (std::vector<int16_t>{29, 28, 30, 100, 101}));
  std::span<const int32_t> codes = n.values<int32_t>();
  for (int64_t i = 0; i < 5000; ++i) {
    if (i % 7 == 0) {
      ASSERT_TRUE(n.is_null(i)) << i;
      continue;
    }
    int expected = i < 2048 ? 30 - static_cast<int>(i % 3) : 100 + static_cast<int>(i % 2);
    ASSERT_EQ(categories[codes[i]], expected) << i;
  }
  const Column& f = t.column(1);
  ASSERT_EQ(f.type(), DataType::dictionary(DataType::int32(), DataType::float64(), true));
  std::span<const double> floats = f.dictionary().values<double>();
  EXPECT_EQ(std::vector<double>(floats.begin(), floats.end()),
            (std::vector<double>{0.25, 0.75, 1.25}));
  const Column& s = t.column(2);
  ASSERT_EQ(s.type().value_type().id(), TypeId::kTimestamp);
  EXPECT_EQ(s.dictionary().length(), 2);
  EXPECT_EQ(s.dictionary().values<int64_t>()[1] - s.dictionary().values<int64_t>()[0],
            86'400'000'000);
}

TEST(ParquetReader, ReadsFromABufferAndNamesTheSource) {
  TempDir dir;
  std::string path = (dir.path() / "x.parquet").string();
  duckdb_sql("COPY (SELECT range AS a FROM range(100)) TO '" + path + "' (FORMAT parquet)");
  std::string bytes = read_file(path);
  Buffer buffer(bytes.data(), bytes.size(), nullptr);
  Table t = read_parquet(buffer, "memory.parquet");
  ASSERT_EQ(t.num_rows(), 100);
  EXPECT_EQ(t.column(0).values<int64_t>()[99], 99);
  bytes[bytes.size() - 1] = 'X';
  try {
    read_parquet(buffer, "memory.parquet");
    FAIL() << "read a file without its magic";
  } catch (const Corrupt& e) {
    EXPECT_NE(std::string(e.what()).find("memory.parquet"), std::string::npos) << e.what();
  }
}

TEST(ParquetReader, EmptyFileHasColumnsAndNoRows) {
  TempDir dir;
  std::string path = (dir.path() / "x.parquet").string();
  duckdb_sql("COPY (SELECT range AS a, 'x' AS s FROM range(0)) TO '" + path + "' (FORMAT parquet)");
  Table t = read_parquet_file(path);
  EXPECT_EQ(t.num_rows(), 0);
  ASSERT_EQ(t.num_columns(), 2);
  EXPECT_EQ(t.column(1).type(), DataType::string());
}

TEST(ParquetReader, DecimalsInFixedLenByteArraysAreBinaryAndInIntegersRefused) {
  TempDir dir;
  std::string path = (dir.path() / "x.parquet").string();
  duckdb_sql("COPY (SELECT (range * 1.5 - 20)::DECIMAL(21,1) AS dec FROM range(50)) TO '" + path +
             "' (FORMAT parquet)");
  Table t = read_parquet_file(path);
  ASSERT_EQ(t.column(0).type(), DataType::binary());
  for (int64_t i = 0; i < 50; ++i) {
    // 16 bytes, big-endian two's complement of the unscaled value.
    int64_t unscaled = i * 15 - 200;
    std::string expected(16, unscaled < 0 ? '\xFF' : '\0');
    for (int b = 0; b < 8; ++b) expected[15 - b] = static_cast<char>(unscaled >> (8 * b));
    ASSERT_EQ(t.column(0).string_at(i), expected) << i;
  }
  duckdb_sql("COPY (SELECT (range * 1.5)::DECIMAL(9,1) AS dec9 FROM range(5)) TO '" + path +
             "' (FORMAT parquet)");
  try {
    read_parquet_file(path);
    FAIL() << "read a DECIMAL in INT32 as an integer";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("column 'dec9'"), std::string::npos) << e.what();
  }
}

TEST(ParquetReader, MissingFileIsIoErrorNamingThePath) {
  try {
    read_parquet_file("/nonexistent/dir/x.parquet");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/x.parquet"), std::string::npos);
  }
}

}  // namespace
}  // namespace quilt::test
