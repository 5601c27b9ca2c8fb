// read_parquet_info: what a Parquet footer says (schema, row groups, writer), read without
// touching the column chunks.

#include <algorithm>
#include <limits>
#include <string>

#include "formats/parquet/reader.h"
#include "quilt/errors.h"
#include "quilt/parquet.h"

namespace quilt {
namespace {

using parquet::ConvertedType;
using parquet::LogicalType;
using parquet::PhysicalType;
using parquet::SchemaElement;

std::string physical_type_name(const SchemaElement& e) {
  if (e.num_children.value_or(0) > 0 || !e.type) return "group";
  static const char* const kNames[] = {"BOOLEAN", "INT32",  "INT64",      "INT96",
                                       "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
  int id = static_cast<int>(*e.type);
  if (id < 0 || id > 7) return "type #" + std::to_string(id);
  std::string name = kNames[id];
  if (*e.type == PhysicalType::kFixedLenByteArray && e.type_length) {
    name.append("(").append(std::to_string(*e.type_length)).append(")");
  }
  return name;
}

std::string unit_name(parquet::TimeUnit unit) {
  switch (unit) {
    case parquet::TimeUnit::kMillis:
      return "MILLIS";
    case parquet::TimeUnit::kMicros:
      return "MICROS";
    case parquet::TimeUnit::kNanos:
      return "NANOS";
  }
  return "?";
}

// The LogicalType union's members by field id (parquet.thrift), for those we do not model.
std::string other_logical_name(int16_t id) {
  static const char* const kNames[] = {nullptr,   "STRING",  "MAP",     "LIST",     "ENUM",
                                       "DECIMAL", "DATE",    "TIME",    "TIMESTAMP", nullptr,
                                       "INTEGER", "UNKNOWN", "JSON",    "BSON",     "UUID",
                                       "FLOAT16", "VARIANT", "GEOMETRY", "GEOGRAPHY"};
  if (id > 0 && id < static_cast<int16_t>(std::size(kNames)) && kNames[id] != nullptr) {
    return kNames[id];
  }
  return "logical type #" + std::to_string(id);
}

std::string converted_name(const SchemaElement& e) {
  static const char* const kNames[] = {
      "UTF8",         "MAP",     "MAP_KEY_VALUE", "LIST",   "ENUM",   "DECIMAL",
      "DATE",         "TIME_MILLIS", "TIME_MICROS", "TIMESTAMP_MILLIS", "TIMESTAMP_MICROS",
      "UINT_8",       "UINT_16", "UINT_32",       "UINT_64", "INT_8",  "INT_16",
      "INT_32",       "INT_64",  "JSON",          "BSON",   "INTERVAL"};
  int id = static_cast<int>(*e.converted_type);
  if (id < 0 || id >= static_cast<int>(std::size(kNames))) {
    return "converted type #" + std::to_string(id);
  }
  std::string name = kNames[id];
  if (*e.converted_type == ConvertedType::kDecimal) {
    // Appended piece by piece: "(" + std::to_string(..) trips GCC 12's -Wrestrict.
    name.append("(").append(std::to_string(e.precision.value_or(0)));
    name.append(",").append(std::to_string(e.scale.value_or(0))).append(")");
  }
  return name;
}

std::string logical_type_name(const SchemaElement& e) {
  const LogicalType& t = e.logical_type;
  switch (t.kind) {
    case LogicalType::Kind::kString:
      return "STRING";
    case LogicalType::Kind::kDate:
      return "DATE";
    case LogicalType::Kind::kTimestamp:
      return "TIMESTAMP(" + unit_name(t.unit) + (t.is_adjusted_to_utc ? ",UTC)" : ",local)");
    case LogicalType::Kind::kInteger:
      return "INT(" + std::to_string(t.bit_width) + (t.is_signed ? ",signed)" : ",unsigned)");
    case LogicalType::Kind::kOther: {
      std::string name = other_logical_name(t.other_id);
      // DECIMAL's precision and scale are mirrored in the element (we skip the union's copy).
      if (t.other_id == 5 && e.precision) {
        name.append("(").append(std::to_string(*e.precision)).append(",");
        name.append(std::to_string(e.scale.value_or(0))).append(")");
      }
      return name;
    }
    case LogicalType::Kind::kNone:
      break;
  }
  return e.converted_type ? converted_name(e) : "";
}

std::string codec_text(parquet::Codec codec) {
  static const char* const kNames[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                       "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};
  int id = static_cast<int>(codec);
  if (id < 0 || id >= static_cast<int>(std::size(kNames))) return "codec #" + std::to_string(id);
  return kNames[id];
}

ParquetRowGroupInfo describe_row_group(const parquet::RowGroup& rg, uint64_t data_end,
                                       const std::string& where) {
  ParquetRowGroupInfo info;
  info.num_rows = rg.num_rows;
  if (rg.num_rows < 0) throw Corrupt(where + ": negative row count");
  info.first_byte = std::numeric_limits<uint64_t>::max();
  for (const parquet::ColumnChunk& chunk : rg.columns) {
    if (!chunk.meta_data) throw Corrupt(where + ": a column chunk has no metadata");
    const parquet::ColumnMetaData& m = *chunk.meta_data;
    info.compressed_bytes += m.total_compressed_size;
    info.uncompressed_bytes += m.total_uncompressed_size;
    std::string codec = codec_text(m.codec);
    if (std::find(info.codecs.begin(), info.codecs.end(), codec) == info.codecs.end()) {
      info.codecs.push_back(codec);
    }
    int64_t start = m.data_page_offset;
    if (m.dictionary_page_offset && *m.dictionary_page_offset > 0 &&
        *m.dictionary_page_offset < start) {
      start = *m.dictionary_page_offset;
    }
    if (start < 4 || m.total_compressed_size < 0 || static_cast<uint64_t>(start) > data_end ||
        static_cast<uint64_t>(m.total_compressed_size) > data_end - static_cast<uint64_t>(start)) {
      throw Corrupt(where + ": a column chunk at " + std::to_string(start) + " of " +
                    std::to_string(m.total_compressed_size) +
                    " bytes is not within the file's data (which ends at " +
                    std::to_string(data_end) + ")");
    }
    info.first_byte = std::min(info.first_byte, static_cast<uint64_t>(start));
    info.end_byte = std::max(info.end_byte, static_cast<uint64_t>(start + m.total_compressed_size));
  }
  if (rg.columns.empty()) info.first_byte = 0;
  return info;
}

ParquetFileInfo describe(const parquet::Input& in, const std::string& source) {
  parquet::Footer footer = parquet::read_footer(in, source);
  const parquet::FileMetaData& m = footer.metadata;
  ParquetFileInfo info;
  info.num_rows = m.num_rows;
  info.created_by = m.created_by;
  info.format_version = m.version;
  info.file_size = in.size();
  std::string pandas;
  for (const parquet::KeyValue& kv : m.key_value_metadata) {
    info.metadata_keys.push_back(kv.key);
    if (kv.key == "pandas" && kv.value) pandas = *kv.value;
  }
  for (parquet::ColumnDescription& d : parquet::describe_columns(m, pandas, source)) {
    const SchemaElement& e = m.schema[d.element];
    ParquetColumnInfo& column = info.columns.emplace_back();
    column.name = e.name;
    column.nullable = e.repetition.value_or(parquet::Repetition::kOptional) !=
                      parquet::Repetition::kRequired;
    column.physical_type = physical_type_name(e);
    column.logical_type = logical_type_name(e);
    if (d.plan) {
      column.type = d.plan->type;
    } else {
      column.unsupported = std::move(d.unsupported);
    }
  }
  int64_t total = 0;
  for (size_t g = 0; g < m.row_groups.size(); ++g) {
    std::string where = source + ": row group " + std::to_string(g);
    info.row_groups.push_back(describe_row_group(m.row_groups[g], footer.data_end, where));
    if (m.row_groups[g].num_rows > std::numeric_limits<int64_t>::max() - total) {
      throw Corrupt(where + ": the row counts overflow");
    }
    total += m.row_groups[g].num_rows;
  }
  // A file without columns keeps its rows in the footer only (see read_parquet).
  if (!m.row_groups.empty() && total != m.num_rows) {
    throw Corrupt(source + ": the footer gives " + std::to_string(m.num_rows) +
                  " rows, its row groups hold " + std::to_string(total));
  }
  return info;
}

}  // namespace

ParquetFileInfo read_parquet_info_file(const std::string& path) {
  std::unique_ptr<parquet::Input> in = parquet::open_file_input(path);
  return describe(*in, path);
}

ParquetFileInfo read_parquet_info(const ParquetByteSource& source) {
  std::unique_ptr<parquet::Input> in = parquet::make_source_input(source);
  return describe(*in, source.name);
}

}  // namespace quilt
