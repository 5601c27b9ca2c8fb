// `quiltcpp convert --page-version 2 --encoding ...`: the Parquet writer's page and encoding
// options from the command line, checked by the oracle and by DuckDB's view of the footer.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "parquet_oracle.h"
#include "test_util.h"

namespace quilt {
namespace {

using test::contains;
using test::run_cli;

TEST(ConvertParquetEncoding, PageVersionAndEncodingsFromTheCommandLine) {
  test::TempDir dir;
  std::string csv_text = "id,name,x\n";
  for (int i = 0; i < 300; ++i) {
    csv_text += std::to_string(i * 7) + ",name-" + std::to_string(i / 3) + "," +
                std::to_string(i) + ".25\n";
  }
  std::string csv = dir.write("t.csv", csv_text);
  std::string parquet = (dir.path() / "t.parquet").string();
  test::RunResult r =
      run_cli({"convert", csv, parquet, "--page-version", "2", "--encoding", "delta_binary_packed",
               "--encoding", "DELTA_BYTE_ARRAY", "--encoding", "byte_stream_split"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  test::OracleReport report = test::check_parquet(parquet);
  EXPECT_EQ(report.exit_code, 0) << report.problems() << report.err;
  Json rows = test::duckdb_sql(
      "SELECT path_in_schema AS c, encodings AS e FROM parquet_metadata('" + parquet +
      "') ORDER BY c");
  ASSERT_EQ(rows.as_array().size(), 3u);
  EXPECT_TRUE(contains(rows.as_array()[0].find("e")->as_string(), "DELTA_BINARY_PACKED"));
  EXPECT_TRUE(contains(rows.as_array()[1].find("e")->as_string(), "DELTA_BYTE_ARRAY"));
  EXPECT_TRUE(contains(rows.as_array()[2].find("e")->as_string(), "BYTE_STREAM_SPLIT"));
  // Back to csv: the same text.
  std::string back = (dir.path() / "back.csv").string();
  r = run_cli({"convert", parquet, back});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_file(back), csv_text);
}

TEST(ConvertParquetEncoding, BadValuesAreUsageErrors) {
  test::TempDir dir;
  std::string csv = dir.write("t.csv", "a\n1\n");
  std::string out = (dir.path() / "t.parquet").string();
  test::RunResult r = run_cli({"convert", csv, out, "--encoding", "rle"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "'rle'")) << r.err;
  r = run_cli({"convert", csv, out, "--page-version", "3"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  r = run_cli({"convert", csv, (dir.path() / "t.tsv").string(), "--page-version", "2"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "parquet output only")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace quilt
