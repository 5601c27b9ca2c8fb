#include "quilt/table.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "quilt/errors.h"

namespace quilt {
namespace {

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "(no InvalidArgument)";
}

TEST(Table, BuildsNumericColumnsFromVectors) {
  Column a = Column::from_values<int64_t>("a", {1, 2, 3});
  Column b = Column::from_values<double>("b", {0.5, 1.5, 2.5});
  EXPECT_EQ(a.type(), DataType::int64());
  EXPECT_EQ(b.type(), DataType::float64());
  EXPECT_EQ(a.null_count(), 0);
  EXPECT_TRUE(a.validity_buffer().empty());
  EXPECT_EQ(a.values<int64_t>()[2], 3);
  EXPECT_EQ(b.values<double>()[1], 1.5);
  Table t = Table::make({a, b}, {{"pandas", "{}"}});
  EXPECT_EQ(t.num_rows(), 3);
  EXPECT_EQ(t.num_columns(), 2);
  EXPECT_EQ(t.schema()[1].name, "b");
  EXPECT_EQ(t.metadata_value("pandas"), "{}");
  EXPECT_EQ(t.find_column("b")->name(), "b");
  EXPECT_EQ(t.find_column("z"), nullptr);
}

TEST(Table, BuildsEveryUnsignedAndSmallType) {
  EXPECT_EQ(Column::from_values<int8_t>("x", {-1}).values<int8_t>()[0], -1);
  EXPECT_EQ(Column::from_values<int16_t>("x", {-2}).type(), DataType::int16());
  EXPECT_EQ(Column::from_values<int32_t>("x", {-3}).type(), DataType::int32());
  EXPECT_EQ(Column::from_values<uint8_t>("x", {255}).values<uint8_t>()[0], 255);
  EXPECT_EQ(Column::from_values<uint16_t>("x", {1}).type(), DataType::uint16());
  EXPECT_EQ(Column::from_values<uint32_t>("x", {1}).type(), DataType::uint32());
  EXPECT_EQ(Column::from_values<uint64_t>("x", {1}).type(), DataType::uint64());
  EXPECT_EQ(Column::from_values<float>("x", {1}).type(), DataType::float32());
}

TEST(Table, NullableColumnsHaveValidityBitmaps) {
  Column c = Column::from_optional<int32_t>("n", {1, std::nullopt, 3, std::nullopt});
  EXPECT_EQ(c.null_count(), 2);
  ASSERT_EQ(c.validity_buffer().size(), 1u);
  EXPECT_EQ(c.validity_buffer().data()[0], 0b0101);  // LSB first, 1 = valid
  EXPECT_TRUE(c.is_valid(0));
  EXPECT_TRUE(c.is_null(1));
  EXPECT_EQ(c.values<int32_t>()[2], 3);
}

TEST(Table, BoolsAreBitPacked) {
  Column c = Column::from_bools("b", {true, false, true, true, false, false, false, false, true});
  EXPECT_EQ(c.values_buffer().size(), 2u);
  EXPECT_EQ(c.values_buffer().data()[0], 0b1101);
  EXPECT_EQ(c.values_buffer().data()[1], 1);
  EXPECT_TRUE(c.bool_at(8));
  EXPECT_FALSE(c.bool_at(1));
  Column all = Column::from_bools("t", {true, true});
  EXPECT_TRUE(all.bool_at(0) && all.bool_at(1));
  Column o = Column::from_optional_bools("o", {true, std::nullopt, false});
  EXPECT_EQ(o.null_count(), 1);
  EXPECT_TRUE(o.bool_at(0));
  EXPECT_FALSE(o.bool_at(2));
}

TEST(Table, StringsUseInt32Offsets) {
  Column c = Column::from_optional_strings("s", {"ab", std::nullopt, "", "cde"});
  EXPECT_EQ(c.type(), DataType::string());
  std::span<const int32_t> o = c.offsets();
  ASSERT_EQ(o.size(), 5u);
  EXPECT_EQ(o[0], 0);
  EXPECT_EQ(o[2], 2);
  EXPECT_EQ(o[4], 5);
  EXPECT_EQ(c.string_at(3), "cde");
  EXPECT_TRUE(c.is_null(1));
  EXPECT_EQ(c.null_count(), 1);
  Column b = Column::from_binary("b", {std::string("\xff\0", 2)});
  EXPECT_EQ(b.type(), DataType::binary());
  EXPECT_EQ(b.string_at(0).size(), 2u);
}

TEST(Table, RejectsIllFormedUtf8NamingTheColumn) {
  std::string msg = error_of([] { Column::from_strings("city", {"ok", "\xc3("}); });
  EXPECT_NE(msg.find("column 'city'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("UTF-8 at row 1"), std::string::npos) << msg;
}

TEST(Table, TimestampsKeepUnitAndZoneAndConvertSeconds) {
  Column ns = Column::from_timestamps("t", {1, 2}, TimeUnit::kNano, "UTC");
  EXPECT_EQ(ns.type().to_string(), "timestamp[ns, tz=UTC]");
  Column s = Column::from_timestamps("t", {1, -2}, TimeUnit::kSecond);
  EXPECT_EQ(s.type(), DataType::timestamp(TimeUnit::kMilli));
  EXPECT_EQ(s.values<int64_t>()[0], 1000);
  EXPECT_EQ(s.values<int64_t>()[1], -2000);
  Column o = Column::from_optional_timestamps("t", {std::nullopt, 3}, TimeUnit::kSecond);
  EXPECT_EQ(o.values<int64_t>()[1], 3000);
  EXPECT_TRUE(o.is_null(0));
  std::string msg = error_of([] {
    Column::from_timestamps("big", {std::numeric_limits<int64_t>::max()}, TimeUnit::kSecond);
  });
  EXPECT_NE(msg.find("overflows"), std::string::npos) << msg;
  EXPECT_EQ(Column::from_dates("d", {19000}).values<int32_t>()[0], 19000);
}

TEST(Table, DictionaryColumnsAreCategoricals) {
  Column c = Column::from_dictionary("cat", {0, 1, -1, 0}, {"lo", "hi"}, true);
  EXPECT_EQ(c.type().to_string(), "dictionary<values=string, indices=int32, ordered=1>");
  EXPECT_TRUE(c.type().ordered());
  EXPECT_EQ(c.null_count(), 1);
  EXPECT_EQ(c.dictionary().string_at(c.values<int32_t>()[1]), "hi");
  c.validate_full();
  std::string msg = error_of([] { Column::from_dictionary("cat", {2}, {"a", "b"}); });
  EXPECT_NE(msg.find("outside 2 categories"), std::string::npos) << msg;
  EXPECT_THROW(DataType::dictionary(DataType::float64(), DataType::string()), InvalidArgument);
}

TEST(Table, RejectsColumnsOfDifferentLengths) {
  std::string msg = error_of([] {
    Table::make(
        {Column::from_values<int64_t>("a", {1, 2}), Column::from_values<int64_t>("b", {1})});
  });
  EXPECT_NE(msg.find("column 'b': has 1 rows; column 'a' has 2"), std::string::npos) << msg;
}

TEST(Table, RejectsShortBuffersAndWrongValueTypes) {
  std::vector<int64_t> v = {1, 2};
  ColumnBuffers b;
  b.values = Buffer(v.data(), 16, nullptr);
  std::string msg = error_of([&] { Column::make("short", DataType::int64(), 3, b); });
  EXPECT_NE(msg.find("column 'short': values buffer has 16 bytes, needs 24"), std::string::npos)
      << msg;
  Column c = Column::from_values<int64_t>("x", {1});
  EXPECT_THROW(c.values<double>(), InvalidArgument);
  EXPECT_THROW(c.values<uint64_t>(), InvalidArgument);
  Column ts = Column::from_timestamps("t", {1}, TimeUnit::kNano);
  EXPECT_EQ(ts.values<int64_t>()[0], 1);
  EXPECT_THROW(ts.values<uint64_t>(), InvalidArgument);
  EXPECT_THROW(c.string_at(0), InvalidArgument);
  ColumnBuffers d;
  d.values = Buffer::from_vector(std::vector<int32_t>{0});
  msg = error_of([&] {
    Column::make("d", DataType::dictionary(DataType::int32(), DataType::string()), 1, d);
  });
  EXPECT_NE(msg.find("needs its dictionary"), std::string::npos) << msg;
}

TEST(Table, ValidateFullFindsBadOffsetsAndIndices) {
  std::vector<int32_t> offsets = {0, 3, 1, 4};
  std::string data = "abcd";
  Column c = Column::view_strings("s", DataType::string(), 3, offsets.data(),
                                  reinterpret_cast<const uint8_t*>(data.data()), data.size(),
                                  nullptr, nullptr);
  std::string msg = error_of([&] { c.validate_full(); });
  EXPECT_NE(msg.find("column 's': offsets not monotonic at row 1"), std::string::npos) << msg;
  std::vector<int32_t> past = {0, 9};
  msg = error_of([&] {
    Column::view_strings("p", DataType::string(), 1, past.data(),
                         reinterpret_cast<const uint8_t*>(data.data()), data.size(), nullptr,
                         nullptr);
  });
  EXPECT_NE(msg.find("not within the 4-byte data"), std::string::npos) << msg;
  ColumnBuffers b;
  b.values = Buffer::from_vector(std::vector<int8_t>{0, 5});
  b.dictionary = std::make_shared<const Column>(Column::from_strings("v", {"a"}));
  Column d = Column::make("d", DataType::dictionary(DataType::int8(), DataType::string()), 2, b);
  msg = error_of([&] { d.validate_full(); });
  EXPECT_NE(msg.find("dictionary index 5 at row 1"), std::string::npos) << msg;
}

TEST(Table, ViewsAreZeroCopyAndKeepTheOwnerAlive) {
  struct Flagged {
    std::vector<double> values{1.0, 2.0, 3.0};
    bool* released = nullptr;
    ~Flagged() { *released = true; }
  };
  bool released = false;
  auto flagged = std::make_shared<Flagged>();
  flagged->released = &released;
  const double* values = flagged->values.data();
  std::shared_ptr<const void> owner = std::move(flagged);
  Table copy;
  {
    Column c = Column::view("v", DataType::float64(), 3, values, nullptr, owner);
    EXPECT_EQ(c.values<double>().data(), values);
    Table t = Table::make({c});
    copy = t.slice(1, 2);
    owner.reset();
  }
  EXPECT_FALSE(released);
  EXPECT_EQ(copy.column(0).values<double>().data(), values + 1);
  EXPECT_EQ(copy.column(0).values<double>()[1], 3.0);
  copy = Table();
  EXPECT_TRUE(released);
}

TEST(Table, OwnerUseCountTracksCopies) {
  auto vec = std::make_shared<std::vector<int32_t>>(std::vector<int32_t>{4, 5});
  Column c = Column::view("v", DataType::int32(), 2, vec->data(), nullptr, vec);
  const long base = vec.use_count();
  Table a = Table::make({c});
  Table b = a;  // shares, copies no buffer handle
  EXPECT_EQ(vec.use_count(), base);
  Table s = a.slice(0, 1);
  EXPECT_GT(vec.use_count(), base);
}

TEST(Table, SlicesAreZeroCopyAndRecountNulls) {
  std::vector<std::optional<int64_t>> v;
  for (int i = 0; i < 100; ++i) v.push_back(i % 3 == 0 ? std::nullopt : std::optional<int64_t>(i));
  Column c = Column::from_optional("x", v);
  Column s = c.slice(5, 70);
  EXPECT_EQ(s.offset(), 5);
  EXPECT_EQ(s.length(), 70);
  EXPECT_EQ(s.values<int64_t>()[2], 7);
  int64_t nulls = 0;
  for (int i = 5; i < 75; ++i) nulls += i % 3 == 0;
  EXPECT_EQ(s.null_count(), nulls);
  EXPECT_TRUE(s.is_null(1));  // row 6
  Column strs = Column::from_strings("s", {"a", "bb", "ccc"}).slice(1, 2);
  EXPECT_EQ(strs.string_at(0), "bb");
  EXPECT_EQ(strs.offsets()[0], 1);
  Column bools = Column::from_bools("b", {false, true, false}).slice(1, 1);
  EXPECT_TRUE(bools.bool_at(0));
  EXPECT_THROW(c.slice(90, 11), InvalidArgument);
  Column sec = Column::make("t", DataType::timestamp(TimeUnit::kSecond), 70, [&] {
    ColumnBuffers b;
    b.values = c.values_buffer();
    b.validity = c.validity_buffer();
    b.offset = 5;
    return b;
  }());
  EXPECT_EQ(sec.values<int64_t>()[2], 7000);
  EXPECT_TRUE(sec.is_null(1));
  EXPECT_EQ(sec.null_count(), nulls);
}

TEST(Table, EqualsComparesValuesNullsAndNans) {
  const double nan = std::nan("");
  Table a = Table::make({Column::from_optional<double>("f", {1.0, nan, std::nullopt})});
  Table b = Table::make({Column::from_optional<double>("f", {1.0, nan, std::nullopt})});
  EXPECT_FALSE(a.equals(b));
  EXPECT_TRUE(a.equals(b, {.nans_equal = true}));
  Table c = Table::make({Column::from_optional<double>("f", {1.0, nan, 2.0})});
  EXPECT_FALSE(a.equals(c, {.nans_equal = true}));
  Table renamed = Table::make({a.column(0).rename("g")});
  EXPECT_FALSE(a.equals(renamed, {.nans_equal = true}));
  EXPECT_FALSE(
      a.equals(a.with_metadata({{"k", "v"}}), {.nans_equal = true, .check_metadata = true}));
  EXPECT_TRUE(a.equals(a.with_metadata({{"k", "v"}}), {.nans_equal = true}));
  // Dictionaries compare by the values they select, not the encoding.
  Column d1 = Column::from_dictionary("c", {0, 1}, {"x", "y"});
  Column d2 = Column::from_dictionary("c", {1, 0}, {"y", "x"});
  EXPECT_TRUE(d1.equals(d2));
  EXPECT_TRUE(
      Column::from_strings("s", {"a", "b"}).slice(1, 1).equals(Column::from_strings("s", {"b"})));
}

}  // namespace
}  // namespace quilt

namespace quilt {
namespace {

TEST(Table, ViewsCallerValidityBitmapsAndBools) {
  auto mem = std::make_shared<std::vector<uint8_t>>(std::vector<uint8_t>{0b011, 0b101});
  // One allocation, two views: bit-packed bools and a validity bitmap over them.
  Column b = Column::view("flags", DataType::boolean(), 3, mem->data(), mem->data() + 1, mem);
  EXPECT_EQ(b.null_count(), 1);
  EXPECT_TRUE(b.bool_at(0));
  EXPECT_FALSE(b.bool_at(2));
  EXPECT_TRUE(b.is_null(1));
  EXPECT_EQ(b.validity_buffer().owner(), mem);
  std::string msg =
      error_of([&] { Column::view("s", DataType::string(), 1, mem->data(), nullptr, mem); });
  EXPECT_NE(msg.find("fixed-width types only"), std::string::npos) << msg;
}

TEST(Table, EmptyTablesAndDictionarySlices) {
  Table empty;
  EXPECT_EQ(empty.num_rows(), 0);
  EXPECT_EQ(empty.num_columns(), 0);
  EXPECT_EQ(Table::make({}, {}, 5).num_rows(), 5);
  EXPECT_THROW(empty.column(0), InvalidArgument);
  Column c = Column::from_dictionary("cat", {1, -1, 0, 1}, {"a", "b"});
  Column s = c.slice(1, 3);
  EXPECT_EQ(s.null_count(), 1);
  EXPECT_EQ(s.dictionary().string_at(s.values<int32_t>()[1]), "a");
  EXPECT_TRUE(s.equals(Column::from_dictionary("cat", {-1, 0, 1}, {"a", "b"})));
  s.validate_full();
}

}  // namespace
}  // namespace quilt
