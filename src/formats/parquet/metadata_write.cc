#include <string_view>

#include "formats/parquet/metadata.h"

namespace quilt::parquet {
namespace {

template <typename E>
int32_t num(E value) {
  return static_cast<int32_t>(value);
}

void opt_i32(CompactWriter &w, int16_t id, const std::optional<int32_t> &value) {
  if (value) w.field_i32(id, *value);
}

void opt_i64(CompactWriter &w, int16_t id, const std::optional<int64_t> &value) {
  if (value) w.field_i64(id, *value);
}

void opt_binary(CompactWriter &w, int16_t id, const std::optional<std::string> &value) {
  if (value) w.field_binary(id, *value);
}

void empty_struct(CompactWriter &w, int16_t id) {
  w.begin_field_struct(id);
  w.end_struct();
}

void write_statistics(CompactWriter &w, int16_t id, const Statistics &s) {
  w.begin_field_struct(id);
  opt_binary(w, 1, s.max);
  opt_binary(w, 2, s.min);
  opt_i64(w, 3, s.null_count);
  opt_i64(w, 4, s.distinct_count);
  opt_binary(w, 5, s.max_value);
  opt_binary(w, 6, s.min_value);
  if (s.is_max_value_exact) w.field_bool(7, *s.is_max_value_exact);
  if (s.is_min_value_exact) w.field_bool(8, *s.is_min_value_exact);
  w.end_struct();
}

void write_logical_type(CompactWriter &w, int16_t id, const LogicalType &t) {
  if (t.kind == LogicalType::Kind::kNone) return;
  w.begin_field_struct(id);
  switch (t.kind) {
    case LogicalType::Kind::kInteger:
      w.begin_field_struct(10);
      w.field_i8(1, t.bit_width);
      w.field_bool(2, t.is_signed);
      w.end_struct();
      break;
    case LogicalType::Kind::kTimestamp:
      w.begin_field_struct(8);
      w.field_bool(1, t.is_adjusted_to_utc);
      w.begin_field_struct(2);
      empty_struct(w, static_cast<int16_t>(t.unit));
      w.end_struct();
      w.end_struct();
      break;
    case LogicalType::Kind::kOther:
      empty_struct(w, t.other_id);
      break;
    default:  // STRING and DATE are empty structs
      empty_struct(w, static_cast<int16_t>(t.kind));
  }
  w.end_struct();
}

void write_key_values(CompactWriter &w, int16_t id, const std::vector<KeyValue> &kvs) {
  if (kvs.empty()) return;
  w.field_list(id, ThriftType::kStruct, static_cast<uint32_t>(kvs.size()));
  for (const KeyValue &kv : kvs) {
    w.begin_struct();
    w.field_binary(1, kv.key);
    opt_binary(w, 2, kv.value);
    w.end_struct();
  }
}

void write_schema_element(CompactWriter &w, const SchemaElement &e) {
  w.begin_struct();
  if (e.type) w.field_i32(1, num(*e.type));
  opt_i32(w, 2, e.type_length);
  if (e.repetition) w.field_i32(3, num(*e.repetition));
  w.field_binary(4, e.name);
  opt_i32(w, 5, e.num_children);
  if (e.converted_type) w.field_i32(6, num(*e.converted_type));
  opt_i32(w, 7, e.scale);
  opt_i32(w, 8, e.precision);
  opt_i32(w, 9, e.field_id);
  write_logical_type(w, 10, e.logical_type);
  w.end_struct();
}

void write_column_metadata(CompactWriter &w, int16_t id, const ColumnMetaData &m) {
  w.begin_field_struct(id);
  w.field_i32(1, num(m.type));
  w.field_list(2, ThriftType::kI32, static_cast<uint32_t>(m.encodings.size()));
  for (Encoding e : m.encodings) w.write_i32(num(e));
  w.field_list(3, ThriftType::kBinary, static_cast<uint32_t>(m.path_in_schema.size()));
  for (const std::string &part : m.path_in_schema) w.write_binary(part);
  w.field_i32(4, num(m.codec));
  w.field_i64(5, m.num_values);
  w.field_i64(6, m.total_uncompressed_size);
  w.field_i64(7, m.total_compressed_size);
  write_key_values(w, 8, m.key_value_metadata);
  w.field_i64(9, m.data_page_offset);
  opt_i64(w, 10, m.index_page_offset);
  opt_i64(w, 11, m.dictionary_page_offset);
  if (m.statistics) write_statistics(w, 12, *m.statistics);
  w.end_struct();
}

void write_row_group(CompactWriter &w, const RowGroup &g) {
  w.begin_struct();
  w.field_list(1, ThriftType::kStruct, static_cast<uint32_t>(g.columns.size()));
  for (const ColumnChunk &c : g.columns) {
    w.begin_struct();
    opt_binary(w, 1, c.file_path);
    w.field_i64(2, c.file_offset);
    if (c.meta_data) write_column_metadata(w, 3, *c.meta_data);
    w.end_struct();
  }
  w.field_i64(2, g.total_byte_size);
  w.field_i64(3, g.num_rows);
  opt_i64(w, 5, g.file_offset);
  opt_i64(w, 6, g.total_compressed_size);
  if (g.ordinal) w.field_i16(7, *g.ordinal);
  w.end_struct();
}

}  // namespace

void write_file_metadata(CompactWriter &w, const FileMetaData &m) {
  w.begin_struct();
  w.field_i32(1, m.version);
  w.field_list(2, ThriftType::kStruct, static_cast<uint32_t>(m.schema.size()));
  for (const SchemaElement &e : m.schema) write_schema_element(w, e);
  w.field_i64(3, m.num_rows);
  w.field_list(4, ThriftType::kStruct, static_cast<uint32_t>(m.row_groups.size()));
  for (const RowGroup &g : m.row_groups) write_row_group(w, g);
  write_key_values(w, 5, m.key_value_metadata);
  opt_binary(w, 6, m.created_by);
  if (!m.column_orders.empty()) {
    w.field_list(7, ThriftType::kStruct, static_cast<uint32_t>(m.column_orders.size()));
    for (ColumnOrder order : m.column_orders) {
      w.begin_struct();
      if (order == ColumnOrder::kTypeDefined) empty_struct(w, 1);
      w.end_struct();
    }
  }
  w.end_struct();
}

void write_page_header(CompactWriter &w, const PageHeader &h) {
  w.begin_struct();
  w.field_i32(1, num(h.type));
  w.field_i32(2, h.uncompressed_page_size);
  w.field_i32(3, h.compressed_page_size);
  opt_i32(w, 4, h.crc);
  if (h.data_page_header) {
    const DataPageHeader &d = *h.data_page_header;
    w.begin_field_struct(5);
    w.field_i32(1, d.num_values);
    w.field_i32(2, num(d.encoding));
    w.field_i32(3, num(d.definition_level_encoding));
    w.field_i32(4, num(d.repetition_level_encoding));
    if (d.statistics) write_statistics(w, 5, *d.statistics);
    w.end_struct();
  }
  if (h.dictionary_page_header) {
    const DictionaryPageHeader &d = *h.dictionary_page_header;
    w.begin_field_struct(7);
    w.field_i32(1, d.num_values);
    w.field_i32(2, num(d.encoding));
    if (d.is_sorted) w.field_bool(3, *d.is_sorted);
    w.end_struct();
  }
  if (h.data_page_header_v2) {
    const DataPageHeaderV2 &d = *h.data_page_header_v2;
    w.begin_field_struct(8);
    w.field_i32(1, d.num_values);
    w.field_i32(2, d.num_nulls);
    w.field_i32(3, d.num_rows);
    w.field_i32(4, num(d.encoding));
    w.field_i32(5, d.definition_levels_byte_length);
    w.field_i32(6, d.repetition_levels_byte_length);
    w.field_bool(7, d.is_compressed);
    if (d.statistics) write_statistics(w, 8, *d.statistics);
    w.end_struct();
  }
  w.end_struct();
}

}  // namespace quilt::parquet
