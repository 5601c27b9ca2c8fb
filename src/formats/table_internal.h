#pragma once

#include <cstdint>
#include <string>

#include "quilt/table.h"

namespace quilt {

/// The shared state of a Column (see table.h for the layout).
struct Column::Data {
  std::string name;
  DataType type;
  int64_t length = 0;
  int64_t null_count = 0;
  int64_t offset = 0;
  Buffer validity;
  Buffer values;
  Buffer data;
  std::shared_ptr<const Column> dictionary;
};

namespace detail {

inline bool get_bit(const uint8_t* bits, int64_t i) noexcept {
  return (bits[i >> 3] >> (i & 7)) & 1;
}

/// Return how many bits of [offset, offset + length) are zero.
int64_t count_unset_bits(const uint8_t* bits, int64_t offset, int64_t length) noexcept;

/// Return `message` prefixed with "column 'NAME': ".
std::string column_error(const std::string& name, const std::string& message);

}  // namespace detail
}  // namespace quilt
