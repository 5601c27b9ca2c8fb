// Dictionary encoding: the fallback to PLAIN when a chunk's dictionary would
// pass dictionary_page_size_limit, one dictionary per row group, switching it
// off, and categoricals (categories used as the dictionary, too many of them,
// null entries, non-string values).

#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "writer_test_util.h"

namespace quilt::test {
namespace {

using parquet::Encoding;

std::string value_name(int64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "value-%05d", static_cast<int>(i * 7 % 5000));
  return buf;
}

Table distinct_strings(int64_t n) {
  std::vector<std::string> values;
  for (int64_t i = 0; i < n; ++i) values.push_back(value_name(i));
  return Table::make({Column::from_strings("s", values)});
}

// The digest DuckDB computes for the same strings written by DuckDB.
std::string reference_digest(const TempDir& dir, int64_t n) {
  std::string path = (dir.path() / "duckdb.parquet").string();
  duckdb_sql("COPY (SELECT printf('value-%05d', range * 7 % 5000) AS s FROM range(" +
             std::to_string(n) + ")) TO '" + path + "' (FORMAT parquet)");
  return text(*summary_column(check(path), "s").find("digest"), "sha256");
}

// Return column `name` as DuckDB reads it, each value cast to VARCHAR
// ("<null>" for a null).
std::vector<std::string> duckdb_values(const std::string& path, const std::string& name) {
  Json rows = duckdb_sql("SELECT \"" + name + "\"::VARCHAR AS v FROM '" + path + "'");
  std::vector<std::string> out;
  for (const Json& row : rows.as_array()) {
    const Json* v = row.find("v");
    out.push_back(v == nullptr || v->is_null() ? "<null>" : v->as_string());
  }
  return out;
}

TEST(ParquetWriterDictionary, FallsBackToPlainWhenTheDictionaryIsFull) {
  TempDir dir;
  const int64_t n = 6000;
  std::string path = write(dir, "fallback.parquet", distinct_strings(n),
                           {.dictionary_page_size_limit = 2000});
  Json ours = check(path);
  EXPECT_EQ(text(*summary_column(ours, "s").find("digest"), "sha256"), reference_digest(dir, n));
  std::vector<ChunkPages> pages = walk_pages(path);
  EXPECT_EQ(pages[0].dictionary_pages, 1);
  // Each dictionary entry is 4 + 11 bytes: 133 fit, the 134th would not.
  EXPECT_EQ(pages[0].largest_dictionary_page, 133 * 15);
  EXPECT_EQ(pages[0].data_page_encodings,
            (std::set<Encoding>{Encoding::kRleDictionary, Encoding::kPlain}));
  const parquet::ColumnMetaData& meta = *footer_of(path).row_groups[0].columns[0].meta_data;
  EXPECT_EQ(meta.encodings,
            (std::vector<Encoding>{Encoding::kPlain, Encoding::kRle, Encoding::kRleDictionary}));
}

TEST(ParquetWriterDictionary, OneDictionaryPerRowGroup) {
  TempDir dir;
  const int64_t n = 6000;
  std::string path = write(dir, "groups.parquet", distinct_strings(n),
                           {.row_group_size = 2500, .dictionary_page_size_limit = 20000});
  Json ours = check(path);
  EXPECT_EQ(text(*summary_column(ours, "s").find("digest"), "sha256"), reference_digest(dir, n));
  std::vector<ChunkPages> pages = walk_pages(path);
  EXPECT_EQ(pages[0].dictionary_pages, 3);
  // 2500 rows of i * 7 % 5000 are 2500 distinct values: 37,500 bytes, so
  // each chunk falls back after 1333 entries.
  EXPECT_EQ(pages[0].largest_dictionary_page, 1333 * 15);
}

TEST(ParquetWriterDictionary, NoDictionaryWhenSwitchedOffOrTooSmall) {
  TempDir dir;
  const int64_t n = 3000;
  Table table = distinct_strings(n);
  const std::string digest = reference_digest(dir, n);
  for (const ParquetWriteOptions& options :
       {ParquetWriteOptions{.use_dictionary = false},
        ParquetWriteOptions{.dictionary_page_size_limit = 0}}) {
    std::string path = write(dir, "plain.parquet", table, options);
    Json ours = check(path);
    EXPECT_EQ(text(*summary_column(ours, "s").find("digest"), "sha256"), digest);
    std::vector<ChunkPages> pages = walk_pages(path);
    EXPECT_EQ(pages[0].dictionary_pages, 0);
    EXPECT_EQ(pages[0].data_page_encodings, std::set<Encoding>{Encoding::kPlain});
    EXPECT_EQ(footer_of(path).row_groups[0].columns[0].meta_data->encodings,
              (std::vector<Encoding>{Encoding::kPlain, Encoding::kRle}));
  }
}

TEST(ParquetWriterDictionary, CategoricalWithMoreCategoriesThanTheLimit) {
  TempDir dir;
  const int64_t n = 2000;
  std::vector<std::string> categories;
  for (int k = 0; k < 300; ++k) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "cat-%03d", k);
    categories.push_back(buf);
  }
  std::vector<int32_t> codes;
  std::vector<std::string> expected;
  for (int64_t i = 0; i < n; ++i) {
    codes.push_back(i % 9 == 0 ? -1 : static_cast<int32_t>(i % 300));
    expected.push_back(i % 9 == 0 ? "<null>" : categories[i % 300]);
  }
  Table table = Table::make({Column::from_dictionary("c", codes, categories)});
  // 300 categories of 4 + 7 bytes do not fit in 1000: the rows go through
  // the hashed dictionary, which falls back to PLAIN.
  std::string path = write(dir, "many.parquet", table, {.dictionary_page_size_limit = 1000});
  check(path);
  EXPECT_EQ(duckdb_values(path, "c"), expected);
  std::vector<ChunkPages> pages = walk_pages(path);
  EXPECT_EQ(pages[0].data_page_encodings,
            (std::set<Encoding>{Encoding::kRleDictionary, Encoding::kPlain}));

  // With room, the categories are the dictionary page: all 300 of them.
  std::string fast = write(dir, "fast.parquet", table);
  check(fast);
  EXPECT_EQ(duckdb_values(fast, "c"), expected);
  EXPECT_EQ(walk_pages(fast)[0].largest_dictionary_page, 300 * 11);
}

