#include "formats/parquet/rle.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

#include "quilt/errors.h"

namespace quilt::parquet {
namespace {

static_assert(std::endian::native == std::endian::little, "bit packing assumes little-endian");

uint32_t mask_of(int bit_width) {
  return bit_width >= 32 ? 0xFFFFFFFFu : (uint32_t{1} << bit_width) - 1;
}

// Pack whole groups of 8 (zero-padding the last) through a 64-bit accumulator
// that is flushed 32 bits at a time: a value of at most 32 bits never straddles
// more than the accumulator holds.
template <typename T>
void pack(std::span<const T> values, int bit_width, std::vector<uint8_t> &out) {
  size_t padded = (values.size() + 7) / 8 * 8;
  size_t base = out.size();
  out.resize(base + padded / 8 * bit_width);
  uint8_t *dst = out.data() + base;
  uint32_t mask = mask_of(bit_width);
  uint64_t acc = 0;
  int bits = 0;
  for (size_t k = 0; k < padded; ++k) {
    uint64_t value = k < values.size() ? (static_cast<uint32_t>(values[k]) & mask) : 0;
    acc |= value << bits;
    bits += bit_width;
    if (bits >= 32) {
      auto word = static_cast<uint32_t>(acc);
      std::memcpy(dst, &word, 4);
      dst += 4;
      acc >>= 32;
      bits -= 32;
    }
  }
  for (; bits > 0; bits -= 8, acc >>= 8) *dst++ = static_cast<uint8_t>(acc);
}

// Read each value with one unaligned 8-byte load; near the end of the data,
// from a zero-padded copy so no load passes the buffer.
template <typename T>
void unpack(const uint8_t *data, size_t data_size, size_t first, int bit_width, std::span<T> out) {
  if (bit_width == 0) {
    std::fill(out.begin(), out.end(), T{0});
    return;
  }
  uint32_t mask = mask_of(bit_width);
  size_t bit = first * bit_width;
  for (T &value : out) {
    size_t byte = bit >> 3;
    uint64_t word = 0;
    if (byte + 8 <= data_size) {
      std::memcpy(&word, data + byte, 8);
    } else {
      std::memcpy(&word, data + byte, data_size - byte);
    }
    value = static_cast<T>((word >> (bit & 7)) & mask);
    bit += bit_width;
  }
}

}  // namespace

int bit_width_of(uint64_t max_value) { return static_cast<int>(std::bit_width(max_value)); }

void bit_pack(std::span<const uint32_t> values, int bit_width, std::vector<uint8_t> &out) {
  pack(values, bit_width, out);
}

void bit_unpack(const uint8_t *data, size_t data_size, size_t first, int bit_width,
                std::span<uint32_t> out) {
  unpack(data, data_size, first, bit_width, out);
}

RleEncoder::RleEncoder(int bit_width) : bit_width_(bit_width) {
  if (bit_width < 0 || bit_width > 32) {
    throw InvalidArgument("RLE bit width " + std::to_string(bit_width) + " is not in 0..32");
  }
}

size_t RleEncoder::max_size(size_t count, int bit_width) {
  // Worst case: alternating literal groups and short runs; bounded by
  // all-literal plus headers.
  size_t groups = (count + 7) / 8;
  return groups * static_cast<size_t>(bit_width) + groups * 2 + 10 + 4;
}

void RleEncoder::put_varint(uint64_t value) {
  while (value >= 0x80) {
    buffer_.push_back(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  buffer_.push_back(static_cast<uint8_t>(value));
}

void RleEncoder::put_repeat(uint32_t value, size_t count) {
  put_varint(static_cast<uint64_t>(count) << 1);
  for (int i = 0; i < (bit_width_ + 7) / 8; ++i)
    buffer_.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

template <typename T>
void RleEncoder::put_literals(std::span<const T> values) {
  if (values.empty()) return;
  put_varint(((values.size() + 7) / 8) << 1 | 1);
  pack(values, bit_width_, buffer_);
}

template <typename T>
void RleEncoder::encode_values(std::span<const T> values) {
  size_t n = values.size();
  size_t literal_start = 0;
  size_t i = 0;
  while (i < n) {
    size_t j = i + 1;
    while (j < n && values[j] == values[i]) ++j;
    size_t run = j - i;
    // Literal groups hold exactly 8 values, so first fill the pending group
    // from the run.
    size_t pad = (8 - (i - literal_start) % 8) % 8;
    if (run < 8 || run - pad < 8) {
      i = j;
      continue;
    }
    put_literals(values.subspan(literal_start, i + pad - literal_start));
    put_repeat(static_cast<uint32_t>(values[i]), run - pad);
    i = j;
    literal_start = j;
  }
  put_literals(values.subspan(literal_start));
}

void RleEncoder::encode(std::span<const uint32_t> values) { encode_values(values); }
void RleEncoder::encode(std::span<const uint16_t> values) { encode_values(values); }
void RleEncoder::encode(std::span<const uint8_t> values) { encode_values(values); }

void RleEncoder::encode_length_prefixed(std::span<const uint8_t> values) {
  size_t start = buffer_.size();
  buffer_.resize(start + 4);
  encode_values(values);
  auto length = static_cast<uint32_t>(buffer_.size() - start - 4);
  std::memcpy(buffer_.data() + start, &length, 4);
}

void RleEncoder::encode_with_bit_width(std::span<const uint32_t> indices) {
  buffer_.push_back(static_cast<uint8_t>(bit_width_));
  encode_values(indices);
}

RleDecoder::RleDecoder(std::span<const uint8_t> data, int bit_width, const char *what)
    : data_(data), bit_width_(bit_width), what_(what) {
  if (bit_width < 0 || bit_width > 32) {
    throw InvalidArgument("RLE bit width " + std::to_string(bit_width) + " is not in 0..32");
  }
}

void RleDecoder::fail(const std::string &message) const {
  throw Corrupt(std::string(what_) + ": " + message + " at byte " + std::to_string(pos_));
}

void RleDecoder::next_run() {
  uint64_t header = 0;
  for (int shift = 0;; shift += 7) {
    if (pos_ >= data_.size())
      fail(shift == 0 ? "ends before all values were read" : "truncated run header");
    if (shift > 63) fail("run header longer than 10 bytes");
    uint8_t byte = data_[pos_++];
    header |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) break;
  }
  uint64_t count = header >> 1;
  if (count == 0) fail("empty run");
  if (count > (uint64_t{1} << 40)) fail("run of " + std::to_string(count) + " is too long");
  size_t left = data_.size() - pos_;
  if ((header & 1) == 0) {
    size_t width = (bit_width_ + 7) / 8;
    if (width > left) fail("truncated RLE run value");
    uint32_t value = 0;
    for (size_t i = 0; i < width; ++i) value |= static_cast<uint32_t>(data_[pos_ + i]) << (8 * i);
    pos_ += width;
    if (value > mask_of(bit_width_)) fail("RLE run value wider than the bit width");
    is_literal_ = false;
    repeat_value_ = value;
    left_ = count;
    return;
  }
  size_t values = count * 8;
  size_t bytes = count * bit_width_;
  // Writers pad the last group; tolerate a shorter last run as long as the
  // values asked for are present (the loop in decode_values fails when they are
  // not).
  if (bytes > left) {
    values = left * 8 / bit_width_;
    bytes = left;
    if (values == 0) fail("truncated bit-packed run of " + std::to_string(count * 8) + " values");
  }
  is_literal_ = true;
  literal_ = data_.data() + pos_;
  literal_index_ = 0;
  left_ = values;
  pos_ += bytes;
}

template <typename T>
void RleDecoder::decode_values(std::span<T> out) {
  if (bit_width_ > static_cast<int>(sizeof(T) * 8)) {
    throw InvalidArgument("RLE bit width " + std::to_string(bit_width_) +
                          " exceeds the output type");
  }
  size_t done = 0;
  while (done < out.size()) {
    if (left_ == 0) next_run();
    size_t n = std::min(left_, out.size() - done);
    std::span<T> dst = out.subspan(done, n);
    if (is_literal_) {
      size_t literal_bytes = static_cast<size_t>(data_.data() + pos_ - literal_);
      unpack(literal_, literal_bytes, literal_index_, bit_width_, dst);
      literal_index_ += n;
    } else {
      std::fill(dst.begin(), dst.end(), static_cast<T>(repeat_value_));
    }
    left_ -= n;
    done += n;
  }
}

void RleDecoder::decode(std::span<uint32_t> out) { decode_values(out); }
void RleDecoder::decode(std::span<uint16_t> out) { decode_values(out); }
void RleDecoder::decode(std::span<uint8_t> out) { decode_values(out); }

std::vector<uint8_t> encode_levels_v1(std::span<const uint8_t> levels, int max_level) {
  RleEncoder encoder(bit_width_of(static_cast<uint64_t>(max_level)));
  encoder.encode_length_prefixed(levels);
  return {encoder.bytes().begin(), encoder.bytes().end()};
}

size_t decode_levels_v1(std::span<const uint8_t> data, int max_level, std::span<uint8_t> out) {
  if (data.size() < 4) throw Corrupt("levels: truncated 4-byte length");
  uint32_t length;
  std::memcpy(&length, data.data(), 4);
  if (length > data.size() - 4) {
    throw Corrupt("levels: length " + std::to_string(length) + " runs past the page (" +
                  std::to_string(data.size() - 4) + " bytes left)");
  }
  RleDecoder decoder(data.subspan(4, length), bit_width_of(static_cast<uint64_t>(max_level)),
                     "levels");
  decoder.decode(out);
  for (uint8_t level : out) {
    if (level > max_level)
      throw Corrupt("levels: level " + std::to_string(level) + " exceeds " +
                    std::to_string(max_level));
  }
  return 4 + static_cast<size_t>(length);
}

void decode_dictionary_indices(std::span<const uint8_t> data, uint32_t dictionary_size,
                               std::span<uint32_t> out, const char *what) {
  if (out.empty()) return;
  if (data.empty()) throw Corrupt(std::string(what) + ": missing bit width byte");
  if (data[0] > 32) {
    throw Corrupt(std::string(what) + ": bit width " + std::to_string(data[0]) + " is over 32");
  }
  RleDecoder(data.subspan(1), data[0], what).decode(out);
  // One pass with no early exit vectorises; the error names the largest index.
  uint32_t max_index = 0;
  for (uint32_t index : out) max_index = std::max(max_index, index);
  if (max_index >= dictionary_size) {
    throw Corrupt(std::string(what) + ": dictionary index " + std::to_string(max_index) +
                  " out of range (dictionary of " + std::to_string(dictionary_size) + ")");
  }
}

}  // namespace quilt::parquet
