#include "formats/parquet/metadata.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "quilt/errors.h"

namespace quilt::parquet {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes from_hex(std::string_view hex) {
  Bytes bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return bytes;
}

// A whole file DuckDB v1.5.5 wrote (uncompressed) for:
//   COPY (SELECT i::INTEGER AS id, 'v' || (i % 3) AS name,
//         TIMESTAMP '2024-01-01' + INTERVAL (i) SECOND AS ts FROM range(5)
//         t(i)) TO ...
const char kDuckDbFile[] =
    "504152311500153415342c150a1500150615060000020000000"
    "a010000000001000000020000000300000004"
    "0000001500154815482c150a1500150615060000020000000a0"
    "1020000007630020000007631020000007632"
    "0200000076300200000076311500155c155c2c150a150015061"
    "5060000020000000a0100202110d70d060040"
    "623010d70d060080a43f10d70d0600c0e64e10d70d060000295"
    "e10d70d06001502194c3500180d6475636b64"
    "625f736368656d611506001502250218026964252200150c250"
    "218046e616d65250000150425021802747325"
    "144c8c121c2c0000000000160a191c193c26001c15021915001"
    "9180269641500160a1656165626083c180404"
    "000000180400000000160028040400000018040000000011110"
    "0000026001c150c1915001918046e616d6515"
    "00160a166a166a265e3c1802763218027630160028027632180"
    "27630111100000026001c1504191500191802"
    "74731500160a167e167e26c8013c180800295e10d70d0600180"
    "800202110d70d06001600280800295e10d70d"
    "0600180800202110d70d0600111100000016be02160a260816b"
    "e020028284475636b44422076657273696f6e"
    "2076312e352e3520286275696c6420643863646161333366642"
    "9193c1c00001c00001c0000003b0100005041"
    "5231";

Bytes duckdb_footer(const Bytes &file) {
  uint32_t length;
  std::memcpy(&length, file.data() + file.size() - 8, 4);
  return Bytes(file.end() - 8 - length, file.end() - 8);
}

TEST(ParquetMetadata, DecodesADuckDbFooter) {
  Bytes file = from_hex(kDuckDbFile);
  ASSERT_EQ(file.size(), 486u);
  FileMetaData m = read_file_metadata(duckdb_footer(file), "duckdb footer");
  EXPECT_EQ(m.version, 1);
  EXPECT_EQ(m.num_rows, 5);
  ASSERT_EQ(m.schema.size(), 4u);
  EXPECT_EQ(m.schema[0].name, "duckdb_schema");
  EXPECT_EQ(m.schema[0].num_children, 3);
  EXPECT_EQ(m.schema[1].name, "id");
  EXPECT_EQ(m.schema[1].type, PhysicalType::kInt32);
  EXPECT_EQ(m.schema[1].repetition, Repetition::kOptional);
  EXPECT_EQ(m.schema[2].name, "name");
  EXPECT_EQ(m.schema[2].type, PhysicalType::kByteArray);
  EXPECT_EQ(m.schema[2].converted_type, ConvertedType::kUtf8);
  EXPECT_EQ(m.schema[2].logical_type.kind,
            LogicalType::Kind::kNone);  // DuckDB writes UTF8 only
  EXPECT_EQ(m.schema[1].converted_type, ConvertedType::kInt32);
  EXPECT_EQ(m.schema[3].name, "ts");
  EXPECT_EQ(m.schema[3].type, PhysicalType::kInt64);
  EXPECT_EQ(m.schema[3].logical_type.kind, LogicalType::Kind::kTimestamp);
  EXPECT_EQ(m.schema[3].logical_type.unit, TimeUnit::kMicros);
  EXPECT_FALSE(m.schema[3].logical_type.is_adjusted_to_utc);
  EXPECT_EQ(m.schema[3].converted_type, ConvertedType::kTimestampMicros);
  EXPECT_EQ(m.column_orders.size(), 3u);
  ASSERT_EQ(m.row_groups.size(), 1u);
  const RowGroup &g = m.row_groups[0];
  EXPECT_EQ(g.num_rows, 5);
  ASSERT_EQ(g.columns.size(), 3u);
  ASSERT_TRUE(g.columns[0].meta_data);
  const ColumnMetaData &id = *g.columns[0].meta_data;
  EXPECT_EQ(id.type, PhysicalType::kInt32);
  EXPECT_EQ(id.path_in_schema, std::vector<std::string>{"id"});
  EXPECT_EQ(id.codec, Codec::kUncompressed);
  EXPECT_EQ(id.num_values, 5);
  EXPECT_EQ(id.data_page_offset, 4);
  ASSERT_TRUE(id.statistics);
  int32_t min = -1, max = -1;
  ASSERT_TRUE(id.statistics->min_value && id.statistics->max_value);
  std::memcpy(&min, id.statistics->min_value->data(), 4);
  std::memcpy(&max, id.statistics->max_value->data(), 4);
  EXPECT_EQ(min, 0);
  EXPECT_EQ(max, 4);
  EXPECT_EQ(id.statistics->null_count, 0);
  EXPECT_EQ(g.columns[1].meta_data->statistics->min_value, "v0");
  EXPECT_EQ(g.columns[1].meta_data->statistics->max_value, "v2");
  ASSERT_TRUE(m.created_by);
  EXPECT_EQ(m.created_by->rfind("DuckDB", 0), 0u) << *m.created_by;
}

TEST(ParquetMetadata, DecodesADuckDbPageHeader) {
  Bytes file = from_hex(kDuckDbFile);
  FileMetaData m = read_file_metadata(duckdb_footer(file), "duckdb footer");
  const ColumnMetaData &id = *m.row_groups[0].columns[0].meta_data;
  std::span<const uint8_t> rest(file.data() + id.data_page_offset,
                                file.size() - static_cast<size_t>(id.data_page_offset));
  CompactReader reader(rest, "page header");
  PageHeader h = read_page_header(reader);
  EXPECT_EQ(h.type, PageType::kDataPage);
  ASSERT_TRUE(h.data_page_header);
  EXPECT_EQ(h.data_page_header->num_values, 5);
  EXPECT_EQ(h.data_page_header->definition_level_encoding, Encoding::kRle);
  EXPECT_EQ(h.compressed_page_size, h.uncompressed_page_size);
  // Header and page together are the column chunk.
  EXPECT_EQ(static_cast<int64_t>(reader.position()) + h.compressed_page_size,
            id.total_compressed_size);
}

TEST(ParquetMetadata, WritesPageHeaderSpecBytes) {
  PageHeader h;
  h.uncompressed_page_size = 100;
  h.compressed_page_size = 50;
  h.data_page_header.emplace();
  h.data_page_header->num_values = 10;
  CompactWriter w;
  write_page_header(w, h);
  // 1: i32 0; 2: i32 100 (zigzag 200); 3: i32 50 (zigzag 100); 5 (delta 2):
  // struct {1: 10, 2: PLAIN 0, 3: RLE 3, 4: RLE 3}; stop; stop.
  Bytes expected = {0x15, 0x00, 0x15, 0xC8, 0x01, 0x15, 0x64, 0x2C, 0x15,
                    0x14, 0x15, 0x00, 0x15, 0x06, 0x15, 0x06, 0x00, 0x00};
  EXPECT_EQ(Bytes(w.bytes().begin(), w.bytes().end()), expected);
}

SchemaElement element(std::string name, std::optional<PhysicalType> type) {
  SchemaElement e;
  e.name = std::move(name);
  e.type = type;
  return e;
}

std::vector<SchemaElement> sample_schema() {
  SchemaElement root = element("schema", std::nullopt);
  root.num_children = 4;
  SchemaElement a = element("a", PhysicalType::kInt64);
  a.repetition = Repetition::kOptional;
  a.logical_type.kind = LogicalType::Kind::kTimestamp;
  a.logical_type.unit = TimeUnit::kNanos;
  a.logical_type.is_adjusted_to_utc = true;
  SchemaElement b = element("b", PhysicalType::kByteArray);
  b.repetition = Repetition::kRequired;
  b.converted_type = ConvertedType::kUtf8;
  b.logical_type.kind = LogicalType::Kind::kString;
  SchemaElement c = element("c", PhysicalType::kInt32);
  c.converted_type = ConvertedType::kUint8;
  c.logical_type.kind = LogicalType::Kind::kInteger;
  c.logical_type.bit_width = 8;
  c.logical_type.is_signed = false;
  SchemaElement d = element("d", PhysicalType::kFixedLenByteArray);
  d.type_length = 16;
  d.scale = 2;
  d.precision = 30;
  d.field_id = 7;
  d.logical_type.kind = LogicalType::Kind::kDate;
  return {root, a, b, c, d};
}

ColumnMetaData sample_column(int k) {
  ColumnMetaData meta;
  meta.type = PhysicalType::kByteArray;
  meta.encodings = {Encoding::kRleDictionary, Encoding::kPlain, Encoding::kRle};
  meta.path_in_schema = {"b", std::to_string(k)};
  meta.codec = Codec::kZstd;
  meta.num_values = 1500000000;
  meta.total_uncompressed_size = 1 << 20;
  meta.total_compressed_size = 1 << 19;
  meta.key_value_metadata = {{"k", "v"}, {"novalue", std::nullopt}};
  meta.data_page_offset = 1234567890123LL;
  meta.dictionary_page_offset = 4;
  meta.statistics.emplace();
  meta.statistics->null_count = 0;
  meta.statistics->distinct_count = 17;
  meta.statistics->max_value = "zz";
  meta.statistics->min_value = std::string("\0a", 2);
  meta.statistics->is_max_value_exact = true;
  meta.statistics->is_min_value_exact = false;
  return meta;
}

FileMetaData sample_metadata() {
  FileMetaData m;
  m.num_rows = 3000000000LL;
  m.schema = sample_schema();
  for (int i = 0; i < 2; ++i) {
    RowGroup g;
    g.total_byte_size = 1000 + i;
    g.num_rows = 1500000000;
    g.file_offset = 4;
    g.total_compressed_size = 900;
    g.ordinal = static_cast<int16_t>(i);
    for (int k = 0; k < 20; ++k) {  // more than 14: long list headers
      ColumnChunk chunk;
      chunk.file_offset = 4;
      chunk.meta_data = sample_column(k);
      g.columns.push_back(chunk);
    }
    m.row_groups.push_back(g);
  }
  m.key_value_metadata = {{"pandas", std::string(300, 'j')}, {"ARROW:schema", "x"}};
  m.created_by = "quiltcpp";
  m.column_orders = {ColumnOrder::kTypeDefined, ColumnOrder::kTypeDefined, ColumnOrder::kUnknown,
                     ColumnOrder::kTypeDefined};
  return m;
}

TEST(ParquetMetadata, FileMetaDataRoundTrips) {
  FileMetaData m = sample_metadata();
  CompactWriter w;
  write_file_metadata(w, m);
  EXPECT_EQ(read_file_metadata(w.bytes(), "sample"), m);
}

TEST(ParquetMetadata, PageHeadersRoundTrip) {
  PageHeader data;
  data.uncompressed_page_size = 1 << 20;
  data.compressed_page_size = 12345;
  data.crc = -5;
  data.data_page_header.emplace();
  data.data_page_header->num_values = 99;
  data.data_page_header->encoding = Encoding::kRleDictionary;
  data.data_page_header->statistics.emplace();
  data.data_page_header->statistics->null_count = 3;
  data.data_page_header->statistics->max = "m";
  data.data_page_header->statistics->min = "a";
  PageHeader dict;
  dict.type = PageType::kDictionaryPage;
  dict.uncompressed_page_size = 10;
  dict.compressed_page_size = 8;
  dict.dictionary_page_header.emplace();
  dict.dictionary_page_header->num_values = 2;
  dict.dictionary_page_header->is_sorted = false;
  for (const PageHeader &h : {data, dict}) {
    CompactWriter w;
    write_page_header(w, h);
    w.write_varint(12345);  // page bytes follow the header
    CompactReader r(w.bytes(), "page");
    EXPECT_EQ(read_page_header(r), h);
    EXPECT_EQ(r.position(), w.bytes().size() - 2);
  }
}

TEST(ParquetMetadata, SkipsUnknownFieldsOfEveryKind) {
  CompactWriter w;
  w.begin_struct();
  w.field_i32(1, 2);
  w.field_list(2, ThriftType::kStruct, 1);
  w.begin_struct();
  w.field_binary(4, "root");
  w.field_double(30, 1.5);  // unknown field inside a known struct
  w.end_struct();
  w.field_i64(3, 0);
  w.field_list(4, ThriftType::kStruct, 0);
  w.begin_field_struct(8);  // encryption algorithm: skipped
  w.begin_field_struct(1);
  w.field_binary(1, "aad");
  w.end_struct();
  w.end_struct();
  w.field_list(100, ThriftType::kList, 1);  // a future list of lists
  w.write_list_header(ThriftType::kI64, 2);
  w.write_i64(1);
  w.write_i64(2);
  w.field_bool(101, true);
  w.end_struct();
  FileMetaData m = read_file_metadata(w.bytes(), "unknown");
  EXPECT_EQ(m.version, 2);
  ASSERT_EQ(m.schema.size(), 1u);
  EXPECT_EQ(m.schema[0].name, "root");
}

TEST(ParquetMetadata, TruncatedFooterAtEveryOffsetThrowsCorrupt) {
  CompactWriter w;
  write_file_metadata(w, sample_metadata());
  Bytes bytes(w.bytes().begin(), w.bytes().end());
  for (size_t n = 0; n < bytes.size(); ++n) {
    Bytes cut(bytes.begin(), bytes.begin() + n);
    EXPECT_THROW(read_file_metadata(cut, "cut"), Corrupt) << "length " << n;
  }
  Bytes real = duckdb_footer(from_hex(kDuckDbFile));
  for (size_t n = 0; n < real.size(); ++n) {
    Bytes cut(real.begin(), real.begin() + n);
    EXPECT_THROW(read_file_metadata(cut, "cut"), Corrupt) << "length " << n;
  }
}

TEST(ParquetMetadata, CorruptedFooterBytesNeverCrash) {
  Bytes real = duckdb_footer(from_hex(kDuckDbFile));
  for (size_t i = 0; i < real.size(); ++i) {
    for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xFF}}) {
      Bytes bad = real;
      bad[i] ^= flip;
      try {
        read_file_metadata(bad, "flipped");
      } catch (const Corrupt &) {
      }
    }
  }
}

