// Column::validate_full and equality: the checks too costly for construction.
#include <cmath>
#include <cstring>

#include "core/utf8.h"
#include "formats/table_internal.h"
#include "quilt/errors.h"
#include "quilt/table.h"

namespace quilt {

using detail::column_error;

namespace {

void validate_strings(const Column& c) {
  std::span<const int32_t> o = c.offsets();
  for (int64_t i = 0; i < c.length(); ++i) {
    if (o[i + 1] < o[i]) {
      throw InvalidArgument(column_error(
          c.name(), "offsets not monotonic at row " + std::to_string(i) + " (" +
                        std::to_string(o[i]) + " then " + std::to_string(o[i + 1]) + ")"));
    }
  }
  if (c.type().id() != TypeId::kString) return;
  for (int64_t i = 0; i < c.length(); ++i) {
    if (c.is_valid(i) && !is_valid_utf8(c.string_at(i))) {
      throw InvalidArgument(column_error(c.name(), "ill-formed UTF-8 at row " + std::to_string(i) +
                                                       ": " + escape_for_message(c.string_at(i))));
    }
  }
}

template <class T>
void validate_indices_as(const Column& c) {
  std::span<const T> idx = c.values<T>();
  const int64_t n = c.dictionary().length();
  for (int64_t i = 0; i < c.length(); ++i) {
    const auto v = static_cast<int64_t>(idx[i]);
    if (c.is_valid(i) && (v < 0 || v >= n)) {
      throw InvalidArgument(column_error(
          c.name(), "dictionary index " + std::to_string(v) + " at row " + std::to_string(i) +
                        " is outside a dictionary of " + std::to_string(n)));
    }
  }
}

void validate_indices(const Column& c) {
  switch (c.type().index_type().id()) {
    case TypeId::kInt8:
      return validate_indices_as<int8_t>(c);
    case TypeId::kInt16:
      return validate_indices_as<int16_t>(c);
    case TypeId::kInt32:
      return validate_indices_as<int32_t>(c);
    case TypeId::kInt64:
      return validate_indices_as<int64_t>(c);
    case TypeId::kUInt8:
      return validate_indices_as<uint8_t>(c);
    case TypeId::kUInt16:
      return validate_indices_as<uint16_t>(c);
    case TypeId::kUInt32:
      return validate_indices_as<uint32_t>(c);
    default:
      return validate_indices_as<uint64_t>(c);
  }
}

// Return the dictionary slot selected by row i of a dictionary column.
int64_t index_at(const Column& c, int64_t i) {
  const auto* base = c.values_buffer().data();
  const int64_t slot = c.offset() + i;
  switch (c.type().index_type().id()) {
    case TypeId::kInt8:
      return reinterpret_cast<const int8_t*>(base)[slot];
    case TypeId::kInt16:
      return reinterpret_cast<const int16_t*>(base)[slot];
    case TypeId::kInt32:
      return reinterpret_cast<const int32_t*>(base)[slot];
    case TypeId::kInt64:
      return reinterpret_cast<const int64_t*>(base)[slot];
    case TypeId::kUInt8:
      return base[slot];
    case TypeId::kUInt16:
      return reinterpret_cast<const uint16_t*>(base)[slot];
    case TypeId::kUInt32:
      return reinterpret_cast<const uint32_t*>(base)[slot];
    default:
      return static_cast<int64_t>(reinterpret_cast<const uint64_t*>(base)[slot]);
  }
}

template <class F>
bool float_equal(F a, F b, bool nans_equal) {
  if (nans_equal && std::isnan(a) && std::isnan(b)) return true;
  return a == b;
}

// Compare valid slot i of a with valid slot j of b; the types are equal.
bool slot_equal(const Column& a, int64_t i, const Column& b, int64_t j, bool nans_equal) {
  const DataType& t = a.type();
  if (t.id() == TypeId::kBool) return a.bool_at(i) == b.bool_at(j);
  if (t.is_binary_like()) return a.string_at(i) == b.string_at(j);
  if (t.id() == TypeId::kFloat32) {
    return float_equal(a.values<float>()[i], b.values<float>()[j], nans_equal);
  }
  if (t.id() == TypeId::kFloat64) {
    return float_equal(a.values<double>()[i], b.values<double>()[j], nans_equal);
  }
  if (t.id() == TypeId::kDictionary) {
    const Column& da = a.dictionary();
    const Column& db = b.dictionary();
    const int64_t x = index_at(a, i);
    const int64_t y = index_at(b, j);
    if (da.is_valid(x) != db.is_valid(y)) return false;
    return !da.is_valid(x) || slot_equal(da, x, db, y, nans_equal);
  }
  const size_t width = static_cast<size_t>(t.bit_width() / 8);
  const uint8_t* pa = a.values_buffer().data() + (a.offset() + i) * width;
  const uint8_t* pb = b.values_buffer().data() + (b.offset() + j) * width;
  return std::memcmp(pa, pb, width) == 0;
}

}  // namespace

void Column::validate_full() const {
  if (type().is_binary_like()) validate_strings(*this);
  if (type().id() == TypeId::kDictionary) {
    dictionary().validate_full();
    validate_indices(*this);
  }
  if (!validity_buffer().empty()) {
    const int64_t nulls = detail::count_unset_bits(validity_buffer().data(), offset(), length());
    if (nulls != null_count()) {
      throw InvalidArgument(column_error(name(), "null_count is " + std::to_string(null_count()) +
                                                     " but the bitmap has " +
                                                     std::to_string(nulls) + " nulls"));
    }
  }
}

bool Column::equals(const Column& other, const EqualOptions& options) const {
  if (name() != other.name() || !(type() == other.type()) || length() != other.length() ||
      null_count() != other.null_count()) {
    return false;
  }
  for (int64_t i = 0; i < length(); ++i) {
    const bool valid = is_valid(i);
    if (valid != other.is_valid(i)) return false;
    if (valid && !slot_equal(*this, i, other, i, options.nans_equal)) return false;
  }
  return true;
}

}  // namespace quilt
