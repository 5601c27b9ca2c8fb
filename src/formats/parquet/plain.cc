#include "formats/parquet/plain.h"

#include <bit>
#include <limits>

#include "quilt/errors.h"

namespace quilt::parquet {

static_assert(std::endian::native == std::endian::little, "PLAIN is little-endian");

void PlainEncoder::clear() {
  buffer_.clear();
  bool_count_ = 0;
}

void PlainEncoder::put_bool(bool value) {
  if (bool_count_ % 8 == 0) buffer_.push_back(0);
  buffer_.back() |= static_cast<uint8_t>(value) << (bool_count_ % 8);
  ++bool_count_;
}

void PlainEncoder::put_bools(const uint8_t *bitmap, size_t bit_offset, size_t count) {
  // Both sides byte-aligned: the bitmap's bytes are the encoding.
  if (bit_offset % 8 == 0 && bool_count_ % 8 == 0) {
    buffer_.insert(buffer_.end(), bitmap + bit_offset / 8, bitmap + bit_offset / 8 + count / 8);
    bool_count_ += count / 8 * 8;
    bit_offset += count / 8 * 8;
    count %= 8;
  }
  for (size_t i = 0; i < count; ++i) {
    size_t bit = bit_offset + i;
    put_bool((bitmap[bit / 8] >> (bit % 8)) & 1);
  }
}

void PlainEncoder::put_byte_array(std::string_view value) {
  if (value.size() > std::numeric_limits<uint32_t>::max()) {
    throw InvalidArgument("a BYTE_ARRAY value over 4 GiB cannot be written to Parquet");
  }
  auto length = static_cast<uint32_t>(value.size());
  size_t start = buffer_.size();
  buffer_.resize(start + 4 + value.size());
  std::memcpy(buffer_.data() + start, &length, 4);
  if (length > 0) std::memcpy(buffer_.data() + start + 4, value.data(), length);
}

void PlainEncoder::put_byte_arrays(std::span<const int32_t> offsets, const uint8_t *data) {
  if (offsets.size() < 2) return;
  size_t count = offsets.size() - 1;
  size_t start = buffer_.size();
  size_t data_bytes = static_cast<size_t>(offsets[count] - offsets[0]);
  buffer_.resize(start + 4 * count + data_bytes);
  uint8_t *dst = buffer_.data() + start;
  for (size_t i = 0; i < count; ++i) {
    auto length = static_cast<uint32_t>(offsets[i + 1] - offsets[i]);
    std::memcpy(dst, &length, 4);
    if (length > 0) std::memcpy(dst + 4, data + offsets[i], length);
    dst += 4 + length;
  }
}

void PlainEncoder::put_fixed_len(std::span<const uint8_t> values) {
  buffer_.insert(buffer_.end(), values.begin(), values.end());
}

int64_t int96_to_unix_nanos(Int96 value) {
  constexpr int64_t kUnixEpochJulianDay = 2440588;
  constexpr int64_t kNanosPerDay = 86400LL * 1000 * 1000 * 1000;
  uint64_t nanos_of_day = value.words[0] | static_cast<uint64_t>(value.words[1]) << 32;
  int64_t days = static_cast<int64_t>(value.words[2]) - kUnixEpochJulianDay;
  // Wraps like other readers for dates past year 2262 rather than trapping.
  return static_cast<int64_t>(static_cast<uint64_t>(days) * kNanosPerDay + nanos_of_day);
}

PlainDecoder::PlainDecoder(std::span<const uint8_t> data, std::string what)
    : data_(data), what_(std::move(what)) {}

const uint8_t *PlainDecoder::take(size_t bytes, size_t count, const char *kind) {
  if (bytes > data_.size() - pos_) {
    throw Corrupt(what_ + ": " + std::to_string(count) + " PLAIN " + kind + " need " +
                  std::to_string(bytes) + " bytes, " + std::to_string(data_.size() - pos_) +
                  " left");
  }
  const uint8_t *p = data_.data() + pos_;
  pos_ += bytes;
  return p;
}

void PlainDecoder::decode_bools(std::span<uint8_t> out) {
  // pos_ already counts the partly read byte, so bits come from data_[start +
  // bit / 8].
  size_t start = pos_ - (bool_index_ + 7) / 8;
  size_t end_bit = bool_index_ + out.size();
  take((end_bit + 7) / 8 - (bool_index_ + 7) / 8, out.size(), "booleans");
  const uint8_t *base = data_.data() + start;
  for (uint8_t &value : out) {
    value = (base[bool_index_ / 8] >> (bool_index_ % 8)) & 1;
    ++bool_index_;
  }
}

void PlainDecoder::decode_int96(std::span<Int96> out) {
  const uint8_t *p = take(out.size() * 12, out.size(), "INT96 values");
  if (!out.empty()) std::memcpy(out.data(), p, out.size() * 12);
}

void PlainDecoder::decode_byte_arrays(std::span<std::string_view> out) {
  for (size_t i = 0; i < out.size(); ++i) {
    uint32_t length;
    std::memcpy(&length, take(4, 1, "BYTE_ARRAY length"), 4);
    if (length > data_.size() - pos_) {
      throw Corrupt(what_ + ": BYTE_ARRAY value " + std::to_string(i) + " of " +
                    std::to_string(length) + " bytes runs past the page (" +
                    std::to_string(data_.size() - pos_) + " bytes left)");
    }
    out[i] = {reinterpret_cast<const char *>(data_.data() + pos_), length};
    pos_ += length;
  }
}

std::span<const uint8_t> PlainDecoder::decode_fixed_len(size_t count, size_t width) {
  if (width != 0 && count > std::numeric_limits<size_t>::max() / width) {
    throw Corrupt(what_ + ": FIXED_LEN_BYTE_ARRAY size overflows");
  }
  return {take(count * width, count, "FIXED_LEN_BYTE_ARRAY values"), count * width};
}

}  // namespace quilt::parquet