TEST(ParquetWriterDictionary, CategoricalWithNullEntriesAndOtherValueTypes) {
  TempDir dir;
  // A dictionary entry that is null makes the rows pointing at it null.
  auto strings = std::make_shared<const Column>(
      Column::from_optional_strings("d", {"a", std::nullopt, "c"}));
  ColumnBuffers with_null;
  with_null.values = Buffer::from_vector(std::vector<int16_t>{0, 1, 2, 1, 0, 2});
  with_null.dictionary = strings;
  Column null_entry = Column::make("s", DataType::dictionary(DataType::int16(), DataType::string()),
                                   6, std::move(with_null));
  // int64 values behind int8 codes, one code null.
  auto numbers = std::make_shared<const Column>(
      Column::from_values<int64_t>("d", {100, -5, 7}));
  ColumnBuffers int_values;
  int_values.values = Buffer::from_vector(std::vector<int8_t>{2, 0, 1, 0, 2, 0});
  int_values.validity = Buffer::from_vector(std::vector<uint8_t>{0b011111});
  int_values.dictionary = numbers;
  Column ints = Column::make("n", DataType::dictionary(DataType::int8(), DataType::int64()), 6,
                             std::move(int_values));
  // bool values behind uint8 codes.
  ColumnBuffers bool_values;
  bool_values.values = Buffer::from_vector(std::vector<uint8_t>{0, 1, 1, 0, 0, 1});
  bool_values.dictionary = std::make_shared<const Column>(Column::from_bools("d", {true, false}));
  Column flags = Column::make("flag", DataType::dictionary(DataType::uint8(), DataType::boolean()),
                              6, std::move(bool_values));
  Table table = Table::make({null_entry, ints, flags});

  for (bool use_dictionary : {true, false}) {
    SCOPED_TRACE(use_dictionary);
    std::string path = write(dir, "entries.parquet", table, {.use_dictionary = use_dictionary});
    Json summary = check(path);
    EXPECT_EQ(duckdb_values(path, "s"),
              (std::vector<std::string>{"a", "<null>", "c", "<null>", "a", "c"}));
    EXPECT_EQ(duckdb_values(path, "n"),
              (std::vector<std::string>{"7", "100", "-5", "100", "7", "<null>"}));
    EXPECT_EQ(text(summary_schema(summary, "n"), "duckdb_type"), "BIGINT");
    EXPECT_EQ(duckdb_values(path, "flag"),
              (std::vector<std::string>{"true", "false", "false", "true", "true", "false"}));
    // The int64 categories are the dictionary page (3 values of 8 bytes).
    std::vector<ChunkPages> pages = walk_pages(path);
    EXPECT_EQ(pages[1].dictionary_pages, use_dictionary ? 1 : 0);
    if (use_dictionary) {
      EXPECT_EQ(pages[1].largest_dictionary_page, 24);
    }
    EXPECT_EQ(pages[2].dictionary_pages, 0);
    FileMetaData footer = footer_of(path);
    EXPECT_EQ(stats_of(footer, 0).null_count, 2);
    EXPECT_EQ(*stats_of(footer, 0).max_value, "c");
    EXPECT_EQ(stats_of(footer, 1).null_count, 1);
    EXPECT_EQ(*stats_of(footer, 1).min_value, plain<int64_t>(-5));
    EXPECT_EQ(*stats_of(footer, 1).max_value, plain<int64_t>(100));
  }
}

