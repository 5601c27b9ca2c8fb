#pragma once

// The Parquet metadata structs we read and write, as C++ values. Field ids and
// enum numbers follow parquet-format's parquet.thrift; fields we do not model
// are skipped on read (the offset index, encryption, size statistics, page
// encoding stats).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "formats/parquet/compression.h"
#include "formats/parquet/thrift_compact.h"

namespace quilt::parquet {

/// parquet.thrift Type.
enum class PhysicalType : int32_t {
  kBoolean = 0,
  kInt32 = 1,
  kInt64 = 2,
  kInt96 = 3,
  kFloat = 4,
  kDouble = 5,
  kByteArray = 6,
  kFixedLenByteArray = 7,
};

/// parquet.thrift FieldRepetitionType.
enum class Repetition : int32_t { kRequired = 0, kOptional = 1, kRepeated = 2 };

/// parquet.thrift ConvertedType (the legacy annotations older readers still
/// need).
enum class ConvertedType : int32_t {
  kUtf8 = 0,
  kMap = 1,
  kMapKeyValue = 2,
  kList = 3,
  kEnum = 4,
  kDecimal = 5,
  kDate = 6,
  kTimeMillis = 7,
  kTimeMicros = 8,
  kTimestampMillis = 9,
  kTimestampMicros = 10,
  kUint8 = 11,
  kUint16 = 12,
  kUint32 = 13,
  kUint64 = 14,
  kInt8 = 15,
  kInt16 = 16,
  kInt32 = 17,
  kInt64 = 18,
  kJson = 19,
  kBson = 20,
  kInterval = 21,
};

/// parquet.thrift Encoding.
enum class Encoding : int32_t {
  kPlain = 0,
  kPlainDictionary = 2,
  kRle = 3,
  kBitPacked = 4,
  kDeltaBinaryPacked = 5,
  kDeltaLengthByteArray = 6,
  kDeltaByteArray = 7,
  kRleDictionary = 8,
  kByteStreamSplit = 9,
};

/// parquet.thrift PageType.
enum class PageType : int32_t {
  kDataPage = 0,
  kIndexPage = 1,
  kDictionaryPage = 2,
  kDataPageV2 = 3,
};

/// parquet.thrift TimeUnit (a union of empty structs: 1 MILLIS, 2 MICROS, 3
/// NANOS).
enum class TimeUnit : int16_t { kMillis = 1, kMicros = 2, kNanos = 3 };

/// parquet.thrift LogicalType, the union, for the members we use. Any other
/// member read from a file is kept as kOther with its union field id (its
/// contents are skipped).
struct LogicalType {
  enum class Kind : int16_t {
    kNone = 0,  // absent
    kString = 1,
    kDate = 6,
    kTimestamp = 8,
    kInteger = 10,
    kOther = -1,
  };
  Kind kind = Kind::kNone;
  int16_t other_id = 0;               // kOther
  int8_t bit_width = 0;               // kInteger: 8, 16, 32 or 64
  bool is_signed = true;              // kInteger
  TimeUnit unit = TimeUnit::kMicros;  // kTimestamp
  bool is_adjusted_to_utc = false;    // kTimestamp

  bool operator==(const LogicalType &) const = default;
};

/// parquet.thrift Statistics. min/max bytes are PLAIN-encoded values (strings
/// unprefixed).
struct Statistics {
  std::optional<std::string> max;  // 1: deprecated, signed order
  std::optional<std::string> min;  // 2
  std::optional<int64_t> null_count;
  std::optional<int64_t> distinct_count;
  std::optional<std::string> max_value;  // 5: in the column order
  std::optional<std::string> min_value;  // 6
  std::optional<bool> is_max_value_exact;
  std::optional<bool> is_min_value_exact;

  bool operator==(const Statistics &) const = default;
};

/// parquet.thrift SchemaElement: one node of the flattened schema tree.
struct SchemaElement {
  std::optional<PhysicalType> type;
  std::optional<int32_t> type_length;
  std::optional<Repetition> repetition;
  std::string name;
  std::optional<int32_t> num_children;
  std::optional<ConvertedType> converted_type;
  std::optional<int32_t> scale;
  std::optional<int32_t> precision;
  std::optional<int32_t> field_id;
  LogicalType logical_type;

  bool operator==(const SchemaElement &) const = default;
};

/// parquet.thrift KeyValue.
struct KeyValue {
  std::string key;
  std::optional<std::string> value;

