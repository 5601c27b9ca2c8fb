#include "formats/parquet/thrift_compact.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "quilt/errors.h"

namespace quilt::parquet {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes bytes_of(const CompactWriter &w) { return {w.bytes().begin(), w.bytes().end()}; }

// Hand-computed from the compact protocol rules: field header = delta << 4 |
// type; ints are zigzag varints; a delta over 15 writes the type byte then the
// zigzag i16 id.
TEST(ThriftCompact, WritesSpecByteSequences) {
  CompactWriter w;
  w.begin_struct();
  w.field_i32(1, 1);        // 0x15, zigzag(1) = 2
  w.field_i64(2, -1);       // delta 1, i64: 0x16, zigzag(-1) = 1
  w.field_bool(3, true);    // 0x11: the value is the type
  w.field_bool(4, false);   // 0x12
  w.field_binary(5, "ab");  // 0x18 0x02 'a' 'b'
  w.field_i32(20, 300);     // delta 15: 0xF5, zigzag(300) = 600 = 0xD8 0x04
  w.field_i32(40, 0);       // delta 20: 0x05, zigzag id 80 = 0x50, value 0x00
  w.field_i32(2, 0);        // negative delta: 0x05, zigzag id 4 = 0x04, value 0x00
  w.end_struct();
  Bytes expected = {0x15, 0x02, 0x16, 0x01, 0x11, 0x12, 0x18, 0x02, 'a',  'b',
                    0xF5, 0xD8, 0x04, 0x05, 0x50, 0x00, 0x05, 0x04, 0x00, 0x00};
  EXPECT_EQ(bytes_of(w), expected);
}

TEST(ThriftCompact, WritesListHeadersShortAndLong) {
  CompactWriter w;
  w.write_list_header(ThriftType::kI32, 3);      // 0x35
  w.write_list_header(ThriftType::kStruct, 14);  // 0xEC
  w.write_list_header(ThriftType::kBinary, 15);  // 0xF8 0x0F
  w.write_list_header(ThriftType::kI64, 300);    // 0xF6 0xAC 0x02
  Bytes expected = {0x35, 0xEC, 0xF8, 0x0F, 0xF6, 0xAC, 0x02};
  EXPECT_EQ(bytes_of(w), expected);
}

void write_sample(CompactWriter &w) {
  w.begin_struct();
  w.field_i32(1, -123456);
  w.field_i64(2, INT64_MIN);
  w.field_bool(3, true);
  w.field_double(4, 2.5);
  w.field_binary(5, std::string(200, 'x'));
  w.field_list(6, ThriftType::kI32, 20);
  for (int i = 0; i < 20; ++i) w.write_i32(i * 1000 - 7);
  w.begin_field_struct(7);
  w.field_i16(1, -2);
  w.field_bool(30, false);
  w.end_struct();
  w.field_list(8, ThriftType::kStruct, 2);
  for (int i = 0; i < 2; ++i) {
    w.begin_struct();
    // Appending, not "k" + to_string(i): GCC 12 warns falsely (-Wrestrict) on the latter.
    std::string key = "k";
    key += std::to_string(i);
    w.field_binary(1, key);
    w.end_struct();
  }
  w.field_list(9, ThriftType::kBoolTrue, 3);
  w.write_bool(true);
  w.write_bool(false);
  w.write_bool(true);
  w.field_i8(10, -5);
  w.end_struct();
}

TEST(ThriftCompact, RoundTripsEveryType) {
  CompactWriter w;
  write_sample(w);
  CompactReader r(w.bytes(), "sample");
  r.begin_struct();
  auto f = r.next_field();
  ASSERT_TRUE(f && f->id == 1 && f->type == ThriftType::kI32);
  EXPECT_EQ(r.read_i32(), -123456);
  f = r.next_field();
  ASSERT_TRUE(f && f->id == 2);
  EXPECT_EQ(r.read_i64(), INT64_MIN);
  f = r.next_field();
  ASSERT_TRUE(f && f->id == 3 && f->type == ThriftType::kBoolTrue && f->bool_value);
  f = r.next_field();
  ASSERT_TRUE(f && f->id == 4);
  EXPECT_EQ(r.read_double(), 2.5);
  f = r.next_field();
  ASSERT_TRUE(f && f->id == 5);
  EXPECT_EQ(r.read_string(), std::string(200, 'x'));
  f = r.next_field();
  ASSERT_TRUE(f && f->id == 6 && f->type == ThriftType::kList);
  ListHeader list = r.read_list_header();
  ASSERT_EQ(list.size, 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(r.read_i32(), i * 1000 - 7);
  f = r.next_field();
  ASSERT_TRUE(f && f->id == 7 && f->type == ThriftType::kStruct);
  r.begin_struct();
  f = r.next_field();
  ASSERT_TRUE(f && f->id == 1);
  EXPECT_EQ(r.read_i16(), -2);
  f = r.next_field();
  ASSERT_TRUE(f && f->id == 30 && !f->bool_value);
  EXPECT_FALSE(r.next_field());
  r.end_struct();
  f = r.next_field();
  ASSERT_TRUE(f && f->id == 8);  // delta ids continue from the outer struct's last id
  r.skip(*f);
  f = r.next_field();
  ASSERT_TRUE(f && f->id == 9);
  list = r.read_list_header();
  ASSERT_EQ(list.size, 3u);
  EXPECT_TRUE(r.read_bool());
  EXPECT_FALSE(r.read_bool());
  EXPECT_TRUE(r.read_bool());
  f = r.next_field();
  ASSERT_TRUE(f && f->id == 10);
  EXPECT_EQ(r.read_i8(), -5);
  EXPECT_FALSE(r.next_field());
  r.end_struct();
  EXPECT_EQ(r.position(), w.bytes().size());
}

TEST(ThriftCompact, SkipsAWholeStructOfEveryType) {
  CompactWriter w;
  write_sample(w);
  // A map field too, which Parquet never writes but another writer might.
  Bytes bytes = bytes_of(w);
  bytes.pop_back();                                                        // drop the stop
  Bytes map = {0x1B, 0x02, 0x85, 0x01, 'a', 0x02, 0x01, 'b', 0x04, 0x00};  // id 11: {a:1,b:2}
  bytes.insert(bytes.end(), map.begin(), map.end());
  CompactReader r(bytes, "sample");
  r.skip(ThriftType::kStruct);
  EXPECT_EQ(r.position(), bytes.size());
}

TEST(ThriftCompact, TruncatedInputAtEveryOffsetThrowsCorrupt) {
  CompactWriter w;
  write_sample(w);
  Bytes bytes = bytes_of(w);
  for (size_t n = 0; n < bytes.size(); ++n) {
    Bytes cut(bytes.begin(), bytes.begin() + n);
    CompactReader r(cut, "cut");
    EXPECT_THROW(r.skip(ThriftType::kStruct), Corrupt) << "length " << n;
  }
}

TEST(ThriftCompact, ErrorsNameContextAndWhat) {
  Bytes bytes = {0x18, 0x7F};  // field 1 binary of 127 bytes, none present
  CompactReader r(bytes, "footer of x.parquet");
  try {
    r.skip(ThriftType::kStruct);
    FAIL();
  } catch (const Corrupt &e) {
    std::string message = e.what();
    EXPECT_NE(message.find("footer of x.parquet"), std::string::npos) << message;
    EXPECT_NE(message.find("binary of 127 bytes"), std::string::npos) << message;
  }
}

TEST(ThriftCompact, RefusesDeepNesting) {
  Bytes bytes(1000, 0x1C);  // field 1 struct, nested again and again
  CompactReader r(bytes, "deep");
  EXPECT_THROW(r.skip(ThriftType::kStruct), Corrupt);
}

TEST(ThriftCompact, RefusesLyingListSizeAndBadTypes) {
  Bytes huge_list = {0x19, 0xF5, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
  CompactReader r1(huge_list, "list");
  EXPECT_THROW(r1.skip(ThriftType::kStruct), Corrupt);
  Bytes bad_type = {0x1D};
  CompactReader r2(bad_type, "type");
  EXPECT_THROW(r2.skip(ThriftType::kStruct), Corrupt);
  Bytes long_varint(12, 0xFF);
  CompactReader r3(long_varint, "varint");
  EXPECT_THROW(r3.read_i64(), Corrupt);
  Bytes big_i32 = {0x80, 0x80, 0x80, 0x80, 0x20};  // 2^33 zigzagged
  CompactReader r4(big_i32, "i32");
  EXPECT_THROW(r4.read_i32(), Corrupt);
}

TEST(ThriftCompact, RandomBytesNeverCrash) {
  uint32_t state = 12345;
  for (int trial = 0; trial < 2000; ++trial) {
    Bytes bytes(1 + trial % 64);
    for (uint8_t &b : bytes) b = static_cast<uint8_t>((state = state * 1103515245 + 12345) >> 16);
    CompactReader r(bytes, "random");
    try {
      r.skip(ThriftType::kStruct);
    } catch (const Corrupt &) {
    }
  }
}

}  // namespace
}  // namespace quilt::parquet