TEST(ParquetWriterDictionary, NumericCategoriesComeBackInTheirOrderWithUnusedOnes) {
  // The categories are the dictionary page of every chunk, so the reader gives back the same
  // categories in the same order, the unused one too, and the same codes.
  TempDir dir;
  auto numbers = std::make_shared<const Column>(
      Column::from_values<int64_t>("d", {100, -5, 7, 42}));
  std::vector<int8_t> codes;
  for (int i = 0; i < 3000; ++i) codes.push_back(static_cast<int8_t>(i % 3 == 2 ? 0 : 2 - i % 3));
  ColumnBuffers buffers;
  buffers.values = Buffer::from_vector(codes);
  buffers.dictionary = numbers;
  Column column = Column::make("n", DataType::dictionary(DataType::int8(), DataType::int64(), true),
                               3000, std::move(buffers));
  std::string path =
      write(dir, "n.parquet", Table::make({column}), {.row_group_size = 1000});
  check(path);
  Table back = read_parquet_file(path);
  const Column& n = back.column(0);
  ASSERT_EQ(n.type(), DataType::dictionary(DataType::int32(), DataType::int64(), true));
  ASSERT_EQ(n.dictionary().length(), 4);
  std::span<const int64_t> categories = n.dictionary().values<int64_t>();
  EXPECT_EQ(std::vector<int64_t>(categories.begin(), categories.end()),
            (std::vector<int64_t>{100, -5, 7, 42}));
  for (int i = 0; i < 3000; ++i) ASSERT_EQ(n.values<int32_t>()[i], codes[i]) << i;
}

TEST(ParquetWriterDictionary, TableWithoutRowsKeepsItsCategories) {
  // No rows, but categories: one empty row group carries their dictionary page, which the
  // independent readers accept and our reader turns back into the categories.
  TempDir dir;
  Column strings = Column::from_dictionary("s", {}, {"b", "a"}, true);
  ColumnBuffers buffers;
  buffers.values = Buffer::from_vector(std::vector<int8_t>{});
  buffers.dictionary = std::make_shared<const Column>(Column::from_values<double>("d", {2.5, 0.5}));
  Column numbers = Column::make("n", DataType::dictionary(DataType::int8(), DataType::float64()),
                                0, std::move(buffers));
  std::string path = write(dir, "empty.parquet", Table::make({strings, numbers}));
  Json summary = check(path);
  EXPECT_EQ(footer_of(path).row_groups.size(), 1u);
  Table back = read_parquet_file(path);
  ASSERT_EQ(back.num_rows(), 0);
  EXPECT_EQ(back.column(0).type(),
            DataType::dictionary(DataType::int32(), DataType::string(), true));
  EXPECT_EQ(back.column(0).dictionary().length(), 2);
  EXPECT_EQ(back.column(0).dictionary().string_at(1), "a");
  std::span<const double> categories = back.column(1).dictionary().values<double>();
  EXPECT_EQ(std::vector<double>(categories.begin(), categories.end()),
            (std::vector<double>{2.5, 0.5}));

  // Without categories an empty table still has no row group.
  std::string plain = write(dir, "plain.parquet",
                            Table::make({Column::from_values<int64_t>("x", {})}));
  check(plain);
  EXPECT_TRUE(footer_of(plain).row_groups.empty());
}

TEST(ParquetWriterDictionary, PagesOfNullsBeforeTheFirstValue) {
  // Pages written before the dictionary has an entry are PLAIN (levels only);
  // the pages after them use the dictionary.
  TempDir dir;
  std::vector<std::optional<std::string>> values(3000);
  std::vector<std::string> expected(3000, "<null>");
  for (int i = 2000; i < 3000; i += 2) {
    values[i] = expected[i] = std::string("v").append(std::to_string(i % 10));
  }
  Table table = Table::make({Column::from_optional_strings("s", values)});
  std::string path = write(dir, "late.parquet", table, {.data_page_size = 64});
  Json summary = check(path);
  EXPECT_EQ(duckdb_values(path, "s"), expected);
  EXPECT_EQ(summary_column(summary, "s").find("nulls")->as_int(), 2500);
  std::vector<ChunkPages> pages = walk_pages(path);
  EXPECT_EQ(pages[0].dictionary_pages, 1);
  EXPECT_EQ(pages[0].data_page_encodings,
            (std::set<Encoding>{Encoding::kRleDictionary, Encoding::kPlain}));
}

}  // namespace
}  // namespace quilt::test
