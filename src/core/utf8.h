#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace quilt {

/// Return whether `s` is well-formed UTF-8 (no overlong forms, no encoded
/// surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

/// Return the byte offset of the first ill-formed UTF-8 sequence, or npos.
size_t find_invalid_utf8(std::string_view s) noexcept;

/// Return `s` fit for a one-line error message: control characters, DEL and
/// bytes of ill-formed UTF-8 become \xNN; everything else is kept. Long input
/// is cut to `max_bytes` with "...".
std::string escape_for_message(std::string_view s, size_t max_bytes = 300);

}  // namespace quilt
