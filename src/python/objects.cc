// Tables and N-d arrays between numpy memory and the C++ objects.
//
// Python -> C++: the Python layer (python/quiltcpp/_frames.py) reduces a
// DataFrame to one tuple per column; fixed-width numpy memory becomes a
// Column view whose owner holds the array (no copy), bools are bit-packed,
// masks become validity bitmaps, object arrays of str are encoded here from
// the strings' own UTF-8. C++ -> Python: fixed-width buffers become read-only
// numpy views owned by the Column; strings become str objects.
#include <pybind11/stl.h>

#include <cmath>
#include <cstring>
#include <algorithm>
#include <limits>
#include <unordered_map>

#include "core/byte_builder.h"
#include "python/common.h"
#include "quilt/errors.h"

namespace quilt::python {
namespace {

std::string column_message(const std::string& name, const std::string& what) {
  return "column '" + name + "': " + what;
}

// The column type of a 1-d numpy array of numbers (bool excluded).
DataType numeric_type(const py::dtype& dtype, const std::string& name) {
  const char kind = dtype.kind();
  const auto size = dtype.itemsize();
  if (kind == 'i') {
    switch (size) {
      case 1: return DataType::int8();
      case 2: return DataType::int16();
      case 4: return DataType::int32();
      case 8: return DataType::int64();
    }
  } else if (kind == 'u') {
    switch (size) {
      case 1: return DataType::uint8();
      case 2: return DataType::uint16();
      case 4: return DataType::uint32();
      case 8: return DataType::uint64();
    }
  } else if (kind == 'f') {
    if (size == 4) return DataType::float32();
    if (size == 8) return DataType::float64();
  }
  throw InvalidArgument(column_message(name, "numpy dtype '" + std::string(py::str(dtype.attr("name"))) +
                                                 "' cannot be stored in a table"));
}

// Check that `array` is 1-d, contiguous and `rows` long.
void check_vector(const py::array& array, int64_t rows, const std::string& name) {
  if (array.ndim() != 1) throw InvalidArgument(column_message(name, "expected a 1-d array"));
  if (!(array.flags() & py::array::c_style)) {
    throw InvalidArgument(column_message(name, "array is not contiguous"));
  }
  if (array.shape(0) != rows) {
    throw InvalidArgument(column_message(name, "has " + std::to_string(array.shape(0)) +
                                                   " rows, expected " + std::to_string(rows)));
  }
}

// Pack `n` bytes (nonzero = set, or zero = set when `invert`) into an LSB-first
// bitmap. Returns the number of unset bits through `unset`.
Buffer pack_bits(const uint8_t* bytes, int64_t n, bool invert, int64_t* unset) {
  std::vector<uint8_t> bits(static_cast<size_t>((n + 7) / 8), 0);
  int64_t set = 0;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes + i, 8);
    // Each byte is 0 or 1 (numpy bool): gather the low bits into one byte.
    word = (word & 0x0101010101010101ULL) * 0x0102040810204080ULL >> 56;
    uint8_t b = static_cast<uint8_t>(word);
    if (invert) b = static_cast<uint8_t>(~b);
    bits[i / 8] = b;
    set += __builtin_popcount(b);
  }
  for (; i < n; ++i) {
    bool v = (bytes[i] != 0) != invert;
    if (v) bits[i / 8] |= static_cast<uint8_t>(1u << (i % 8)), ++set;
  }
  *unset = n - set;
  return Buffer::from_vector(std::move(bits));
}

// The validity bitmap of a null mask (True = null), or an empty buffer when
// nothing is null.
Buffer validity_from_mask(const py::object& mask, int64_t rows, const std::string& name,
                          int64_t* nulls) {
  *nulls = 0;
  if (mask.is_none()) return {};
  py::array array = py::array::ensure(mask);
  if (!array || array.dtype().kind() != 'b') {
    throw InvalidArgument(column_message(name, "mask must be a bool array"));
  }
  check_vector(array, rows, name);
  Buffer bits = pack_bits(static_cast<const uint8_t*>(array.data()), rows, true, nulls);
  if (*nulls == 0) return {};
  return bits;
}

