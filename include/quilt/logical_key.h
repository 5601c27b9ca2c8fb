#pragma once

#include <string>
#include <string_view>

namespace quilt {

/// Throw InvalidArgument naming `key` unless it is a valid logical key of a
/// file: `/`-separated segments, none empty, `.` or `..`; no leading or
/// trailing `/`; valid UTF-8 without NUL (a key becomes a file path on install).
void validate_logical_key(std::string_view key);

/// Throw InvalidArgument unless `key` is a valid directory key: a valid file
/// key followed by one `/` ("a/b/"). Directory-meta lines of manifests use them.
void validate_directory_key(std::string_view key);

/// Return an empty string when `key` is a valid file logical key, otherwise
/// the reason it is not ("has an empty segment", ...).
std::string logical_key_problem(std::string_view key);

/// Compare two logical keys in quilt3's tree-walk order: at each directory
/// level children sort by name in code-point (UTF-8 byte) order, and a
/// directory's entries come at its own name's position, so "a/b" < "a.txt".
/// Equivalent to a byte comparison in which `/` sorts before every other byte.
/// Returns <0, 0 or >0.
int compare_walk_order(std::string_view a, std::string_view b) noexcept;

inline bool walk_order_less(std::string_view a, std::string_view b) noexcept {
  return compare_walk_order(a, b) < 0;
}

}  // namespace quilt
