#include <string>

#include "formats/parquet/metadata.h"

namespace quilt::parquet {
namespace {

// Fields are checked against the type parquet.thrift gives them: a mismatch
// means the bytes are not a Parquet struct, and guessing would misread
// everything after.

int32_t get_i32(CompactReader &r, const FieldHeader &f, const char *owner) {
  if (f.type != ThriftType::kI32) r.fail_type(f, owner);
  return r.read_i32();
}

int64_t get_i64(CompactReader &r, const FieldHeader &f, const char *owner) {
  if (f.type != ThriftType::kI64) r.fail_type(f, owner);
  return r.read_i64();
}

std::string get_string(CompactReader &r, const FieldHeader &f, const char *owner) {
  if (f.type != ThriftType::kBinary) r.fail_type(f, owner);
  return r.read_string();
}

bool get_bool(CompactReader &r, const FieldHeader &f, const char *owner) {
  if (f.type != ThriftType::kBoolTrue) r.fail_type(f, owner);
  return f.bool_value;
}

template <typename E>
E get_enum(CompactReader &r, const FieldHeader &f, const char *owner) {
  return static_cast<E>(get_i32(r, f, owner));
}

ListHeader get_list(CompactReader &r, const FieldHeader &f, ThriftType element, const char *owner) {
  if (f.type != ThriftType::kList) r.fail_type(f, owner);
  ListHeader list = r.read_list_header();
  if (list.size > 0 && list.element != element) {
    r.fail(std::string(owner) + " field " + std::to_string(f.id) + " is a list of wire type " +
           std::to_string(static_cast<int>(list.element)));
  }
  return list;
}

// Read the struct whose header was just read (or a list element), calling
// on_field per field.
template <typename F>
void read_struct(CompactReader &r, F &&on_field) {
  r.begin_struct();
  while (std::optional<FieldHeader> f = r.next_field()) on_field(*f);
  r.end_struct();
}

template <typename F>
void read_field_struct(CompactReader &r, const FieldHeader &f, const char *owner, F &&on_field) {
  if (f.type != ThriftType::kStruct) r.fail_type(f, owner);
  read_struct(r, on_field);
}

// Tracks which required fields a struct held (ids below 32).
class Required {
 public:
  Required(CompactReader &r, const char *owner) : r_(r), owner_(owner) {}
  void saw(int16_t id) {
    if (id > 0 && id < 32) seen_ |= uint32_t{1} << id;
  }
  void need(int16_t id, const char *name) const {
    if ((seen_ & (uint32_t{1} << id)) == 0) {
      r_.fail(std::string(owner_) + " is missing required field '" + name + "'");
    }
  }

