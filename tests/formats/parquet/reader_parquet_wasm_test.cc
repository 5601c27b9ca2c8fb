// The Parquet reader against files parquet-wasm (arrow-rs) writes with its default writer
// properties, and with each codec, small pages and a dictionary that overflows into PLAIN pages
// halfway through a chunk. Values are generated here, so each cell is checked against what was
// written.

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "parquet_oracle.h"
#include "quilt/parquet.h"
#include "quilt/thread_pool.h"
#include "reader_test_util.h"
#include "test_util.h"

namespace quilt::test {
namespace {

constexpr int kRows = 3000;

// One column: its pw_write type, whether it is nullable, the JSON of value i (or "null"), the
// text cell_text gives for value i, and the type we expect to read.
struct PwColumn {
  std::string name;
  std::string type;
  bool nullable;
  std::function<std::string(int)> json;
  std::function<std::string(int)> text;
  DataType expected;
};

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::vector<PwColumn> columns() {
  auto str = [](int64_t v) { return std::to_string(v); };
  std::vector<PwColumn> c;
  c.push_back(
      {"i64", "int64", true,
       [=](int i) { return i % 7 == 0 ? "null" : quoted(str(i * 1000003LL - 5000000000LL)); },
       [=](int i) { return i % 7 == 0 ? "null" : str(i * 1000003LL - 5000000000LL); },
       DataType::int64()});
  c.push_back({"i32", "int32", false, [=](int i) { return str(i % 1000 - 500); },
               [=](int i) { return str(i % 1000 - 500); }, DataType::int32()});
  c.push_back({"i8", "int8", true, [=](int i) { return str(i % 200 - 100); },
               [=](int i) { return str(i % 200 - 100); }, DataType::int8()});
  c.push_back({"u16", "uint16", true, [=](int i) { return str(i * 31 % 65536); },
               [=](int i) { return str(i * 31 % 65536); }, DataType::uint16()});
  c.push_back({"u32", "uint32", true, [=](int i) { return str(4000000000LL + i); },
               [=](int i) { return str(4000000000LL + i); }, DataType::uint32()});
  c.push_back({"u64", "uint64", false,
               [=](int i) { return quoted(std::to_string(18446744073709551615ULL - i)); },
               [=](int i) { return std::to_string(18446744073709551615ULL - i); },
               DataType::uint64()});
  c.push_back({"f64", "float64", true,
               [=](int i) { return i % 11 == 0 ? "null" : double_text(i * 0.5 - 3); },
               [=](int i) { return i % 11 == 0 ? "null" : double_text(i * 0.5 - 3); },
               DataType::float64()});
  c.push_back({"f32", "float32", false, [=](int i) { return double_text(i * 0.25f); },
               [=](int i) { return double_text(i * 0.25f); }, DataType::float32()});
  c.push_back({"b", "bool", true,
               [=](int i) { return i % 5 == 0 ? "null" : (i % 3 == 0 ? "true" : "false"); },
               [=](int i) { return i % 5 == 0 ? "null" : (i % 3 == 0 ? "true" : "false"); },
               DataType::boolean()});
  auto word = [](int i) { return (i % 2 ? "é" : "z→") + std::to_string(i % 37); };
  c.push_back({"s", "utf8", true, [=](int i) { return i % 13 == 0 ? "null" : quoted(word(i)); },
               [=](int i) { return i % 13 == 0 ? "null" : word(i); }, DataType::string()});
  c.push_back({"unique", "utf8", false, [=](int i) { return quoted("unique-" + str(i)); },
               [=](int i) { return "unique-" + str(i); }, DataType::string()});
  c.push_back(
      {"bin", "binary", true,
       [=](int i) { return i % 17 == 0 ? "null" : quoted(i % 4 ? "00ff" + str(i % 50 + 10) : ""); },
       [=](int i) { return i % 17 == 0 ? "null" : (i % 4 ? "00FF" + str(i % 50 + 10) : ""); },
       DataType::binary()});
  c.push_back({"d", "date32", true, [=](int i) { return str(i - 1000); },
               [=](int i) { return str(i - 1000); }, DataType::date32()});
  c.push_back({"ts_ns", "timestamp_ns", true,
               [=](int i) { return quoted(str(1600000000000000000LL + i * 1001LL)); },
               [=](int i) { return str(1600000000000000000LL + i * 1001LL); },
               DataType::timestamp(TimeUnit::kNano)});
  c.push_back({"ts_ms", "timestamp_ms", true,
               [=](int i) { return i % 9 == 0 ? "null" : quoted(str(1600000000000LL + i)); },
               [=](int i) { return i % 9 == 0 ? "null" : str(1600000000000LL + i); },
               DataType::timestamp(TimeUnit::kMilli)});
  c.push_back({"ts_utc", "timestamp_us_utc", true,
               [=](int i) { return quoted(str(1600000000000000LL + i * 7LL)); },
               [=](int i) { return str(1600000000000000LL + i * 7LL); },
               DataType::timestamp(TimeUnit::kMicro, "UTC")});
  return c;
}

std::string spec_json(const std::vector<PwColumn>& cols, const std::string& options) {
  std::string s = "{" + options + (options.empty() ? "" : ", ") + "\"columns\": [";
  for (size_t k = 0; k < cols.size(); ++k) {
    const PwColumn& col = cols[k];
    if (k > 0) s += ", ";
    s.append("{\"name\": ")
        .append(quoted(col.name))
        .append(", \"type\": ")
        .append(quoted(col.type));
    s.append(", \"nullable\": ").append(col.nullable ? "true" : "false").append(", \"values\": [");
    for (int i = 0; i < kRows; ++i) {
      if (i > 0) s += ",";
      s += col.json(i);
    }
    s += "]}";
  }
  return s + "]}";
}

void write_with_parquet_wasm(const std::string& path, const std::string& spec) {
  RunResult r = run_program({"/usr/bin/node", oracle_dir() + "/pw_write.mjs", path}, spec);
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

void expect_columns(const Table& t, const std::vector<PwColumn>& cols) {
  ASSERT_EQ(t.num_rows(), kRows);
  ASSERT_EQ(t.num_columns(), static_cast<int>(cols.size()));
  for (size_t k = 0; k < cols.size(); ++k) {
    const Column& c = t.column(static_cast<int>(k));
    EXPECT_EQ(c.name(), cols[k].name);
    EXPECT_EQ(c.type(), cols[k].expected) << c.name() << ": " << c.type().to_string();
    for (int i = 0; i < kRows; ++i) {
      ASSERT_EQ(cell_text(c, i), cols[k].text(i)) << c.name() << " row " << i;
    }
  }
  t.validate_full();
}

TEST(ParquetReaderParquetWasm, ReadsDefaultAndEachCodec) {
  TempDir dir;
  std::vector<PwColumn> cols = columns();
  ThreadPool pool(3);
  for (std::string options : {"", R"("compression": "snappy")", R"("compression": "gzip")",
                              R"("compression": "zstd", "row_group_size": 700)"}) {
    SCOPED_TRACE(options);
    std::string path = (dir.path() / "pw.parquet").string();
    write_with_parquet_wasm(path, spec_json(cols, options));
    Table t = read_parquet_file(path, {.pool = &pool});
    expect_columns(t, cols);
    // arrow-rs keeps its schema in the key-value metadata.
    EXPECT_TRUE(t.metadata_value("ARROW:schema").has_value());
  }
}

TEST(ParquetReaderParquetWasm, SmallPagesAndDictionaryFallingBackToPlain) {
  // A 1 KiB dictionary limit makes arrow-rs switch the "unique" column to PLAIN pages after
  // its first pages, within one chunk; 512-byte data pages make many pages per chunk.
  TempDir dir;
  std::vector<PwColumn> cols = columns();
  std::string path = (dir.path() / "pw.parquet").string();
  write_with_parquet_wasm(path, spec_json(cols, R"("compression": "snappy", )"
                                                R"("dictionary_page_size_limit": 1024, )"
                                                R"("data_page_size_limit": 512)"));
  Json encodings = duckdb_sql("SELECT encodings FROM parquet_metadata('" + path +
                              "') WHERE path_in_schema = 'unique' AND row_group_id = 0");
  ASSERT_NE(encodings.as_array()[0].find("encodings")->as_string().find("RLE_DICTIONARY"),
            std::string::npos);
  Table t = read_parquet_file(path);
  expect_columns(t, cols);
}

TEST(ParquetReaderParquetWasm, ReadsPlainOnlyFiles) {
  TempDir dir;
  std::vector<PwColumn> cols = columns();
  std::string path = (dir.path() / "pw.parquet").string();
  write_with_parquet_wasm(path, spec_json(cols, R"("dictionary": false, "compression": "zstd")"));
  expect_columns(read_parquet_file(path), cols);
}

TEST(ParquetReaderParquetWasm, CategoricalWhoseDictionaryFallsBackToPlain) {
  // pandas says "categorical"; arrow-rs dictionary-encodes the first pages and, once the
  // dictionary passes 1 KiB, writes PLAIN pages: the categories must still come out unique.
  TempDir dir;
  std::string path = (dir.path() / "pw.parquet").string();
  auto value = [](int i) {
    std::string v = i < 1500 ? "c" : "u";
    v += std::to_string(i < 1500 ? i % 5 : i % 700);
    return v;
  };
  std::string spec = R"({"dictionary_page_size_limit": 1024, "data_page_size_limit": 2048, )";
  spec += R"("metadata": {"pandas": "{\"columns\": [{\"name\": \"cat\", \"field_name\": )";
  spec += R"(\"cat\", \"pandas_type\": \"categorical\", \"metadata\": {\"ordered\": )";
  spec += R"(false}}]}"}, "columns": [{"name": "cat", "type": "utf8", "values": [)";
  for (int i = 0; i < kRows; ++i) {
    if (i > 0) spec += ",";
    spec += i % 11 == 0 ? std::string("null") : quoted(value(i));
  }
  spec += "]}]}";
  write_with_parquet_wasm(path, spec);
  Table t = read_parquet_file(path);
  const Column& cat = t.column(0);
  ASSERT_EQ(cat.type(), DataType::dictionary(DataType::int32(), DataType::string()));
  std::set<std::string> distinct;
  for (int i = 0; i < kRows; ++i) {
    if (i % 11 == 0) {
      ASSERT_TRUE(cat.is_null(i)) << i;
      continue;
    }
    ASSERT_EQ(cell_text(cat, i), value(i)) << i;
    distinct.insert(value(i));
  }
  EXPECT_EQ(cat.dictionary().length(), static_cast<int64_t>(distinct.size()));
  t.validate_full();
}

}  // namespace
}  // namespace quilt::test
