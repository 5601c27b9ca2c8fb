// Column chunk statistics at their edges: NaN and signed zeros in floats,
// unsigned order for UINT columns, byte order for strings and binary, all-null
// and all-NaN chunks. Each case is a column of one small file; the footer is
// read back with our decoder and the file checked by the oracle (which also
// compares the statistics with the data DuckDB reads).

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "writer_test_util.h"

namespace quilt::test {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

double as_double(const std::string& bytes) {
  EXPECT_EQ(bytes.size(), 8u);
  double v;
  std::memcpy(&v, bytes.data(), 8);
  return v;
}

float as_float(const std::string& bytes) {
  EXPECT_EQ(bytes.size(), 4u);
  float v;
  std::memcpy(&v, bytes.data(), 4);
  return v;
}

Column binary(const std::string& name, const std::vector<std::optional<std::string>>& values) {
  // Built from raw buffers: the string builders insist on UTF-8, binary may hold any bytes.
  std::vector<int32_t> offsets{0};
  std::string data;
  std::vector<uint8_t> validity((values.size() + 7) / 8, 0);
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i]) {
      data += *values[i];
      validity[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
    }
    offsets.push_back(static_cast<int32_t>(data.size()));
  }
  ColumnBuffers buffers;
  buffers.validity = Buffer::from_vector(std::move(validity));
  buffers.values = Buffer::from_vector(std::move(offsets));
  buffers.data = Buffer::from_vector(std::vector<char>(data.begin(), data.end()));
  return Column::make(name, DataType::binary(), static_cast<int64_t>(values.size()),
                      std::move(buffers));
}

