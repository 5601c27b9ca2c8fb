// `quiltcpp convert`: tables between csv, tsv and parquet, and one numeric
// column to and from npy. Tests that need the csv and parquet codecs are
// named ConvertTable*.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "parquet_oracle.h"
#include "quilt/ndarray.h"
#include "test_util.h"

namespace quilt {
namespace {

using test::contains;

using test::run_cli;

std::string npy_bytes(const NDArray& array) {
  std::string out;
  write_npy(array, [&](std::span<const uint8_t> b) {
    out.append(reinterpret_cast<const char*>(b.data()), b.size());
  });
  return out;
}

TEST(Convert, UnknownExtensionIsUsageError) {
  test::TempDir dir;
  std::string in = dir.write("a.xlsx", "x");
  test::RunResult r = run_cli({"convert", in, (dir.path() / "b.csv").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "a.xlsx") && contains(r.err, ".xlsx")) << r.err;
  std::string npy = dir.write(
      "a.npy", npy_bytes(NDArray::from_vector(DType::kInt64, std::vector<int64_t>{1}, {1})));
  r = run_cli({"convert", npy, (dir.path() / "b").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "(none)")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "b"));
}

TEST(Convert, MissingInputIsIoError) {
  test::TempDir dir;
  test::RunResult r =
      run_cli({"convert", (dir.path() / "nope.npy").string(), (dir.path() / "x.npy").string()});
  EXPECT_EQ(r.exit_code, 6) << r.err;
  EXPECT_TRUE(contains(r.err, "nope.npy")) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST(Convert, CorruptNpyIsCorrupt) {
  test::TempDir dir;
  std::string in = dir.write("bad.npy", "\x93NUMPY\x01\x00garbage");
  test::RunResult r = run_cli({"convert", in, (dir.path() / "x.npy").string()});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_TRUE(contains(r.err, "bad.npy")) << r.err;
}

TEST(Convert, NpyToNpyRewritesIt) {
  test::TempDir dir;
  NDArray array = NDArray::from_vector(DType::kFloat32, std::vector<float>{1, 2, 3, 4, 5, 6},
                                       {2, 3}, Order::kFortran);
  std::string in = dir.write("in.npy", npy_bytes(array));
  std::string out = (dir.path() / "out.npy").string();
  test::RunResult r = run_cli({"convert", in, out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_file(out), npy_bytes(array));
}

TEST(Convert, OnlyOneDimensionalNumericArraysBecomeTables) {
  test::TempDir dir;
  std::string two_d = dir.write(
      "m.npy",
      npy_bytes(NDArray::from_vector(DType::kInt64, std::vector<int64_t>{1, 2, 3, 4}, {2, 2})));
  test::RunResult r = run_cli({"convert", two_d, (dir.path() / "m.csv").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "2 dimensions")) << r.err;
  std::string complex = dir.write(
      "c.npy", npy_bytes(NDArray::from_vector(DType::kComplex128, std::vector<double>{1, 2}, {1})));
  r = run_cli({"convert", complex, (dir.path() / "c.parquet").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "complex128")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "c.parquet"));
}

TEST(Convert, ParquetOptionsOnlyForParquetOutput) {
  test::TempDir dir;
  std::string in = dir.write(
      "v.npy", npy_bytes(NDArray::from_vector(DType::kInt64, std::vector<int64_t>{1, 2}, {2})));
  test::RunResult r =
      run_cli({"convert", in, (dir.path() / "v2.npy").string(), "--compression", "zstd"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "parquet output only")) << r.err;
  r = run_cli({"convert", in, (dir.path() / "v.parquet").string(), "--row-group-size", "0"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "v.parquet"));
}

// ----------------------------------------------------- after the csv/parquet merge

TEST(ConvertTable, NpyToCsvAndBack) {
  test::TempDir dir;
  std::string in = dir.write(
      "v.npy",
      npy_bytes(NDArray::from_vector(DType::kFloat64, std::vector<double>{1.5, -2, 0.1}, {3})));
  std::string csv = (dir.path() / "v.csv").string();
  test::RunResult r = run_cli({"convert", in, csv});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_file(csv), "values\n1.5\n-2.0\n0.1\n");
  std::string back = (dir.path() / "back.npy").string();
  r = run_cli({"convert", csv, back});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_file(back), test::read_file(in));
  EXPECT_EQ(test::run_python("import numpy, sys\n"
                             "print(numpy.load(sys.stdin.readline().strip()).tolist())\n",
                             back + "\n"),
            "[1.5, -2.0, 0.1]\n");
}

TEST(ConvertTable, CsvToParquetToTsv) {
  test::TempDir dir;
  std::string csv = dir.write("t.csv", "id,name,x\n1,ann,0.5\n2,,1e-07\n3,\"c,d\",-3.0\n");
  std::string parquet = (dir.path() / "t.parquet").string();
  test::RunResult r =
      run_cli({"convert", csv, parquet, "--compression", "zstd", "--row-group-size", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  test::OracleReport report = test::check_parquet(parquet);
  EXPECT_EQ(report.exit_code, 0) << report.problems() << report.err;
  Json rows = test::duckdb_sql("SELECT count(*) AS n FROM '" + parquet + "'");
  EXPECT_EQ(rows.as_array()[0].find("n")->manifest_text(), "\"3\"");
  std::string tsv = (dir.path() / "t.tsv").string();
  r = run_cli({"convert", parquet, tsv});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_file(tsv), "id\tname\tx\n1\tann\t0.5\n2\t\t1e-07\n3\tc,d\t-3.0\n");
}

TEST(ConvertTable, TwoColumnsDoNotFitNpy) {
  test::TempDir dir;
  std::string csv = dir.write("t.csv", "a,b\n1,2\n");
  test::RunResult r = run_cli({"convert", csv, (dir.path() / "t.npy").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "2 columns")) << r.err;
  csv = dir.write("s.csv", "name\nann\n");
  r = run_cli({"convert", csv, (dir.path() / "s.npy").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "'name'")) << r.err;
}

TEST(ConvertTable, BadCompressionIsUsageError) {
  test::TempDir dir;
  std::string csv = dir.write("t.csv", "a\n1\n");
  test::RunResult r =
      run_cli({"convert", csv, (dir.path() / "t.parquet").string(), "--compression", "lzo"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "'lzo'")) << r.err;
}

}  // namespace
}  // namespace quilt
