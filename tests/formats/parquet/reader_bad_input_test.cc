// Damaged Parquet files: each kind of damage the reader must name (truncation, magic, footer
// length, lying page sizes, decompression failure, dictionary index out of range, short pages,
// row counts that disagree), made by editing bytes of a file DuckDB wrote at offsets found by
// parsing its footer. Then a few hundred random single-byte corruptions and truncations, which
// must each end in a Table or a quilt::Error, never a crash.

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "formats/parquet/metadata.h"
#include "parquet_oracle.h"
#include "quilt/errors.h"
#include "quilt/parquet.h"
#include "test_util.h"

namespace quilt::test {
namespace {

using parquet::ColumnMetaData;
using parquet::FileMetaData;

FileMetaData footer_of(const std::string& bytes) {
  uint32_t length;
  std::memcpy(&length, bytes.data() + bytes.size() - 8, 4);
  auto data = reinterpret_cast<const uint8_t*>(bytes.data());
  return parquet::read_file_metadata({data + bytes.size() - 8 - length, length}, "footer");
}

const ColumnMetaData& chunk_of(const FileMetaData& m, const std::string& column, size_t group = 0) {
  for (const parquet::ColumnChunk& c : m.row_groups.at(group).columns) {
    if (c.meta_data->path_in_schema.at(0) == column) return *c.meta_data;
  }
  throw std::runtime_error("no column " + column);
}

// Where the varint of each i32 field of a compact-protocol struct lies, by field path ("2",
// "7.1"): enough of a walker for page headers.
struct Field {
  size_t pos = 0;
  size_t len = 0;
};

void walk(const std::string& b, size_t& pos, const std::string& prefix,
          std::map<std::string, Field>& out) {
  int16_t last = 0;
  for (;;) {
    auto byte = static_cast<uint8_t>(b.at(pos++));
    if (byte == 0) return;
    int type = byte & 0x0F;
    int16_t id = static_cast<int16_t>(last + (byte >> 4));
    ASSERT_NE(byte >> 4, 0) << "long-form field header";
    last = id;
    std::string path = prefix + std::to_string(id);
    if (type == 5 || type == 6) {
      size_t start = pos;
      while (static_cast<uint8_t>(b.at(pos)) & 0x80) ++pos;
      ++pos;
      out[path] = {start, pos - start};
    } else if (type == 12) {
      walk(b, pos, path + ".", out);
    } else if (type == 8) {
      size_t n = 0;
      int shift = 0;
      for (;;) {
        auto v = static_cast<uint8_t>(b.at(pos++));
        n |= static_cast<size_t>(v & 0x7F) << shift;
        shift += 7;
        if (!(v & 0x80)) break;
      }
      pos += n;
    } else {
      ASSERT_TRUE(type == 1 || type == 2) << "field type " << type;
    }
  }
}

std::map<std::string, Field> header_fields(const std::string& b, size_t offset) {
  std::map<std::string, Field> out;
  walk(b, offset, "", out);
  return out;
}

int64_t read_field(const std::string& b, const Field& f) {
  uint64_t v = 0;
  for (size_t i = 0; i < f.len; ++i) v |= static_cast<uint64_t>(b[f.pos + i] & 0x7F) << (7 * i);
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

// Overwrite an i32 field with `value`, in the same number of bytes (a non-minimal varint when
// needed, which Thrift readers accept).
void write_field(std::string& b, const Field& f, int64_t value) {
  uint64_t z = (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
  ASSERT_LT(z >> (7 * f.len), 1u) << "value does not fit the field's bytes";
  for (size_t i = 0; i < f.len; ++i) {
    b[f.pos + i] = static_cast<char>((z & 0x7F) | (i + 1 < f.len ? 0x80 : 0));
    z >>= 7;
  }
}

// Re-encode the footer of `b` after `edit` changed it.
template <typename Edit>
std::string with_footer(const std::string& b, Edit edit) {
  FileMetaData m = footer_of(b);
  edit(m);
  uint32_t length;
  std::memcpy(&length, b.data() + b.size() - 8, 4);
  std::string out = b.substr(0, b.size() - 8 - length);
  parquet::CompactWriter w;
  parquet::write_file_metadata(w, m);
  out.append(reinterpret_cast<const char*>(w.bytes().data()), w.bytes().size());
  auto n = static_cast<uint32_t>(w.bytes().size());
  out.append(reinterpret_cast<const char*>(&n), 4);
  return out + "PAR1";
}

// Set an i32 field of a page header to `value`, growing the field when its varint needs more
// bytes: what follows moves, so the footer's offsets and the chunk's size move with it.
std::string set_field(const std::string& b, const Field& f, int64_t value) {
  uint64_t z = (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
  std::string varint;
  for (; z >= 0x80; z >>= 7) varint += static_cast<char>((z & 0x7F) | 0x80);
  varint += static_cast<char>(z);
  if (varint.size() <= f.len) {
    std::string out = b;
    write_field(out, f, value);
    return out;
  }
  auto delta = static_cast<int64_t>(varint.size() - f.len);
  auto at = static_cast<int64_t>(f.pos);
  std::string out = b.substr(0, f.pos) + varint + b.substr(f.pos + f.len);
  return with_footer(out, [&](FileMetaData& m) {
    for (parquet::RowGroup& g : m.row_groups) {
      for (parquet::ColumnChunk& c : g.columns) {
        ColumnMetaData& md = *c.meta_data;
        int64_t start = md.dictionary_page_offset.value_or(md.data_page_offset);
        if (start <= at && at < start + md.total_compressed_size) md.total_compressed_size += delta;
        if (md.data_page_offset > at) md.data_page_offset += delta;
        if (md.dictionary_page_offset && *md.dictionary_page_offset > at) {
          *md.dictionary_page_offset += delta;
        }
        if (c.file_offset > at) c.file_offset += delta;
      }
    }
  });
}

class ParquetReaderBadInput : public ::testing::Test {
 protected:
  // A small DuckDB file: `a` int64 PLAIN, `s` strings of 10 distinct values (dictionary), one
  // page each, in one row group.
  std::string write(const std::string& codec) {
    std::string path = (dir_.path() / ("good_" + codec + ".parquet")).string();
    duckdb_sql("COPY (SELECT range AS a, 'v' || (range % 10) AS s FROM range(200)) TO '" + path +
               "' (FORMAT parquet, COMPRESSION " + codec + ")");
    return read_file(path);
  }

  // Read `bytes` as a file named bad.parquet; return the error message, failing unless the
  // reader throws E naming the file and each of `names`.
  template <typename E>
  std::string expect_error(const std::string& bytes, std::vector<std::string> names = {}) {
    std::string path = dir_.write("bad.parquet", bytes);
    try {
      read_parquet_file(path);
    } catch (const E& e) {
      std::string what = e.what();
      EXPECT_NE(what.find(path), std::string::npos) << what;
      for (const std::string& name : names) EXPECT_NE(what.find(name), std::string::npos) << what;
      return what;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "wrong exception type: " << e.what();
      return "";
    }
    ADD_FAILURE() << "the damaged file was read";
    return "";
  }

  TempDir dir_;
};

TEST_F(ParquetReaderBadInput, TruncatedFile) {
  std::string good = write("snappy");
  for (size_t size : {size_t{0}, size_t{3}, size_t{11}, good.size() / 2, good.size() - 1}) {
    SCOPED_TRACE(size);
    expect_error<Corrupt>(good.substr(0, size));
  }
}

TEST_F(ParquetReaderBadInput, WrongMagicAtHeadOrTail) {
  std::string good = write("snappy");
  std::string head = good;
  head[1] = 'X';
  EXPECT_NE(expect_error<Corrupt>(head).find("start with the magic"), std::string::npos);
  std::string tail = good;
  tail[tail.size() - 2] = 'X';
  EXPECT_NE(expect_error<Corrupt>(tail).find("end with the magic"), std::string::npos);
}

TEST_F(ParquetReaderBadInput, FooterLengthPastTheFile) {
  std::string bad = write("snappy");
  auto length = static_cast<uint32_t>(bad.size());
  std::memcpy(bad.data() + bad.size() - 8, &length, 4);
  EXPECT_NE(expect_error<Corrupt>(bad).find("footer length"), std::string::npos);
  length = 0xFFFFFFFF;
  std::memcpy(bad.data() + bad.size() - 8, &length, 4);
  expect_error<Corrupt>(bad);
}

TEST_F(ParquetReaderBadInput, CompressedPageSizePastTheChunk) {
  std::string bad = write("snappy");
  const ColumnMetaData& a = chunk_of(footer_of(bad), "a");
  auto fields = header_fields(bad, static_cast<size_t>(a.data_page_offset));
  write_field(bad, fields.at("3"), read_field(bad, fields.at("3")) + 1);
  std::string what = expect_error<Corrupt>(bad, {"column 'a'", "row group 0", "page 0"});
  EXPECT_NE(what.find("compressed bytes"), std::string::npos) << what;
  write_field(bad, fields.at("3"), -5);
  expect_error<Corrupt>(bad, {"column 'a'"});
}

TEST_F(ParquetReaderBadInput, UncompressedPageSizeThatDisagreesWithDecompression) {
  for (std::string codec : {"uncompressed", "snappy", "gzip", "zstd"}) {
    SCOPED_TRACE(codec);
    std::string good = write(codec);
    const ColumnMetaData& a = chunk_of(footer_of(good), "a");
    auto fields = header_fields(good, static_cast<size_t>(a.data_page_offset));
    for (int64_t delta : {-1, 1, 100000}) {
      int64_t size = read_field(good, fields.at("2")) + delta;
      expect_error<Corrupt>(set_field(good, fields.at("2"), size), {"column 'a'", "page 0"});
    }
    // A size no page could decompress to must be refused before anything is allocated for it.
    expect_error<Corrupt>(set_field(good, fields.at("2"), 2000000000), {"column 'a'"});
  }
}

TEST_F(ParquetReaderBadInput, DecompressionFailure) {
  for (std::string codec : {"snappy", "gzip", "zstd"}) {
    SCOPED_TRACE(codec);
    std::string bad = write(codec);
    const ColumnMetaData& a = chunk_of(footer_of(bad), "a");
    auto fields = header_fields(bad, static_cast<size_t>(a.data_page_offset));
    int64_t compressed = read_field(bad, fields.at("3"));
    // The header ends at its stop byte, right after the last field walked.
    size_t body = static_cast<size_t>(a.data_page_offset);
    std::map<std::string, Field> f;
    walk(bad, body, "", f);
    // Garbage in the second half of the body (gzip's CRC and zstd's block structure notice).
    for (int64_t i = compressed / 2; i < compressed; ++i) bad[body + i] ^= 0x5A;
    expect_error<Corrupt>(bad, {"column 'a'", codec == "snappy" ? "SNAPPY" : ""});
  }
}

TEST_F(ParquetReaderBadInput, DictionaryIndexOutOfRange) {
  std::string bad = write("uncompressed");
  const ColumnMetaData& s = chunk_of(footer_of(bad), "s");
  ASSERT_TRUE(s.dictionary_page_offset.has_value());
  auto fields = header_fields(bad, static_cast<size_t>(*s.dictionary_page_offset));
  ASSERT_EQ(read_field(bad, fields.at("7.1")), 10);  // the dictionary's num_values
  write_field(bad, fields.at("7.1"), 3);
  std::string what = expect_error<Corrupt>(bad, {"column 's'", "row group 0"});
  EXPECT_NE(what.find("out of range"), std::string::npos) << what;
}

TEST_F(ParquetReaderBadInput, FewerValuesInAPageThanItsHeaderSays) {
  // Shrink the page's sizes by 8 bytes: its last int64 value falls outside the page.
  std::string bad = write("uncompressed");
  const ColumnMetaData& a = chunk_of(footer_of(bad), "a");
  auto fields = header_fields(bad, static_cast<size_t>(a.data_page_offset));
  write_field(bad, fields.at("2"), read_field(bad, fields.at("2")) - 8);
  write_field(bad, fields.at("3"), read_field(bad, fields.at("3")) - 8);
  std::string what = expect_error<Corrupt>(bad, {"column 'a'", "page 0"});
  EXPECT_NE(what.find("left"), std::string::npos) << what;
  // And a page that claims more values than the row group has.
  std::string more = write("uncompressed");
  fields = header_fields(more, static_cast<size_t>(a.data_page_offset));
  write_field(more, fields.at("5.1"), read_field(more, fields.at("5.1")) + 1);
  expect_error<Corrupt>(more, {"column 'a'"});
}

TEST_F(ParquetReaderBadInput, RowCountsThatDisagree) {
  std::string good = write("snappy");
  EXPECT_NE(expect_error<Corrupt>(with_footer(good, [](FileMetaData& m) { m.num_rows += 1; }))
                .find("rows"),
            std::string::npos);
  expect_error<Corrupt>(with_footer(good, [](FileMetaData& m) { m.row_groups[0].num_rows -= 1; }),
                        {"column 'a'", "row group 0"});
  expect_error<Corrupt>(
      with_footer(good,
                  [](FileMetaData& m) { m.row_groups[0].columns[1].meta_data->num_values += 5; }),
      {"column 's'"});
  // A row count no file of this size can hold, told consistently everywhere.
  std::string what = expect_error<Corrupt>(with_footer(good, [](FileMetaData& m) {
    int64_t rows = int64_t{1} << 40;
    m.num_rows = rows;
    m.row_groups[0].num_rows = rows;
    for (parquet::ColumnChunk& c : m.row_groups[0].columns) c.meta_data->num_values = rows;
  }));
  EXPECT_NE(what.find("bytes of data can hold"), std::string::npos) << what;
  // A chunk said to reach past the data.
  expect_error<Corrupt>(with_footer(good,
                                    [](FileMetaData& m) {
                                      m.row_groups[0].columns[0].meta_data->total_compressed_size +=
                                          1000000;
                                    }),
                        {"column 'a'"});
}

TEST_F(ParquetReaderBadInput, UnsupportedFeaturesAreInvalidArgumentNamingTheColumn) {
  std::string path = (dir_.path() / "x.parquet").string();
  duckdb_sql("COPY (SELECT range AS a, [range, 1] AS l FROM range(10)) TO '" + path +
             "' (FORMAT parquet)");
  expect_error<InvalidArgument>(read_file(path), {"column 'l'", "nested"});
  // LZ4_RAW, BROTLI and data pages v2 are read now (breadth_test.cc); LZO (3) is not.
  duckdb_sql("COPY (SELECT range AS a FROM range(10)) TO '" + path +
             "' (FORMAT parquet, COMPRESSION uncompressed)");
  expect_error<InvalidArgument>(with_footer(read_file(path),
                                            [](FileMetaData& m) {
                                              m.row_groups[0].columns[0].meta_data->codec =
                                                  static_cast<parquet::Codec>(3);
                                            }),
                                {"column 'a'", "codec"});
}

TEST_F(ParquetReaderBadInput, RandomCorruptionsEndInATableOrAnError) {
  std::string path = (dir_.path() / "small.parquet").string();
  duckdb_sql(
      "COPY (SELECT range AS a, CASE WHEN range % 4 = 0 THEN NULL ELSE 'w' || (range % 9) "
      "END AS s, range % 3 = 0 AS b, range / 3.0 AS d FROM range(300)) TO '" +
      path + "' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 2048)");
  std::string good = read_file(path);
  std::mt19937 rng(12345);
  int errors = 0;
  for (int round = 0; round < 400; ++round) {
    std::string bad = good;
    if (round % 5 == 4) {
      bad.resize(std::uniform_int_distribution<size_t>(0, good.size() - 1)(rng));
    } else {
      size_t at = std::uniform_int_distribution<size_t>(0, good.size() - 1)(rng);
      bad[at] = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
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
  EXPECT_GT(errors, 50);
}

}  // namespace
}  // namespace quilt::test
