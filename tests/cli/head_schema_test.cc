// End-to-end tests of `quiltcpp head` and `quiltcpp schema` on real files: Parquet written by
// our writer and by DuckDB (several row groups), CSV/TSV, package entries in a local registry
// (both ways of naming them) and in S3, and the bad input each must refuse.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../storage/s3_fixture.h"
#include "parquet_oracle.h"
#include "quilt/json.h"
#include "quilt/package_builder.h"
#include "quilt/parquet.h"
#include "quilt/registry.h"
#include "quilt/thread_pool.h"
#include "test_util.h"

namespace quilt::test {
namespace {

namespace fs = std::filesystem;

// Row i: id = i, name = "n<i>" (null every 7th row), score = i / 4, flag = i % 3 == 0,
// when = 2024-01-02T03:04:05 + i seconds (UTC-adjusted, microseconds).
constexpr int64_t kBaseMicros = 1704164645000000;

Table sample_table(int64_t rows) {
  std::vector<int64_t> ids;
  std::vector<std::optional<std::string>> names;
  std::vector<double> scores;
  std::vector<bool> flags;
  std::vector<int64_t> whens;
  for (int64_t i = 0; i < rows; ++i) {
    ids.push_back(i);
    std::optional<std::string> name;
    if (i % 7 != 0) name = std::string("n").append(std::to_string(i));  // not "n" + ..: -Wrestrict
    names.push_back(name);
    scores.push_back(static_cast<double>(i) / 4);
    flags.push_back(i % 3 == 0);
    whens.push_back(kBaseMicros + i * 1000000);
  }
  return Table::make({Column::from_values("id", ids), Column::from_optional_strings("name", names),
                      Column::from_values("score", scores), Column::from_bools("flag", flags),
                      Column::from_timestamps("when", whens, TimeUnit::kMicro, "UTC")});
}

// Split `text` into its lines (without the '\n').
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::vector<Json> json_lines(const std::string& text) {
  std::vector<Json> out;
  for (const std::string& line : lines_of(text)) out.push_back(Json::parse(line));
  return out;
}

// Check that `row` is row `i` of sample_table.
void expect_sample_row(const Json& row, int64_t i) {
  SCOPED_TRACE("row " + std::to_string(i));
  EXPECT_EQ(row.find("id")->as_int(), i);
  if (i % 7 == 0) {
    EXPECT_TRUE(row.find("name")->is_null());
  } else {
    EXPECT_EQ(row.find("name")->as_string(), "n" + std::to_string(i));
  }
  EXPECT_EQ(row.find("score")->as_double(), static_cast<double>(i) / 4);
  EXPECT_EQ(row.find("flag")->as_bool(), i % 3 == 0);
}

class HeadSchemaCli : public ::testing::Test {
 protected:
  std::string our_parquet(const std::string& name, int64_t rows, int64_t row_group_size) {
    std::string path = (tmp_.path() / name).string();
    fs::create_directories(fs::path(path).parent_path());
    ParquetWriteOptions options;
    options.row_group_size = row_group_size;
    write_parquet_file(sample_table(rows), path, options);
    return path;
  }

