#include "formats/parquet/snappy_encoder.h"

#include <gtest/gtest.h>
#include <snappy.h>

#include <cstring>
#include <string>
#include <vector>

namespace quilt::parquet {
namespace {

// A small fast generator: the property test makes hundreds of MB of input.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  uint64_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }
  uint64_t below(uint64_t n) { return next() % n; }

 private:
  uint64_t state_;
};

constexpr uint8_t kSentinel = 0xA5;

// Compress `input` with our encoder, in one piece or as head + tail, into a
// buffer with a guard zone after the bound we promise.
std::vector<uint8_t> compress(std::span<const uint8_t> input, size_t split = SIZE_MAX) {
  SnappyEncoder encoder;
  const size_t bound = SnappyEncoder::max_compressed_length(input.size());
  std::vector<uint8_t> out(bound + 64, kSentinel);
  const size_t size = split == SIZE_MAX
                          ? encoder.compress(input, out.data())
                          : encoder.compress(input.first(split), input.subspan(split), out.data());
  for (size_t i = bound; i < out.size(); ++i) {
    EXPECT_EQ(out[i], kSentinel) << "wrote past max_compressed_length at " << i;
  }
  EXPECT_LE(size, bound);
  out.resize(size);
  return out;
}

std::string libsnappy_compress(std::span<const uint8_t> input) {
  std::string out;
  snappy::Compress(reinterpret_cast<const char *>(input.data()), input.size(), &out);
  return out;
}

// libsnappy must accept what we write and give back exactly `input`; and what
// we write must not be longer than libsnappy's own worst case.
void expect_round_trip(std::span<const uint8_t> input, const std::vector<uint8_t> &packed,
                       const std::string &what) {
  const char *data = reinterpret_cast<const char *>(packed.data());
  ASSERT_TRUE(snappy::IsValidCompressedBuffer(data, packed.size())) << what;
  size_t length = 0;
  ASSERT_TRUE(snappy::GetUncompressedLength(data, packed.size(), &length)) << what;
  ASSERT_EQ(length, input.size()) << what;
  std::vector<uint8_t> output(input.size() + 1, 0);
  ASSERT_TRUE(snappy::RawUncompress(data, packed.size(), reinterpret_cast<char *>(output.data())))
      << what;
  output.pop_back();
  ASSERT_TRUE(std::equal(output.begin(), output.end(), input.begin(), input.end())) << what;
  EXPECT_LE(packed.size(), snappy::MaxCompressedLength(input.size())) << what;
}

void check(std::span<const uint8_t> input, const std::string &what) {
  expect_round_trip(input, compress(input), what);
}

std::vector<uint8_t> random_bytes(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<uint8_t> bytes(n);
  for (auto &b : bytes) b = static_cast<uint8_t>(rng.next() >> 24);
  return bytes;
}

template <typename T>
std::vector<uint8_t> as_bytes(const std::vector<T> &values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

std::vector<uint8_t> int64_sequence(size_t count, int64_t start, int64_t step) {
  std::vector<int64_t> values(count);
  for (size_t i = 0; i < count; ++i) values[i] = start + static_cast<int64_t>(i) * step;
  return as_bytes(values);
}

std::vector<uint8_t> random_doubles(size_t count, uint64_t seed) {
  Rng rng(seed);
  std::vector<double> values(count);
  for (auto &v : values) v = static_cast<double>(rng.below(1000003)) / 1000.0;
  return as_bytes(values);
}

// Doubles whose mantissas recur at whole values back: k/1000 for k running
// through an arithmetic progression modulo a prime, as issue #4's table.
std::vector<uint8_t> progression_doubles(size_t count, uint64_t start) {
  std::vector<double> values(count);
  for (size_t i = 0; i < count; ++i) {
    values[i] = static_cast<double>((start + i * 2654435761ULL) % 1000003) / 1000.0;
  }
  return as_bytes(values);
}

std::vector<uint8_t> repeated_strings(size_t n, uint64_t seed) {
  Rng rng(seed);
  const char *words[] = {"alpha", "beta", "gamma", "delta", "n0000417", "s3://bucket/key/"};
  std::vector<uint8_t> bytes;
  while (bytes.size() < n) {
    const char *word = words[rng.below(6)];
    // PLAIN byte arrays: a 4-byte length, then the bytes.
    const auto length = static_cast<uint32_t>(std::strlen(word));
    bytes.insert(bytes.end(), reinterpret_cast<const uint8_t *>(&length),
                 reinterpret_cast<const uint8_t *>(&length) + 4);
    bytes.insert(bytes.end(), word, word + length);
  }
  bytes.resize(n);
  return bytes;
}

TEST(ParquetSnappyEncoder, EmptyInputIsOneZeroByte) {
  const std::vector<uint8_t> packed = compress({});
  EXPECT_EQ(packed, std::vector<uint8_t>{0});
  expect_round_trip({}, packed, "empty");
}

TEST(ParquetSnappyEncoder, OneByteIsALiteral) {
  const std::vector<uint8_t> input = {0x7F};
  // Length 1, then a literal tag with length-1 = 0, then the byte.
  EXPECT_EQ(compress(input), (std::vector<uint8_t>{1, 0, 0x7F}));
  check(input, "one byte");
}

// A literal longer than 60 bytes keeps its length in 1..4 bytes after the tag
// (tag 60 + the count of those bytes): incompressible input of those sizes is
// one literal with the length the format prescribes.
TEST(ParquetSnappyEncoder, LiteralLengthsAtTheTagBoundaries) {
  struct Case {
    size_t size;
    std::vector<uint8_t> tag;
  };
  const Case cases[] = {
      {60, {59 << 2}},
      {61, {60 << 2, 60}},
      {256, {60 << 2, 255}},
      {257, {61 << 2, 0, 1}},
      {65536, {61 << 2, 0xFF, 0xFF}},
  };
  for (const Case &c : cases) {
    const std::vector<uint8_t> input = random_bytes(c.size, c.size);
    const std::vector<uint8_t> packed = compress(input);
    std::vector<uint8_t> expected;
    for (size_t n = c.size; ; n >>= 7) {
      expected.push_back(static_cast<uint8_t>(n >= 0x80 ? (n & 0x7F) | 0x80 : n));
      if (n < 0x80) break;
    }
    expected.insert(expected.end(), c.tag.begin(), c.tag.end());
    expected.insert(expected.end(), input.begin(), input.end());
    EXPECT_EQ(packed, expected) << "size " << c.size;
    check(input, "literal of " + std::to_string(c.size));
  }
}

// Literals of every length near the tag boundaries, between compressible runs,
// so they end in copies rather than at the end of a block.
TEST(ParquetSnappyEncoder, LiteralsBetweenCopies) {
  for (size_t length : {1, 2, 3, 4, 15, 16, 17, 59, 60, 61, 62, 255, 256, 257, 258, 65000}) {
    std::vector<uint8_t> input(100, 'a');
    const std::vector<uint8_t> noise = random_bytes(length, length + 1);
    input.insert(input.end(), noise.begin(), noise.end());
    input.insert(input.end(), 100, 'a');
    check(input, "literal of " + std::to_string(length) + " between runs");
  }
}

TEST(ParquetSnappyEncoder, EverySmallSize) {
  for (size_t n = 0; n <= 300; ++n) {
    check(random_bytes(n, n), "random " + std::to_string(n));
    check(std::vector<uint8_t>(n, 0), "zeros " + std::to_string(n));
    check(repeated_strings(n, n), "strings " + std::to_string(n));
    check(int64_sequence(n / 8 + 1, 1000, 3), "int64 " + std::to_string(n));
  }
}

TEST(ParquetSnappyEncoder, SizesAroundBlockBoundaries) {
  const std::vector<uint8_t> random = random_bytes(3 * 65536 + 100, 1);
  const std::vector<uint8_t> strings = repeated_strings(3 * 65536 + 100, 2);
  for (size_t n : {65535, 65536, 65537, 65536 + 16, 65536 + 17, 65536 + 18, 131071, 131072,
                   131073, 3 * 65536 + 100}) {
    check(std::span(random).first(n), "random " + std::to_string(n));
    check(std::span(strings).first(n), "strings " + std::to_string(n));
    check(std::vector<uint8_t>(n, 0), "zeros " + std::to_string(n));
  }
}

TEST(ParquetSnappyEncoder, ZerosCompressToAFewBytesPerBlock) {
  const std::vector<uint8_t> zeros(1 << 20, 0);
  const std::vector<uint8_t> packed = compress(zeros);
  expect_round_trip(zeros, packed, "1 MiB of zeros");
  // A 64 KiB block of one byte value is 1 literal byte and 1024 copies of 64
  // (3 bytes each): about 3 KiB per block, 48 KiB for 16 blocks.
  EXPECT_LT(packed.size(), 50000u);
}

TEST(ParquetSnappyEncoder, RandomBytesCostLittleMoreThanTheirSize) {
  const std::vector<uint8_t> input = random_bytes(4 << 20, 3);
  const std::vector<uint8_t> packed = compress(input);
  expect_round_trip(input, packed, "4 MiB random");
  // One literal per 64 KiB block: 3 tag bytes.
  EXPECT_LE(packed.size(), input.size() + 64 * 4 + 8);
}

// The pages Parquet writers make: our size must stay close to libsnappy's.
TEST(ParquetSnappyEncoder, FixedWidthValuesCompressLikeLibsnappy) {
  struct Case {
    std::string name;
    std::vector<uint8_t> bytes;
  };
  const Case cases[] = {
      {"int64 0,1,2,...", int64_sequence(131072, 0, 1)},
      {"timestamps ns", int64_sequence(131072, 1600000000000000000LL, 1000003)},
      {"int64 large steps", int64_sequence(131072, -5, 1LL << 33)},
      {"random doubles", random_doubles(131072, 4)},
      {"doubles of a progression", progression_doubles(131072, 0)},
      {"int32 0,1,2,...", [] {
         std::vector<int32_t> values(262144);
         for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<int32_t>(i);
         return as_bytes(values);
       }()},
      {"strings", repeated_strings(1 << 20, 5)},
  };
  for (const Case &c : cases) {
    const std::vector<uint8_t> packed = compress(c.bytes);
    expect_round_trip(c.bytes, packed, c.name);
    const size_t theirs = libsnappy_compress(c.bytes).size();
    EXPECT_LE(packed.size(), theirs + theirs / 10) << c.name << ": ours " << packed.size()
                                                   << ", libsnappy " << theirs;
  }
}

// The aligned search's fast path (one value per step while lookups hit whole
// values back) meets what ends or bends it: copies longer than a value (runs
// of values recurring from far back), a value recurring one value back (a
// stray copy from near), a stretch of random bytes, and the end of a block
// at every phase. Every output must decode to its input, and the runs must
// still compress.
TEST(ParquetSnappyEncoder, AlignedSearchAcrossLongCopiesStraysAndBlockEnds) {
  Rng rng(11);
  for (int round = 0; round < 40; ++round) {
    std::vector<uint8_t> bytes = progression_doubles(9000, rng.below(1000003));
    for (size_t v = 900; v + 8 < bytes.size() / 8; v += 40 + rng.below(40)) {
      const size_t what = rng.below(3);
      const size_t values = 2 + rng.below(6);
      if (what == 0) {  // values from 700 back: a copy of several values
        std::memcpy(&bytes[v * 8], &bytes[(v - 700) * 8], values * 8);
      } else if (what == 1) {  // the value before, again
        std::memcpy(&bytes[v * 8], &bytes[(v - 1) * 8], 8);
      } else {  // noise
        for (size_t i = 0; i < values * 8; ++i) bytes[v * 8 + i] = static_cast<uint8_t>(rng.next());
      }
    }
    // Cut so that the block ends fall at every phase of a value.
    bytes.resize(bytes.size() - static_cast<size_t>(round % 8));
    const std::vector<uint8_t> packed = compress(bytes);
    expect_round_trip(bytes, packed, "round " + std::to_string(round));
    EXPECT_LT(packed.size(), bytes.size() * 3 / 4) << "round " << round;
  }
}

TEST(ParquetSnappyEncoder, TwoPiecesAtEverySplitOfASmallInput) {
  std::vector<uint8_t> input = repeated_strings(300, 6);
  const std::vector<uint8_t> numbers = int64_sequence(20, 7, 1);
  input.insert(input.end(), numbers.begin(), numbers.end());
  const std::vector<uint8_t> joined = compress(input);
  for (size_t split = 0; split <= input.size(); ++split) {
    const std::vector<uint8_t> packed = compress(input, split);
    EXPECT_EQ(packed, joined) << "split " << split;
    expect_round_trip(input, packed, "split " + std::to_string(split));
  }
}

TEST(ParquetSnappyEncoder, TwoPiecesAcrossBlockBoundaries) {
  std::vector<uint8_t> input = repeated_strings(100000, 7);
  const std::vector<uint8_t> numbers = int64_sequence(20000, 0, 1);
  input.insert(input.end(), numbers.begin(), numbers.end());
  const std::vector<uint8_t> joined = compress(input);
  for (size_t split : {0, 1, 5, 65519, 65520, 65535, 65536, 65537, 100000, 131072, 200000, 260000}) {
    const std::vector<uint8_t> packed = compress(input, split);
    EXPECT_EQ(packed, joined) << "split " << split;
    expect_round_trip(input, packed, "split " + std::to_string(split));
  }
}

// The encoder keeps tables between calls: a second input must not see the
// first one's positions.
TEST(ParquetSnappyEncoder, ReusedEncoderGivesTheSameBytes) {
  SnappyEncoder encoder;
  const std::vector<uint8_t> first = repeated_strings(200000, 8);
  const std::vector<uint8_t> second = int64_sequence(30000, 3, 5);
  std::vector<uint8_t> out(SnappyEncoder::max_compressed_length(200000));
  encoder.compress(first, out.data());
  const size_t size = encoder.compress(second, out.data());
  out.resize(size);
  EXPECT_EQ(out, compress(second));
}

// Mixtures of the kinds of data above, with sizes up to 4 MiB.
TEST(ParquetSnappyEncoder, RandomizedMixturesRoundTrip) {
  Rng rng(20261124);
  size_t total = 0;
  for (int round = 0; round < 3000; ++round) {
    // Sizes spread over every scale: 0..2^22 bytes, mostly small.
    const int scale = static_cast<int>(rng.below(23));
    const size_t size = rng.below((size_t{1} << scale) + 1);
    std::vector<uint8_t> input;
    input.reserve(size + 64);
    while (input.size() < size) {
      const size_t piece = 1 + rng.below(std::min<size_t>(size - input.size(), 1 + rng.below(70000)));
      std::vector<uint8_t> bytes;
      switch (rng.below(7)) {
        case 0:
          bytes = random_bytes(piece, rng.next());
          break;
        case 1:
          bytes.assign(piece, static_cast<uint8_t>(rng.next()));
          break;
        case 2:
          bytes = int64_sequence(piece / 8 + 1, static_cast<int64_t>(rng.next() >> 8),
                                 static_cast<int64_t>(rng.below(1 << 20)));
          break;
        case 3:
          bytes = rng.below(2) == 0 ? random_doubles(piece / 8 + 1, rng.next())
                                    : progression_doubles(piece / 8 + 1, rng.below(1000003));
          break;
        case 4:
          bytes = repeated_strings(piece, rng.next());
          break;
        case 5: {
          // A copy of earlier input, near or far back.
          if (input.empty()) continue;
          const size_t from = rng.below(input.size());
          bytes.assign(input.begin() + static_cast<ptrdiff_t>(from),
                       input.begin() + static_cast<ptrdiff_t>(
                                           std::min(input.size(), from + piece)));
          break;
        }
        default: {
          // A short period: 1..16 random bytes repeated.
          const std::vector<uint8_t> unit = random_bytes(1 + rng.below(16), rng.next());
          for (size_t i = 0; i < piece; ++i) bytes.push_back(unit[i % unit.size()]);
          break;
        }
      }
      input.insert(input.end(), bytes.begin(), bytes.end());
    }
    input.resize(size);
    total += size;
    const size_t split = rng.below(size + 1);
    const std::vector<uint8_t> packed = compress(input);
    expect_round_trip(input, packed, "round " + std::to_string(round));
    if (round % 4 == 0) {
      ASSERT_EQ(compress(input, split), packed) << "round " << round << " split " << split;
    }
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(total, size_t{100} << 20);
}

}  // namespace
}  // namespace quilt::parquet
