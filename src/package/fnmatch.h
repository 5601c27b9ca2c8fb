#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace quilt::detail {

/// A shell-style pattern matched exactly as Python's `fnmatch.fnmatchcase`
/// matches it on POSIX (quilt3 filters `.quiltignore` rules with it):
///   - `*` matches any run of characters, `/` included; `?` any one character;
///   - `[seq]` one character in seq, `[!seq]` one not in it; `a-z` is a range of
///     code points, a reversed range matches nothing, `-` first or last is
///     literal, `]` right after `[` or `[!` is a member; `[` with no closing `]`
///     is literal;
///   - `\` is an ordinary character (there is no escape); matching is case-sensitive.
/// Pattern and name are compared by code point: UTF-8 is decoded, and each byte
/// of ill-formed UTF-8 stands for itself (as Python's surrogateescape does), so
/// `?` matches one character, not one byte. A plain value; thread-safe to share.
class FnPattern {
 public:
  explicit FnPattern(std::string_view pattern);
  /// Return whether `name` matches the whole pattern.
  bool matches(std::string_view name) const;
  const std::string& text() const noexcept { return text_; }

 private:
  struct Token {
    enum class Kind : uint8_t { kLiteral, kAny, kStar, kClass } kind;
    uint32_t ch = 0;         // kLiteral
    bool negated = false;    // kClass
    uint32_t ranges = 0;     // kClass: first index into ranges_
    uint32_t range_end = 0;  // kClass: one past the last index
  };
  bool class_matches(const Token& token, uint32_t ch) const;

  std::string text_;
  std::vector<Token> tokens_;
  std::vector<std::pair<uint32_t, uint32_t>> ranges_;  // inclusive [lo, hi] of classes
};

/// Return whether `name` matches `pattern` (FnPattern semantics).
bool fnmatch(std::string_view name, std::string_view pattern);

/// Decode `s` to code points; each byte of ill-formed UTF-8 becomes 0xDC00 + byte.
std::vector<uint32_t> decode_code_points(std::string_view s);

}  // namespace quilt::detail
