#pragma once

// The dictionary a BYTE_ARRAY column chunk builds as it is written: an
// open-addressing hash table over string_views into the table's own bytes (no
// copy, no allocation per value), which is what makes dictionary encoding of a
// string column cheap enough to be the default.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace quilt::parquet {

namespace dictionary_internal {

constexpr uint64_t kK0 = 0x9E3779B97F4A7C15ULL;
constexpr uint64_t kK1 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t kK2 = 0x165667B19E3779F9ULL;

inline uint64_t load64(const char *p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline uint64_t load32(const char *p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Multiply to 128 bits and fold: every input bit reaches the low bits, which
// pick the slot.
inline uint64_t mix(uint64_t a, uint64_t b) {
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

uint64_t hash_long(const char *p, size_t n);

}  // namespace dictionary_internal

/// Return a 64-bit hash of `value` (fast for short strings; not for security).
/// Inline: a string column hashes every value, most of them short.
inline uint64_t hash_bytes(std::string_view value) {
  using namespace dictionary_internal;
  const char *p = value.data();
  const size_t n = value.size();
  uint64_t a = 0;
  uint64_t b = 0;
  if (n >= 16) return hash_long(p, n);
  if (n >= 8) {
    a = load64(p);
    b = load64(p + n - 8);
  } else if (n >= 4) {
    a = load32(p);
    b = load32(p + n - 4);
  } else if (n > 0) {
    a = static_cast<uint64_t>(static_cast<uint8_t>(p[0])) << 16 |
        static_cast<uint64_t>(static_cast<uint8_t>(p[n >> 1])) << 8 |
        static_cast<uint8_t>(p[n - 1]);
  }
  return mix(a ^ kK0 ^ n, b ^ kK1);
}

/// Return whether `a` and `b` hold the same bytes; strings of up to 16 bytes
/// are compared with two overlapping loads instead of a call to memcmp.
inline bool same_bytes(std::string_view a, std::string_view b) {
  using namespace dictionary_internal;
  const size_t n = a.size();
  if (n != b.size()) return false;
  if (n >= 8 && n <= 16) {
    return ((load64(a.data()) ^ load64(b.data())) |
            (load64(a.data() + n - 8) ^ load64(b.data() + n - 8))) == 0;
  }
  if (n >= 4 && n < 8) {
    return ((load32(a.data()) ^ load32(b.data())) |
            (load32(a.data() + n - 4) ^ load32(b.data() + n - 4))) == 0;
  }
  return n == 0 || std::memcmp(a.data(), b.data(), n) == 0;
}

/// Distinct byte strings in first-seen order, each with its index. The views
/// must stay valid while the dictionary holds them. Not thread-safe.
class StringDictionary {
 public:
  StringDictionary();

  /// Forget every value, keeping the memory.
  void clear();

  /// Return the index of `value`, adding it when new; return -1 instead of
  /// adding it when that would make plain_size() exceed `limit`.
  int64_t insert(std::string_view value, int64_t limit) {
    const uint64_t hash = hash_bytes(value);
    const auto tag = static_cast<uint32_t>(hash >> 32);
    for (size_t slot = hash & mask_;; slot = (slot + 1) & mask_) {
      const uint64_t entry = slots_[slot];
      if (entry == 0) return add(value, hash, slot, limit);
      if (static_cast<uint32_t>(entry >> 32) == tag) {
        const auto index = static_cast<uint32_t>(entry) - 1;
        if (same_bytes(values_[index], value)) return index;
      }
    }
  }

  size_t size() const { return values_.size(); }
  /// The bytes of the dictionary page's PLAIN values: a 4-byte length each.
  int64_t plain_size() const { return plain_size_; }
  const std::vector<std::string_view> &values() const { return values_; }

 private:
  int64_t add(std::string_view value, uint64_t hash, size_t slot, int64_t limit);
  void grow();

  // 0: empty; else the hash's high 32 bits, then the value's index + 1.
  std::vector<uint64_t> slots_;
  size_t mask_ = 0;
  std::vector<std::string_view> values_;
  std::vector<uint64_t> hashes_;
  int64_t plain_size_ = 0;
};

}  // namespace quilt::parquet
