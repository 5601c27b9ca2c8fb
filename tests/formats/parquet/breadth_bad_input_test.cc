// Bad input for the encodings and page kinds the breadth work added: the decoders on hand-made
// streams (round trips of the encoders first), then whole files whose DELTA streams were damaged
// in place (a clear error naming the file and the column), then random corruptions of data pages
// v2 with every new encoding, which must end in a Table or an error, never a crash or a hang.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "formats/parquet/delta.h"
#include "parquet_oracle.h"
#include "quilt/errors.h"
#include "quilt/parquet.h"
#include "test_util.h"

namespace quilt::test {
namespace {

using parquet::ByteArrayDeltaDecoder;
using parquet::ByteStreamSplitDecoder;
using parquet::DeltaBinaryPackedDecoder;
using parquet::DeltaBinaryPackedEncoder;

template <typename T>
std::vector<T> delta_round_trip(const std::vector<T>& values) {
  std::vector<uint8_t> bytes;
  DeltaBinaryPackedEncoder<T>::encode(values, bytes);
  bytes.push_back(0xEE);  // a byte after the stream, which must not be taken
  DeltaBinaryPackedDecoder<T> d(bytes, "test");
  EXPECT_EQ(d.total(), values.size());
  std::vector<T> out(values.size());
  // In uneven pieces, across miniblocks and blocks.
  size_t done = 0;
  for (size_t step = 1; done < out.size(); step = step * 3 + 1) {
    size_t n = std::min(step, out.size() - done);
    d.decode(out.data() + done, n);
    done += n;
  }
  EXPECT_EQ(d.skip_to_end(), bytes.size() - 1);
  return out;
}

TEST(ParquetBreadthDecoders, DeltaBinaryPackedRoundTripsExtremes) {
  std::mt19937_64 rng(7);
  std::vector<int64_t> wide = {std::numeric_limits<int64_t>::min(),
                               std::numeric_limits<int64_t>::max(), 0, -1, 1};
  for (int i = 0; i < 1000; ++i) wide.push_back(static_cast<int64_t>(rng()));
  EXPECT_EQ(delta_round_trip(wide), wide);
  std::vector<int32_t> narrow = {std::numeric_limits<int32_t>::min(),
                                 std::numeric_limits<int32_t>::max(), 5};
  for (int i = 0; i < 700; ++i) narrow.push_back(static_cast<int32_t>(rng()));
  EXPECT_EQ(delta_round_trip(narrow), narrow);
  std::vector<int64_t> sorted;
  for (int i = 0; i < 5000; ++i) sorted.push_back(1000000LL * i + i % 3);
  EXPECT_EQ(delta_round_trip(sorted), sorted);
  for (size_t n : {0, 1, 2, 128, 129, 130}) {
    std::vector<int32_t> v(n, 42);
    EXPECT_EQ(delta_round_trip(v), v) << n;
  }
}

// A DELTA_BINARY_PACKED stream: header (block 128, 4 miniblocks, `total`, first value 0), then
// one block with min delta 0 and the given bit widths, then `body`.
std::vector<uint8_t> stream(uint64_t total, std::vector<uint8_t> widths, size_t body) {
  std::vector<uint8_t> b = {0x80, 0x01, 0x04};
  for (uint64_t v = total; ; v >>= 7) {
    b.push_back(static_cast<uint8_t>((v & 0x7F) | (v >= 0x80 ? 0x80 : 0)));
    if (v < 0x80) break;
  }
  b.push_back(0x00);  // first value
  b.push_back(0x00);  // min delta
  b.insert(b.end(), widths.begin(), widths.end());
  b.resize(b.size() + body, 0x11);
  return b;
}

template <typename T>
std::string decode_error(const std::vector<uint8_t>& bytes, size_t n) {
  return error_of<Corrupt>([&] {
    DeltaBinaryPackedDecoder<T> d(bytes, "values of x");
    std::vector<T> out(n);
    d.decode(out.data(), n);
  });
}

TEST(ParquetBreadthDecoders, DeltaBinaryPackedRefusesMalformedStreams) {
  // Bit widths wider than the values.
  EXPECT_NE(decode_error<int64_t>(stream(10, {65, 0, 0, 0}, 1000), 10)
                .find("miniblock bit width 65 exceeds the 64 bits"),
            std::string::npos);
  EXPECT_NE(decode_error<int32_t>(stream(10, {33, 0, 0, 0}, 1000), 10)
                .find("bit width 33 exceeds the 32 bits"),
            std::string::npos);
  EXPECT_NE(decode_error<int64_t>(stream(10, {255, 0, 0, 0}, 1000), 10).find("255"),
            std::string::npos);
  // A truncated miniblock (9 values at 8 bits need 9 bytes), truncated bit widths, a truncated
  // header.
  EXPECT_NE(decode_error<int32_t>(stream(10, {8, 0, 0, 0}, 5), 10).find("truncated"),
            std::string::npos);
  EXPECT_NE(decode_error<int32_t>(stream(10, {8, 0}, 0), 10).find("truncated"), std::string::npos);
  std::vector<uint8_t> header = {0x80, 0x01, 0x04, 0x0A};
  EXPECT_NE(decode_error<int32_t>(header, 1).find("truncated"), std::string::npos);
  // More values asked for than the stream holds.
  EXPECT_NE(decode_error<int32_t>(stream(3, {1, 0, 0, 0}, 4), 4).find("the stream holds 3"),
            std::string::npos);
  // Block sizes that are not multiples of 128, miniblocks that do not divide into 32s.
  std::vector<uint8_t> odd = stream(3, {1}, 4);
  odd[0] = 0x64;  // 100
  odd.erase(odd.begin() + 1);
  EXPECT_NE(decode_error<int32_t>(odd, 1).find("block size 100"), std::string::npos);
  std::vector<uint8_t> five = stream(3, {1, 1, 1, 1, 1}, 4);
  five[2] = 5;
  EXPECT_NE(decode_error<int32_t>(five, 1).find("5 miniblocks"), std::string::npos);
  // No bytes at all: no values (a page of nulls), and asking for one is an error.
  DeltaBinaryPackedDecoder<int32_t> empty(std::span<const uint8_t>(), "x");
  EXPECT_EQ(empty.total(), 0u);
  EXPECT_EQ(empty.skip_to_end(), 0u);
  EXPECT_NE(decode_error<int32_t>({}, 1).find("the stream holds 0"), std::string::npos);
  // A varint that never ends.
  std::vector<uint8_t> endless(20, 0xFF);
  EXPECT_NE(decode_error<int64_t>(endless, 1).find("varint"), std::string::npos);
}

std::vector<uint8_t> lengths_stream(const std::vector<int32_t>& lengths) {
  std::vector<uint8_t> b;
  DeltaBinaryPackedEncoder<int32_t>::encode(lengths, b);
  return b;
}

TEST(ParquetBreadthDecoders, ByteArrayDeltasRefuseBadLengthsAndPrefixes) {
  // Good: DELTA_LENGTH_BYTE_ARRAY of "ab", "", "cde".
  std::vector<uint8_t> good = lengths_stream({2, 0, 3});
  for (char c : std::string("abcde")) good.push_back(static_cast<uint8_t>(c));
  ByteArrayDeltaDecoder d(good, false, 3, 0);
  std::string_view v[3];
  d.next(v, 3);
  EXPECT_EQ(v[0], "ab");
  EXPECT_EQ(v[1], "");
  EXPECT_EQ(v[2], "cde");
  // Lengths past the page, negative lengths, more lengths than the page has values.
  std::vector<uint8_t> past = lengths_stream({2, 0, 30});
  past.insert(past.end(), 5, 'x');
  std::string e = error_of<Corrupt>([&] { ByteArrayDeltaDecoder(past, false, 3, 0); });
  EXPECT_NE(e.find("add up to 32 bytes, past the page's 5"), std::string::npos) << e;
  std::vector<uint8_t> negative = lengths_stream({2, -4, 3});
  e = error_of<Corrupt>([&] { ByteArrayDeltaDecoder(negative, false, 3, 0); });
  EXPECT_NE(e.find("negative"), std::string::npos) << e;
  e = error_of<Corrupt>([&] { ByteArrayDeltaDecoder(good, false, 2, 0); });
  EXPECT_NE(e.find("3 values in a page of 2"), std::string::npos) << e;
  // DELTA_BYTE_ARRAY: "abc", "abd" (prefix 2, "d"); then a prefix longer than the previous value.
  std::vector<uint8_t> dba = lengths_stream({0, 2});
  std::vector<uint8_t> suffixes = lengths_stream({3, 1});
  dba.insert(dba.end(), suffixes.begin(), suffixes.end());
  for (char c : std::string("abcd")) dba.push_back(static_cast<uint8_t>(c));
  ByteArrayDeltaDecoder ok(dba, true, 2, 0);
  ok.next(v, 2);
  EXPECT_EQ(v[0], "abc");
  EXPECT_EQ(v[1], "abd");
  std::vector<uint8_t> long_prefix = lengths_stream({0, 4});
  long_prefix.insert(long_prefix.end(), suffixes.begin(), suffixes.end());
  for (char c : std::string("abcd")) long_prefix.push_back(static_cast<uint8_t>(c));
  ByteArrayDeltaDecoder bad(long_prefix, true, 2, 0);
  e = error_of<Corrupt>([&] { bad.next(v, 2); });
  EXPECT_NE(e.find("shares a prefix of 4 bytes with a previous value of 3"), std::string::npos)
      << e;
  // A FIXED_LEN_BYTE_ARRAY value of the wrong width.
  ByteArrayDeltaDecoder fixed(dba, true, 2, 2);
  e = error_of<Corrupt>([&] { fixed.next(v, 2); });
  EXPECT_NE(e.find("of width 2"), std::string::npos) << e;
}

TEST(ParquetBreadthDecoders, ByteStreamSplitRoundTripsAndRefusesPartialValues) {
  std::vector<double> values = {1.5, -2.25, 1e300, 0.0, -0.0};
  std::vector<uint8_t> bytes;
  parquet::byte_stream_split_encode(reinterpret_cast<const uint8_t*>(values.data()),
                                    values.size(), 8, bytes);
  ByteStreamSplitDecoder d(bytes, 8);
  std::vector<double> out(values.size());
  d.decode(reinterpret_cast<uint8_t*>(out.data()), 2);
  d.decode(reinterpret_cast<uint8_t*>(out.data() + 2), 3);
  EXPECT_EQ(std::memcmp(out.data(), values.data(), 40), 0);
  EXPECT_NE(error_of<Corrupt>([&] { d.decode(reinterpret_cast<uint8_t*>(out.data()), 1); })
                .find("fewer than its levels"),
            std::string::npos);
  bytes.pop_back();
  EXPECT_NE(error_of<Corrupt>([&] { ByteStreamSplitDecoder(bytes, 8); }).find("whole number"),
            std::string::npos);
}

// ---- whole files damaged in place ----

class ParquetBreadthBadFile : public ::testing::Test {
 protected:
  // A file of our writer: one column `x` of 100 rows (ints 0..99 or strings "s0".."s99"), no
  // compression or statistics, so the DELTA streams lie in the file as encoded.
  std::string write(bool strings, ParquetEncoding encoding, int page_version) {
    Table table = strings ? Table::make({Column::from_strings("x", make_strings())}, {}, 100)
                          : Table::make({Column::from_values("x", make_ints())}, {}, 100);
    ParquetWriteOptions o;
    o.compression = ParquetCompression::kNone;
    o.write_statistics = false;
    o.data_page_version = page_version;
    (strings ? o.string_encoding : o.integer_encoding) = encoding;
    std::string path = (dir_.path() / "good.parquet").string();
    write_parquet_file(table, path, o);
    return read_file(path);
  }

