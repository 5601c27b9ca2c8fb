#pragma once

// Parquet's PLAIN encoding: fixed-width values little-endian back to back,
// BOOLEAN bit-packed LSB-first (the layout of an Arrow validity bitmap),
// BYTE_ARRAY as a 4-byte little-endian length then the bytes,
// FIXED_LEN_BYTE_ARRAY as the bytes alone. INT96 (legacy timestamps) is read
// only.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace quilt::parquet {

/// A PLAIN value type with a fixed width: int32_t, int64_t, float or double.
template <typename T>
concept PlainFixed = std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t> ||
    std::is_same_v<T, float> || std::is_same_v<T, double>;

/// Appends PLAIN-encoded values to a buffer reused from page to page. One
/// encoder holds one physical type at a time (booleans continue one bit stream
/// until clear()). Not thread-safe.
class PlainEncoder {
 public:
  /// Append fixed-width values (a memcpy: the host is little-endian).
  template <PlainFixed T>
  void put(std::span<const T> values) {
    size_t start = buffer_.size();
    buffer_.resize(start + values.size_bytes());
    if (!values.empty()) std::memcpy(buffer_.data() + start, values.data(), values.size_bytes());
  }
  void put_bool(bool value);
  /// Append `count` booleans from an LSB-first bitmap starting at bit
  /// `bit_offset`.
  void put_bools(const uint8_t *bitmap, size_t bit_offset, size_t count);
  void put_byte_array(std::string_view value);
  /// Append the strings of an Arrow string column: value i is data[offsets[i],
  /// offsets[i+1]). REQUIRES: offsets non-decreasing.
  void put_byte_arrays(std::span<const int32_t> offsets, const uint8_t *data);
  /// Append FIXED_LEN_BYTE_ARRAY values already laid end to end.
  void put_fixed_len(std::span<const uint8_t> values);

  /// Return the bytes encoded since construction or the last clear().
  std::span<const uint8_t> bytes() const { return buffer_; }
  void clear();

 private:
  std::vector<uint8_t> buffer_;
  size_t bool_count_ = 0;
};

/// A 12-byte INT96 value: nanoseconds of the day (8 bytes), then the Julian day
/// (4 bytes).
struct Int96 {
  uint32_t words[3];
};

static_assert(sizeof(Int96) == 12);

/// Return an INT96 timestamp as nanoseconds since the Unix epoch.
int64_t int96_to_unix_nanos(Int96 value);

/// Decodes PLAIN values from bytes it does not own. Each call continues where
/// the last ended. Throws Corrupt, naming `what` (say "column x, page 3"), when
/// the data runs out. Not thread-safe.
class PlainDecoder {
 public:
  explicit PlainDecoder(std::span<const uint8_t> data, std::string what = "PLAIN data");

  /// Fill `out` with fixed-width values.
  template <PlainFixed T>
  void decode(std::span<T> out) {
    const uint8_t *p = take(out.size_bytes(), out.size(), "values");
    if (!out.empty()) std::memcpy(out.data(), p, out.size_bytes());
  }
  /// Fill `out` with booleans, one 0/1 byte each.
  void decode_bools(std::span<uint8_t> out);
  void decode_int96(std::span<Int96> out);
  /// Fill `out` with views of BYTE_ARRAY values inside the input.
  void decode_byte_arrays(std::span<std::string_view> out);
  /// Return `count` FIXED_LEN_BYTE_ARRAY values of `width` bytes, laid end to
  /// end.
  std::span<const uint8_t> decode_fixed_len(size_t count, size_t width);

  /// Return the bytes not yet consumed (booleans count whole bytes started).
  size_t remaining() const { return data_.size() - pos_; }

 private:
  const uint8_t *take(size_t bytes, size_t count, const char *kind);

  std::span<const uint8_t> data_;
  std::string what_;
  size_t pos_ = 0;
  size_t bool_index_ = 0;  // bits consumed from the booleans' first byte onwards
};

}  // namespace quilt::parquet
