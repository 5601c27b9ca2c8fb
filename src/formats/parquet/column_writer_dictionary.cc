#include "formats/parquet/column_writer_dictionary.h"

#include <algorithm>
#include <cstring>

namespace quilt::parquet {
namespace {

constexpr size_t kInitialSlots = 1024;

}  // namespace

namespace dictionary_internal {

// Strings of 16 bytes or more: 16 bytes a step, then the last 16.
uint64_t hash_long(const char *p, size_t n) {
  uint64_t h = kK2 ^ n;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) h = mix(load64(p + i) ^ kK0, load64(p + i + 8) ^ h);
  const uint64_t a = load64(p + n - 16) ^ h;
  const uint64_t b = load64(p + n - 8);
  return mix(a ^ kK0 ^ n, b ^ kK1);
}

}  // namespace dictionary_internal

StringDictionary::StringDictionary() : slots_(kInitialSlots, 0), mask_(kInitialSlots - 1) {}

void StringDictionary::clear() {
  std::fill(slots_.begin(), slots_.end(), 0);
  values_.clear();
  hashes_.clear();
  plain_size_ = 0;
}

int64_t StringDictionary::add(std::string_view value, uint64_t hash, size_t slot, int64_t limit) {
  const int64_t size = 4 + static_cast<int64_t>(value.size());
  if (plain_size_ + size > limit) return -1;
  const auto index = static_cast<uint32_t>(values_.size());
  values_.push_back(value);
  hashes_.push_back(hash);
  plain_size_ += size;
  slots_[slot] = (hash >> 32) << 32 | (uint64_t{index} + 1);
  // At most half full: probes stay short.
  if (values_.size() * 2 > slots_.size()) grow();
  return index;
}

void StringDictionary::grow() {
  slots_.assign(slots_.size() * 2, 0);
  mask_ = slots_.size() - 1;
  for (size_t index = 0; index < values_.size(); ++index) {
    size_t slot = hashes_[index] & mask_;
    while (slots_[slot] != 0) slot = (slot + 1) & mask_;
    slots_[slot] = (hashes_[index] >> 32) << 32 | (uint64_t{index} + 1);
  }
}

}  // namespace quilt::parquet
