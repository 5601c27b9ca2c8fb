#pragma once

// The second half of the CSV reader: from the raw text of a column's fields to
// a typed Column (type inference, null detection, value parsing).

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>
#include <algorithm>

#include "core/byte_builder.h"
#include "quilt/table.h"

namespace quilt::detail {

/// The texts read as null. contains() is cheap for the usual miss: most
/// fields are ruled out by their length or first byte.
class NullSet {
 public:
  explicit NullSet(const std::vector<std::string>& values);
  bool contains(std::string_view s) const noexcept {
    if (s.size() >= 64 ? !has_long_ : !((length_mask_ >> s.size()) & 1)) return false;
    if (!s.empty() && !first_[static_cast<uint8_t>(s[0])]) return false;
    for (const std::string& v : values_) {
      if (v == s) return true;
    }
    return false;
  }

 private:
  std::vector<std::string> values_;
  uint64_t length_mask_ = 0;  // bit n: some value has n bytes (n < 64)
  bool has_long_ = false;     // some value has 64 bytes or more
  std::array<bool, 256> first_{};
};

/// The fields of one column: their texts back to back, split by `offsets`
/// (rows + 1 of them, from 0).
struct FieldColumn {
  std::string name;
  ByteBuilder text;
  std::vector<int32_t> offsets;
  size_t size() const noexcept { return offsets.size() - 1; }
  std::string_view at(size_t i) const noexcept {
    return std::string_view(text.data() + offsets[i],
                            static_cast<size_t>(offsets[i + 1] - offsets[i]));
  }
};

/// Build the column with the type its non-null fields all fit, tried in this
/// order: bool, int64, uint64, float64, timestamp[ns] (naive, or "UTC" when
/// every value has an offset), else string. A column of nulls only is float64
/// (as pandas), a column without rows is string.
Column build_inferred(FieldColumn fields, const NullSet& nulls);
/// Build a string column; fields in `nulls` are nulls.
Column build_strings(FieldColumn fields, const NullSet& nulls);

/// Parse an ISO-8601 timestamp: YYYY-MM-DD, optionally followed by 'T' or ' '
/// and HH:MM:SS with up to 9 fraction digits, optionally followed by 'Z' or an
/// offset (+HH:MM, +HHMM, +HH). Set `ns` to nanoseconds since the epoch in
/// UTC (the offset subtracted) and `zoned` to whether an offset or Z was
/// given. Return false when `s` is not such a timestamp or is out of range.
bool parse_timestamp(std::string_view s, int64_t& ns, bool& zoned) noexcept;

}  // namespace quilt::detail
