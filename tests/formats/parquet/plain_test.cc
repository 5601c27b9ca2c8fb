#include "formats/parquet/plain.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <string>
#include <vector>

#include "quilt/errors.h"

namespace quilt::parquet {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes bytes_of(const PlainEncoder &e) { return {e.bytes().begin(), e.bytes().end()}; }

template <typename T>
void expect_round_trip(std::vector<T> values) {
  PlainEncoder encoder;
  encoder.put(std::span<const T>(values));
  EXPECT_EQ(encoder.bytes().size(), values.size() * sizeof(T));
  PlainDecoder decoder(encoder.bytes());
  std::vector<T> out(values.size());
  decoder.decode(std::span<T>(out));
  EXPECT_EQ(out, values);
  EXPECT_EQ(decoder.remaining(), 0u);
}

TEST(ParquetPlain, FixedWidthRoundTrips) {
  expect_round_trip<int32_t>({0, -1, std::numeric_limits<int32_t>::min(), 42});
  expect_round_trip<int64_t>({std::numeric_limits<int64_t>::max(), -7});
  expect_round_trip<float>({1.5f, -0.0f, std::numeric_limits<float>::infinity()});
  expect_round_trip<double>({3.25, -1e300, std::numeric_limits<double>::denorm_min()});
}

TEST(ParquetPlain, Int32IsLittleEndian) {
  PlainEncoder encoder;
  std::vector<int32_t> values = {0x01020304, -2};
  encoder.put(std::span<const int32_t>(values));
  EXPECT_EQ(bytes_of(encoder), (Bytes{0x04, 0x03, 0x02, 0x01, 0xFE, 0xFF, 0xFF, 0xFF}));
}

TEST(ParquetPlain, BooleansAreBitPackedLsbFirst) {
  PlainEncoder encoder;
  for (bool b : {true, false, true, true, false, false, false, false, true, true}) {
    encoder.put_bool(b);
  }
  EXPECT_EQ(bytes_of(encoder), (Bytes{0x0D, 0x03}));
}

TEST(ParquetPlain, BooleansFromBitmapsAtAnyOffsetRoundTrip) {
  std::mt19937 rng(3);
  Bytes bitmap(40);
  for (uint8_t &b : bitmap) b = static_cast<uint8_t>(rng());
  auto bit = [&](size_t i) { return (bitmap[i / 8] >> (i % 8)) & 1; };
  for (size_t offset : {0, 3, 8, 13}) {
    PlainEncoder encoder;
    encoder.put_bools(bitmap.data(), offset, 100);
    encoder.put_bools(bitmap.data(), offset + 100, 77);  // continues mid-byte
    PlainDecoder decoder(encoder.bytes());
    Bytes first(50), second(127);
    decoder.decode_bools(first);
    decoder.decode_bools(second);  // continues mid-byte too
    for (size_t i = 0; i < 50; ++i) ASSERT_EQ(first[i], bit(offset + i)) << offset << " " << i;
    for (size_t i = 0; i < 127; ++i) ASSERT_EQ(second[i], bit(offset + 50 + i)) << offset;
    Bytes more(8);  // the last byte has 7 padding bits; 8 more run past it
    EXPECT_THROW(decoder.decode_bools(more), Corrupt);
  }
}

TEST(ParquetPlain, ByteArraysHaveLengthPrefixes) {
  PlainEncoder encoder;
  encoder.put_byte_array("ab");
  encoder.put_byte_array("");
  EXPECT_EQ(bytes_of(encoder), (Bytes{2, 0, 0, 0, 'a', 'b', 0, 0, 0, 0}));
}

TEST(ParquetPlain, ArrowStringColumnRoundTrips) {
  std::string data = "helloworldx";
  std::vector<int32_t> offsets = {0, 5, 5, 10, 11};
  PlainEncoder encoder;
  encoder.put_byte_arrays(offsets, reinterpret_cast<const uint8_t *>(data.data()));
  PlainDecoder decoder(encoder.bytes());
  std::vector<std::string_view> out(4);
  decoder.decode_byte_arrays(out);
  EXPECT_EQ(out, (std::vector<std::string_view>{"hello", "", "world", "x"}));
  EXPECT_EQ(decoder.remaining(), 0u);
}

TEST(ParquetPlain, FixedLenByteArraysRoundTrip) {
  PlainEncoder encoder;
  Bytes values = {1, 2, 3, 4, 5, 6};
  encoder.put_fixed_len(values);
  PlainDecoder decoder(encoder.bytes());
  std::span<const uint8_t> out = decoder.decode_fixed_len(2, 3);
  EXPECT_EQ(Bytes(out.begin(), out.end()), values);
  EXPECT_THROW(decoder.decode_fixed_len(1, 3), Corrupt);
}

TEST(ParquetPlain, Int96ConvertsToUnixNanos) {
  // 2000-01-01T00:00:01.5 is Julian day 2451545 plus 1.5 s.
  Bytes bytes(12);
  uint64_t nanos = 1500000000;
  uint32_t day = 2451545;
  std::memcpy(bytes.data(), &nanos, 8);
  std::memcpy(bytes.data() + 8, &day, 4);
  PlainDecoder decoder(bytes);
  Int96 value[1];
  decoder.decode_int96(value);
  EXPECT_EQ(int96_to_unix_nanos(value[0]), 946684800LL * 1000000000 + 1500000000);
}

TEST(ParquetPlain, TruncatedDataThrowsCorruptNamingWhat) {
  PlainEncoder encoder;
  encoder.put_byte_array("hello");
  Bytes bytes = bytes_of(encoder);
  for (size_t n = 0; n < bytes.size(); ++n) {
    PlainDecoder decoder(std::span<const uint8_t>(bytes.data(), n), "column s");
    std::vector<std::string_view> out(1);
    try {
      decoder.decode_byte_arrays(out);
      FAIL() << n;
    } catch (const Corrupt &e) {
      EXPECT_NE(std::string(e.what()).find("column s"), std::string::npos) << e.what();
    }
  }
  Bytes three(3);
  PlainDecoder decoder(three);
  std::vector<int32_t> out(1);
  EXPECT_THROW(decoder.decode(std::span<int32_t>(out)), Corrupt);
}

}  // namespace
}  // namespace quilt::parquet
