#pragma once

#include <span>
#include <string>

#include "quilt/csv.h"

namespace quilt::test {

/// Return what write_csv writes for `t`, as one string.
inline std::string to_csv(const Table& t, const CsvWriteOptions& options = {}) {
  std::string out;
  write_csv(
      t,
      [&](std::span<const uint8_t> b) {
        out.append(reinterpret_cast<const char*>(b.data()), b.size());
      },
      options);
  return out;
}

}  // namespace quilt::test
