#include "quilt/package_name.h"

#include <algorithm>
#include <cstdint>
#include <iterator>

#include "core/utf8.h"
#include "quilt/errors.h"

namespace quilt {
namespace {

struct CodeRange {
  uint32_t lo;
  uint32_t hi;
};

constexpr CodeRange kWordRanges[] = {
#include "core/word_table.inc"
};

bool is_word_code_point(uint32_t cp) noexcept {
  auto it = std::upper_bound(std::begin(kWordRanges), std::end(kWordRanges), cp,
                             [](uint32_t v, const CodeRange& r) { return v < r.lo; });
  if (it == std::begin(kWordRanges)) return false;
  return cp <= std::prev(it)->hi;
}

// Decode the code point at s[i] (REQUIRES: s is valid UTF-8); advance i.
uint32_t next_code_point(std::string_view s, size_t& i) noexcept {
  auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(s[k])); };
  uint32_t c = b(i);
  if (c < 0x80) { i += 1; return c; }
  if (c < 0xE0) { i += 2; return ((c & 0x1F) << 6) | (b(i - 1) & 0x3F); }
  if (c < 0xF0) {
    i += 3;
    return ((c & 0x0F) << 12) | ((b(i - 2) & 0x3F) << 6) | (b(i - 1) & 0x3F);
  }
  i += 4;
  return ((c & 0x07) << 18) | ((b(i - 3) & 0x3F) << 12) | ((b(i - 2) & 0x3F) << 6) |
         (b(i - 1) & 0x3F);
}

// True when `part` is one or more of [\w-].
bool is_name_part(std::string_view part) noexcept {
  if (part.empty()) return false;
  size_t i = 0;
  while (i < part.size()) {
    uint32_t cp = next_code_point(part, i);
    if (cp != '-' && !is_word_code_point(cp)) return false;
  }
  return true;
}

}  // namespace

bool is_valid_package_name(std::string_view name) noexcept {
  if (!is_valid_utf8(name)) return false;
  size_t slash = name.find('/');
  if (slash == std::string_view::npos) return false;
  return is_name_part(name.substr(0, slash)) && is_name_part(name.substr(slash + 1));
}

void validate_package_name(std::string_view name) {
  if (!is_valid_package_name(name)) {
    throw InvalidArgument("invalid package name '" + escape_for_message(name) +
                          "': expected USER/PKG, each part made of letters, digits, '_' or '-'");
  }
}

PackageName PackageName::parse(std::string_view name) {
  validate_package_name(name);
  size_t slash = name.find('/');
  return PackageName{std::string(name.substr(0, slash)), std::string(name.substr(slash + 1))};
}

}  // namespace quilt
