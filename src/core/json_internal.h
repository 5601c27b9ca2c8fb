#pragma once

// Private helpers shared by json.cc, json_parse.cc and json_encode.cc.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "quilt/json.h"

namespace quilt::detail {

/// The deepest nesting of arrays and objects that Json::parse accepts and the
/// encoders write. CPython's decoder and encoder give up with RecursionError a
/// little below 1000 levels (the default recursion limit), so every document
/// quilt3 can read or write fits; the cap keeps our recursive descent far from
/// the end of even a small thread stack.
inline constexpr int kMaxJsonDepth = 1000;

/// Python 3.11's limit on the digits of an int read from or written as text
/// (sys.get_int_max_str_digits()); json.loads rejects longer integer literals.
inline constexpr size_t kMaxIntDigits = 4300;

/// Reach into a Json's variant (the header befriends this struct).
struct JsonAccess {
  using Variant = decltype(Json::value_);
  static const Variant& value(const Json& j) noexcept { return j.value_; }
  static Variant& value(Json& j) noexcept { return j.value_; }
};

/// Append `s` (WTF-8) as the canonical encoder writes a string: quoted, with
/// everything outside printable ASCII escaped (Json::dump_canonical).
void append_canonical_string(std::string& out, std::string_view s);

/// A forward-only reader over one JSON text, for callers that know the shape
/// they expect (the manifest reader's fast path for entry lines). Values are
/// read with Json::parse's exact semantics; every method returns false on
/// anything unexpected, and the caller then falls back to Json::parse, which
/// reports the problem properly.
class JsonCursor {
 public:
  explicit JsonCursor(std::string_view text) noexcept : text_(text) {}
  /// Skip whitespace and consume `c` if it is next.
  bool consume(char c) noexcept;
  /// Skip whitespace and read a string value into `out`.
  bool read_string(std::string& out);
  /// Skip whitespace and read any value into `out`.
  bool read_value(Json& out);
  /// Skip whitespace and the next value without decoding it; set `span` to its
  /// text. Only the structure is checked (brackets, string ends): the caller
  /// validates the span itself.
  bool skip_value(std::string_view& span) noexcept;
  /// True when only whitespace is left.
  bool at_end() noexcept;

 private:
  bool skip_to_token() noexcept;

  std::string_view text_;
  size_t pos_ = 0;
};

/// Decode the UTF-8 sequence that starts at `p` (REQUIRES p < end and *p >= 0x80).
/// Return its length (2..4) and set `cp`, or return 0 when it is ill-formed:
/// overlong, truncated, above U+10FFFF, or an encoded surrogate unless
/// `allow_surrogates` (the WTF-8 form our strings use for lone surrogates).
inline int decode_utf8(const unsigned char* p, const unsigned char* end, char32_t& cp,
                       bool allow_surrogates) noexcept {
  const unsigned b0 = p[0];
  const ptrdiff_t avail = end - p;
  auto cont = [&](ptrdiff_t i) { return i < avail && (p[i] & 0xC0) == 0x80; };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (!cont(1)) return 0;
    cp = ((b0 & 0x1F) << 6) | (p[1] & 0x3F);
    return 2;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    cp = ((b0 & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    if (cp < 0x800) return 0;
    if (cp >= 0xD800 && cp <= 0xDFFF && !allow_surrogates) return 0;
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    cp = ((b0 & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    if (cp < 0x10000 || cp > 0x10FFFF) return 0;
    return 4;
  }
  return 0;
}

/// Append `cp` (any value up to U+10FFFF, surrogates included) as UTF-8/WTF-8.
inline void append_utf8(std::string& out, char32_t cp) {
  char buf[4];
  size_t n;
  if (cp < 0x80) {
    buf[0] = static_cast<char>(cp);
    n = 1;
  } else if (cp < 0x800) {
    buf[0] = static_cast<char>(0xC0 | (cp >> 6));
    buf[1] = static_cast<char>(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    buf[0] = static_cast<char>(0xE0 | (cp >> 12));
    buf[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    buf[2] = static_cast<char>(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    buf[0] = static_cast<char>(0xF0 | (cp >> 18));
    buf[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    buf[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    buf[3] = static_cast<char>(0x80 | (cp & 0x3F));
    n = 4;
  }
  out.append(buf, n);
}

/// For each byte, whether it stops a string scan: bit 0 for parsing and
/// dump_manifest ('"', '\\', control characters, non-ASCII bytes), bit 1 for
/// dump_canonical (the same and DEL).
struct StringSpecialTable {
  uint8_t bits[256] = {};
  constexpr StringSpecialTable() {
    for (int c = 0; c < 256; ++c) {
      const bool special = c == '"' || c == '\\' || c < 0x20 || c >= 0x80;
      bits[c] = static_cast<uint8_t>((special ? 3 : 0) | (c == 0x7F ? 2 : 0));
    }
  }
};
inline constexpr StringSpecialTable kStringSpecial;

/// Return whether byte `c` stops a string scan: '"', '\\', a control character,
/// a non-ASCII byte, and DEL too when `kStopAtDel`.
template <bool kStopAtDel>
inline bool is_string_special(unsigned char c) noexcept {
  return (kStringSpecial.bits[c] & (kStopAtDel ? 2 : 1)) != 0;
}

/// Return the first byte in [p, end) for which is_string_special holds, or end.
/// Most strings in a manifest are plain ASCII, so this runs 16 bytes a step.
template <bool kStopAtDel>
inline const char* find_string_special(const char* p, const char* end) noexcept {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20);
  const __m128i del = _mm_set1_epi8(0x7F);
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash));
    // Signed compare: bytes >= 0x80 are negative, so this catches them and controls.
    hit = _mm_or_si128(hit, _mm_cmplt_epi8(v, space));
    if constexpr (kStopAtDel) hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, del));
    const int mask = _mm_movemask_epi8(hit);
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (p < end && !is_string_special<kStopAtDel>(static_cast<unsigned char>(*p))) ++p;
  return p;
}

}  // namespace quilt::detail