Column numeric_column(const std::string& name, const py::array& values, const py::object& mask,
                      int64_t rows) {
  check_vector(values, rows, name);
  DataType type = numeric_type(values.dtype(), name);
  ColumnBuffers b;
  b.values = Buffer(values.data(), static_cast<size_t>(rows) * values.itemsize(), py_owner(values));
  b.validity = validity_from_mask(mask, rows, name, &b.null_count);
  return Column::make(name, type, rows, std::move(b));
}

Column bool_column(const std::string& name, const py::array& values, const py::object& mask,
                   int64_t rows) {
  check_vector(values, rows, name);
  if (values.dtype().kind() != 'b') throw InvalidArgument(column_message(name, "expected bools"));
  ColumnBuffers b;
  int64_t unset = 0;
  b.values = pack_bits(static_cast<const uint8_t*>(values.data()), rows, false, &unset);
  b.validity = validity_from_mask(mask, rows, name, &b.null_count);
  return Column::make(name, DataType::boolean(), rows, std::move(b));
}

// int64 nanoseconds with NaT (INT64_MIN) as null.
Column timestamp_column(const std::string& name, const py::array& values, const std::string& tz,
                        int64_t rows) {
  check_vector(values, rows, name);
  if (values.itemsize() != 8) throw InvalidArgument(column_message(name, "expected int64"));
  const auto* v = static_cast<const int64_t*>(values.data());
  ColumnBuffers b;
  b.values = Buffer(v, static_cast<size_t>(rows) * 8, py_owner(values));
  int64_t first_nat = -1;
  for (int64_t i = 0; i < rows; ++i) {
    if (v[i] == std::numeric_limits<int64_t>::min()) {
      first_nat = i;
      break;
    }
  }
  if (first_nat >= 0) {
    std::vector<uint8_t> bits(static_cast<size_t>((rows + 7) / 8), 0xFF);
    int64_t nulls = 0;
    for (int64_t i = first_nat; i < rows; ++i) {
      if (v[i] == std::numeric_limits<int64_t>::min()) {
        bits[i / 8] &= static_cast<uint8_t>(~(1u << (i % 8)));
        ++nulls;
      }
    }
    b.validity = Buffer::from_vector(std::move(bits));
    b.null_count = nulls;
  }
  return Column::make(name, DataType::timestamp(TimeUnit::kNano, tz), rows, std::move(b));
}

// One chunk of an object column being encoded: its bytes and, per row, the
// end offset within the chunk (written into the column's offsets array).
struct StringChunk {
  int64_t begin = 0;
  int64_t end = 0;
  detail::ByteBuilder data;
  int64_t nulls = 0;
  bool hard = false;  // met an object the GIL-free pass does not handle
};

constexpr int64_t kStringChunkRows = 1 << 16;  // a multiple of 8: chunks share no validity byte

void clear_valid(std::vector<uint8_t>& validity, int64_t i) {
  validity[i / 8] &= static_cast<uint8_t>(~(1u << (i % 8)));
}

// The GIL-free pass over rows [chunk.begin, chunk.end): None and exact str
// objects in compact ASCII form, whose bytes are the object's own (reading them
// needs no API call; the array holds references, and str is immutable).
// Anything else marks the chunk hard, for encode_chunk_with_gil.
void encode_chunk_ascii(PyObject* const* objects, StringChunk& chunk, int32_t* offsets,
                        std::vector<uint8_t>& validity) {
  for (int64_t i = chunk.begin; i < chunk.end; ++i) {
    PyObject* o = objects[i];
    if (o == Py_None) {
      clear_valid(validity, i);
      ++chunk.nulls;
    } else if (Py_TYPE(o) == &PyUnicode_Type && PyUnicode_IS_COMPACT_ASCII(o)) {
      chunk.data.append(static_cast<const char*>(PyUnicode_DATA(o)),
                        static_cast<size_t>(PyUnicode_GET_LENGTH(o)));
    } else {
      chunk.hard = true;
      return;
    }
    if (chunk.data.size() > static_cast<size_t>(INT32_MAX)) {
      chunk.hard = true;  // the slow path reports it
      return;
    }
    offsets[i + 1] = static_cast<int32_t>(chunk.data.size());
  }
}

