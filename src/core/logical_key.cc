#include "quilt/logical_key.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "core/utf8.h"
#include "quilt/errors.h"

namespace quilt {
namespace {

std::string segment_problem(std::string_view segment) {
  if (segment.empty()) return "has an empty segment";
  if (segment == ".") return "has a '.' segment";
  if (segment == "..") return "has a '..' segment";
  return {};
}

}  // namespace

std::string logical_key_problem(std::string_view key) {
  if (key.empty()) return "is empty";
  if (key.front() == '/') return "starts with '/'";
  if (key.back() == '/') return "ends with '/' (a file key names no directory)";
  if (key.find('\0') != std::string_view::npos) return "contains a NUL character";
  if (!is_valid_utf8(key)) return "is not valid UTF-8";
  size_t start = 0;
  while (true) {
    size_t slash = key.find('/', start);
    std::string_view segment = key.substr(start, slash - start);
    if (std::string problem = segment_problem(segment); !problem.empty()) return problem;
    if (slash == std::string_view::npos) return {};
    start = slash + 1;
  }
}

void validate_logical_key(std::string_view key) {
  std::string problem = logical_key_problem(key);
  if (!problem.empty()) {
    throw InvalidArgument("invalid logical key '" + escape_for_message(key) + "': " + problem);
  }
}

void validate_directory_key(std::string_view key) {
  if (key.empty() || key.back() != '/') {
    throw InvalidArgument("invalid directory key '" + escape_for_message(key) +
                          "': a directory key ends with '/'");
  }
  std::string problem = logical_key_problem(key.substr(0, key.size() - 1));
  if (!problem.empty()) {
    throw InvalidArgument("invalid directory key '" + escape_for_message(key) + "': " + problem);
  }
}

int compare_walk_order(std::string_view a, std::string_view b) noexcept {
  size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  // Skip the common prefix eight bytes at a time: sorted keys share long prefixes.
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) {
      i += static_cast<size_t>(__builtin_ctzll(x ^ y)) / 8;  // little-endian: first differing byte
      break;
    }
  }
  for (; i < n; ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]);
    unsigned char y = static_cast<unsigned char>(b[i]);
    if (x == y) continue;
    // '/' ends a segment, so it sorts before any byte that continues one.
    if (x == '/') return -1;
    if (y == '/') return 1;
    return x < y ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

}  // namespace quilt