 private:
  CompactReader &r_;
  const char *owner_;
  uint32_t seen_ = 0;
};

Statistics read_statistics(CompactReader &r, const FieldHeader &header) {
  Statistics s;
  const char *o = "Statistics";
  read_field_struct(r, header, o, [&](const FieldHeader &f) {
    switch (f.id) {
      case 1:
        s.max = get_string(r, f, o);
        break;
      case 2:
        s.min = get_string(r, f, o);
        break;
      case 3:
        s.null_count = get_i64(r, f, o);
        break;
      case 4:
        s.distinct_count = get_i64(r, f, o);
        break;
      case 5:
        s.max_value = get_string(r, f, o);
        break;
      case 6:
        s.min_value = get_string(r, f, o);
        break;
      case 7:
        s.is_max_value_exact = get_bool(r, f, o);
        break;
      case 8:
        s.is_min_value_exact = get_bool(r, f, o);
        break;
      default:
        r.skip(f);
    }
  });
  return s;
}

TimeUnit read_time_unit(CompactReader &r, const FieldHeader &header) {
  std::optional<TimeUnit> unit;
  read_field_struct(r, header, "TimeUnit", [&](const FieldHeader &f) {
    if (f.id >= 1 && f.id <= 3 && f.type == ThriftType::kStruct) unit = static_cast<TimeUnit>(f.id);
    r.skip(f);
  });
  if (!unit) r.fail("TimeUnit has no known unit");
  return *unit;
}

void read_logical_member(CompactReader &r, const FieldHeader &f, LogicalType &t) {
  const char *o = "LogicalType";
  Required required(r, "IntType");
  switch (f.id) {
    case 10:
      t.kind = LogicalType::Kind::kInteger;
      read_field_struct(r, f, o, [&](const FieldHeader &g) {
        required.saw(g.id);
        if (g.id == 1 && g.type == ThriftType::kByte) {
          t.bit_width = r.read_i8();
        } else if (g.id == 2) {
          t.is_signed = get_bool(r, g, "IntType");
        } else {
          r.skip(g);
        }
      });
      required.need(1, "bitWidth");
      required.need(2, "isSigned");
      return;
    case 8:
      t.kind = LogicalType::Kind::kTimestamp;
      read_field_struct(r, f, o, [&](const FieldHeader &g) {
        if (g.id == 1) {
          t.is_adjusted_to_utc = get_bool(r, g, "TimestampType");
        } else if (g.id == 2) {
          t.unit = read_time_unit(r, g);
        } else {
          r.skip(g);
        }
      });
      return;
    case 1:
    case 6:
      t.kind = static_cast<LogicalType::Kind>(f.id);
      break;
    default:
      t.kind = LogicalType::Kind::kOther;
      t.other_id = f.id;
  }
  r.skip(f);
}

LogicalType read_logical_type(CompactReader &r, const FieldHeader &header) {
  LogicalType t;
  read_field_struct(r, header, "SchemaElement", [&](const FieldHeader &f) {
    if (f.type != ThriftType::kStruct) r.fail_type(f, "LogicalType");
    read_logical_member(r, f, t);
  });
  return t;
}

SchemaElement read_schema_element(CompactReader &r) {
  SchemaElement e;
  const char *o = "SchemaElement";
  Required required(r, o);
  read_struct(r, [&](const FieldHeader &f) {
    required.saw(f.id);
    switch (f.id) {
      case 1:
        e.type = get_enum<PhysicalType>(r, f, o);
        break;
      case 2:
        e.type_length = get_i32(r, f, o);
        break;
      case 3:
        e.repetition = get_enum<Repetition>(r, f, o);
        break;
      case 4:
        e.name = get_string(r, f, o);
        break;
      case 5:
        e.num_children = get_i32(r, f, o);
        break;
      case 6:
        e.converted_type = get_enum<ConvertedType>(r, f, o);
        break;
      case 7:
        e.scale = get_i32(r, f, o);
        break;
      case 8:
        e.precision = get_i32(r, f, o);
        break;
      case 9:
        e.field_id = get_i32(r, f, o);
        break;
      case 10:
        e.logical_type = read_logical_type(r, f);
        break;
      default:
        r.skip(f);
    }
  });
  required.need(4, "name");
  if (e.type && (static_cast<int32_t>(*e.type) < 0 || static_cast<int32_t>(*e.type) > 7)) {
    r.fail("SchemaElement '" + e.name + "' has unknown physical type " +
           std::to_string(static_cast<int32_t>(*e.type)));
  }
  return e;
}

std::vector<KeyValue> read_key_values(CompactReader &r, const FieldHeader &f, const char *owner) {
  ListHeader list = get_list(r, f, ThriftType::kStruct, owner);
  std::vector<KeyValue> kvs(list.size);
  for (KeyValue &kv : kvs) {
    Required required(r, "KeyValue");
    read_struct(r, [&](const FieldHeader &g) {
      required.saw(g.id);
      if (g.id == 1) {
        kv.key = get_string(r, g, "KeyValue");
      } else if (g.id == 2) {
        kv.value = get_string(r, g, "KeyValue");
      } else {
        r.skip(g);
      }
    });
    required.need(1, "key");
  }
  return kvs;
}

void read_encodings(CompactReader &r, const FieldHeader &f, ColumnMetaData &m) {
  ListHeader list = get_list(r, f, ThriftType::kI32, "ColumnMetaData");
  m.encodings.resize(list.size);
  for (Encoding &e : m.encodings) e = static_cast<Encoding>(r.read_i32());
}

void read_path(CompactReader &r, const FieldHeader &f, ColumnMetaData &m) {
  ListHeader list = get_list(r, f, ThriftType::kBinary, "ColumnMetaData");
  m.path_in_schema.resize(list.size);
  for (std::string &part : m.path_in_schema) part = r.read_string();
}

ColumnMetaData read_column_metadata(CompactReader &r, const FieldHeader &header) {
  ColumnMetaData m;
  const char *o = "ColumnMetaData";
  Required required(r, o);
  read_field_struct(r, header, "ColumnChunk", [&](const FieldHeader &f) {
    required.saw(f.id);
    switch (f.id) {
      case 1:
        m.type = get_enum<PhysicalType>(r, f, o);
        break;
      case 2:
        read_encodings(r, f, m);
        break;
      case 3:
        read_path(r, f, m);
        break;
      case 4:
        m.codec = get_enum<Codec>(r, f, o);
        break;
      case 5:
        m.num_values = get_i64(r, f, o);
        break;
      case 6:
        m.total_uncompressed_size = get_i64(r, f, o);
        break;
      case 7:
        m.total_compressed_size = get_i64(r, f, o);
        break;
      case 8:
        m.key_value_metadata = read_key_values(r, f, o);
        break;
      case 9:
        m.data_page_offset = get_i64(r, f, o);
        break;
      case 10:
        m.index_page_offset = get_i64(r, f, o);
        break;
      case 11:
        m.dictionary_page_offset = get_i64(r, f, o);
        break;
      case 12:
        m.statistics = read_statistics(r, f);
        break;
      default:
        r.skip(f);
    }
  });
  static const char *const kNames[] = {"",
                                       "type",
                                       "encodings",
                                       "path_in_schema",
                                       "codec",
                                       "num_values",
                                       "total_uncompressed_size",
                                       "total_compressed_size"};
  for (int16_t id = 1; id <= 7; ++id) required.need(id, kNames[id]);
  required.need(9, "data_page_offset");
  return m;
}

ColumnChunk read_column_chunk(CompactReader &r) {
  ColumnChunk c;
  const char *o = "ColumnChunk";
  Required required(r, o);
  read_struct(r, [&](const FieldHeader &f) {
    required.saw(f.id);
    switch (f.id) {
      case 1:
        c.file_path = get_string(r, f, o);
        break;
      case 2:
        c.file_offset = get_i64(r, f, o);
        break;
      case 3:
        c.meta_data = read_column_metadata(r, f);
        break;
      default:
        r.skip(f);
    }
  });
  required.need(2, "file_offset");
  return c;
}

RowGroup read_row_group(CompactReader &r) {
  RowGroup g;
  const char *o = "RowGroup";
  Required required(r, o);
  read_struct(r, [&](const FieldHeader &f) {
    required.saw(f.id);
    switch (f.id) {
      case 1: {
        ListHeader list = get_list(r, f, ThriftType::kStruct, o);
        g.columns.reserve(list.size);
        for (uint32_t i = 0; i < list.size; ++i) g.columns.push_back(read_column_chunk(r));
        break;
      }
      case 2:
        g.total_byte_size = get_i64(r, f, o);
        break;
      case 3:
        g.num_rows = get_i64(r, f, o);
        break;
      case 5:
        g.file_offset = get_i64(r, f, o);
        break;
      case 6:
        g.total_compressed_size = get_i64(r, f, o);
        break;
      case 7:
        if (f.type != ThriftType::kI16) r.fail_type(f, o);
        g.ordinal = r.read_i16();
        break;
      default:
        r.skip(f);
    }
  });
  required.need(1, "columns");
  required.need(2, "total_byte_size");
  required.need(3, "num_rows");
  return g;
}

std::vector<ColumnOrder> read_column_orders(CompactReader &r, const FieldHeader &f) {
  ListHeader list = get_list(r, f, ThriftType::kStruct, "FileMetaData");
  std::vector<ColumnOrder> orders(list.size, ColumnOrder::kUnknown);
  for (ColumnOrder &order : orders) {
    read_struct(r, [&](const FieldHeader &g) {
      if (g.id == 1 && g.type == ThriftType::kStruct) order = ColumnOrder::kTypeDefined;
      r.skip(g);
    });
  }
  return orders;
}

void read_file_field(CompactReader &r, const FieldHeader &f, FileMetaData &m) {
  const char *o = "FileMetaData";
  switch (f.id) {
    case 1:
      m.version = get_i32(r, f, o);
      return;
    case 2: {
      ListHeader list = get_list(r, f, ThriftType::kStruct, o);
      m.schema.reserve(list.size);
      for (uint32_t i = 0; i < list.size; ++i) m.schema.push_back(read_schema_element(r));
      return;
    }
    case 3:
      m.num_rows = get_i64(r, f, o);
      return;
    case 4: {
      ListHeader list = get_list(r, f, ThriftType::kStruct, o);
      m.row_groups.reserve(list.size);
      for (uint32_t i = 0; i < list.size; ++i) m.row_groups.push_back(read_row_group(r));
      return;
    }
    case 5:
      m.key_value_metadata = read_key_values(r, f, o);
      return;
    case 6:
      m.created_by = get_string(r, f, o);
      return;
    case 7:
      m.column_orders = read_column_orders(r, f);
      return;
    default:
      r.skip(f);
  }
}

}  // namespace

FileMetaData read_file_metadata(std::span<const uint8_t> bytes, const std::string &context) {
  CompactReader r(bytes, context);
  FileMetaData m;
  Required required(r, "FileMetaData");
  read_struct(r, [&](const FieldHeader &f) {
    required.saw(f.id);
    read_file_field(r, f, m);
  });
  required.need(1, "version");
  required.need(2, "schema");
  required.need(3, "num_rows");
  required.need(4, "row_groups");
  return m;
}

namespace {

DataPageHeader read_data_page_header(CompactReader &r, const FieldHeader &header) {
  DataPageHeader d;
  const char *o = "DataPageHeader";
  Required required(r, o);
  read_field_struct(r, header, "PageHeader", [&](const FieldHeader &f) {
    required.saw(f.id);
    switch (f.id) {
      case 1:
        d.num_values = get_i32(r, f, o);
        break;
      case 2:
        d.encoding = get_enum<Encoding>(r, f, o);
        break;
      case 3:
        d.definition_level_encoding = get_enum<Encoding>(r, f, o);
        break;
      case 4:
        d.repetition_level_encoding = get_enum<Encoding>(r, f, o);
        break;
      case 5:
        d.statistics = read_statistics(r, f);
        break;
      default:
        r.skip(f);
    }
  });
  required.need(1, "num_values");
  required.need(2, "encoding");
  required.need(3, "definition_level_encoding");
  required.need(4, "repetition_level_encoding");
  if (d.num_values < 0) r.fail("DataPageHeader has negative num_values");
  return d;
}

DictionaryPageHeader read_dictionary_page_header(CompactReader &r, const FieldHeader &header) {
  DictionaryPageHeader d;
  const char *o = "DictionaryPageHeader";
  Required required(r, o);
  read_field_struct(r, header, "PageHeader", [&](const FieldHeader &f) {
    required.saw(f.id);
    switch (f.id) {
      case 1:
        d.num_values = get_i32(r, f, o);
        break;
      case 2:
        d.encoding = get_enum<Encoding>(r, f, o);
        break;
      case 3:
        d.is_sorted = get_bool(r, f, o);
        break;
      default:
        r.skip(f);
    }
  });
  required.need(1, "num_values");
  required.need(2, "encoding");
  if (d.num_values < 0) r.fail("DictionaryPageHeader has negative num_values");
  return d;
}

DataPageHeaderV2 read_data_page_header_v2(CompactReader &r, const FieldHeader &header) {
  DataPageHeaderV2 d;
  const char *o = "DataPageHeaderV2";
  Required required(r, o);
  read_field_struct(r, header, "PageHeader", [&](const FieldHeader &f) {
    required.saw(f.id);
    switch (f.id) {
      case 1:
        d.num_values = get_i32(r, f, o);
        break;
      case 2:
        d.num_nulls = get_i32(r, f, o);
        break;
      case 3:
        d.num_rows = get_i32(r, f, o);
        break;
      case 4:
        d.encoding = get_enum<Encoding>(r, f, o);
        break;
      case 5:
        d.definition_levels_byte_length = get_i32(r, f, o);
        break;
      case 6:
        d.repetition_levels_byte_length = get_i32(r, f, o);
        break;
      case 7:
        d.is_compressed = get_bool(r, f, o);
        break;
      case 8:
        d.statistics = read_statistics(r, f);
        break;
      default:
        r.skip(f);
    }
  });
  static const char *const kNames[] = {"",
                                       "num_values",
                                       "num_nulls",
                                       "num_rows",
                                       "encoding",
                                       "definition_levels_byte_length",
                                       "repetition_levels_byte_length"};
  for (int16_t id = 1; id <= 6; ++id) required.need(id, kNames[id]);
  if (d.num_values < 0 || d.num_nulls < 0 || d.num_rows < 0 ||
      d.definition_levels_byte_length < 0 || d.repetition_levels_byte_length < 0) {
    r.fail("DataPageHeaderV2 has a negative count or length");
  }
  return d;
}

}  // namespace

PageHeader read_page_header(CompactReader &r) {
  PageHeader h;
  const char *o = "PageHeader";
  Required required(r, o);
  read_struct(r, [&](const FieldHeader &f) {
    required.saw(f.id);
    switch (f.id) {
      case 1:
        h.type = get_enum<PageType>(r, f, o);
        break;
      case 2:
        h.uncompressed_page_size = get_i32(r, f, o);
        break;
      case 3:
        h.compressed_page_size = get_i32(r, f, o);
        break;
      case 4:
        h.crc = get_i32(r, f, o);
        break;
      case 5:
        h.data_page_header = read_data_page_header(r, f);
        break;
      case 7:
        h.dictionary_page_header = read_dictionary_page_header(r, f);
        break;
      case 8:
        h.data_page_header_v2 = read_data_page_header_v2(r, f);
        break;
      default:
        r.skip(f);
    }
  });
  required.need(1, "type");
  required.need(2, "uncompressed_page_size");
  required.need(3, "compressed_page_size");
  if (h.uncompressed_page_size < 0 || h.compressed_page_size < 0) {
    r.fail("PageHeader has a negative page size");
  }
  return h;
}

}  // namespace quilt::parquet