// The general pass, with the GIL: any str (its UTF-8, cached in the object),
// bytes (a binary column; `kind` 1 = str, 2 = bytes, 0 = undecided, shared by
// all chunks), None, float NaN and `na` as nulls.
void encode_chunk_with_gil(PyObject* const* objects, StringChunk& chunk, int32_t* offsets,
                           std::vector<uint8_t>& validity, const py::handle& na, int& kind,
                           const std::string& name) {
  chunk.data.clear();
  chunk.nulls = 0;
  for (int64_t i = chunk.begin; i < chunk.end; ++i) validity[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
  for (int64_t i = chunk.begin; i < chunk.end; ++i) {
    PyObject* o = objects[i];
    const char* bytes = nullptr;
    Py_ssize_t size = 0;
    if (PyUnicode_Check(o) && kind != 2) {
      kind = 1;
      bytes = PyUnicode_AsUTF8AndSize(o, &size);
      if (bytes == nullptr) {
        PyErr_Clear();
        throw InvalidArgument(column_message(
            name, "row " + std::to_string(i) + " is not valid Unicode (a lone surrogate?)"));
      }
    } else if (PyBytes_Check(o) && kind != 1) {
      kind = 2;
      bytes = PyBytes_AS_STRING(o);
      size = PyBytes_GET_SIZE(o);
    } else if (o == Py_None || o == na.ptr() ||
               (PyFloat_Check(o) && std::isnan(PyFloat_AS_DOUBLE(o)))) {
      clear_valid(validity, i);
      ++chunk.nulls;
    } else {
      throw InvalidArgument(column_message(
          name, "row " + std::to_string(i) + " holds a " + std::string(Py_TYPE(o)->tp_name) +
                    " among " + (kind == 2 ? "bytes" : "strings") +
                    "; an object column must hold only str (or only bytes) and nulls"));
    }
    if (size > 0) {
      if (chunk.data.size() + static_cast<size_t>(size) > static_cast<size_t>(INT32_MAX)) {
        throw InvalidArgument(column_message(name, "holds more than 2 GiB of text, the limit of "
                                                   "one column"));
      }
      chunk.data.append(bytes, static_cast<size_t>(size));
    }
    offsets[i + 1] = static_cast<int32_t>(chunk.data.size());
  }
}

// An object array of str (or of bytes: a binary column), with None, float NaN
// and `na` (pandas.NA) as nulls. Chunks of ASCII str and None (the common
// case) are encoded on the pool with the GIL released; the rest with it.
Column string_column(const std::string& name, const py::array& values, const py::handle& na,
                     int64_t rows) {
  check_vector(values, rows, name);
  if (values.dtype().kind() != 'O') throw InvalidArgument(column_message(name, "expected objects"));
  auto* const* objects = static_cast<PyObject* const*>(values.data());
  // Not zero-filled: a chunk's pass writes every offset of its rows.
  std::shared_ptr<int32_t[]> offsets(new int32_t[static_cast<size_t>(rows) + 1]);
  offsets[0] = 0;
  std::vector<uint8_t> validity(static_cast<size_t>((rows + 7) / 8), 0xFF);
  std::vector<StringChunk> chunks(static_cast<size_t>((rows + kStringChunkRows - 1) / kStringChunkRows));
  for (size_t c = 0; c < chunks.size(); ++c) {
    chunks[c].begin = static_cast<int64_t>(c) * kStringChunkRows;
    chunks[c].end = std::min(rows, chunks[c].begin + kStringChunkRows);
  }
  {
    py::gil_scoped_release release;
    pool().parallel_for(chunks.size(), [&](size_t c) {
      encode_chunk_ascii(objects, chunks[c], offsets.get(), validity);
    });
  }
  int kind = 0;
  for (const StringChunk& chunk : chunks) {
    if (!chunk.hard && chunk.end - chunk.begin > chunk.nulls) kind = 1;  // held a str
  }
  for (StringChunk& chunk : chunks) {
    if (chunk.hard) encode_chunk_with_gil(objects, chunk, offsets.get(), validity, na, kind, name);
  }
  // Concatenate the chunks and make their offsets absolute.
  size_t total = 0;
  int64_t nulls = 0;
  std::vector<size_t> bases(chunks.size());
  for (size_t c = 0; c < chunks.size(); ++c) {
    bases[c] = total;
    total += chunks[c].data.size();
    nulls += chunks[c].nulls;
  }
  if (total > static_cast<size_t>(INT32_MAX)) {
    throw InvalidArgument(column_message(name, "holds more than 2 GiB of text, the limit of one "
                                               "column"));
  }
  // Not zero-filled: every byte is copied in below.
  std::shared_ptr<char[]> data(new char[std::max<size_t>(total, 1)]);
  {
    py::gil_scoped_release release;
    pool().parallel_for(chunks.size(), [&](size_t c) {
      const StringChunk& chunk = chunks[c];
      if (chunk.data.size() > 0) {
        std::memcpy(data.get() + bases[c], chunk.data.data(), chunk.data.size());
      }
      const auto base = static_cast<int32_t>(bases[c]);
      for (int64_t i = chunk.begin; i < chunk.end; ++i) offsets[i + 1] += base;
    });
  }
  ColumnBuffers b;
  b.values = Buffer(offsets.get(), (static_cast<size_t>(rows) + 1) * sizeof(int32_t), offsets);
  b.data = Buffer(data.get(), total, data);
  if (nulls > 0) b.validity = Buffer::from_vector(std::move(validity));
  b.null_count = nulls;
  return Column::make(name, kind == 2 ? DataType::binary() : DataType::string(), rows, std::move(b));
}

Column column_from_py(const py::tuple& spec, int64_t rows, const py::handle& na);

// Integer codes into categories; negative codes are nulls.
Column dictionary_column(const std::string& name, const py::array& codes,
                         const py::tuple& categories, bool ordered, int64_t rows,
                         const py::handle& na) {
  check_vector(codes, rows, name);
  DataType index = numeric_type(codes.dtype(), name);
  if (!index.is_signed_integer()) throw InvalidArgument(column_message(name, "codes must be signed"));
  py::array categories_values = categories[2].cast<py::array>();
  auto dictionary = std::make_shared<const Column>(
      column_from_py(categories, categories_values.shape(0), na));
  ColumnBuffers b;
  const auto width = codes.itemsize();
  b.values = Buffer(codes.data(), static_cast<size_t>(rows * width), py_owner(codes));
  std::vector<uint8_t> validity(static_cast<size_t>((rows + 7) / 8), 0xFF);
  int64_t nulls = 0;
  const auto* base = static_cast<const uint8_t*>(codes.data());
  const int64_t limit = dictionary->length();
  for (int64_t i = 0; i < rows; ++i) {
    int64_t code = 0;
    switch (width) {
      case 1: code = reinterpret_cast<const int8_t*>(base)[i]; break;
      case 2: code = reinterpret_cast<const int16_t*>(base)[i]; break;
      case 4: code = reinterpret_cast<const int32_t*>(base)[i]; break;
      default: code = reinterpret_cast<const int64_t*>(base)[i]; break;
    }
    if (code < 0) {
      validity[i / 8] &= static_cast<uint8_t>(~(1u << (i % 8)));
      ++nulls;
    } else if (code >= limit) {
      throw InvalidArgument(column_message(name, "code " + std::to_string(code) + " at row " +
                                                     std::to_string(i) + " is out of range"));
    }
  }
  if (nulls > 0) b.validity = Buffer::from_vector(std::move(validity));
  b.null_count = nulls;
  b.dictionary = dictionary;
  return Column::make(name, DataType::dictionary(index, dictionary->type(), ordered), rows,
                      std::move(b));
}

Column column_from_py(const py::tuple& spec, int64_t rows, const py::handle& na) {
  const auto kind = spec[0].cast<std::string>();
  const auto name = spec[1].cast<std::string>();
  if (kind == "numeric") {
    return numeric_column(name, spec[2].cast<py::array>(), spec[3], rows);
  }
  if (kind == "bool") return bool_column(name, spec[2].cast<py::array>(), spec[3], rows);
  if (kind == "timestamp") {
    return timestamp_column(name, spec[2].cast<py::array>(), spec[3].cast<std::string>(), rows);
  }
  if (kind == "date32") {
    // int32 days since 1970-01-01 (datetime.date objects, converted in Python).
    py::array days = spec[2].cast<py::array>();
    check_vector(days, rows, name);
    if (days.dtype().kind() != 'i' || days.itemsize() != 4) {
      throw InvalidArgument(column_message(name, "expected int32 days"));
    }
    ColumnBuffers b;
    b.values = Buffer(days.data(), static_cast<size_t>(rows) * 4, py_owner(days));
    b.validity = validity_from_mask(spec[3], rows, name, &b.null_count);
    return Column::make(name, DataType::date32(), rows, std::move(b));
  }
  if (kind == "strings") return string_column(name, spec[2].cast<py::array>(), na, rows);
  if (kind == "dictionary") {
    return dictionary_column(name, spec[2].cast<py::array>(), spec[3].cast<py::tuple>(),
                             spec[4].cast<bool>(), rows, na);
  }
  throw InvalidArgument(column_message(name, "unknown column kind '" + kind + "'"));
}

// ---- C++ -> Python ----

// A read-only numpy view of `bytes` kept alive by a copy of `column`.
py::array view_of(const Column& column, const py::dtype& dtype, const void* data, int64_t n) {
  auto* held = new Column(column);
  py::capsule owner(held, [](void* p) { delete static_cast<Column*>(p); });
  py::array array(dtype, {n}, {}, data, owner);
  py::detail::array_proxy(array.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return array;
}

// The validity of `column` as a bool array (True = valid), or None without nulls.
py::object valid_mask(const Column& column) {
  if (column.null_count() == 0) return py::none();
  const int64_t n = column.length();
  py::array_t<bool> out(n);
  bool* v = out.mutable_data();
  for (int64_t i = 0; i < n; ++i) v[i] = column.is_valid(i);
  return out;
}

const char* numpy_name(TypeId id) {
  switch (id) {
    case TypeId::kInt8: return "int8";
    case TypeId::kInt16: return "int16";
    case TypeId::kInt32: return "int32";
    case TypeId::kInt64: return "int64";
    case TypeId::kUInt8: return "uint8";
    case TypeId::kUInt16: return "uint16";
    case TypeId::kUInt32: return "uint32";
    case TypeId::kUInt64: return "uint64";
    case TypeId::kFloat32: return "float32";
    case TypeId::kFloat64: return "float64";
    case TypeId::kTimestamp: return "int64";
    case TypeId::kDate32: return "int32";
    default: return nullptr;
  }
}

const char* unit_name(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kSecond: return "s";
    case TimeUnit::kMilli: return "ms";
    case TimeUnit::kMicro: return "us";
    case TimeUnit::kNano: return "ns";
  }
  return "ns";
}

// A str of UTF-8 `s`: ASCII copied straight into a new compact str, the rest decoded.
PyObject* new_str(std::string_view s) {
  bool ascii = true;
  for (char c : s) ascii &= static_cast<unsigned char>(c) < 0x80;
  if (!ascii) return PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "strict");
  PyObject* o = PyUnicode_New(static_cast<Py_ssize_t>(s.size()), 127);
  if (o != nullptr) std::memcpy(PyUnicode_DATA(o), s.data(), s.size());
  return o;
}