  TempDir tmp_;
};

TEST_F(HeadSchemaCli, HeadOfOurParquetSpansRowGroups) {
  std::string path = our_parquet("x.parquet", 350, 100);
  RunResult r = run_cli({"head", path, "-n", "150", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<Json> rows = json_lines(r.out);
  ASSERT_EQ(rows.size(), 150u);
  for (int64_t i = 0; i < 150; ++i) expect_sample_row(rows[static_cast<size_t>(i)], i);
  EXPECT_EQ(rows[101].find("when")->as_string(), "2024-01-02T03:05:46Z");

  r = run_cli({"head", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 13u) << r.out;  // header, rule, 10 rows, summary
  EXPECT_EQ(lines.back(), "10 of 350 rows, 5 columns");
  EXPECT_EQ(lines[0], "id  name    score  flag   when");
  EXPECT_EQ(lines[1], "--  ------  -----  -----  --------------------");
  EXPECT_EQ(lines[2], " 0  <null>    0.0  True   2024-01-02T03:04:05Z");
  EXPECT_EQ(lines[3], " 1  n1       0.25  False  2024-01-02T03:04:06Z");
  EXPECT_EQ(lines[11], " 9  n9       2.25  True   2024-01-02T03:04:14Z");
}

TEST_F(HeadSchemaCli, MoreRowsThanTheFileHasAndZeroRows) {
  std::string path = our_parquet("x.parquet", 25, 10);
  RunResult r = run_cli({"head", path, "-n", "1000", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<Json> rows = json_lines(r.out);
  ASSERT_EQ(rows.size(), 25u);
  expect_sample_row(rows[24], 24);
  r = run_cli({"head", path, "-n", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lines_of(r.out).back(), "0 of 25 rows, 5 columns");
  EXPECT_EQ(lines_of(r.out)[0], "id  name  score  flag  when");
}

// A DuckDB file of 10,000 rows in row groups of 2,048: head reads the leading row groups only,
// so damage to the last row group does not stop it, while reading every row meets it.
TEST_F(HeadSchemaCli, HeadOfDuckDbFileReadsOnlyTheRowGroupsItNeeds) {
  std::string path = (tmp_.path() / "d.parquet").string();
  duckdb_sql("COPY (SELECT range AS a, 'v' || (range % 7) AS s FROM range(10000)) TO '" + path +
             "' (FORMAT parquet, ROW_GROUP_SIZE 2048)");
  RunResult schema = run_cli({"schema", "--json", path});
  ASSERT_EQ(schema.exit_code, 0) << schema.err;
  Json info = Json::parse(schema.out);
  const Json::Array& groups = info.find("row_groups")->as_array();
  ASSERT_GE(groups.size(), 3u);
  const Json& last = groups.back();
  int64_t first_byte = last.find("first_byte")->as_int();
  int64_t end_byte = last.find("end_byte")->as_int();
  ASSERT_LT(first_byte, end_byte);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(first_byte);
    std::string junk(static_cast<size_t>(end_byte - first_byte), '\xff');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  // Across the first row group boundary.
  RunResult r = run_cli({"head", path, "-n", "2100", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<Json> rows = json_lines(r.out);
  ASSERT_EQ(rows.size(), 2100u);
  for (int64_t i : {0, 2047, 2048, 2099}) {
    EXPECT_EQ(rows[static_cast<size_t>(i)].find("a")->as_int(), i);
    EXPECT_EQ(rows[static_cast<size_t>(i)].find("s")->as_string(), "v" + std::to_string(i % 7));
  }
  r = run_cli({"head", path, "-n", "10000"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_TRUE(contains(r.err, path)) << r.err;
}

TEST_F(HeadSchemaCli, SchemaAgreesWithDuckDbMetadata) {
  std::string path = (tmp_.path() / "t.parquet").string();
  duckdb_sql(
      "COPY (SELECT range::INTEGER AS i, 'x' || range AS s, range / 3 AS d, "
      "TIMESTAMP '2020-01-01' + to_seconds(range) AS ts, DATE '2020-01-01' + range::INTEGER AS "
      "dt, range % 2 = 0 AS b, [range, range] AS l FROM range(5000)) TO '" +
      path + "' (FORMAT parquet, ROW_GROUP_SIZE 2048, COMPRESSION zstd)");
  RunResult r = run_cli({"schema", "--json", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json info = Json::parse(r.out);
  EXPECT_EQ(info.find("num_rows")->as_int(), 5000);
  const Json::Array& columns = info.find("columns")->as_array();
  ASSERT_EQ(columns.size(), 7u);
  struct Expect {
    const char* name;
    const char* type;
    const char* physical;
  };
  const Expect expected[] = {{"i", "int32", "INT32"},          {"s", "string", "BYTE_ARRAY"},
                             {"d", "double", "DOUBLE"},       {"ts", "timestamp[us]", "INT64"},
                             {"dt", "date32", "INT32"},        {"b", "bool", "BOOLEAN"}};
  for (size_t c = 0; c < 6; ++c) {
    EXPECT_EQ(columns[c].find("name")->as_string(), expected[c].name);
    EXPECT_EQ(columns[c].find("type")->as_string(), expected[c].type) << expected[c].name;
    EXPECT_EQ(columns[c].find("physical_type")->as_string(), expected[c].physical);
  }
  // DuckDB annotates strings with the legacy converted type.
  std::string string_type = columns[1].find("logical_type")->as_string();
  EXPECT_TRUE(string_type == "STRING" || string_type == "UTF8") << string_type;
  EXPECT_EQ(columns[4].find("logical_type")->as_string(), "DATE");
  // The list column is described, not refused.
  EXPECT_EQ(columns[6].find("physical_type")->as_string(), "group");
  EXPECT_TRUE(columns[6].find("type")->is_null());
  EXPECT_TRUE(contains(columns[6].find("unsupported")->as_string(), "nested")) << r.out;

  // DuckDB's own view of the row groups.
  Json duck = duckdb_sql(
      "SELECT row_group_id, any_value(row_group_num_rows)::BIGINT AS n, "
      "sum(total_compressed_size)::BIGINT AS c, sum(total_uncompressed_size)::BIGINT AS u, "
      "string_agg(DISTINCT compression, ',') AS codecs FROM parquet_metadata('" + path +
      "') GROUP BY row_group_id ORDER BY row_group_id");
  const Json::Array& groups = info.find("row_groups")->as_array();
  ASSERT_EQ(groups.size(), duck.as_array().size());
  for (size_t g = 0; g < groups.size(); ++g) {
    const Json& d = duck.as_array()[g];
    EXPECT_EQ(std::to_string(groups[g].find("num_rows")->as_int()), d.find("n")->as_string());
    EXPECT_EQ(std::to_string(groups[g].find("compressed_bytes")->as_int()),
              d.find("c")->as_string());
    EXPECT_EQ(std::to_string(groups[g].find("uncompressed_bytes")->as_int()),
              d.find("u")->as_string());
    EXPECT_EQ(groups[g].find("codecs")->as_array()[0].as_string(), d.find("codecs")->as_string());
  }
  // head reads what it can and says what it left out.
  r = run_cli({"head", path, "-n", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "'l'")) << r.err;
  EXPECT_EQ(lines_of(r.out)[0], "i  s                    d  ts                   dt          b");
  EXPECT_EQ(lines_of(r.out)[3], "1  x1  0.3333333333333333  2020-01-01T00:00:01  2020-01-02  False");
  EXPECT_EQ(lines_of(r.out).back(), "3 of 5,000 rows, 6 columns");

  r = run_cli({"schema", path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, path + ": parquet, 5,000 rows, 7 columns, 3 row groups")) << r.out;
  EXPECT_TRUE(contains(r.out, "ZSTD")) << r.out;
}

TEST_F(HeadSchemaCli, CsvAndTsvText) {
  std::string csv = tmp_.write(
      "t.csv",
      "city,pop,note\n"
      "Ghent,263000,\"quoted, with comma\"\n"
      "Liège,,\"two\nlines\"\n"
      "X,12,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
  RunResult r = run_cli({"head", csv, "-n", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "city      pop  note\n"
            "-----  ------  ----------------------------------------\n"
            "Ghent  263000  quoted, with comma\n"
            "Liège  <null>  two\\nlines\n"
            "X          12  aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…\n"
            "3 of 3 rows, 3 columns\n");
  std::string tsv = tmp_.write("t.tsv", "a\tb\n1\tx y\n2\t\n3\tz\n");
  r = run_cli({"head", tsv, "-n", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"a\": 1, \"b\": \"x y\"}\n{\"a\": 2, \"b\": null}\n");
  r = run_cli({"schema", tsv, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json info = Json::parse(r.out);
  EXPECT_EQ(info.find("num_rows")->as_int(), 3);
  EXPECT_EQ(info.find("columns")->as_array()[0].find("type")->as_string(), "int64");
  EXPECT_EQ(info.find("columns")->as_array()[1].find("type")->as_string(), "string");
}

TEST_F(HeadSchemaCli, BadInput) {
  RunResult r = run_cli({"head", "/nonexistent/x.parquet"});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_TRUE(contains(r.err, "/nonexistent/x.parquet")) << r.err;

  std::string json = tmp_.write("doc.json", "{}");
  r = run_cli({"head", json});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "not a table")) << r.err;
  EXPECT_TRUE(contains(r.err, ".json")) << r.err;

  std::string bad = tmp_.write("bad.parquet", "PAR1 this is not parquet at all PAR1");
  for (const char* command : {"head", "schema"}) {
    r = run_cli({command, bad});
    EXPECT_EQ(r.exit_code, 4) << r.err;
    EXPECT_TRUE(contains(r.err, bad)) << r.err;
  }
  std::string truncated = our_parquet("t.parquet", 100, 10);
  fs::resize_file(truncated, fs::file_size(truncated) - 5);
  r = run_cli({"schema", truncated});
  EXPECT_EQ(r.exit_code, 4) << r.err;

  std::string good = our_parquet("g.parquet", 5, 5);
  r = run_cli({"head", good, "-n", "-1"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "-n")) << r.err;
  EXPECT_EQ(r.out, "");
}

// Package entries in a local registry, named by USER/PKG --path KEY and by a Quilt URI; their
// format from the extension or from the meta quilt3 records.
class HeadSchemaPackage : public HeadSchemaCli {
 protected:
  void SetUp() override {
    registry_ = (tmp_.path() / "registry").string();
    fs::create_directories(tmp_.path() / "src");
    source_ = our_parquet("src/data/x.parquet", 120, 50);
    tmp_.write("src/t.tsv", "a\tb\n1\tx\n2\ty\n");
    tmp_.write("src/doc.json", "{\"a\": 1}");
    RunResult r = run_cli({"build", "team/data", "--dir", (tmp_.path() / "src").string(),
                           "--registry", registry_, "--message", "m"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::string registry_;
  std::string source_;
};

TEST_F(HeadSchemaPackage, BothRefFormsReadTheEntry) {
  RunResult file = run_cli({"head", source_, "-n", "60"});
  ASSERT_EQ(file.exit_code, 0) << file.err;
  RunResult by_name =
      run_cli({"head", "team/data", "--path", "data/x.parquet", "--registry", registry_, "-n", "60"});
  ASSERT_EQ(by_name.exit_code, 0) << by_name.err;
  EXPECT_EQ(by_name.out, file.out);
  RunResult by_uri = run_cli(
      {"head", "quilt+file://" + registry_ + "#package=team/data&path=data/x.parquet", "-n", "60"});
  ASSERT_EQ(by_uri.exit_code, 0) << by_uri.err;
  EXPECT_EQ(by_uri.out, file.out);

  RunResult tsv =
      run_cli({"head", "team/data", "--path", "t.tsv", "--registry", registry_, "--json"});
  ASSERT_EQ(tsv.exit_code, 0) << tsv.err;
  EXPECT_EQ(tsv.out, "{\"a\": 1, \"b\": \"x\"}\n{\"a\": 2, \"b\": \"y\"}\n");

  RunResult schema = run_cli(
      {"schema", "--json", "quilt+file://" + registry_ + "#package=team/data&path=data/x.parquet"});
  ASSERT_EQ(schema.exit_code, 0) << schema.err;
  Json info = Json::parse(schema.out);
  EXPECT_EQ(info.find("num_rows")->as_int(), 120);
  EXPECT_EQ(info.find("row_groups")->as_array().size(), 3u);
  EXPECT_TRUE(contains(info.find("name")->as_string(), "team/data@")) << schema.out;
}

TEST_F(HeadSchemaPackage, FormatFromTheEntryMeta) {
  // Keys without an extension: only the meta quilt3 writes says what they are.
  ThreadPool pool(2);
  PackageBuilder builder;
  SetObjectOptions tsv_options;
  tsv_options.format = "tsv";
  tsv_options.data_dir = (tmp_.path() / "data").string();
  builder.set("frames/tabbed", sample_table(4), tsv_options);
  SetObjectOptions parquet_options;
  parquet_options.format = "parquet";
  parquet_options.data_dir = tsv_options.data_dir;
  builder.set("frames/columnar", sample_table(30), parquet_options);
  std::unique_ptr<Registry> registry = Registry::open(registry_);
  registry->push(PackageName::parse("team/meta"), builder.build(pool), PushOptions{}, pool);
  for (const char* key : {"frames/tabbed", "frames/columnar"}) {
    RunResult r = run_cli({"head", "team/meta", "--path", key, "--registry", registry_, "--json",
                           "-n", "3"});
    ASSERT_EQ(r.exit_code, 0) << key << ": " << r.err;
    std::vector<Json> rows = json_lines(r.out);
    ASSERT_EQ(rows.size(), 3u) << r.out;
    for (int64_t i = 0; i < 3; ++i) expect_sample_row(rows[static_cast<size_t>(i)], i);
  }
}

TEST_F(HeadSchemaPackage, BadKeys) {
  RunResult r = run_cli({"head", "team/data", "--path", "nope.parquet", "--registry", registry_});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(contains(r.err, "'nope.parquet'")) << r.err;
  r = run_cli({"head", "team/data", "--path", "doc.json", "--registry", registry_});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "'doc.json' is not a table")) << r.err;
  EXPECT_TRUE(contains(r.err, "'json'")) << r.err;
  r = run_cli({"schema", "team/data", "--path", "data", "--registry", registry_});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "directory")) << r.err;
  r = run_cli({"head", "quilt+file://" + registry_ + "#package=team/data"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "--path")) << r.err;
  r = run_cli({"head", "team/none", "--path", "x.parquet", "--registry", registry_});
  EXPECT_EQ(r.exit_code, 3) << r.err;
}

// A package pushed to the S3 test server: the entry is read with ranged GETs.
class HeadSchemaS3 : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = s3_env_for_test();
    if (env_ == nullptr) return;
    client_ = s3_client(*env_);
    prefix_ = unique_s3_prefix();
    settings_ = std::make_unique<S3ProcessSettings>(*env_, "");
    quiet_ = std::make_unique<ScopedEnv>("QUILT_MINIMIZE_STDOUT", "1");
  }
  void TearDown() override {
    if (client_) {
      try {
        s3_delete_prefix(*client_, env_->bucket, prefix_ + "/");
      } catch (...) {
      }
    }
  }

  const S3TestEnv* env_ = nullptr;
  std::shared_ptr<s3::Client> client_;
  std::string prefix_;
  TempDir tmp_;
  std::unique_ptr<S3ProcessSettings> settings_;
  std::unique_ptr<ScopedEnv> quiet_;
};

TEST_F(HeadSchemaS3, HeadAndSchemaOfAnEntryInS3) {
  fs::create_directories(tmp_.path() / "src");
  std::string local = (tmp_.path() / "src" / "x.parquet").string();
  ParquetWriteOptions options;
  options.row_group_size = 40;
  write_parquet_file(sample_table(200), local, options);
  tmp_.write("src/t.csv", "a,b\n1,x\n2,y\n");
  std::string registry = "s3://" + env_->bucket + "/" + prefix_;
  RunResult push = run_cli({"push", "team/s3", "--dir", (tmp_.path() / "src").string(),
                            "--registry", registry, "--endpoint-url", env_->endpoint});
  ASSERT_EQ(push.exit_code, 0) << push.err;

  RunResult expected = run_cli({"head", local, "-n", "90"});
  ASSERT_EQ(expected.exit_code, 0) << expected.err;
  RunResult got = run_cli({"head", "quilt+" + registry + "#package=team/s3&path=x.parquet", "-n",
                           "90", "--endpoint-url", env_->endpoint});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, expected.out);

  RunResult schema = run_cli({"schema", "team/s3", "--path", "x.parquet", "--registry", registry,
                              "--json", "--endpoint-url", env_->endpoint});
  ASSERT_EQ(schema.exit_code, 0) << schema.err;
  EXPECT_EQ(Json::parse(schema.out).find("row_groups")->as_array().size(), 5u);

  RunResult csv = run_cli({"head", "team/s3", "--path", "t.csv", "--registry", registry,
                           "--json", "--endpoint-url", env_->endpoint});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out, "{\"a\": 1, \"b\": \"x\"}\n{\"a\": 2, \"b\": \"y\"}\n");

  // An object named by its URL, and one that is missing.
  RunResult direct = run_cli({"head", registry + "/team/s3/x.parquet", "-n", "90",
                              "--endpoint-url", env_->endpoint});
  ASSERT_EQ(direct.exit_code, 0) << direct.err;
  EXPECT_EQ(direct.out, expected.out);
  RunResult missing = run_cli({"head", registry + "/team/s3/none.parquet", "--endpoint-url",
                               env_->endpoint});
  EXPECT_EQ(missing.exit_code, 3) << missing.err;
}

}  // namespace
}  // namespace quilt::test
