#include "formats/parquet/rle.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "quilt/errors.h"

namespace quilt::parquet {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes encode(std::vector<uint32_t> values, int bit_width) {
  RleEncoder encoder(bit_width);
  encoder.encode(std::span<const uint32_t>(values));
  return {encoder.bytes().begin(), encoder.bytes().end()};
}

std::vector<uint32_t> decode(const Bytes& bytes, int bit_width, size_t n) {
  std::vector<uint32_t> out(n);
  RleDecoder(bytes, bit_width).decode(std::span<uint32_t>(out));
  return out;
}

// Worked out from the spec: an RLE run header is count << 1, then the value in
// ceil(bit_width / 8) bytes; a bit-packed header is groups << 1 | 1, then
// LSB-first bits.
TEST(ParquetRle, EightOnesAtWidthOneIsOneRleRun) {
  EXPECT_EQ(encode(std::vector<uint32_t>(8, 1), 1), (Bytes{0x10, 0x01}));
}

TEST(ParquetRle, ShortSequenceIsBitPacked) {
  // The spec's example: 0..7 at bit width 3 packs to 10001000 11000110
  // 11111010.
  EXPECT_EQ(encode({0, 1, 2, 3, 4, 5, 6, 7}, 3), (Bytes{0x03, 0x88, 0xC6, 0xFA}));
  // Three values pad to one group of 8.
  EXPECT_EQ(encode({1, 0, 1}, 1), (Bytes{0x03, 0x05}));
}

TEST(ParquetRle, LongRunsUseVarintHeadersAndWideValues) {
  // 300 copies of 0x1234 at width 13: header 600 = 0xD8 0x04, value in 2 bytes.
  EXPECT_EQ(encode(std::vector<uint32_t>(300, 0x1234), 13), (Bytes{0xD8, 0x04, 0x34, 0x12}));
  // Width 0: a run header alone; fewer than 8 values, a literal header with no
  // bytes.
  EXPECT_EQ(encode(std::vector<uint32_t>(9, 0), 0), (Bytes{0x12}));
  EXPECT_EQ(encode(std::vector<uint32_t>(5, 0), 0), (Bytes{0x03}));
  EXPECT_EQ(decode(Bytes{0x03}, 0, 5), std::vector<uint32_t>(5, 0));
}

TEST(ParquetRle, MixesLiteralGroupsAndRuns) {
  // 3 literals, then 20 sevens: the literal group takes 5 sevens, the run the
  // other 15.
  std::vector<uint32_t> values = {1, 2, 3};
  values.insert(values.end(), 20, 7);
  Bytes expected = {0x03, 0xD1, 0xFE, 0xFF, 0x1E, 0x07};
  EXPECT_EQ(encode(values, 3), expected);
  EXPECT_EQ(decode(expected, 3, values.size()), values);
}

TEST(ParquetRle, RandomRoundTripsAtEveryBitWidth) {
  std::mt19937_64 rng(42);
  for (int width = 0; width <= 32; ++width) {
    uint64_t limit = width == 0 ? 1 : (uint64_t{1} << width);
    for (size_t n : {size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{1000}, size_t{4099}}) {
      std::vector<uint32_t> values(n);
      for (size_t i = 0; i < n;) {
        // Alternate random stretches and repeats so both run kinds appear.
        uint32_t v = static_cast<uint32_t>(rng() % limit);
        size_t repeat = rng() % 3 == 0 ? 1 + rng() % 40 : 1;
        for (size_t k = 0; k < repeat && i < n; ++k) values[i++] = v;
      }
      Bytes bytes = encode(values, width);
      EXPECT_LE(bytes.size(), RleEncoder::max_size(n, width));
      EXPECT_EQ(decode(bytes, width, n), values) << "width " << width << " n " << n;
    }
  }
}

TEST(ParquetRle, DecodesIntoNarrowTypes) {
  std::vector<uint32_t> wide = {0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1};
  Bytes bytes = encode(wide, 1);
  std::vector<uint8_t> narrow(wide.size());
  RleDecoder(bytes, 1).decode(std::span<uint8_t>(narrow));
  for (size_t i = 0; i < wide.size(); ++i) EXPECT_EQ(narrow[i], wide[i]);
  std::vector<uint8_t> out(1);
  EXPECT_THROW(RleDecoder(bytes, 9).decode(std::span<uint8_t>(out)), InvalidArgument);
}

TEST(ParquetRle, TruncatedStreamsThrowCorrupt) {
  std::vector<uint32_t> values(104);  // whole groups: no padding to tolerate
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<uint32_t>(i * 7 % 50);
  Bytes bytes = encode(values, 6);
  for (size_t n = 0; n < bytes.size(); ++n) {
    Bytes cut(bytes.begin(), bytes.begin() + n);
    EXPECT_THROW(decode(cut, 6, values.size()), Corrupt) << "length " << n;
  }
  EXPECT_THROW(decode(Bytes{0x00}, 1, 1), Corrupt);  // empty run
  EXPECT_THROW(decode(Bytes{0x10}, 8, 8), Corrupt);  // run value missing
  EXPECT_THROW(decode(Bytes{0x10, 0x02}, 1, 8),
               Corrupt);                             // value wider than the bit width
  EXPECT_THROW(decode(Bytes{0x80}, 1, 1), Corrupt);  // header cut
}

TEST(ParquetRle, ToleratesAShortLastGroupHoldingTheValuesAskedFor) {
  // Header claims 2 groups (16 values) at width 8, but only 3 bytes follow.
  Bytes bytes = {0x05, 9, 8, 7};
  EXPECT_EQ(decode(bytes, 8, 3), (std::vector<uint32_t>{9, 8, 7}));
  EXPECT_THROW(decode(bytes, 8, 4), Corrupt);
}

TEST(ParquetRle, LevelsV1HaveALengthPrefix) {
  std::vector<uint8_t> levels(8, 1);
  std::vector<uint8_t> encoded = encode_levels_v1(levels, 1);
  EXPECT_EQ(encoded, (Bytes{0x02, 0x00, 0x00, 0x00, 0x10, 0x01}));
  std::vector<uint8_t> out(8);
  EXPECT_EQ(decode_levels_v1(encoded, 1, out), encoded.size());
  EXPECT_EQ(out, levels);
  Bytes lying = {0xFF, 0x00, 0x00, 0x00, 0x10, 0x01};
  EXPECT_THROW(decode_levels_v1(lying, 1, out), Corrupt);
  EXPECT_THROW(decode_levels_v1(Bytes{0x02, 0x00}, 1, out), Corrupt);
}

TEST(ParquetRle, BitPackHelpersRoundTrip) {
  std::vector<uint32_t> values = {5, 0, 31, 17, 9, 3, 30, 1, 2};
  Bytes packed;
  bit_pack(values, 5, packed);
  EXPECT_EQ(packed.size(), 10u);  // two groups of 8 at 5 bits
  std::vector<uint32_t> out(values.size());
  bit_unpack(packed.data(), packed.size(), 0, 5, out);
  EXPECT_EQ(out, values);
}

TEST(ParquetRle, DictionaryIndicesCarryTheirBitWidth) {
  std::vector<uint32_t> indices = {0, 4, 4, 4, 4, 4, 4, 4, 4, 4, 1};
  RleEncoder encoder(bit_width_of(4));
  encoder.encode_with_bit_width(indices);
  Bytes bytes(encoder.bytes().begin(), encoder.bytes().end());
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes[0], 3);
  std::vector<uint32_t> out(indices.size());
  decode_dictionary_indices(bytes, 5, out, "column c");
  EXPECT_EQ(out, indices);
  try {
    decode_dictionary_indices(bytes, 4, out, "column c");
    FAIL();
  } catch (const Corrupt& e) {
    EXPECT_NE(std::string(e.what()).find("column c: dictionary index 4 out of range"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(decode_dictionary_indices(Bytes{}, 5, out, "c"), Corrupt);
  EXPECT_THROW(decode_dictionary_indices(Bytes{33, 0x02, 0}, 5, out, "c"), Corrupt);
}

}  // namespace
}  // namespace quilt::parquet