py::tuple column_to_py(const Column& column) {
  const DataType& type = column.type();
  const int64_t n = column.length();
  const std::string& name = column.name();
  switch (type.id()) {
    case TypeId::kBool: {
      py::array_t<bool> out(n);
      bool* v = out.mutable_data();
      for (int64_t i = 0; i < n; ++i) v[i] = column.bool_at(i);
      return py::make_tuple("bool", name, out, valid_mask(column));
    }
    case TypeId::kString:
    case TypeId::kBinary: {
      const bool text = type.id() == TypeId::kString;
      py::array out(py::dtype("O"), std::vector<py::ssize_t>{n});
      auto** objects = static_cast<PyObject**>(out.mutable_data());
      // Equal values share one object, as pyarrow's to_pandas does by default
      // (deduplicate_objects): repeated values (a Parquet dictionary's) are then
      // one lookup instead of an allocation and a decode each.
      std::unordered_map<std::string_view, PyObject*> seen;
      constexpr size_t kMaxSeen = 1 << 16;
      for (int64_t i = 0; i < n; ++i) {
        PyObject* o;  // a new reference, which the array slot takes
        if (column.is_null(i)) {
          o = Py_None;
          Py_INCREF(o);
        } else {
          std::string_view s = column.string_at(i);
          auto it = seen.find(s);
          if (it != seen.end()) {
            o = it->second;
            Py_INCREF(o);
          } else {
            o = text ? new_str(s)
                     : PyBytes_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size()));
            if (o == nullptr) throw py::error_already_set();
            // Borrowed: the array keeps this first copy alive.
            if (seen.size() < kMaxSeen) seen.emplace(s, o);
          }
        }
        // The array was made holding None (or null) references; replace them.
        Py_XDECREF(objects[i]);
        objects[i] = o;
      }
      return py::make_tuple(text ? "string" : "binary", name, out, py::none());
    }
    case TypeId::kDictionary: {
      // Codes as int64 with -1 for nulls, as pandas.Categorical.from_codes takes them.
      py::array_t<int64_t> codes(n);
      int64_t* c = codes.mutable_data();
      const DataType& index = type.index_type();
      for (int64_t i = 0; i < n; ++i) {
        if (column.is_null(i)) {
          c[i] = -1;
          continue;
        }
        switch (index.id()) {
          case TypeId::kInt8: c[i] = column.values<int8_t>()[i]; break;
          case TypeId::kInt16: c[i] = column.values<int16_t>()[i]; break;
          case TypeId::kInt32: c[i] = column.values<int32_t>()[i]; break;
          case TypeId::kInt64: c[i] = column.values<int64_t>()[i]; break;
          case TypeId::kUInt8: c[i] = column.values<uint8_t>()[i]; break;
          case TypeId::kUInt16: c[i] = column.values<uint16_t>()[i]; break;
          case TypeId::kUInt32: c[i] = column.values<uint32_t>()[i]; break;
          default: c[i] = static_cast<int64_t>(column.values<uint64_t>()[i]); break;
        }
      }
      return py::make_tuple("dictionary", name, codes, column_to_py(column.dictionary()),
                            type.ordered());
    }
    default: {
      const char* np_name = numpy_name(type.id());
      if (np_name == nullptr) {
        throw InvalidArgument(column_message(name, "type " + type.to_string() +
                                                       " has no numpy counterpart"));
      }
      const int width = type.bit_width() / 8;
      const void* data = column.values_buffer().data() + column.offset() * width;
      py::array values = view_of(column, py::dtype(np_name), data, n);
      if (type.id() == TypeId::kTimestamp) {
        return py::make_tuple("timestamp", name, values, unit_name(type.unit()), type.timezone(),
                              valid_mask(column));
      }
      if (type.id() == TypeId::kDate32) {
        return py::make_tuple("date32", name, values, valid_mask(column));
      }
      return py::make_tuple("numeric", name, values, valid_mask(column));
    }
  }
}

