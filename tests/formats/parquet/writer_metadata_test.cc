// The file around the data: key-value metadata (the table's own, and the
// pandas JSON made when it has none), empty tables, errors for what Parquet
// cannot hold, the compression names, and output that does not depend on the
// thread pool.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "quilt/errors.h"
#include "quilt/thread_pool.h"
#include "writer_test_util.h"

namespace quilt::test {
namespace {

std::optional<std::string> kv(const FileMetaData& footer, const std::string& key) {
  for (const parquet::KeyValue& entry : footer.key_value_metadata) {
    if (entry.key == key) return entry.value;
  }
  return std::nullopt;
}

Table typed_table() {
  return Table::make({
      Column::from_values<int64_t>("i64", {1, 2, 3}),
      Column::from_values<uint8_t>("u8", {1, 2, 3}),
      Column::from_values<float>("f32", {1, 2, 3}),
      Column::from_bools("flag", {true, false, true}),
      Column::from_optional_bools("maybe", {true, std::nullopt, false}),
      Column::from_strings("name", {"a", "b", "c"}),
      Column::from_binary("raw", {"x", "y", "z"}),
      Column::from_timestamps("naive", {1, 2, 3}, TimeUnit::kMicro),
      // Whole microseconds: DuckDB reads UTC-adjusted nanoseconds at microsecond precision.
      Column::from_timestamps("aware", {1000, 2000, 3000}, TimeUnit::kNano, "Europe/Paris"),
      Column::from_dates("day", {1, 2, 3}),
      Column::from_dictionary("kind", {0, 1, 0}, {"x", "y", "z"}, /*ordered=*/true),
  });
}

TEST(ParquetWriterMetadata, PandasMetadataDescribesTheColumns) {
  TempDir dir;
  std::string path = write(dir, "pandas.parquet", typed_table());
  check(path);
  std::optional<std::string> text_json = kv(footer_of(path), "pandas");
  ASSERT_TRUE(text_json.has_value());
  Json pandas = Json::parse(*text_json);

  const Json& index = pandas.find("index_columns")->as_array().at(0);
  EXPECT_EQ(index.find("kind")->as_string(), "range");
  EXPECT_TRUE(index.find("name")->is_null());
  EXPECT_EQ(index.find("start")->as_int(), 0);
  EXPECT_EQ(index.find("stop")->as_int(), 3);
  EXPECT_EQ(index.find("step")->as_int(), 1);
  const Json& column_index = pandas.find("column_indexes")->as_array().at(0);
  EXPECT_EQ(column_index.canonical(),
            R"({"field_name":null,"metadata":{"encoding":"UTF-8"},"name":null,)"
            R"("numpy_type":"object","pandas_type":"unicode"})");
  EXPECT_EQ(pandas.find("creator")->find("library")->as_string(), "quiltcpp");
  EXPECT_EQ(pandas.find("creator")->find("version")->as_string(), "0.1.0");
  EXPECT_EQ(pandas.find("pandas_version")->as_string(), "1.5.3");

  struct Expected {
    const char* name;
    const char* pandas_type;
    const char* numpy_type;
    const char* metadata;  // canonical JSON
  };
  const Expected expected[] = {
      {"i64", "int64", "int64", "null"},
      {"u8", "uint8", "uint8", "null"},
      {"f32", "float32", "float32", "null"},
      {"flag", "bool", "bool", "null"},
      {"maybe", "bool", "object", "null"},
      {"name", "unicode", "object", "null"},
      {"raw", "bytes", "object", "null"},
      {"naive", "datetime", "datetime64[ns]", "null"},
      {"aware", "datetimetz", "datetime64[ns]", R"({"timezone":"Europe/Paris"})"},
      {"day", "date", "object", "null"},
      {"kind", "categorical", "int32", R"({"num_categories":3,"ordered":true})"},
  };
  const Json::Array& columns = pandas.find("columns")->as_array();
  ASSERT_EQ(columns.size(), std::size(expected));
  for (size_t i = 0; i < columns.size(); ++i) {
    const Json& c = columns[i];
    EXPECT_EQ(c.find("name")->as_string(), expected[i].name);
    EXPECT_EQ(c.find("field_name")->as_string(), expected[i].name);
    EXPECT_EQ(c.find("pandas_type")->as_string(), expected[i].pandas_type) << expected[i].name;
    EXPECT_EQ(c.find("numpy_type")->as_string(), expected[i].numpy_type) << expected[i].name;
    EXPECT_EQ(c.find("metadata")->canonical(), expected[i].metadata) << expected[i].name;
  }
}

TEST(ParquetWriterMetadata, TableMetadataIsWrittenAsIs) {
  TempDir dir;
  Table table = typed_table();
  // Other keys are kept, in order, and a pandas key is generated after them.
  std::string path = write(dir, "kv.parquet", table.with_metadata({{"b", "2"}, {"a", "1"}}));
  FileMetaData footer = footer_of(path);
  ASSERT_EQ(footer.key_value_metadata.size(), 3u);
  EXPECT_EQ(footer.key_value_metadata[0].key, "b");
  EXPECT_EQ(footer.key_value_metadata[0].value, "2");
  EXPECT_EQ(footer.key_value_metadata[1].key, "a");
  EXPECT_EQ(footer.key_value_metadata[2].key, "pandas");

  // A pandas key given by the table (say, read from a pyarrow file) is not replaced.
  const std::string given = R"({"index_columns": [], "columns": []})";
  path = write(dir, "given.parquet", table.with_metadata({{"pandas", given}}));
  footer = footer_of(path);
  ASSERT_EQ(footer.key_value_metadata.size(), 1u);
  EXPECT_EQ(kv(footer, "pandas"), given);
  Json summary = check(path);
  EXPECT_EQ(text(*summary.find("metadata")->find("key_value"), "pandas"), given);
}

TEST(ParquetWriterMetadata, ZeroRows) {
  TempDir dir;
  Table table = typed_table().slice(0, 0);
  std::string path = write(dir, "empty.parquet", table);
  Json summary = check(path);
  EXPECT_EQ(summary.find("row_count")->as_int(), 0);
  EXPECT_EQ(text(summary_schema(summary, "aware"), "duckdb_type"), "TIMESTAMP WITH TIME ZONE");
  EXPECT_EQ(text(summary_schema(summary, "u8"), "duckdb_type"), "UTINYINT");
  FileMetaData footer = footer_of(path);
  // One empty row group: the categorical "kind" keeps its categories in its dictionary page.
  ASSERT_EQ(footer.row_groups.size(), 1u);
  EXPECT_EQ(footer.row_groups[0].num_rows, 0);
  EXPECT_EQ(footer.schema.size(), 12u);
  EXPECT_EQ(read_parquet_file(path).find_column("kind")->dictionary().length(), 3);

  // Without a categorical, as DuckDB does: no row group at all.
  std::vector<Column> plain;
  for (const Column& c : table.columns()) {
    if (c.type().id() != TypeId::kDictionary) plain.push_back(c);
  }
  std::string plain_path = write(dir, "plain.parquet", Table::make(plain, {}, 0));
  check(plain_path);
  EXPECT_TRUE(footer_of(plain_path).row_groups.empty());
}

TEST(ParquetWriterMetadata, ZeroColumns) {
  // pyarrow writes a table without columns, so we do too: a root with no
  // children, num_rows kept, no row group (no column chunk could hold the
  // rows). DuckDB refuses such a file ("Need at least one non-root column").
  TempDir dir;
  std::string path = write(dir, "nothing.parquet", Table::make({}, {}, 5));
  FileMetaData footer = footer_of(path);
  EXPECT_EQ(footer.num_rows, 5);
  ASSERT_EQ(footer.schema.size(), 1u);
  EXPECT_EQ(footer.schema[0].num_children, 0);
  EXPECT_TRUE(footer.row_groups.empty());
  Json pandas = Json::parse(*kv(footer, "pandas"));
  EXPECT_TRUE(pandas.find("columns")->as_array().empty());
  EXPECT_EQ(pandas.find("index_columns")->as_array().at(0).find("stop")->as_int(), 5);
}

TEST(ParquetWriterMetadata, RejectsWhatParquetCannotHold) {
  TempDir dir;
  Table twice = Table::make({Column::from_values<int64_t>("x", {1}),
                             Column::from_values<int64_t>("y", {2}),
                             Column::from_values<int64_t>("x", {3})});
  std::string path = (dir.path() / "twice.parquet").string();
  try {
    write_parquet_file(twice, path);
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("'x'"), std::string::npos) << e.what();
  }
  // Nothing half-written is left behind.
  EXPECT_FALSE(std::filesystem::exists(path));