TEST(ParquetMetadata, MissingRequiredFieldIsNamed) {
  CompactWriter w;
  w.begin_struct();
  w.field_i32(1, 1);
  w.field_list(2, ThriftType::kStruct, 1);
  w.begin_struct();
  w.field_i32(1, 1);  // a type but no name
  w.end_struct();
  w.end_struct();
  try {
    read_file_metadata(w.bytes(), "footer of x.parquet");
    FAIL();
  } catch (const Corrupt &e) {
    std::string message = e.what();
    EXPECT_NE(message.find("footer of x.parquet"), std::string::npos) << message;
    EXPECT_NE(message.find("SchemaElement is missing required field 'name'"), std::string::npos)
        << message;
  }
}

TEST(ParquetMetadata, WrongFieldTypeAndNegativeSizesAreCorrupt) {
  CompactWriter w;
  w.begin_struct();
  w.field_binary(1, "not an i32");
  w.end_struct();
  EXPECT_THROW(read_file_metadata(w.bytes(), "typed"), Corrupt);
  PageHeader h;
  h.uncompressed_page_size = -1;
  CompactWriter pw;
  write_page_header(pw, h);
  CompactReader r(pw.bytes(), "page");
  EXPECT_THROW(read_page_header(r), Corrupt);
}

}  // namespace
}  // namespace quilt::parquet
