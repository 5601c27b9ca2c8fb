#include "formats/parquet/column_writer_dictionary.h"

#include <algorithm>
#include <cstring>

namespace quilt::parquet {
namespace {

constexpr size_t kInitialSlots = 1024;
constexpr uint64_t kK0 = 0x9E3779B97F4A7C15ULL;
constexpr uint64_t kK1 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t kK2 = 0x165667B19E3779F9ULL;

uint64_t load64(const char *p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

uint64_t load32(const char *p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Multiply to 128 bits and fold: every input bit reaches the low bits, which
// pick the slot.
uint64_t mix(uint64_t a, uint64_t b) {
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

}  // namespace

uint64_t hash_bytes(std::string_view value) {
  const char *p = value.data();
  const size_t n = value.size();
  uint64_t a = 0;
  uint64_t b = 0;
  if (n >= 16) {
    uint64_t h = kK2 ^ n;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) h = mix(load64(p + i) ^ kK0, load64(p + i + 8) ^ h);
    a = load64(p + n - 16) ^ h;
    b = load64(p + n - 8);
  } else if (n >= 8) {
    a = load64(p);
    b = load64(p + n - 8);
  } else if (n >= 4) {
    a = load32(p);
    b = load32(p + n - 4);
  } else if (n > 0) {
    a = static_cast<uint64_t>(static_cast<uint8_t>(p[0])) << 16 |
        static_cast<uint64_t>(static_cast<uint8_t>(p[n >> 1])) << 8 | static_cast<uint8_t>(p[n - 1]);
  }
  return mix(a ^ kK0 ^ n, b ^ kK1);
}

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