  Table ok = typed_table();
  EXPECT_THROW(write_parquet_file(ok, path, {.row_group_size = 0}), InvalidArgument);
  EXPECT_THROW(write_parquet_file(ok, path, {.data_page_size = 0}), InvalidArgument);
  EXPECT_THROW(write_parquet_file(ok, path, {.dictionary_page_size_limit = -1}), InvalidArgument);

  const std::string missing = (dir.path() / "no" / "such" / "dir.parquet").string();
  try {
    write_parquet_file(ok, missing);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }

  // Column::make checks buffer sizes only: an index outside the dictionary
  // and offsets that go backwards are refused, naming the column and row.
  ColumnBuffers bad_index;
  bad_index.values = Buffer::from_vector(std::vector<int32_t>{0, 5, 1});
  bad_index.dictionary =
      std::make_shared<const Column>(Column::from_strings("d", {"a", "b", "c"}));
  Column codes = Column::make("codes", DataType::dictionary(DataType::int32(), DataType::string()),
                              3, std::move(bad_index));
  try {
    write_parquet_file(Table::make({codes}), path);
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("'codes'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("row 1"), std::string::npos) << e.what();
  }
  ColumnBuffers backwards;
  backwards.values = Buffer::from_vector(std::vector<int32_t>{0, 3, 1, 4});
  backwards.data = Buffer::from_vector(std::vector<char>{'a', 'b', 'c', 'd'});
  Column strings = Column::make("strings", DataType::binary(), 3, std::move(backwards));
  try {
    write_parquet_file(Table::make({strings}), path);
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("'strings'"), std::string::npos) << e.what();
  }

