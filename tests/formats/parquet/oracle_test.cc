// The oracle itself: it must read a file DuckDB wrote, and it must fail on a
// file that is not Parquet, or every test that relies on it proves nothing.

#include <gtest/gtest.h>

#include "parquet_oracle.h"
#include "test_util.h"

namespace quilt::test {
namespace {

TEST(ParquetOracle, ReadsWhatDuckDbWrote) {
  TempDir dir;
  std::string path = (dir.path() / "ref.parquet").string();
  duckdb_sql("COPY (SELECT range AS a, 'x' || range AS s FROM range(100)) TO '" + path + "'");
  OracleReport report = check_parquet(path);
  ASSERT_EQ(report.exit_code, 0) << report.problems();
  EXPECT_EQ(report.summary.find("row_count")->as_int(), 100);
}

TEST(ParquetOracle, RejectsBytesThatAreNotParquet) {
  TempDir dir;
  std::string path = dir.write("bad.parquet", "PAR1 this is not a parquet file PAR1");
  OracleReport report = check_parquet(path);
  EXPECT_EQ(report.exit_code, 2);
}

}  // namespace
}  // namespace quilt::test
