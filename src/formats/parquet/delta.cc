#include "formats/parquet/delta.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "quilt/errors.h"

namespace quilt::parquet {
namespace {

// The largest block we accept: writers use 128 (parquet-mr, arrow) or a few hundred values; a
// bound keeps a lying header from sizing our buffers.
constexpr uint64_t kMaxBlockSize = uint64_t{1} << 16;
// The longest a DELTA_BYTE_ARRAY batch may rebuild: more than a string column can hold.
constexpr uint64_t kMaxBatchBytes = uint64_t{1} << 31;

uint64_t load_u64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

}  // namespace

template <typename T>
DeltaBinaryPackedDecoder<T>::DeltaBinaryPackedDecoder(std::span<const uint8_t> data,
                                                      const char* what)
    : data_(data), what_(what) {
  if (data.empty()) {
    // No stream at all: no values (a page whose values are all null may be written so).
    miniblocks_ = 0;
    first_pending_ = false;
    return;
  }
  block_size_ = read_varint();
  miniblocks_ = read_varint();
  total_ = read_varint();
  last_ = static_cast<U>(read_zigzag());
  if (block_size_ == 0 || block_size_ % 128 != 0 || block_size_ > kMaxBlockSize) {
    fail("block size " + std::to_string(block_size_) +
         " is not a multiple of 128 up to " + std::to_string(kMaxBlockSize));
  }
  if (miniblocks_ == 0 || block_size_ % miniblocks_ != 0 ||
      (block_size_ / miniblocks_) % 32 != 0) {
    fail(std::to_string(miniblocks_) + " miniblocks do not split a block of " +
         std::to_string(block_size_) + " values into multiples of 32");
  }
  per_miniblock_ = block_size_ / miniblocks_;
  first_pending_ = total_ > 0;
  miniblock_index_ = miniblocks_;  // no block read yet
}

template <typename T>
void DeltaBinaryPackedDecoder<T>::fail(const std::string& message) const {
  throw Corrupt(std::string(what_) + " (DELTA_BINARY_PACKED): " + message);
}

template <typename T>
uint64_t DeltaBinaryPackedDecoder<T>::read_varint() {
  uint64_t value = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (pos_ >= data_.size()) fail("truncated: a varint runs past the end of the data");
    uint8_t byte = data_[pos_++];
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  fail("a varint longer than 10 bytes");
}

template <typename T>
int64_t DeltaBinaryPackedDecoder<T>::read_zigzag() {
  uint64_t v = read_varint();
  return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
}

template <typename T>
void DeltaBinaryPackedDecoder<T>::next_block() {
  min_delta_ = static_cast<U>(read_zigzag());
  if (data_.size() - pos_ < miniblocks_) {
    fail("truncated: a block's " + std::to_string(miniblocks_) +
         " miniblock bit widths run past the end of the data");
  }
  widths_.assign(data_.begin() + static_cast<ptrdiff_t>(pos_),
                 data_.begin() + static_cast<ptrdiff_t>(pos_ + miniblocks_));
  pos_ += miniblocks_;
  miniblock_index_ = 0;
}

template <typename T>
void DeltaBinaryPackedDecoder<T>::next_miniblock() {
  if (miniblock_index_ == miniblocks_) next_block();
  const unsigned width = widths_[miniblock_index_++];
  if (width > 8 * sizeof(T)) {
    fail("miniblock bit width " + std::to_string(width) + " exceeds the " +
         std::to_string(8 * sizeof(T)) + " bits of the values");
  }
  // The deltas still owed (the first value came from the header).
  const uint64_t owed = total_ - produced_;
  const auto needed = static_cast<size_t>(std::min<uint64_t>(per_miniblock_, owed));
  const size_t full_bytes = static_cast<size_t>(per_miniblock_ * width / 8);
  const size_t needed_bytes = (needed * width + 7) / 8;
  const size_t left = data_.size() - pos_;
  if (left < needed_bytes) {
    fail("truncated: a miniblock of " + std::to_string(needed) + " values at " +
         std::to_string(width) + " bits needs " + std::to_string(needed_bytes) + " bytes, " +
         std::to_string(left) + " remain");
  }
  // The last miniblock should be padded to full size; accept one that is not when the data ends.
  const size_t take = std::min(full_bytes, left);
  const uint8_t* src = data_.data() + pos_;
  pos_ += take;
  values_.resize(needed);
  value_index_ = 0;
  if (width == 0) {
    std::fill(values_.begin(), values_.end(), min_delta_);
    return;
  }
  // Unpack from a copy padded with zeros, so that 8-byte loads never pass the end.
  uint8_t padded[64 * 8 + 16] = {};
  const uint64_t mask = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  for (size_t start = 0; start < needed; start += 64) {
    const size_t group = std::min<size_t>(64, needed - start);
    const size_t first_byte = start * width / 8;  // 64 values: a whole number of bytes
    const size_t bytes = std::min(take - std::min(take, first_byte), size_t{64} * width / 8);
    std::memset(padded, 0, sizeof(padded));
    if (bytes > 0) std::memcpy(padded, src + first_byte, bytes);
    for (size_t j = 0; j < group; ++j) {
      const size_t bit = j * width;
      const size_t byte = bit >> 3;
      const unsigned shift = bit & 7;
      uint64_t v = load_u64(padded + byte) >> shift;
      if (shift + width > 64) v |= static_cast<uint64_t>(padded[byte + 8]) << (64 - shift);
      values_[start + j] = static_cast<U>(static_cast<U>(v & mask) + min_delta_);
    }
  }
}

template <typename T>
void DeltaBinaryPackedDecoder<T>::decode(T* out, size_t n) {
  if (n > remaining()) {
    fail("asked for " + std::to_string(n) + " values, the stream holds " +
         std::to_string(remaining()) + " more");
  }
  for (size_t i = 0; i < n; ++i) {
    if (first_pending_) {
      first_pending_ = false;
    } else {
      if (value_index_ == values_.size()) next_miniblock();
      last_ = static_cast<U>(last_ + values_[value_index_++]);
    }
    out[i] = static_cast<T>(last_);
    ++produced_;
  }
}

template <typename T>
size_t DeltaBinaryPackedDecoder<T>::skip_to_end() {
  T sink[256];
  while (remaining() > 0) {
    decode(sink, static_cast<size_t>(std::min<uint64_t>(remaining(), 256)));
  }
  return pos_;
}

template class DeltaBinaryPackedDecoder<int32_t>;
template class DeltaBinaryPackedDecoder<int64_t>;

ByteArrayDeltaDecoder::ByteArrayDeltaDecoder(std::span<const uint8_t> data, bool with_prefixes,
                                             size_t count, size_t fixed_width)
    : with_prefixes_(with_prefixes), fixed_width_(fixed_width) {
  const char* encoding = with_prefixes ? "DELTA_BYTE_ARRAY" : "DELTA_LENGTH_BYTE_ARRAY";
  auto fail = [&](const std::string& message) {
    throw Corrupt(std::string(encoding) + ": " + message);
  };
  size_t pos = 0;
  auto read_all = [&](const char* what, std::vector<int32_t>& into) {
    DeltaBinaryPackedDecoder<int32_t> d(data.subspan(pos), what);
    if (d.total() > count) {
      fail(std::string(what) + ": " + std::to_string(d.total()) + " values in a page of " +
           std::to_string(count));
    }
    into.resize(static_cast<size_t>(d.total()));
    d.decode(into.data(), into.size());
    pos += d.skip_to_end();
    for (size_t i = 0; i < into.size(); ++i) {
      if (into[i] < 0) {
        fail(std::string(what) + ": value " + std::to_string(i) + " is negative (" +
             std::to_string(into[i]) + ")");
      }
    }
  };
  if (with_prefixes) read_all("prefix lengths", prefixes_);
  read_all(with_prefixes ? "suffix lengths" : "lengths", lengths_);
  if (with_prefixes && prefixes_.size() != lengths_.size()) {
    fail(std::to_string(prefixes_.size()) + " prefix lengths but " +
         std::to_string(lengths_.size()) + " suffix lengths");
  }
  bytes_ = data.subspan(pos);
  uint64_t sum = 0;
  for (int32_t length : lengths_) sum += static_cast<uint64_t>(length);
  if (sum > bytes_.size()) {
    fail("the lengths add up to " + std::to_string(sum) + " bytes, past the page's " +
         std::to_string(bytes_.size()));
  }
}

void ByteArrayDeltaDecoder::next(std::string_view* out, size_t n) {
  const char* encoding = with_prefixes_ ? "DELTA_BYTE_ARRAY" : "DELTA_LENGTH_BYTE_ARRAY";
  auto fail = [&](const std::string& message) {
    throw Corrupt(std::string(encoding) + ": " + message);
  };
  if (n > lengths_.size() - index_) {
    fail("the page holds " + std::to_string(lengths_.size()) + " values, fewer than its levels");
  }
  const char* base = reinterpret_cast<const char*>(bytes_.data());
  if (!with_prefixes_) {
    for (size_t i = 0; i < n; ++i) {
      auto length = static_cast<size_t>(lengths_[index_++]);
      out[i] = {base + byte_pos_, length};
      byte_pos_ += length;
    }
  } else {
    uint64_t total = 0;
    uint64_t previous = previous_.size();
    for (size_t i = 0; i < n; ++i) {
      auto prefix = static_cast<uint64_t>(prefixes_[index_ + i]);
      if (prefix > previous) {
        fail("value " + std::to_string(index_ + i) + " shares a prefix of " +
             std::to_string(prefix) + " bytes with a previous value of " +
             std::to_string(previous));
      }
      previous = prefix + static_cast<uint64_t>(lengths_[index_ + i]);
      total += previous;
    }
    if (total > kMaxBatchBytes) fail("values too long to hold (" + std::to_string(total) + ")");
    built_.resize(static_cast<size_t>(total));
    char* dst = built_.data();
    std::string_view last = previous_;
    for (size_t i = 0; i < n; ++i, ++index_) {
      auto prefix = static_cast<size_t>(prefixes_[index_]);
      auto suffix = static_cast<size_t>(lengths_[index_]);
      if (prefix > 0) std::memmove(dst, last.data(), prefix);
      if (suffix > 0) std::memcpy(dst + prefix, base + byte_pos_, suffix);
      byte_pos_ += suffix;
      out[i] = last = std::string_view(dst, prefix + suffix);
      dst += prefix + suffix;
    }
    if (n > 0) previous_.assign(last);
  }
  if (fixed_width_ != 0) {
    for (size_t i = 0; i < n; ++i) {
      if (out[i].size() != fixed_width_) {
        fail("a value of " + std::to_string(out[i].size()) + " bytes in a column of width " +
             std::to_string(fixed_width_));
      }
    }
  }
}

ByteStreamSplitDecoder::ByteStreamSplitDecoder(std::span<const uint8_t> data, size_t width)
    : data_(data), width_(width), count_(width == 0 ? 0 : data.size() / width) {
  if (width == 0 || data.size() % width != 0) {
    throw Corrupt("BYTE_STREAM_SPLIT: " + std::to_string(data.size()) +
                  " bytes are not a whole number of " + std::to_string(width) + "-byte values");
  }
}

void ByteStreamSplitDecoder::decode(uint8_t* out, size_t n) {
  if (n > count_ - index_) {
    throw Corrupt("BYTE_STREAM_SPLIT: the page holds " + std::to_string(count_) +
                  " values, fewer than its levels");
  }
  for (size_t k = 0; k < width_; ++k) {
    const uint8_t* stream = data_.data() + k * count_ + index_;
    for (size_t i = 0; i < n; ++i) out[i * width_ + k] = stream[i];
  }
  index_ += n;
}

namespace {

// Appends values of `width` bits LSB-first.
class BitWriter {
 public:
  explicit BitWriter(std::vector<uint8_t>& out) : out_(out) {}
  void put(uint64_t value, unsigned width) {
    acc_ |= static_cast<unsigned __int128>(value) << bits_;
    bits_ += width;
    while (bits_ >= 8) {
      out_.push_back(static_cast<uint8_t>(acc_));
      acc_ >>= 8;
      bits_ -= 8;
    }
  }

