#include "package/fnmatch.h"

#include "core/utf8.h"

namespace quilt::detail {
namespace {

constexpr uint32_t kEscapedByte = 0xDC00;  // Python's surrogateescape base

size_t sequence_length(uint8_t lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 0;
}

uint32_t decode_one(std::string_view seq) {
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(seq[i])); };
  switch (seq.size()) {
    case 1:
      return byte(0);
    case 2:
      return ((byte(0) & 0x1F) << 6) | (byte(1) & 0x3F);
    case 3:
      return ((byte(0) & 0x0F) << 12) | ((byte(1) & 0x3F) << 6) | (byte(2) & 0x3F);
    default:
      return ((byte(0) & 0x07) << 18) | ((byte(1) & 0x3F) << 12) | ((byte(2) & 0x3F) << 6) |
             (byte(3) & 0x3F);
  }
}

// Return the end of the bracket expression starting after the '[' at `i`
// (the index of its closing ']'), or npos when it has none, as Python scans it.
size_t find_class_end(const std::vector<uint32_t>& pat, size_t i) {
  size_t j = i;
  if (j < pat.size() && pat[j] == '!') ++j;
  if (j < pat.size() && pat[j] == ']') ++j;
  while (j < pat.size() && pat[j] != ']') ++j;
  return j < pat.size() ? j : std::string_view::npos;
}

}  // namespace

std::vector<uint32_t> decode_code_points(std::string_view s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    size_t len = sequence_length(static_cast<uint8_t>(s[i]));
    if (len != 0 && i + len <= s.size() && is_valid_utf8(s.substr(i, len))) {
      out.push_back(decode_one(s.substr(i, len)));
      i += len;
    } else {
      out.push_back(kEscapedByte + static_cast<uint8_t>(s[i]));
      ++i;
    }
  }
  return out;
}

FnPattern::FnPattern(std::string_view pattern) : text_(pattern) {
  std::vector<uint32_t> pat = decode_code_points(pattern);
  size_t i = 0;
  while (i < pat.size()) {
    uint32_t c = pat[i++];
    if (c == '*') {
      // Consecutive stars are one star.
      if (tokens_.empty() || tokens_.back().kind != Token::Kind::kStar) {
        tokens_.push_back({Token::Kind::kStar});
      }
      continue;
    }
    if (c == '?') {
      tokens_.push_back({Token::Kind::kAny});
      continue;
    }
    size_t end = c == '[' ? find_class_end(pat, i) : std::string_view::npos;
    if (end == std::string_view::npos) {
      tokens_.push_back({Token::Kind::kLiteral, c});
      continue;
    }
    Token token{Token::Kind::kClass};
    token.negated = pat[i] == '!';
    token.ranges = static_cast<uint32_t>(ranges_.size());
    size_t k = token.negated ? i + 1 : i;
    while (k < end) {
      // "x-y" is a range when a character follows the '-'; a reversed range
      // matches nothing (Python drops it), so it is recorded as given.
      if (k + 2 < end && pat[k + 1] == '-') {
        ranges_.emplace_back(pat[k], pat[k + 2]);
        k += 3;
      } else {
        ranges_.emplace_back(pat[k], pat[k]);
        ++k;
      }
    }
    token.range_end = static_cast<uint32_t>(ranges_.size());
    tokens_.push_back(token);
    i = end + 1;
  }
}

bool FnPattern::class_matches(const Token& token, uint32_t ch) const {
  bool in = false;
  for (uint32_t r = token.ranges; r < token.range_end && !in; ++r) {
    in = ranges_[r].first <= ch && ch <= ranges_[r].second;
  }
  return in != token.negated;
}

bool FnPattern::matches(std::string_view name_text) const {
  std::vector<uint32_t> name = decode_code_points(name_text);
  auto one_matches = [&](const Token& token, uint32_t ch) {
    switch (token.kind) {
      case Token::Kind::kLiteral:
        return token.ch == ch;
      case Token::Kind::kAny:
        return true;
      case Token::Kind::kClass:
        return class_matches(token, ch);
      case Token::Kind::kStar:
        return false;
    }
    return false;
  };
  // Every token but a star takes exactly one character, so remembering the
  // last star and retrying it one character further is a complete search.
  constexpr size_t kNone = static_cast<size_t>(-1);
  size_t p = 0, n = 0, star_p = kNone, star_n = 0;
  while (n < name.size()) {
    if (p < tokens_.size() && tokens_[p].kind == Token::Kind::kStar) {
      star_p = p++;
      star_n = n;
    } else if (p < tokens_.size() && one_matches(tokens_[p], name[n])) {
      ++p;
      ++n;
    } else if (star_p != kNone) {
      p = star_p + 1;
      n = ++star_n;
    } else {
      return false;
    }
  }
  while (p < tokens_.size() && tokens_[p].kind == Token::Kind::kStar) ++p;
  return p == tokens_.size();
}

bool fnmatch(std::string_view name, std::string_view pattern) {
  return FnPattern(pattern).matches(name);
}

}  // namespace quilt::detail
