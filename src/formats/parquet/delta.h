#pragma once

// Parquet's DELTA_BINARY_PACKED encoding (and the byte-array encodings built on it) and
// BYTE_STREAM_SPLIT, as parquet-format's Encodings.md specifies them:
//
// DELTA_BINARY_PACKED: a header <block size in values> <miniblocks per block> <total value count>
// <first value (zigzag)>, all ULEB128; then blocks of <min delta (zigzag ULEB128)> <one bit width
// byte per miniblock> <miniblocks>, each miniblock holding (block size / miniblocks) deltas minus
// the min delta, bit-packed LSB-first. The last miniblock used is padded to full size; miniblocks
// not needed at all are absent (their bit width bytes are not). Arithmetic wraps in the width of
// the physical type.
// DELTA_LENGTH_BYTE_ARRAY: the lengths as DELTA_BINARY_PACKED, then the bytes back to back.
// DELTA_BYTE_ARRAY: prefix lengths (shared with the previous value) as DELTA_BINARY_PACKED, then
// the suffixes as DELTA_LENGTH_BYTE_ARRAY.
// BYTE_STREAM_SPLIT: byte k of every value, for k = 0 .. width-1, as width streams back to back.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace quilt::parquet {

/// Decodes a DELTA_BINARY_PACKED stream of T (int32_t or int64_t) from bytes it does not own,
/// lazily, a miniblock at a time. Throws Corrupt, naming `what`, for a malformed header, a bit
/// width wider than T, a truncated block, or more values asked for than the stream holds.
/// Not thread-safe.
template <typename T>
class DeltaBinaryPackedDecoder {
 public:
  DeltaBinaryPackedDecoder(std::span<const uint8_t> data, const char* what);

  /// The number of values the header announces.
  uint64_t total() const { return total_; }
  /// The values not yet decoded.
  uint64_t remaining() const { return total_ - produced_; }
  /// Fill out[0, n) with the next n values.
  void decode(T* out, size_t n);
  /// Decode every value left and return the offset of the first byte after the stream.
  size_t skip_to_end();

 private:
  using U = std::make_unsigned_t<T>;
  uint64_t read_varint();
  int64_t read_zigzag();
  void next_block();
  void next_miniblock();
  [[noreturn]] void fail(const std::string& message) const;

  std::span<const uint8_t> data_;
  const char* what_;
  size_t pos_ = 0;
  uint64_t block_size_ = 0;
  uint64_t miniblocks_ = 0;
  uint64_t per_miniblock_ = 0;
  uint64_t total_ = 0;
  uint64_t produced_ = 0;
  U last_ = 0;
  bool first_pending_ = true;
  // The current block.
  U min_delta_ = 0;
  std::vector<uint8_t> widths_;
  size_t miniblock_index_ = 0;  // of the next miniblock in the block
  // The current miniblock's values, decoded.
  std::vector<U> values_;
  size_t value_index_ = 0;
};

extern template class DeltaBinaryPackedDecoder<int32_t>;
extern template class DeltaBinaryPackedDecoder<int64_t>;

/// Decodes DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY pages into views. `count` is the most
/// values the page may hold (its value count); each value is checked for length (non-negative,
/// within the page, `fixed_width` when not 0). DELTA_BYTE_ARRAY values are rebuilt into a buffer
/// reused batch after batch: views from next() are valid until the next call. Throws Corrupt,
/// naming the encoding, for malformed input. Not thread-safe.
class ByteArrayDeltaDecoder {
 public:
  ByteArrayDeltaDecoder(std::span<const uint8_t> data, bool with_prefixes, size_t count,
                        size_t fixed_width);
  /// Fill out[0, n) with the next n values.
  void next(std::string_view* out, size_t n);

 private:
  bool with_prefixes_;
  size_t fixed_width_;
  std::vector<int32_t> prefixes_;
  std::vector<int32_t> lengths_;
  std::span<const uint8_t> bytes_;  // the suffixes (or whole values) back to back
  size_t byte_pos_ = 0;
  size_t index_ = 0;
  std::string previous_;
  std::vector<char> built_;  // values of the current batch (DELTA_BYTE_ARRAY)
};

/// Decodes BYTE_STREAM_SPLIT values of `width` bytes. The page's values section must hold a whole
/// number of values; the streams are split by that number. Throws Corrupt otherwise, and when
/// more values are asked for than there are. Not thread-safe.
class ByteStreamSplitDecoder {
 public:
  ByteStreamSplitDecoder(std::span<const uint8_t> data, size_t width);
  /// Write the next n values, `width` bytes each, back to back at `out`.
  void decode(uint8_t* out, size_t n);
  size_t count() const { return count_; }

 private:
  std::span<const uint8_t> data_;
  size_t width_;
  size_t count_;
  size_t index_ = 0;
};

/// Appends DELTA_BINARY_PACKED encodings (blocks of 128 values in 4 miniblocks of 32, as
/// parquet-mr and arrow write). Not thread-safe.
template <typename T>
class DeltaBinaryPackedEncoder {
 public:
  /// Append the encoding of `values` as one stream to `out`.
  static void encode(std::span<const T> values, std::vector<uint8_t>& out);
};

extern template class DeltaBinaryPackedEncoder<int32_t>;
extern template class DeltaBinaryPackedEncoder<int64_t>;

/// Append the BYTE_STREAM_SPLIT encoding of `count` values of `width` bytes at `values`.
void byte_stream_split_encode(const uint8_t* values, size_t count, size_t width,
                              std::vector<uint8_t>& out);

}  // namespace quilt::parquet