std::optional<DType> dtype_of(const py::dtype& dtype) {
  const char kind = dtype.kind();
  const auto size = dtype.itemsize();
  if (kind == 'b') return DType::kBool;
  if (kind == 'i') {
    if (size == 1) return DType::kInt8;
    if (size == 2) return DType::kInt16;
    if (size == 4) return DType::kInt32;
    if (size == 8) return DType::kInt64;
  }
  if (kind == 'u') {
    if (size == 1) return DType::kUInt8;
    if (size == 2) return DType::kUInt16;
    if (size == 4) return DType::kUInt32;
    if (size == 8) return DType::kUInt64;
  }
  if (kind == 'f') {
    if (size == 2) return DType::kFloat16;
    if (size == 4) return DType::kFloat32;
    if (size == 8) return DType::kFloat64;
  }
  if (kind == 'c') {
    if (size == 8) return DType::kComplex64;
    if (size == 16) return DType::kComplex128;
  }
  return std::nullopt;
}

}  // namespace

Table table_from_py(const py::list& columns, const std::string& pandas_metadata, int64_t num_rows) {
  py::object na = py::module_::import("pandas").attr("NA");
  std::vector<Column> built;
  built.reserve(columns.size());
  for (const py::handle& spec : columns) {
    built.push_back(column_from_py(spec.cast<py::tuple>(), num_rows, na));
  }
  KeyValueMetadata metadata;
  if (!pandas_metadata.empty()) metadata.emplace_back("pandas", pandas_metadata);
  return Table::make(std::move(built), std::move(metadata), num_rows);
}