  bool operator==(const KeyValue &) const = default;
};

/// parquet.thrift ColumnMetaData.
struct ColumnMetaData {
  PhysicalType type = PhysicalType::kInt32;
  std::vector<Encoding> encodings;
  std::vector<std::string> path_in_schema;
  Codec codec = Codec::kUncompressed;
  int64_t num_values = 0;
  int64_t total_uncompressed_size = 0;
  int64_t total_compressed_size = 0;
  std::vector<KeyValue> key_value_metadata;
  int64_t data_page_offset = 0;
  std::optional<int64_t> index_page_offset;
  std::optional<int64_t> dictionary_page_offset;
  std::optional<Statistics> statistics;

  bool operator==(const ColumnMetaData &) const = default;
};

/// parquet.thrift ColumnChunk.
struct ColumnChunk {
  std::optional<std::string> file_path;
  int64_t file_offset = 0;
  std::optional<ColumnMetaData> meta_data;

  bool operator==(const ColumnChunk &) const = default;
};

/// parquet.thrift RowGroup.
struct RowGroup {
  std::vector<ColumnChunk> columns;
  int64_t total_byte_size = 0;
  int64_t num_rows = 0;
  std::optional<int64_t> file_offset;
  std::optional<int64_t> total_compressed_size;
  std::optional<int16_t> ordinal;

  bool operator==(const RowGroup &) const = default;
};

/// parquet.thrift ColumnOrder (a union whose only member is TYPE_ORDER).
enum class ColumnOrder : int16_t { kTypeDefined = 1, kUnknown = 0 };

/// parquet.thrift FileMetaData: the footer.
struct FileMetaData {
  int32_t version = 1;
  std::vector<SchemaElement> schema;
  int64_t num_rows = 0;
  std::vector<RowGroup> row_groups;
  std::vector<KeyValue> key_value_metadata;
  std::optional<std::string> created_by;
  std::vector<ColumnOrder> column_orders;

  bool operator==(const FileMetaData &) const = default;
};

/// parquet.thrift DataPageHeader (data pages v1).
struct DataPageHeader {
  int32_t num_values = 0;
  Encoding encoding = Encoding::kPlain;
  Encoding definition_level_encoding = Encoding::kRle;
  Encoding repetition_level_encoding = Encoding::kRle;
  std::optional<Statistics> statistics;

  bool operator==(const DataPageHeader &) const = default;
};

/// parquet.thrift DataPageHeaderV2: the levels lie uncompressed before the
/// (maybe compressed) values, without length prefixes.
struct DataPageHeaderV2 {
  int32_t num_values = 0;
  int32_t num_nulls = 0;
  int32_t num_rows = 0;
  Encoding encoding = Encoding::kPlain;
  int32_t definition_levels_byte_length = 0;
  int32_t repetition_levels_byte_length = 0;
  bool is_compressed = true;  // absent means true
  std::optional<Statistics> statistics;

  bool operator==(const DataPageHeaderV2 &) const = default;
};

/// parquet.thrift DictionaryPageHeader.
struct DictionaryPageHeader {
  int32_t num_values = 0;
  Encoding encoding = Encoding::kPlain;
  std::optional<bool> is_sorted;

  bool operator==(const DictionaryPageHeader &) const = default;
};

/// parquet.thrift PageHeader.
struct PageHeader {
  PageType type = PageType::kDataPage;
  int32_t uncompressed_page_size = 0;
  int32_t compressed_page_size = 0;
  std::optional<int32_t> crc;
  std::optional<DataPageHeader> data_page_header;
  std::optional<DictionaryPageHeader> dictionary_page_header;
  std::optional<DataPageHeaderV2> data_page_header_v2;

  bool operator==(const PageHeader &) const = default;
};

/// Append `metadata` as a compact-protocol struct (the footer, without length
/// and magic).
void write_file_metadata(CompactWriter &writer, const FileMetaData &metadata);
/// Append `header` as a compact-protocol struct.
void write_page_header(CompactWriter &writer, const PageHeader &header);

/// Decode a footer. Throws Corrupt (prefixed by `context`, say "footer of
/// x.parquet") for malformed bytes, a missing required field, or a field of the
/// wrong wire type.
FileMetaData read_file_metadata(std::span<const uint8_t> bytes, const std::string &context);
/// Decode one page header from `reader`; reader.position() afterwards is the
/// header's end. Throws Corrupt as read_file_metadata does, and for negative
/// page sizes or counts.
PageHeader read_page_header(CompactReader &reader);

}  // namespace quilt::parquet