  static std::vector<int64_t> make_ints() {
    std::vector<int64_t> v;
    for (int i = 0; i < 100; ++i) v.push_back(i);
    return v;
  }
  static std::vector<std::string> make_strings() {
    std::vector<std::string> v;
    for (int i = 0; i < 100; ++i) {
      // Appended rather than "s" + ...: GCC 12 warns falsely (-Wrestrict) on the latter.
      std::string s(1, 's');
      s += std::to_string(i);
      v.push_back(std::move(s));
    }
    return v;
  }

  // The offset of the one occurrence of `pattern` in `bytes`.
  static size_t find_once(const std::string& bytes, const std::string& pattern) {
    size_t at = bytes.find(pattern);
    EXPECT_NE(at, std::string::npos);
    EXPECT_EQ(bytes.find(pattern, at + 1), std::string::npos) << "the pattern is not unique";
    return at;
  }

  // Expect reading `bytes` to throw Corrupt naming the file, the column and `detail`.
  void expect_corrupt(const std::string& bytes, const std::string& detail) {
    std::string path = dir_.write("bad.parquet", bytes);
    std::string e = error_of<Corrupt>([&] { read_parquet_file(path); });
    EXPECT_NE(e.find(path + ": column 'x'"), std::string::npos) << e;
    EXPECT_NE(e.find(detail), std::string::npos) << e;
  }

