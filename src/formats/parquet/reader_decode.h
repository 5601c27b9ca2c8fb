#pragma once

// Pieces of page decoding shared by the fixed-width (reader_column.cc) and the string
// (reader_strings.cc) decoders.

#include <algorithm>
#include <cstring>
#include <optional>
#include <span>
#include <string>

#include "formats/parquet/reader.h"
#include "formats/parquet/rle.h"
#include "quilt/errors.h"

namespace quilt::parquet {

/// Rows decoded at a time within a page: bounds scratch memory whatever a header claims.
constexpr size_t kBatch = 4096;

/// Set bit (start + i) of `bitmap` for each non-zero bytes01[i]. The bitmap starts zeroed. Whole
/// bytes inside the range belong to this caller alone and are stored plainly; the partial bytes
/// at either end may be shared with the chunk of a neighbouring row group that another thread
/// decodes, so their bits are set atomically.
void write_bits(uint8_t* bitmap, int64_t start, const uint8_t* bytes01, size_t n);

// The definition levels of the page being read (max level 1).
class Levels {
 public:
  Levels(const Page& page, std::span<const uint8_t>& data, bool optional) {
    if (page.v2) {
      if (!optional && !page.definition_levels.empty()) {
        throw Corrupt("definition levels in a page of a REQUIRED column");
      }
      if (optional) decoder_.emplace(page.definition_levels, 1, "definition levels");
      return;
    }
    if (!optional) return;
    if (data.size() < 4) throw Corrupt("definition levels: truncated 4-byte length");
    uint32_t length;
    std::memcpy(&length, data.data(), 4);
    if (length > data.size() - 4) {
      throw Corrupt("definition levels: length " + std::to_string(length) +
                    " runs past the page (" + std::to_string(data.size() - 4) + " bytes left)");
    }
    decoder_.emplace(data.subspan(4, length), 1, "definition levels");
    data = data.subspan(4 + length);
  }
  bool has_levels() const { return decoder_.has_value(); }
  // Decode `n` levels into `out`; return how many are 1 (non-null).
  size_t next(uint8_t* out, size_t n) {
    decoder_->decode(std::span<uint8_t>(out, n));
    size_t valid = 0;
    for (size_t i = 0; i < n; ++i) valid += out[i];
    return valid;
  }

 private:
  std::optional<RleDecoder> decoder_;
};

// Dictionary indices of a page: a bit width byte, then an RLE/bit-packed stream.
class Indices {
 public:
  Indices(std::span<const uint8_t> data, size_t dictionary_size, bool has_dictionary)
      : dictionary_size_(dictionary_size) {
    if (!has_dictionary) throw Corrupt("a dictionary-encoded page but no dictionary page");
    if (data.empty()) return;  // only valid when the page has no non-null value
    if (data[0] > 32) throw Corrupt("dictionary index bit width " + std::to_string(data[0]));
    decoder_.emplace(data.subspan(1), data[0], "dictionary indices");
  }
  // Decode `n` indices, each checked against the dictionary's size.
  const uint32_t* next(size_t n, Scratch& scratch) {
    auto* out = scratch.reserve_as<uint32_t>(n);
    if (n == 0) return out;
    if (!decoder_) throw Corrupt("dictionary indices: the page has none");
    decoder_->decode(std::span<uint32_t>(out, n));
    uint32_t max_index = 0;
    for (size_t i = 0; i < n; ++i) max_index = std::max(max_index, out[i]);
    if (max_index >= dictionary_size_) {
      throw Corrupt("dictionary index " + std::to_string(max_index) +
                    " out of range (dictionary of " + std::to_string(dictionary_size_) +
                    " values)");
    }
    return out;
  }

 private:
  size_t dictionary_size_;
  std::optional<RleDecoder> decoder_;
};

inline bool is_dictionary_encoding(Encoding e) {
  return e == Encoding::kPlainDictionary || e == Encoding::kRleDictionary;
}

// Refuse a dictionary page claiming more values than its bytes can hold (before allocating).
inline void check_dictionary_count(const Page& page, size_t min_bytes_per_value) {
  if (page.num_values < 0 ||
      static_cast<uint64_t>(page.num_values) * min_bytes_per_value > page.data.size()) {
    throw Corrupt("the dictionary page claims " + std::to_string(page.num_values) + " values in " +
                  std::to_string(page.data.size()) + " bytes");
  }
}

}  // namespace quilt::parquet
