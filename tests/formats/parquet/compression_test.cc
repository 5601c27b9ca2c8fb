#include "formats/parquet/compression.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "quilt/errors.h"

namespace quilt::parquet {
namespace {

const Codec kAll[] = {Codec::kUncompressed, Codec::kSnappy, Codec::kGzip, Codec::kZstd};

std::vector<uint8_t> sample(size_t n) {
  std::mt19937 rng(7);
  std::vector<uint8_t> bytes(n);
  // Compressible: a small alphabet with runs.
  for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<uint8_t>("abcab"[rng() % 5] + (i / 97) % 3);
  return bytes;
}

TEST(ParquetCompression, RoundTripsEveryCodec) {
  for (Codec codec : kAll) {
    Compressor compressor(codec);
    for (size_t n : {size_t{0}, size_t{1}, size_t{100}, size_t{200000}}) {
      std::vector<uint8_t> input = sample(n);
      std::span<const uint8_t> packed = compressor.compress(input);
      if (codec != Codec::kUncompressed && n > 1000) {
        EXPECT_LT(packed.size(), n);
      }
      std::vector<uint8_t> output(n);
      decompress(codec, packed, output);
      EXPECT_EQ(output, input) << codec_name(codec) << " n=" << n;
    }
  }
}

// A page's values are compressed where they lie, behind its levels: the bytes
// must be those of compressing the two joined (snappy reads 64 KiB blocks, so
// heads and tails that straddle a block boundary are tried).
TEST(ParquetCompression, TwoPiecesCompressAsTheirConcatenation) {
  const std::vector<uint8_t> all = sample(300000);
  for (Codec codec : kAll) {
    Compressor joined(codec);
    Compressor pieces(codec);
    for (size_t head : {size_t{0}, size_t{6}, size_t{65536}, size_t{70000}}) {
      for (size_t n : {head, head + 1, head + 65530, size_t{300000}}) {
        const std::span<const uint8_t> input(all.data(), n);
        const std::vector<uint8_t> expected = [&] {
          std::span<const uint8_t> packed = joined.compress(input);
          return std::vector<uint8_t>(packed.begin(), packed.end());
        }();
        std::span<const uint8_t> packed = pieces.compress(input.first(head), input.subspan(head));
        EXPECT_EQ(std::vector<uint8_t>(packed.begin(), packed.end()), expected)
            << codec_name(codec) << " head=" << head << " n=" << n;
        std::vector<uint8_t> output(n);
        decompress(codec, packed, output);
        EXPECT_TRUE(std::equal(output.begin(), output.end(), input.begin()));
      }
    }
  }
}

TEST(ParquetCompression, GzipWritesTheGzipFormat) {
  Compressor compressor(Codec::kGzip);
  std::vector<uint8_t> input = sample(1000);
  std::span<const uint8_t> packed = compressor.compress(input);
  ASSERT_GE(packed.size(), 2u);
  EXPECT_EQ(packed[0], 0x1f);
  EXPECT_EQ(packed[1], 0x8b);
}

TEST(ParquetCompression, CorruptInputThrowsCorruptNamingTheCodec) {
  for (Codec codec : {Codec::kSnappy, Codec::kGzip, Codec::kZstd}) {
    Compressor compressor(codec);
    std::vector<uint8_t> input = sample(5000);
    std::vector<uint8_t> packed(compressor.compress(input).begin(),
                                compressor.compress(input).end());
    std::vector<uint8_t> output(input.size());
    std::vector<uint8_t> truncated(packed.begin(), packed.begin() + packed.size() / 2);
    try {
      decompress(codec, truncated, output);
      FAIL() << "no error for truncated " << codec_name(codec);
    } catch (const Corrupt &e) {
      EXPECT_NE(std::string(e.what()).find(codec_name(codec)), std::string::npos) << e.what();
    }
    std::vector<uint8_t> garbage(64, 0xA5);
    EXPECT_THROW(decompress(codec, garbage, output), Corrupt) << codec_name(codec);
    std::vector<uint8_t> too_small(input.size() - 1);
    EXPECT_THROW(decompress(codec, packed, too_small), Corrupt) << codec_name(codec);
    std::vector<uint8_t> too_big(input.size() + 1);
    EXPECT_THROW(decompress(codec, packed, too_big), Corrupt) << codec_name(codec);
  }
}

TEST(ParquetCompression, UncompressedSizeMismatchIsCorrupt) {
  std::vector<uint8_t> input(10), output(11);
  EXPECT_THROW(decompress(Codec::kUncompressed, input, output), Corrupt);
}

TEST(ParquetCompression, RejectsUnsupportedCodec) {
  EXPECT_FALSE(is_supported_codec(3));
  EXPECT_THROW(Compressor(static_cast<Codec>(3)), InvalidArgument);
}

}  // namespace
}  // namespace quilt::parquet