 private:
  std::vector<uint8_t>& out_;
  unsigned __int128 acc_ = 0;
  unsigned bits_ = 0;
};

void put_varint(uint64_t value, std::vector<uint8_t>& out) {
  while (value >= 0x80) {
    out.push_back(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<uint8_t>(value));
}

void put_zigzag(int64_t value, std::vector<uint8_t>& out) {
  put_varint((static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63), out);
}

}  // namespace

template <typename T>
void DeltaBinaryPackedEncoder<T>::encode(std::span<const T> values, std::vector<uint8_t>& out) {
  using U = std::make_unsigned_t<T>;
  constexpr size_t kBlock = 128;
  constexpr size_t kMiniblocks = 4;
  constexpr size_t kPerMiniblock = kBlock / kMiniblocks;
  put_varint(kBlock, out);
  put_varint(kMiniblocks, out);
  put_varint(values.size(), out);
  put_zigzag(values.empty() ? 0 : static_cast<int64_t>(values[0]), out);
  T deltas[kBlock];
  for (size_t start = 1; start < values.size(); start += kBlock) {
    const size_t n = std::min(kBlock, values.size() - start);
    T min_delta = 0;
    for (size_t i = 0; i < n; ++i) {
      auto d = static_cast<U>(static_cast<U>(values[start + i]) -
                              static_cast<U>(values[start + i - 1]));
      deltas[i] = static_cast<T>(d);
      min_delta = i == 0 ? deltas[i] : std::min(min_delta, deltas[i]);
    }
    put_zigzag(static_cast<int64_t>(min_delta), out);
    uint8_t widths[kMiniblocks] = {};
    const size_t used = (n + kPerMiniblock - 1) / kPerMiniblock;
    for (size_t m = 0; m < used; ++m) {
      U max = 0;
      for (size_t i = m * kPerMiniblock; i < std::min(n, (m + 1) * kPerMiniblock); ++i) {
        max = std::max(max, static_cast<U>(static_cast<U>(deltas[i]) - static_cast<U>(min_delta)));
      }
      unsigned w = 0;
      while (w < 8 * sizeof(T) && (static_cast<uint64_t>(max) >> w) != 0) ++w;
      widths[m] = static_cast<uint8_t>(w);
    }
    out.insert(out.end(), widths, widths + kMiniblocks);
    for (size_t m = 0; m < used; ++m) {
      BitWriter bits(out);
      for (size_t i = m * kPerMiniblock; i < (m + 1) * kPerMiniblock; ++i) {
        uint64_t packed = 0;
        if (i < n) {
          packed = static_cast<U>(static_cast<U>(deltas[i]) - static_cast<U>(min_delta));
        }
        bits.put(packed, widths[m]);
      }
    }
  }
}

template class DeltaBinaryPackedEncoder<int32_t>;
template class DeltaBinaryPackedEncoder<int64_t>;

void byte_stream_split_encode(const uint8_t* values, size_t count, size_t width,
                              std::vector<uint8_t>& out) {
  const size_t start = out.size();
  out.resize(start + count * width);
  for (size_t k = 0; k < width; ++k) {
    uint8_t* stream = out.data() + start + k * count;
    for (size_t i = 0; i < count; ++i) stream[i] = values[i * width + k];
  }
}

}  // namespace quilt::parquet