  // Whatever the sink throws comes out of write_parquet.
  auto failing = [](std::span<const uint8_t>) { throw IoError("disk full"); };
  EXPECT_THROW(write_parquet(ok, failing), IoError);
}

TEST(ParquetWriterMetadata, CompressionNames) {
  EXPECT_EQ(parse_parquet_compression("snappy"), ParquetCompression::kSnappy);
  EXPECT_EQ(parse_parquet_compression("ZSTD"), ParquetCompression::kZstd);
  EXPECT_EQ(parse_parquet_compression("Gzip"), ParquetCompression::kGzip);
  EXPECT_EQ(parse_parquet_compression("none"), ParquetCompression::kNone);
  EXPECT_EQ(parse_parquet_compression("uncompressed"), ParquetCompression::kNone);
  EXPECT_EQ(parse_parquet_compression("lz4"), std::nullopt);
  EXPECT_EQ(parse_parquet_compression(""), std::nullopt);
  for (ParquetCompression c : {ParquetCompression::kNone, ParquetCompression::kSnappy,
                               ParquetCompression::kGzip, ParquetCompression::kZstd}) {
    EXPECT_EQ(parse_parquet_compression(parquet_compression_name(c)), c);
  }
}

TEST(ParquetWriterMetadata, SameBytesWithAndWithoutAPoolAndThroughASink) {
  TempDir dir;
  std::vector<int64_t> numbers;
  std::vector<std::string> strings;
  for (int i = 0; i < 20000; ++i) {
    numbers.push_back(i * 31 % 1000);
    // Appended, not "s" + ...: GCC 12 warns (-Wrestrict) on that form.
    strings.push_back(std::string("s").append(std::to_string(i % 777)));
  }
  Table table = Table::make({Column::from_values("n", numbers), Column::from_strings("s", strings),
                             Column::from_values("m", numbers)});
  const ParquetWriteOptions base{.row_group_size = 6000, .data_page_size = 4096};
  std::string alone = write(dir, "alone.parquet", table, base);
  ThreadPool pool(3);
  ParquetWriteOptions pooled = base;
  pooled.pool = &pool;
  std::string parallel = write(dir, "parallel.parquet", table, pooled);
  EXPECT_EQ(read_file(alone), read_file(parallel));

  // The sink sees the file front to back in one pass.
  std::string streamed;
  write_parquet(table, [&](std::span<const uint8_t> bytes) {
    streamed.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }, pooled);
  EXPECT_EQ(streamed, read_file(alone));
  check(parallel);
}

}  // namespace
}  // namespace quilt::test

