#include "quilt/table.h"

#include <bit>
#include <cstring>
#include <limits>

#include "core/utf8.h"
#include "formats/numeric_types.h"
#include "formats/table_internal.h"
#include "quilt/errors.h"

namespace quilt {

using detail::column_error;

Buffer Buffer::slice(size_t offset, size_t size) const {
  if (offset > size_ || size > size_ - offset) {
    throw InvalidArgument("buffer slice [" + std::to_string(offset) + ", +" + std::to_string(size) +
                          ") is outside " + std::to_string(size_) + " bytes");
  }
  return Buffer(data_ + offset, size, owner_);
}

namespace detail {

int64_t count_unset_bits(const uint8_t* bits, int64_t offset, int64_t length) noexcept {
  int64_t set = 0;
  int64_t i = offset;
  const int64_t end = offset + length;
  for (; i < end && (i & 7) != 0; ++i) set += get_bit(bits, i);
  for (; i + 64 <= end; i += 64) {
    uint64_t word;
    std::memcpy(&word, bits + (i >> 3), 8);
    set += std::popcount(word);
  }
  for (; i < end; ++i) set += get_bit(bits, i);
  return length - set;
}

std::string column_error(const std::string& name, const std::string& message) {
  return "column '" + escape_for_message(name) + "': " + message;
}

}  // namespace detail

namespace {

int32_t offset_at(const Buffer& offsets, int64_t i) {
  int32_t v;
  std::memcpy(&v, offsets.data() + i * 4, 4);
  return v;
}

void check_string_buffers(const Column::Data& d) {
  const int64_t needed = (d.offset + d.length + 1) * 4;
  if (d.length == 0 && d.values.empty()) return;
  if (static_cast<int64_t>(d.values.size()) < needed) {
    throw InvalidArgument(column_error(d.name, "offsets buffer has " +
                                                   std::to_string(d.values.size()) +
                                                   " bytes, needs " + std::to_string(needed)));
  }
  if (reinterpret_cast<uintptr_t>(d.values.data()) % 4 != 0) {
    throw InvalidArgument(column_error(d.name, "offsets buffer is not 4-byte aligned"));
  }
  const int32_t first = offset_at(d.values, d.offset);
  const int32_t last = offset_at(d.values, d.offset + d.length);
  if (first < 0 || last < first || static_cast<size_t>(last) > d.data.size()) {
    throw InvalidArgument(column_error(d.name, "offsets [" + std::to_string(first) + ", " +
                                                   std::to_string(last) + "] are not within the " +
                                                   std::to_string(d.data.size()) + "-byte data"));
  }
}

void check_fixed_buffers(const Column::Data& d) {
  const int width = d.type.bit_width();
  const int64_t needed =
      width == 1 ? (d.offset + d.length + 7) / 8 : (d.offset + d.length) * (width / 8);
  if (static_cast<int64_t>(d.values.size()) < needed) {
    throw InvalidArgument(column_error(d.name, "values buffer has " +
                                                   std::to_string(d.values.size()) +
                                                   " bytes, needs " + std::to_string(needed)));
  }
  if (width > 8 && reinterpret_cast<uintptr_t>(d.values.data()) % (width / 8) != 0) {
    throw InvalidArgument(column_error(
        d.name, "values buffer is not aligned to " + std::to_string(width / 8) + " bytes"));
  }
}

void check_dictionary(const Column::Data& d) {
  const bool is_dict = d.type.id() == TypeId::kDictionary;
  if (is_dict && !d.dictionary) {
    throw InvalidArgument(column_error(d.name, "a dictionary column needs its dictionary"));
  }
  if (!is_dict && d.dictionary) {
    throw InvalidArgument(column_error(d.name, "only a dictionary column has a dictionary"));
  }
  if (is_dict && !(d.dictionary->type() == d.type.value_type())) {
    throw InvalidArgument(
        column_error(d.name, "dictionary holds " + d.dictionary->type().to_string() +
                                 ", type says " + d.type.value_type().to_string()));
  }
}

// Parquet has no seconds unit, so a seconds column is stored as milliseconds.
void convert_seconds(Column::Data& d) {
  const auto* in = reinterpret_cast<const int64_t*>(d.values.data());
  std::vector<int64_t> out(static_cast<size_t>(d.length));
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max() / 1000;
  for (int64_t i = 0; i < d.length; ++i) {
    const int64_t v = in[d.offset + i];
    const bool valid = d.validity.empty() || detail::get_bit(d.validity.data(), d.offset + i);
    if (valid && (v > kMax || v < -kMax)) {
      throw InvalidArgument(column_error(d.name, "timestamp " + std::to_string(v) +
                                                     "s overflows milliseconds at row " +
                                                     std::to_string(i)));
    }
    out[i] = valid ? v * 1000 : 0;
  }
  d.values = Buffer::from_vector(std::move(out));
  if (!d.validity.empty() && d.offset % 8 != 0) {
    // Keep validity at the old offset: values now start at 0, so re-align by copying bits.
    std::vector<uint8_t> bits(static_cast<size_t>((d.length + 7) / 8), 0);
    for (int64_t i = 0; i < d.length; ++i) {
      if (detail::get_bit(d.validity.data(), d.offset + i)) bits[i >> 3] |= 1 << (i & 7);
    }
    d.validity = Buffer::from_vector(std::move(bits));
  } else if (!d.validity.empty()) {
    d.validity = d.validity.slice(d.offset / 8, d.validity.size() - d.offset / 8);
  }
  d.offset = 0;
  d.type = DataType::timestamp(TimeUnit::kMilli, d.type.timezone());
}

}  // namespace

Column Column::make(std::string name, DataType type, int64_t length, ColumnBuffers buffers) {
  auto d = std::make_shared<Data>();
  d->name = std::move(name);
  d->type = std::move(type);
  d->length = length;
  d->offset = buffers.offset;
  d->validity = std::move(buffers.validity);
  d->values = std::move(buffers.values);
  d->data = std::move(buffers.data);
  d->dictionary = std::move(buffers.dictionary);
  if (length < 0 || d->offset < 0) {
    throw InvalidArgument(column_error(d->name, "negative length or offset"));
  }
  if (!d->validity.empty() && static_cast<int64_t>(d->validity.size()) * 8 < d->offset + length) {
    throw InvalidArgument(
        column_error(d->name, "validity bitmap has " + std::to_string(d->validity.size()) +
                                  " bytes, too few for " + std::to_string(length) + " rows"));
  }
  check_dictionary(*d);
  if (d->type.is_binary_like()) {
    check_string_buffers(*d);
  } else {
    check_fixed_buffers(*d);
  }
  if (d->type.id() == TypeId::kTimestamp && d->type.unit() == TimeUnit::kSecond) {
    convert_seconds(*d);
  }
  if (d->validity.empty()) {
    d->null_count = 0;
  } else if (buffers.null_count >= 0) {
    d->null_count = buffers.null_count;
  } else {
    d->null_count = detail::count_unset_bits(d->validity.data(), d->offset, length);
  }
  return Column(std::move(d));
}

Column Column::view(std::string name, DataType type, int64_t length, const void* values,
                    const uint8_t* validity, std::shared_ptr<const void> owner) {
  if (type.is_binary_like() || type.id() == TypeId::kDictionary) {
    throw InvalidArgument(
        column_error(name, "Column::view takes fixed-width types only, not " + type.to_string()));
  }
  const int width = type.bit_width();
  const size_t n = static_cast<size_t>(length < 0 ? 0 : length);
  const size_t bytes = width == 1 ? (n + 7) / 8 : n * (width / 8);
  ColumnBuffers b;
  b.values = Buffer(values, bytes, owner);
  if (validity != nullptr) b.validity = Buffer(validity, (n + 7) / 8, owner);
  return make(std::move(name), std::move(type), length, std::move(b));
}

Column Column::view_strings(std::string name, DataType type, int64_t length, const int32_t* offsets,
                            const uint8_t* data, size_t data_size, const uint8_t* validity,
                            std::shared_ptr<const void> owner) {
  if (!type.is_binary_like()) {
    throw InvalidArgument(column_error(name, "Column::view_strings takes string or binary"));
  }
  const size_t n = static_cast<size_t>(length < 0 ? 0 : length);
  ColumnBuffers b;
  b.values = Buffer(offsets, (n + 1) * 4, owner);
  b.data = Buffer(data, data_size, owner);
  if (validity != nullptr) b.validity = Buffer(validity, (n + 7) / 8, owner);
  return make(std::move(name), std::move(type), length, std::move(b));
}

const std::string& Column::name() const noexcept { return data_->name; }
const DataType& Column::type() const noexcept { return data_->type; }
int64_t Column::length() const noexcept { return data_->length; }
int64_t Column::null_count() const noexcept { return data_->null_count; }
int64_t Column::offset() const noexcept { return data_->offset; }
const Buffer& Column::validity_buffer() const noexcept { return data_->validity; }
const Buffer& Column::values_buffer() const noexcept { return data_->values; }
const Buffer& Column::data_buffer() const noexcept { return data_->data; }

const Column& Column::dictionary() const {
  if (!data_->dictionary) throw InvalidArgument(column_error(name(), "has no dictionary"));
  return *data_->dictionary;
}

bool Column::is_valid(int64_t i) const noexcept {
  if (data_->validity.empty()) return true;
  return detail::get_bit(data_->validity.data(), data_->offset + i);
}

template <NumericValue T>
std::span<const T> Column::values() const {
  const DataType& t = data_->type;
  const DataType& physical = t.id() == TypeId::kDictionary ? t.index_type() : t;
  const bool float_ok = physical.is_floating() == std::is_floating_point_v<T>;
  const bool signed_type = physical.is_signed_integer() || physical.id() == TypeId::kTimestamp ||
                           physical.id() == TypeId::kDate32;
  const bool sign_ok = std::is_floating_point_v<T> || signed_type == std::is_signed_v<T>;
  if (physical.bit_width() != static_cast<int>(sizeof(T) * 8) || !float_ok || !sign_ok) {
    throw InvalidArgument(column_error(
        name(),
        "values of " + t.to_string() + " cannot be read as " + data_type_of<T>().to_string()));
  }
  const auto* p = reinterpret_cast<const T*>(data_->values.data());
  return {p + data_->offset, static_cast<size_t>(data_->length)};
}

bool Column::bool_at(int64_t i) const {
  if (data_->type.id() != TypeId::kBool) {
    throw InvalidArgument(column_error(name(), data_->type.to_string() + " is not bool"));
  }
  return detail::get_bit(data_->values.data(), data_->offset + i);
}

std::span<const int32_t> Column::offsets() const {
  if (!data_->type.is_binary_like()) {
    throw InvalidArgument(column_error(name(), data_->type.to_string() + " has no offsets"));
  }
  if (data_->values.empty()) return {};
  const auto* p = reinterpret_cast<const int32_t*>(data_->values.data());
  return {p + data_->offset, static_cast<size_t>(data_->length + 1)};
}

std::string_view Column::string_at(int64_t i) const {
  std::span<const int32_t> o = offsets();
  const char* base = reinterpret_cast<const char*>(data_->data.data());
  return {base + o[i], static_cast<size_t>(o[i + 1] - o[i])};
}

Column Column::slice(int64_t offset, int64_t length) const {
  if (offset < 0 || length < 0 || offset > data_->length || length > data_->length - offset) {
    throw InvalidArgument(column_error(name(), "slice [" + std::to_string(offset) + ", +" +
                                                   std::to_string(length) + ") is outside " +
                                                   std::to_string(data_->length) + " rows"));
  }
  auto d = std::make_shared<Data>(*data_);
  d->offset += offset;
  d->length = length;
  d->null_count =
      d->validity.empty() ? 0 : detail::count_unset_bits(d->validity.data(), d->offset, length);
  return Column(std::move(d));
}

Column Column::rename(std::string name) const {
  auto d = std::make_shared<Data>(*data_);
  d->name = std::move(name);
  return Column(std::move(d));
}

#define QUILT_INSTANTIATE(T) template std::span<const T> Column::values<T>() const;
QUILT_FOR_EACH_NUMERIC_TYPE(QUILT_INSTANTIATE)
#undef QUILT_INSTANTIATE

}  // namespace quilt
