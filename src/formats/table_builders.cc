// Column builders from std::vector and friends: each makes owned buffers and
// hands them to Column::make.
#include "core/utf8.h"
#include "formats/numeric_types.h"
#include "formats/table_internal.h"
#include "quilt/errors.h"
#include "quilt/table.h"

namespace quilt {

using detail::column_error;

namespace {

// Bit-pack a predicate LSB first; `all_set` tells whether every bit is 1.
template <class Pred>
std::vector<uint8_t> pack_bits(size_t n, Pred pred, bool& all_set) {
  std::vector<uint8_t> bits((n + 7) / 8, 0);
  all_set = true;
  for (size_t i = 0; i < n; ++i) {
    if (pred(i)) {
      bits[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
    } else {
      all_set = false;
    }
  }
  return bits;
}

// A validity bitmap from a predicate; empty (all valid) when nothing is null.
template <class Valid>
Buffer make_validity(size_t n, Valid valid) {
  bool all_valid = true;
  std::vector<uint8_t> bits = pack_bits(n, valid, all_valid);
  return all_valid ? Buffer() : Buffer::from_vector(std::move(bits));
}

ColumnBuffers string_buffers(const std::string& name, size_t n,
                             const std::string* (*get)(const void*, size_t), const void* src) {
  std::vector<int32_t> offsets(n + 1, 0);
  size_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    const std::string* s = get(src, i);
    total += s ? s->size() : 0;
    if (total > static_cast<size_t>(INT32_MAX)) {
      throw InvalidArgument(column_error(name, "strings exceed 2 GiB (int32 offsets)"));
    }
    offsets[i + 1] = static_cast<int32_t>(total);
  }
  std::vector<uint8_t> data;
  data.reserve(total);
  for (size_t i = 0; i < n; ++i) {
    if (const std::string* s = get(src, i)) data.insert(data.end(), s->begin(), s->end());
  }
  ColumnBuffers b;
  b.values = Buffer::from_vector(std::move(offsets));
  b.data = Buffer::from_vector(std::move(data));
  b.validity = make_validity(n, [&](size_t i) { return get(src, i) != nullptr; });
  return b;
}

void check_utf8(const Column& c) {
  for (int64_t i = 0; i < c.length(); ++i) {
    if (c.is_valid(i) && !is_valid_utf8(c.string_at(i))) {
      throw InvalidArgument(column_error(c.name(), "ill-formed UTF-8 at row " + std::to_string(i) +
                                                       ": " + escape_for_message(c.string_at(i))));
    }
  }
}

Column strings_column(std::string name, DataType type, size_t n,
                      const std::string* (*get)(const void*, size_t), const void* src) {
  ColumnBuffers b = string_buffers(name, n, get, src);
  Column c = Column::make(std::move(name), std::move(type), static_cast<int64_t>(n), std::move(b));
  if (c.type().id() == TypeId::kString) check_utf8(c);
  return c;
}

const std::string* plain_at(const void* v, size_t i) {
  return &(*static_cast<const std::vector<std::string>*>(v))[i];
}

const std::string* optional_at(const void* v, size_t i) {
  const auto& o = (*static_cast<const std::vector<std::optional<std::string>>*>(v))[i];
  return o ? &*o : nullptr;
}

}  // namespace

template <NumericValue T>
DataType data_type_of() {
  if constexpr (std::is_same_v<T, int8_t>) return DataType::int8();
  if constexpr (std::is_same_v<T, int16_t>) return DataType::int16();
  if constexpr (std::is_same_v<T, int32_t>) return DataType::int32();
  if constexpr (std::is_same_v<T, int64_t>) return DataType::int64();
  if constexpr (std::is_same_v<T, uint8_t>) return DataType::uint8();
  if constexpr (std::is_same_v<T, uint16_t>) return DataType::uint16();
  if constexpr (std::is_same_v<T, uint32_t>) return DataType::uint32();
  if constexpr (std::is_same_v<T, uint64_t>) return DataType::uint64();
  if constexpr (std::is_same_v<T, float>) return DataType::float32();
  if constexpr (std::is_same_v<T, double>) return DataType::float64();
}

template <NumericValue T>
Column Column::from_values(std::string name, std::vector<T> values) {
  const auto n = static_cast<int64_t>(values.size());
  ColumnBuffers b;
  b.values = Buffer::from_vector(std::move(values));
  return make(std::move(name), data_type_of<T>(), n, std::move(b));
}

template <NumericValue T>
Column Column::from_optional(std::string name, const std::vector<std::optional<T>>& values) {
  std::vector<T> plain(values.size(), T{});
  for (size_t i = 0; i < values.size(); ++i) plain[i] = values[i].value_or(T{});
  ColumnBuffers b;
  b.validity = make_validity(values.size(), [&](size_t i) { return values[i].has_value(); });
  b.values = Buffer::from_vector(std::move(plain));
  return make(std::move(name), data_type_of<T>(), static_cast<int64_t>(values.size()),
              std::move(b));
}

Column Column::from_bools(std::string name, const std::vector<bool>& values) {
  ColumnBuffers b;
  bool all_true = true;
  b.values = Buffer::from_vector(pack_bits(
      values.size(), [&](size_t i) { return values[i]; }, all_true));
  return make(std::move(name), DataType::boolean(), static_cast<int64_t>(values.size()),
              std::move(b));
}

Column Column::from_optional_bools(std::string name,
                                   const std::vector<std::optional<bool>>& values) {
  std::vector<bool> plain(values.size());
  for (size_t i = 0; i < values.size(); ++i) plain[i] = values[i].value_or(false);
  Column c = from_bools(name, plain);
  ColumnBuffers b;
  b.values = c.values_buffer();
  b.validity = make_validity(values.size(), [&](size_t i) { return values[i].has_value(); });
  return make(std::move(name), DataType::boolean(), c.length(), std::move(b));
}

Column Column::from_strings(std::string name, const std::vector<std::string>& values) {
  return strings_column(std::move(name), DataType::string(), values.size(), plain_at, &values);
}

Column Column::from_optional_strings(std::string name,
                                     const std::vector<std::optional<std::string>>& values) {
  return strings_column(std::move(name), DataType::string(), values.size(), optional_at, &values);
}

Column Column::from_binary(std::string name, const std::vector<std::string>& values) {
  return strings_column(std::move(name), DataType::binary(), values.size(), plain_at, &values);
}

Column Column::from_timestamps(std::string name, std::vector<int64_t> values, TimeUnit unit,
                               std::string timezone) {
  const auto n = static_cast<int64_t>(values.size());
  ColumnBuffers b;
  b.values = Buffer::from_vector(std::move(values));
  return make(std::move(name), DataType::timestamp(unit, std::move(timezone)), n, std::move(b));
}

Column Column::from_optional_timestamps(std::string name,
                                        const std::vector<std::optional<int64_t>>& values,
                                        TimeUnit unit, std::string timezone) {
  Column c = from_optional(name, values);
  ColumnBuffers b;
  b.values = c.values_buffer();
  b.validity = c.validity_buffer();
  return make(std::move(name), DataType::timestamp(unit, std::move(timezone)), c.length(),
              std::move(b));
}

Column Column::from_dates(std::string name, std::vector<int32_t> days) {
  const auto n = static_cast<int64_t>(days.size());
  ColumnBuffers b;
  b.values = Buffer::from_vector(std::move(days));
  return make(std::move(name), DataType::date32(), n, std::move(b));
}

Column Column::from_dictionary(std::string name, const std::vector<int32_t>& codes,
                               const std::vector<std::string>& categories, bool ordered) {
  const auto n = static_cast<int32_t>(categories.size());
  std::vector<int32_t> indices(codes.size(), 0);
  for (size_t i = 0; i < codes.size(); ++i) {
    if (codes[i] >= n) {
      throw InvalidArgument(column_error(name, "code " + std::to_string(codes[i]) + " at row " +
                                                   std::to_string(i) + " is outside " +
                                                   std::to_string(n) + " categories"));
    }
    indices[i] = codes[i] < 0 ? 0 : codes[i];
  }
  ColumnBuffers b;
  b.validity = make_validity(codes.size(), [&](size_t i) { return codes[i] >= 0; });
  b.values = Buffer::from_vector(std::move(indices));
  b.dictionary = std::make_shared<const Column>(from_strings(name, categories));
  DataType type = DataType::dictionary(DataType::int32(), DataType::string(), ordered);
  return make(std::move(name), std::move(type), static_cast<int64_t>(codes.size()), std::move(b));
}

#define QUILT_INSTANTIATE(T)                                           \
  template DataType data_type_of<T>();                                 \
  template Column Column::from_values<T>(std::string, std::vector<T>); \
  template Column Column::from_optional<T>(std::string, const std::vector<std::optional<T>>&);
QUILT_FOR_EACH_NUMERIC_TYPE(QUILT_INSTANTIATE)
#undef QUILT_INSTANTIATE

}  // namespace quilt