py::tuple table_to_py(const Table& table) {
  py::list columns;
  for (const Column& column : table.columns()) columns.append(column_to_py(column));
  py::object pandas = py::none();
  if (auto value = table.metadata_value("pandas")) pandas = py::str(*value);
  return py::make_tuple(columns, pandas, table.num_rows());
}

NDArray ndarray_from_py(const py::array& input) {
  py::array array = input;
  Order order = Order::kC;
  if (!(array.flags() & py::array::c_style)) {
    if (array.ndim() > 1 && (array.flags() & py::array::f_style)) {
      order = Order::kFortran;
    } else {
      array = py::array::ensure(py::module_::import("numpy").attr("ascontiguousarray")(array));
    }
  }
  py::dtype dtype = array.dtype();
  if (dtype.byteorder() == '>') {
    throw InvalidArgument("big-endian arrays are not supported; convert with astype('<...')");
  }
  std::optional<DType> element = dtype_of(dtype);
  if (!element) {
    throw InvalidArgument("numpy dtype '" + std::string(py::str(dtype.attr("name"))) +
                          "' cannot be written as .npy by quiltcpp");
  }
  std::vector<int64_t> shape(array.shape(), array.shape() + array.ndim());
  Buffer data(array.data(), static_cast<size_t>(array.nbytes()), py_owner(array));
  return NDArray::make(*element, std::move(shape), std::move(data), order);
}

