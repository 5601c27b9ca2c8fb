// Import of Table and Column from the Arrow C Data Interface. The consumer
// moves the producer's structs into a heap block whose destructor calls the
// producer's release; every imported Buffer holds that block as its owner, so
// release runs once, after the last view of the producer's memory is gone.
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/utf8.h"
#include "quilt/arrow_c.h"
#include "quilt/errors.h"

namespace quilt {
namespace {

// A moved-in ArrowArray: released exactly once, when the last Buffer viewing it dies.
struct MovedArray {
  ArrowArray array{};
  MovedArray() = default;
  MovedArray(const MovedArray&) = delete;
  MovedArray& operator=(const MovedArray&) = delete;
  ~MovedArray() {
    if (array.release != nullptr) array.release(&array);
  }
};

// A moved-in ArrowSchema, released when import returns or throws.
struct MovedSchema {
  ArrowSchema schema{};
  MovedSchema() = default;
  MovedSchema(const MovedSchema&) = delete;
  MovedSchema& operator=(const MovedSchema&) = delete;
  ~MovedSchema() {
    if (schema.release != nullptr) schema.release(&schema);
  }
};

// Where in the input a problem is, for messages: "field 'x' (format 'd:10,2')".
std::string where(const ArrowSchema& s, const std::string& name) {
  std::string format = s.format != nullptr ? s.format : "(null)";
  return "Arrow C import: field '" + escape_for_message(name) + "' (format '" +
         escape_for_message(format) + "'): ";
}

[[noreturn]] void fail(const ArrowSchema& s, const std::string& name, const std::string& what) {
  throw InvalidArgument(where(s, name) + what);
}

// The same for the top-level struct, whose name is usually empty.
[[noreturn]] void fail_batch(const ArrowSchema& s, const std::string& what) {
  std::string format = s.format != nullptr ? s.format : "(null)";
  throw InvalidArgument("Arrow C import: the record batch (format '" + escape_for_message(format) +
                        "'): " + what);
}

// Name a format Table cannot hold, for the error message.
std::string unsupported_kind(std::string_view f) {
  struct Prefix {
    std::string_view prefix;
    std::string_view kind;
  };
  static constexpr Prefix kKinds[] = {
      {"n", "the null type"},
      {"e", "float16"},
      {"d:", "decimal"},
      {"w:", "fixed-size binary"},
      {"vu", "utf8 view"},
      {"vz", "binary view"},
      {"tdm", "date64"},
      {"tt", "time of day"},
      {"tD", "duration"},
      {"ti", "interval"},
      {"+s", "a nested struct"},
      {"+l", "list"},
      {"+L", "large list"},
      {"+vl", "list view"},
      {"+vL", "large list view"},
      {"+w:", "fixed-size list"},
      {"+m", "map"},
      {"+u", "union"},
      {"+r", "run-end encoding"},
  };
  for (const Prefix& k : kKinds) {
    if (f.starts_with(k.prefix)) return std::string(k.kind) + " is not supported by quilt::Table";
  }
  return "unknown format string";
}

// The type a format string names, plus whether its offsets are 64-bit.
struct ImportType {
  DataType type;
  bool large_offsets = false;
};

std::optional<DataType> simple_type(std::string_view f) {
  if (f == "b") return DataType::boolean();
  if (f == "c") return DataType::int8();
  if (f == "s") return DataType::int16();
  if (f == "i") return DataType::int32();
  if (f == "l") return DataType::int64();
  if (f == "C") return DataType::uint8();
  if (f == "S") return DataType::uint16();
  if (f == "I") return DataType::uint32();
  if (f == "L") return DataType::uint64();
  if (f == "f") return DataType::float32();
  if (f == "g") return DataType::float64();
  if (f == "u" || f == "U") return DataType::string();
  if (f == "z" || f == "Z") return DataType::binary();
  if (f == "tdD") return DataType::date32();
  if (f.size() >= 4 && f.starts_with("ts") && f[3] == ':') {
    const std::string zone(f.substr(4));
    switch (f[2]) {
      case 's':
        return DataType::timestamp(TimeUnit::kSecond, zone);
      case 'm':
        return DataType::timestamp(TimeUnit::kMilli, zone);
      case 'u':
        return DataType::timestamp(TimeUnit::kMicro, zone);
      case 'n':
        return DataType::timestamp(TimeUnit::kNano, zone);
      default:
        break;
    }
  }
  return std::nullopt;
}

ImportType parse_type(const ArrowSchema& s, const std::string& name) {
  if (s.format == nullptr) fail(s, name, "the schema has no format string");
  const std::string_view f = s.format;
  std::optional<DataType> t = simple_type(f);
  if (!t) fail(s, name, unsupported_kind(f));
  if (s.n_children != 0) {
    fail(s, name, "has " + std::to_string(s.n_children) + " children; a column type has none");
  }
  return {*t, f == "U" || f == "Z"};
}

KeyValueMetadata parse_metadata(const char* p) {
  KeyValueMetadata out;
  if (p == nullptr) return out;
  auto next_int = [&p]() {
    int32_t v;
    std::memcpy(&v, p, 4);
    p += 4;
    if (v < 0) throw InvalidArgument("Arrow C import: negative length in schema metadata");
    return v;
  };
  const int32_t n = next_int();
  for (int32_t i = 0; i < n; ++i) {
    const int32_t key_size = next_int();
    std::string key(p, static_cast<size_t>(key_size));
    p += key_size;
    const int32_t value_size = next_int();
    out.emplace_back(std::move(key), std::string(p, static_cast<size_t>(value_size)));
    p += value_size;
  }
  return out;
}

// Read-only context of one column's import.
struct Source {
  const ArrowSchema& schema;
  const ArrowArray& array;
  const std::string& name;
  const std::shared_ptr<const void>& owner;
};

const void* buffer_at(const Source& s, int i) { return s.array.buffers[i]; }

Buffer required_buffer(const Source& s, int i, const char* role, size_t size) {
  const void* p = buffer_at(s, i);
  if (p == nullptr && size > 0) {
    fail(s.schema, s.name,
         "buffer " + std::to_string(i) + " (" + role + ") is null but " + std::to_string(size) +
             " bytes are needed");
  }
  if (p == nullptr) return Buffer();
  return Buffer(p, size, s.owner);
}

// 64-bit offsets become 32-bit ones rebased to the first value, so the data
// bytes stay shared; slots before the array's offset get offset 0.
void narrow_offsets(const Source& s, ColumnBuffers& b, int64_t end) {
  const auto* wide = static_cast<const int64_t*>(buffer_at(s, 1));
  const int64_t first = wide[s.array.offset];
  const int64_t last = wide[end];
  if (first < 0 || last < first || last - first > std::numeric_limits<int32_t>::max()) {
    fail(s.schema, s.name,
         "64-bit offsets [" + std::to_string(first) + ", " + std::to_string(last) +
             "] do not fit the 32-bit offsets of quilt::Table");
  }
  std::vector<int32_t> narrow(static_cast<size_t>(end + 1), 0);
  for (int64_t i = s.array.offset; i <= end; ++i) {
    const int64_t v = wide[i] - first;
    if (v < 0 || v > last - first) fail(s.schema, s.name, "offsets are not monotonic");
    narrow[static_cast<size_t>(i)] = static_cast<int32_t>(v);
  }
  b.values = Buffer::from_vector(std::move(narrow));
  const auto* data = static_cast<const uint8_t*>(buffer_at(s, 2));
  if (data == nullptr && last > first) fail(s.schema, s.name, "buffer 2 (data) is null");
  b.data =
      data == nullptr ? Buffer() : Buffer(data + first, static_cast<size_t>(last - first), s.owner);
}

void string_buffers(const Source& s, bool large, ColumnBuffers& b) {
  const int64_t end = s.array.offset + s.array.length;
  if (buffer_at(s, 1) == nullptr) {
    // Only an empty array may omit its offsets.
    if (s.array.length != 0) fail(s.schema, s.name, "buffer 1 (offsets) is null");
    b.offset = 0;
    return;
  }
  if (large) return narrow_offsets(s, b, end);
  b.values = Buffer(buffer_at(s, 1), static_cast<size_t>(end + 1) * 4, s.owner);
  int32_t last;
  std::memcpy(&last, static_cast<const uint8_t*>(buffer_at(s, 1)) + end * 4, 4);
  b.data = required_buffer(s, 2, "data", last < 0 ? 0 : static_cast<size_t>(last));
}

// Check the array's header against what the type needs.
void check_array(const Source& s, int64_t n_buffers) {
  const ArrowArray& a = s.array;
  if (s.schema.release == nullptr) fail(s.schema, s.name, "the schema is released");
  if (a.release == nullptr) fail(s.schema, s.name, "the array is released");
  if (s.schema.dictionary == nullptr && a.dictionary != nullptr) {
    fail(s.schema, s.name, "the array has a dictionary, the schema none");
  }
  if (a.n_buffers != n_buffers) {
    fail(s.schema, s.name,
         "n_buffers is " + std::to_string(a.n_buffers) + ", the format needs " +
             std::to_string(n_buffers));
  }
  if (a.buffers == nullptr) fail(s.schema, s.name, "the buffers pointer is null");
  if (a.n_children != 0) {
    fail(s.schema, s.name, "the array has " + std::to_string(a.n_children) + " children");
  }
  if (a.length < 0 || a.offset < 0 || a.null_count < -1) {
    fail(s.schema, s.name, "negative length, offset or null_count");
  }
  // Sizes below are computed as (offset + length) * 8 at most: keep that in range.
  if (a.length > std::numeric_limits<int64_t>::max() / 16 - a.offset) {
    fail(s.schema, s.name, "length + offset is too large");
  }
  if (buffer_at(s, 0) == nullptr && a.null_count > 0) {
    fail(s.schema, s.name,
         "null_count is " + std::to_string(a.null_count) + " but there is no validity buffer");
  }
}

Column import_column(const Source& s);

// A dictionary-encoded array: indices here, values in the dictionary member.
Column import_dictionary_column(const Source& s, const DataType& index, ColumnBuffers b) {
  if (!index.is_integer()) fail(s.schema, s.name, "dictionary indices must be integers");
  if (s.array.dictionary == nullptr) fail(s.schema, s.name, "the array has no dictionary");
  if (s.schema.dictionary->dictionary != nullptr) {
    fail(s.schema, s.name, "a dictionary of dictionaries is not supported by quilt::Table");
  }
  const std::string dictionary_name = s.name + " (dictionary)";
  Source inner{*s.schema.dictionary, *s.array.dictionary, dictionary_name, s.owner};
  if (inner.array.release == nullptr) fail(s.schema, s.name, "the dictionary array is released");
  Column values = import_column(inner).rename("");
  const bool ordered = (s.schema.flags & ARROW_FLAG_DICTIONARY_ORDERED) != 0;
  DataType type = DataType::dictionary(index, values.type(), ordered);
  b.dictionary = std::make_shared<const Column>(std::move(values));
  return Column::make(s.name, std::move(type), s.array.length, std::move(b));
}

Column import_column(const Source& s) {
  ImportType t = parse_type(s.schema, s.name);
  check_array(s, t.type.is_binary_like() ? 3 : 2);
  const ArrowArray& a = s.array;
  const int64_t end = a.offset + a.length;
  ColumnBuffers b;
  b.offset = a.offset;
  b.null_count = a.null_count;
  if (buffer_at(s, 0) != nullptr) b.validity = Buffer(buffer_at(s, 0), (end + 7) / 8, s.owner);
  try {
    if (t.type.is_binary_like()) {
      string_buffers(s, t.large_offsets, b);
    } else {
      const int width = t.type.bit_width();
      const int64_t bytes = width == 1 ? (end + 7) / 8 : end * (width / 8);
      b.values = required_buffer(s, 1, "values", static_cast<size_t>(bytes));
    }
    if (s.schema.dictionary != nullptr) return import_dictionary_column(s, t.type, std::move(b));
    return Column::make(s.name, t.type, a.length, std::move(b));
  } catch (const InvalidArgument& e) {
    // Column::make names the column; add the format. Our own messages already have both.
    const std::string message = e.what();
    if (message.starts_with("Arrow C import")) throw;
    fail(s.schema, s.name, message);
  }
}

// Take both structs (nulling the caller's release), then check that neither
// had been released already.
void move_in(ArrowSchema* schema, ArrowArray* array, MovedSchema& ms, MovedArray& ma) {
  if (schema != nullptr) {
    ms.schema = *schema;
    schema->release = nullptr;
  }
  if (array != nullptr) {
    ma.array = *array;
    array->release = nullptr;
  }
  if (schema == nullptr || array == nullptr) {
    throw InvalidArgument("Arrow C import: the ArrowSchema or ArrowArray pointer is null");
  }
  if (ms.schema.release == nullptr) throw InvalidArgument("Arrow C import: the schema is released");
  if (ma.array.release == nullptr) throw InvalidArgument("Arrow C import: the array is released");
}

// The struct's own rows: Table has no null rows, so any is an error.
void check_struct(const ArrowSchema& s, const ArrowArray& a) {
  if (s.format == nullptr || std::string_view(s.format) != "+s") {
    fail_batch(s, "a record batch must be a struct (format '+s')");
  }
  if (a.n_buffers != 1) {
    fail_batch(s, "n_buffers is " + std::to_string(a.n_buffers) + ", a struct has 1");
  }
  if (a.buffers == nullptr) fail_batch(s, "the buffers pointer is null");
  if (a.length < 0 || a.offset < 0) fail_batch(s, "negative length or offset");
  if (s.n_children != a.n_children) {
    fail_batch(s, "the schema has " + std::to_string(s.n_children) + " children, the array " +
                      std::to_string(a.n_children));
  }
  if (a.n_children > 0 && (s.children == nullptr || a.children == nullptr)) {
    fail_batch(s, "the children pointer is null");
  }
  const auto* validity = static_cast<const uint8_t*>(a.buffers[0]);
  if (validity == nullptr || a.null_count == 0) return;
  for (int64_t i = a.offset; i < a.offset + a.length; ++i) {
    if (((validity[i >> 3] >> (i & 7)) & 1) == 0) {
      fail_batch(s, "row " + std::to_string(i - a.offset) +
                        " of the struct is null; quilt::Table has no null rows");
    }
  }
}

void finish(const Table& table, const ArrowImportOptions& options) {
  if (!options.validate_full) return;
  try {
    table.validate_full();
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(std::string("Arrow C import: ") + e.what());
  }
}

}  // namespace

Table import_arrow_table(ArrowSchema* schema, ArrowArray* array,
                         const ArrowImportOptions& options) {
  MovedSchema ms;
  auto ma = std::make_shared<MovedArray>();
  move_in(schema, array, ms, *ma);
  const ArrowSchema& s = ms.schema;
  const ArrowArray& a = ma->array;
  check_struct(s, a);
  const std::shared_ptr<const void> owner = ma;
  ma.reset();  // from here the columns' buffers hold the only references
  std::vector<Column> columns;
  for (int64_t i = 0; i < s.n_children; ++i) {
    const ArrowSchema* cs = s.children[i];
    const ArrowArray* ca = a.children[i];
    if (cs == nullptr || ca == nullptr) fail_batch(s, "child " + std::to_string(i) + " is null");
    const std::string name = cs->name != nullptr ? cs->name : "";
    Source source{*cs, *ca, name, owner};
    if (ca->length < a.offset + a.length) {
      fail(*cs, name,
           "the child has " + std::to_string(ca->length) + " rows, the struct needs " +
               std::to_string(a.offset + a.length));
    }
    // The struct's offset and length select rows of every child.
    columns.push_back(import_column(source).slice(a.offset, a.length));
  }
  Table table = Table::make(std::move(columns), parse_metadata(s.metadata), a.length);
  finish(table, options);
  return table;
}

Column import_arrow_column(ArrowSchema* schema, ArrowArray* array,
                           const ArrowImportOptions& options) {
  MovedSchema ms;
  auto ma = std::make_shared<MovedArray>();
  move_in(schema, array, ms, *ma);
  const std::string name = ms.schema.name != nullptr ? ms.schema.name : "";
  const std::shared_ptr<const void> owner = std::move(ma);
  const auto& moved = *static_cast<const MovedArray*>(owner.get());
  Column column = import_column(Source{ms.schema, moved.array, name, owner});
  finish(Table::make({column}), options);
  return column;
}

}  // namespace quilt
