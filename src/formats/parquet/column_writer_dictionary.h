#pragma once

// The dictionary a BYTE_ARRAY column chunk builds as it is written: an
// open-addressing hash table over string_views into the table's own bytes (no
// copy, no allocation per value), which is what makes dictionary encoding of a
// string column cheap enough to be the default.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace quilt::parquet {

/// Return a 64-bit hash of `value` (fast for short strings; not for security).
uint64_t hash_bytes(std::string_view value);

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
        if (values_[index] == value) return index;
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