py::array ndarray_to_py(const NDArray& array) {
  static const char* const names[] = {"bool",    "int8",    "int16",   "int32",    "int64",
                                      "uint8",   "uint16",  "uint32",  "uint64",   "float16",
                                      "float32", "float64", "complex64", "complex128"};
  py::dtype dtype(names[static_cast<int>(array.dtype())]);
  const auto item = static_cast<py::ssize_t>(dtype_size(array.dtype()));
  std::vector<py::ssize_t> shape(array.shape().begin(), array.shape().end());
  std::vector<py::ssize_t> strides(shape.size());
  py::ssize_t stride = item;
  if (array.order() == Order::kC) {
    for (size_t i = shape.size(); i-- > 0;) strides[i] = stride, stride *= shape[i];
  } else {
    for (size_t i = 0; i < shape.size(); ++i) strides[i] = stride, stride *= shape[i];
  }
  auto* held = new NDArray(array);
  py::capsule owner(held, [](void* p) { delete static_cast<NDArray*>(p); });
  py::array out(dtype, shape, strides, array.data().data(), owner);
  py::detail::array_proxy(out.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return out;
}

void bind_objects(py::module_& m) {
  py::class_<Table>(m, "Table")
      .def(py::init(&table_from_py), py::arg("columns"), py::arg("pandas_metadata"),
           py::arg("num_rows"))
      .def_property_readonly("num_rows", &Table::num_rows)
      .def_property_readonly("num_columns", &Table::num_columns)
      .def("to_py", &table_to_py);
}

}  // namespace quilt::python
