#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

#include "quilt/table.h"

namespace quilt::detail {

/// Bytes appended back to back. Unlike std::string, growing does not
/// zero-fill first, and the bytes become a Buffer without a copy.
class ByteBuilder {
 public:
  size_t size() const noexcept { return size_; }
  const char* data() const noexcept { return data_.get(); }
  /// Make room for `capacity` bytes in all (never shrinks).
  void reserve(size_t capacity) {
    if (capacity > capacity_) grow_to(capacity);
  }
  void append(const char* p, size_t n) {
    if (size_ + n > capacity_) grow_to(std::max(size_ + n, capacity_ * 2 + 64));
    // Runs are mostly short (CSV fields, the strings of an object column): a
    // plain loop beats a call to memcpy for them. (Two overlapping word
    // copies measured no better, for either.)
    char* q = data_.get() + size_;
    if (n <= 16) {
      for (size_t i = 0; i < n; ++i) q[i] = p[i];
    } else {
      std::memcpy(q, p, n);
    }
    size_ += n;
  }
  void append(std::string_view s) { append(s.data(), s.size()); }
  void push_back(char c) { append(&c, 1); }
  /// Forget the bytes, keeping the memory.
  void clear() { size_ = 0; }
  /// Return the bytes as a Buffer owning them; the builder is left empty.
  Buffer finish() {
    Buffer b(data_.get(), size_, data_);
    data_.reset();
    size_ = capacity_ = 0;
    return b;
  }

 private:
  void grow_to(size_t capacity) {
    std::shared_ptr<char[]> bigger = std::make_unique_for_overwrite<char[]>(capacity);
    if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    capacity_ = capacity;
  }

  std::shared_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace quilt::detail