TEST(ParquetWriterStatistics, EdgeCases) {
  TempDir dir;
  using OD = std::optional<double>;
  using OF = std::optional<float>;
  const std::string emoji = "\xF0\x9F\x98\x80";  // U+1F600, the largest first byte here
  Table table = Table::make({
      Column::from_optional<double>("nan_zero", {OD(kNaN), OD(-0.0), OD(0.0), OD(1.5)}),
      Column::from_optional<double>("zeros", {OD(0.0), OD(0.0), std::nullopt, OD(0.0)}),
      Column::from_optional<double>("neg_zero_max", {OD(-3.0), OD(-0.0), OD(kNaN), OD(-1.0)}),
      Column::from_optional<double>("all_nan", {OD(kNaN), OD(kNaN), std::nullopt, OD(kNaN)}),
      Column::from_optional<double>("all_null", {std::nullopt, std::nullopt, std::nullopt,
                                                 std::nullopt}),
      Column::from_optional<float>("f32_inf", {OF(-INFINITY), OF(2.0f), OF(NAN), OF(INFINITY)}),
      Column::from_optional<uint32_t>("u32", {1u, 3000000000u, std::nullopt, 5u}),
      Column::from_optional<uint64_t>("u64", {0ull, (1ull << 63) + 5, 7ull, std::nullopt}),
      Column::from_optional<int8_t>("i8", {int8_t{-128}, int8_t{127}, int8_t{0}, std::nullopt}),
      Column::from_strings("str", {"z", "\u00e9", "a", emoji}),
      binary("bin", {std::string("\xff", 1), std::string("\x00\x01", 2), std::string(),
                     std::nullopt}),
      Column::from_optional_bools("bools", {true, true, std::nullopt, true}),
  });
  std::string path = write(dir, "stats.parquet", table);
  check(path);
  FileMetaData footer = footer_of(path);
  auto stats = [&](const char* name) {
    for (size_t c = 0; c < table.columns().size(); ++c) {
      if (table.column(static_cast<int>(c)).name() == name) return stats_of(footer, c);
    }
    throw std::runtime_error(name);
  };

  // NaN is ignored; a zero min is written as -0.0.
  parquet::Statistics s = stats("nan_zero");
  EXPECT_TRUE(std::signbit(as_double(*s.min_value)));
  EXPECT_EQ(as_double(*s.min_value), 0.0);
  EXPECT_EQ(as_double(*s.max_value), 1.5);
  EXPECT_EQ(s.null_count, 0);
  // Only zeros: min -0.0, max +0.0.
  s = stats("zeros");
  EXPECT_TRUE(std::signbit(as_double(*s.min_value)));
  EXPECT_FALSE(std::signbit(as_double(*s.max_value)));
  EXPECT_EQ(as_double(*s.max_value), 0.0);
  EXPECT_EQ(s.null_count, 1);
  // A zero max (here from -0.0) is written as +0.0.
  s = stats("neg_zero_max");
  EXPECT_EQ(as_double(*s.min_value), -3.0);
  EXPECT_EQ(as_double(*s.max_value), 0.0);
  EXPECT_FALSE(std::signbit(as_double(*s.max_value)));
  // No value but NaN, or no value at all: no min/max, only the null count.
  s = stats("all_nan");
  EXPECT_FALSE(s.min_value.has_value());
  EXPECT_FALSE(s.max_value.has_value());
  EXPECT_EQ(s.null_count, 1);
  s = stats("all_null");
  EXPECT_FALSE(s.min_value.has_value());
  EXPECT_FALSE(s.max_value.has_value());
  EXPECT_EQ(s.null_count, 4);
  // Infinities are values.
  s = stats("f32_inf");
  EXPECT_EQ(as_float(*s.min_value), -INFINITY);
  EXPECT_EQ(as_float(*s.max_value), INFINITY);
  // Unsigned order: 3e9 is the max (as a signed INT32 it would be the min);
  // the deprecated signed-order min/max are left out.
  s = stats("u32");
  EXPECT_EQ(*s.min_value, plain<uint32_t>(1));
  EXPECT_EQ(*s.max_value, plain<uint32_t>(3000000000u));
  EXPECT_FALSE(s.min.has_value());
  EXPECT_FALSE(s.max.has_value());
  s = stats("u64");
  EXPECT_EQ(*s.min_value, plain<uint64_t>(0));
  EXPECT_EQ(*s.max_value, plain<uint64_t>((1ull << 63) + 5));
  // Signed types carry the deprecated fields too, with the same values.
  s = stats("i8");
  EXPECT_EQ(*s.min_value, plain<int32_t>(-128));
  EXPECT_EQ(*s.max_value, plain<int32_t>(127));
  EXPECT_EQ(s.min, s.min_value);
  EXPECT_EQ(s.max, s.max_value);
  // Strings and binary: unsigned byte order ("é" and the emoji sort after "z").
  s = stats("str");
  EXPECT_EQ(*s.min_value, "a");
  EXPECT_EQ(*s.max_value, emoji);
  EXPECT_FALSE(s.min.has_value());
  s = stats("bin");
  EXPECT_EQ(*s.min_value, "");
  EXPECT_EQ(*s.max_value, std::string("\xff", 1));
  EXPECT_EQ(s.null_count, 1);
  s = stats("bools");
  EXPECT_EQ(*s.min_value, std::string(1, '\1'));
  EXPECT_EQ(*s.max_value, std::string(1, '\1'));
}

TEST(ParquetWriterStatistics, LeftOutWhenAskedOrTooLarge) {
  TempDir dir;
  Table table = Table::make({Column::from_strings("long", {std::string(5000, 'x'), "y"}),
                             Column::from_values<int64_t>("n", {3, 1})});
  std::string with = write(dir, "with.parquet", table);
  Json summary = check(with);
  FileMetaData footer = footer_of(with);
  // A 5000-byte value would bloat the footer: no min/max for that chunk.
  EXPECT_FALSE(stats_of(footer, 0).min_value.has_value());
  EXPECT_EQ(stats_of(footer, 0).null_count, 0);
  EXPECT_EQ(*stats_of(footer, 1).max_value, plain<int64_t>(3));
  EXPECT_EQ(summary.find("stats_check")->find("missing_min_max")->as_int(), 1);

  std::string without = write(dir, "without.parquet", table, {.write_statistics = false});
  check(without);
  FileMetaData plain_footer = footer_of(without);
  for (const parquet::ColumnChunk& chunk : plain_footer.row_groups.at(0).columns) {
    EXPECT_FALSE(chunk.meta_data->statistics.has_value());
  }
}

}  // namespace
}  // namespace quilt::test