  TempDir dir_;
};

// The DELTA_BINARY_PACKED header our writer writes for 100 values starting at `first` (zigzag
// already applied).
std::string dbp_header(uint8_t zigzag_first) {
  return std::string("\x80\x01\x04\x64", 4) + static_cast<char>(zigzag_first);
}

TEST_F(ParquetBreadthBadFile, DeltaBinaryPackedIntegers) {
  for (int version : {1, 2}) {
    SCOPED_TRACE(version);
    std::string good = write(false, ParquetEncoding::kDeltaBinaryPacked, version);
    ASSERT_EQ(read_parquet(Buffer(good.data(), good.size(), nullptr), "good").num_rows(), 100);
    // 0..99: first value 0, then one block of min delta 1 (zigzag 2) and four zero widths.
    size_t at = find_once(good, dbp_header(0) + std::string("\x02\0\0\0\0", 5));
    std::string wide = good;
    wide[at + 6] = 65;
    expect_corrupt(wide, "miniblock bit width 65 exceeds the 64 bits");
    std::string truncated = good;
    truncated[at + 6] = 40;  // 32 values of 40 bits: 160 bytes the page does not have
    expect_corrupt(truncated, "truncated");
    std::string more = good;
    more[at + 3] = 0x7F;  // a stream of 127 values in a page of 100
    expect_corrupt(more, "127 values in a page of 100");
  }
}

TEST_F(ParquetBreadthBadFile, DeltaLengthByteArrayStrings) {
  for (int version : {1, 2}) {
    SCOPED_TRACE(version);
    std::string good = write(true, ParquetEncoding::kDeltaLengthByteArray, version);
    ASSERT_EQ(read_parquet(Buffer(good.data(), good.size(), nullptr), "good").num_rows(), 100);
    size_t at = find_once(good, dbp_header(4));  // the first length: 2 ("s0")
    std::string past = good;
    past[at + 4] = 0x7E;  // 63: every length grows by 61
    expect_corrupt(past, "past the page");
    std::string negative = good;
    negative[at + 4] = 0x7F;  // -64
    expect_corrupt(negative, "is negative");
  }
}

TEST_F(ParquetBreadthBadFile, DeltaByteArrayPrefixes) {
  for (int version : {1, 2}) {
    SCOPED_TRACE(version);
    std::string good = write(true, ParquetEncoding::kDeltaByteArray, version);
    ASSERT_EQ(read_parquet(Buffer(good.data(), good.size(), nullptr), "good").num_rows(), 100);
    size_t at = find_once(good, dbp_header(0));  // prefix lengths: 0, then 1s and 2s
    std::string longer = good;
    longer[at + 4] = 0x0A;  // the first value shares 5 bytes with no value at all
    expect_corrupt(longer, "shares a prefix of 5 bytes with a previous value of 0");
  }
}

TEST_F(ParquetBreadthBadFile, PageV2LevelLengthThatLies) {
  std::string good = write(false, ParquetEncoding::kPlain, 2);
  // The DataPageHeaderV2's encoding (field 4: PLAIN), definition_levels_byte_length (field 5: the
  // RLE run of 100 ones, 3 bytes, zigzag 6) and repetition_levels_byte_length (field 6: 0).
  size_t at = find_once(good, std::string("\x15\x00\x15\x06\x15\x00", 6));
  std::string bad = good;
  bad[at + 3] = 0x7E;  // 63 bytes of levels: the values start in the wrong place
  std::string path = dir_.write("bad.parquet", bad);
  std::string e = error_of<Corrupt>([&] { read_parquet_file(path); });
  EXPECT_NE(e.find(path + ": column 'x'"), std::string::npos) << e;
}

// ---- random corruptions ----

void fuzz(const std::string& good, int rounds, unsigned seed) {
  std::mt19937 rng(seed);
  int errors = 0;
  for (int round = 0; round < rounds; ++round) {
    std::string bad = good;
    if (round % 5 == 4) {
      bad.resize(std::uniform_int_distribution<size_t>(0, good.size() - 1)(rng));
    } else {
      for (int k = 0; k <= round % 3; ++k) {
        size_t at = std::uniform_int_distribution<size_t>(0, good.size() - 1)(rng);
        bad[at] = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
      }
    }
    Buffer buffer(bad.data(), bad.size(), nullptr);
    try {
      Table t = read_parquet(buffer, "fuzz.parquet");
      t.validate_full();
    } catch (const Error& e) {
      ++errors;
      EXPECT_NE(std::string(e.what()).find("fuzz.parquet"), std::string::npos) << e.what();
    }
  }
  EXPECT_GT(errors, rounds / 8);
}

TEST(ParquetBreadthFuzz, RandomCorruptionsOfV2PagesWithEveryNewEncoding) {
  TempDir dir;
  // DuckDB's V2: DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, BYTE_STREAM_SPLIT, dictionary.
  std::string duck = (dir.path() / "duck.parquet").string();
  duckdb_sql(
      "COPY (SELECT range * 7 AS a, CASE WHEN range % 4 = 0 THEN NULL ELSE md5(range::VARCHAR) "
      "END AS s, range / 3.0 AS d, (range % 5)::INTEGER AS i FROM range(300)) TO '" +
      duck + "' (FORMAT parquet, PARQUET_VERSION V2, COMPRESSION uncompressed)");
  fuzz(read_file(duck), 400, 4242);
  // Ours: DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT floats too, with nulls.
  std::vector<std::optional<std::string>> strings;
  std::vector<std::optional<double>> doubles;
  std::vector<std::optional<int64_t>> ints;
  for (int i = 0; i < 300; ++i) {
    strings.push_back(i % 6 == 0 ? std::nullopt
                                 : std::optional<std::string>("k/" + std::to_string(i / 7)));
    doubles.push_back(i % 5 == 0 ? std::nullopt : std::optional<double>(i * 0.5));
    ints.push_back(i % 7 == 0 ? std::nullopt : std::optional<int64_t>(i * 1000003LL));
  }
  Table table = Table::make({Column::from_optional_strings("s", strings),
                             Column::from_optional("d", doubles),
                             Column::from_optional("a", ints)},
                            {}, 300);
  ParquetWriteOptions o;
  o.compression = ParquetCompression::kNone;
  o.data_page_version = 2;
  o.data_page_size = 512;
  o.integer_encoding = ParquetEncoding::kDeltaBinaryPacked;
  o.float_encoding = ParquetEncoding::kByteStreamSplit;
  o.string_encoding = ParquetEncoding::kDeltaByteArray;
  std::string ours = (dir.path() / "ours.parquet").string();
  write_parquet_file(table, ours, o);
  ASSERT_TRUE(read_parquet_file(ours).equals(table));
  fuzz(read_file(ours), 400, 99);
}

}  // namespace
}  // namespace quilt::test
