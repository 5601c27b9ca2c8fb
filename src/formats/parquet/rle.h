#pragma once

// Parquet's RLE/bit-packed hybrid encoding, used for definition levels and
// dictionary indices. A stream is a sequence of runs, each led by a ULEB128
// header:
//   header & 1 == 0: an RLE run of (header >> 1) copies of one value stored in
//                    ceil(bit_width / 8) little-endian bytes;
//   header & 1 == 1: (header >> 1) groups of 8 values, bit-packed LSB-first at
//   bit_width bits.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace quilt::parquet {

/// Return the number of bits needed for values up to `max_value` (0 for 0).
int bit_width_of(uint64_t max_value);

/// Encodes values into an RLE/bit-packed hybrid stream in a buffer reused
/// between pages. Runs of 8 or more equal values become RLE runs; the rest is
/// bit-packed in groups of 8 (the last group padded with zeros). Not
/// thread-safe.
class RleEncoder {
 public:
  /// Throws InvalidArgument unless 0 <= bit_width <= 32.
  explicit RleEncoder(int bit_width);

  /// Append the encoding of `values` as one stream. REQUIRES: each value <
  /// 2^bit_width.
  void encode(std::span<const uint32_t> values);
  void encode(std::span<const uint16_t> values);
  void encode(std::span<const uint8_t> values);

  /// Append a 4-byte little-endian length, then the encoding of `values`:
  /// levels as data pages v1 store them.
  void encode_length_prefixed(std::span<const uint8_t> values);

  /// Append one byte holding the bit width, then the encoding of `indices`:
  /// dictionary indices as an RLE_DICTIONARY data page stores them.
  void encode_with_bit_width(std::span<const uint32_t> indices);

  /// Return the bytes encoded since construction or the last clear().
  std::span<const uint8_t> bytes() const { return buffer_; }
  void clear() { buffer_.clear(); }
  int bit_width() const { return bit_width_; }

  /// Return an upper bound of the bytes encode() appends for `count` values.
  static size_t max_size(size_t count, int bit_width);

 private:
  template <typename T>
  void encode_values(std::span<const T> values);
  template <typename T>
  void put_literals(std::span<const T> values);
  void put_repeat(uint32_t value, size_t count);
  void put_varint(uint64_t value);

  int bit_width_;
  std::vector<uint8_t> buffer_;
};

/// Decodes an RLE/bit-packed hybrid stream from bytes it does not own.
/// Throws Corrupt (naming `what`, say "dictionary indices of column x") on
/// truncated runs, a zero-length run, or a stream that ends before the values
/// asked for. Not thread-safe.
class RleDecoder {
 public:
  RleDecoder(std::span<const uint8_t> data, int bit_width, const char *what = "RLE data");

  /// Fill `out` completely; throws Corrupt if the stream holds fewer values,
  /// InvalidArgument if the bit width exceeds the width of the element type.
  void decode(std::span<uint32_t> out);
  void decode(std::span<uint16_t> out);
  void decode(std::span<uint8_t> out);

  /// Return the bytes consumed so far (whole runs only).
  size_t position() const { return pos_; }

 private:
  template <typename T>
  void decode_values(std::span<T> out);
  void next_run();
  [[noreturn]] void fail(const std::string &message) const;

  std::span<const uint8_t> data_;
  int bit_width_;
  const char *what_;
  size_t pos_ = 0;
  // The current run: `left_` values remain. For a literal run, `literal_` is
  // its first byte and `literal_index_` the index of the next value within it.
  size_t left_ = 0;
  bool is_literal_ = false;
  uint32_t repeat_value_ = 0;
  const uint8_t *literal_ = nullptr;
  size_t literal_index_ = 0;
};

/// Pack `values` at `bit_width` bits each, LSB-first, appending to `out` (whole
/// bytes).
void bit_pack(std::span<const uint32_t> values, int bit_width, std::vector<uint8_t> &out);

/// Unpack `out.size()` values of `bit_width` bits from `data` starting at value
/// `first`. REQUIRES: data holds (first + out.size()) * bit_width bits.
void bit_unpack(const uint8_t *data, size_t data_size, size_t first, int bit_width,
                std::span<uint32_t> out);

/// Return definition or repetition levels as data pages v1 store them: a 4-byte
/// little-endian length, then the RLE/bit-packed stream at the bit width of
/// `max_level`.
std::vector<uint8_t> encode_levels_v1(std::span<const uint8_t> levels, int max_level);

/// Decode `out.size()` levels stored as encode_levels_v1() writes them; return
/// the bytes used (length prefix included). Throws Corrupt if the length runs
/// past `data` or the stream is short.
size_t decode_levels_v1(std::span<const uint8_t> data, int max_level, std::span<uint8_t> out);

/// Decode `out.size()` dictionary indices stored as RLE_DICTIONARY data pages hold them (a bit
/// width byte, then the stream). Throws Corrupt, naming `what`, for a bit width over 32, a short
/// stream, or an index not below `dictionary_size`.
void decode_dictionary_indices(std::span<const uint8_t> data, uint32_t dictionary_size,
                               std::span<uint32_t> out, const char *what);

}  // namespace quilt::parquet