namespace quilt::test {
namespace {

// With a pool, row groups are encoded while earlier ones go to the sink: a
// failure in either, in a late row group, still comes out of write_parquet
// (after the pool's tasks are done with the table), and names the column.
TEST(ParquetWriterMetadata, PipelinedFailuresComeOut) {
  ThreadPool pool(2);
  const ParquetWriteOptions options{.row_group_size = 100, .pool = &pool};
  std::vector<int32_t> codes(1000, 1);
  codes[950] = 7;  // in the 10th row group
  ColumnBuffers buffers;
  buffers.values = Buffer::from_vector(codes);
  buffers.dictionary = std::make_shared<const Column>(Column::from_strings("d", {"a", "b"}));
  Column bad = Column::make("codes", DataType::dictionary(DataType::int32(), DataType::string()),
                            1000, std::move(buffers));
  std::vector<int64_t> numbers(1000, 5);
  Table table = Table::make({Column::from_values("n", numbers), bad});
  size_t seen = 0;
  try {
    write_parquet(table, [&](std::span<const uint8_t> bytes) { seen += bytes.size(); }, options);
    FAIL() << "no error";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("'codes'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("row 950"), std::string::npos) << e.what();
  }
  EXPECT_GT(seen, 0u);  // earlier row groups went out before the failure

  Table good = Table::make({Column::from_values("n", numbers)});
  int calls = 0;
  auto failing = [&](std::span<const uint8_t>) {
    if (++calls == 3) throw IoError("disk full");
  };
  EXPECT_THROW(write_parquet(good, failing, options), IoError);
  EXPECT_EQ(calls, 3);  // nothing is written after the failure
}

}  // namespace
}  // namespace quilt::test

namespace quilt::test {
namespace {

template <class T>
T plain_value(const std::optional<std::string>& bytes) {
  T v{};
  EXPECT_TRUE(bytes.has_value() && bytes->size() == sizeof(T));
  if (bytes && bytes->size() == sizeof(T)) std::memcpy(&v, bytes->data(), sizeof(T));
  return v;
}

// Min and max are found four values at a time: an extreme at each place of
// those four, and in the last values of a page that are not a multiple of
// four, still comes out; NaN never does.
TEST(ParquetWriterMetadata, StatisticsFindExtremesAtEveryPlace) {
  TempDir dir;
  for (int64_t n : {1, 3, 4, 7, 8, 1001}) {
    for (int64_t at = 0; at < n; at += std::max<int64_t>(1, n / 9)) {
      std::vector<int64_t> ints(static_cast<size_t>(n), 5);
      std::vector<double> doubles(static_cast<size_t>(n), 0.5);
      ints[static_cast<size_t>((at + 1) % n)] = 9;
      ints[static_cast<size_t>(at)] = -7;
      if (n > 2) doubles[static_cast<size_t>((at + 2) % n)] = std::nan("");
      doubles[static_cast<size_t>(at)] = -2.5;
      Table table = Table::make(
          {Column::from_values("i", ints), Column::from_values("d", doubles)});
      const std::string path = write(dir, "s.parquet", table, {.data_page_size = 64});
      const FileMetaData footer = footer_of(path);
      ASSERT_EQ(footer.row_groups.size(), 1u);
      const auto& i = *footer.row_groups[0].columns[0].meta_data->statistics;
      const auto& d = *footer.row_groups[0].columns[1].meta_data->statistics;
      const bool one = n == 1;
      EXPECT_EQ(plain_value<int64_t>(i.min_value), -7) << n << " " << at;
      EXPECT_EQ(plain_value<int64_t>(i.max_value), one ? -7 : 9) << n << " " << at;
      EXPECT_EQ(plain_value<double>(d.min_value), -2.5) << n << " " << at;
      EXPECT_EQ(plain_value<double>(d.max_value), one ? -2.5 : 0.5) << n << " " << at;
    }
  }
}

}  // namespace
}  // namespace quilt::test
