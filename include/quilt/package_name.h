#pragma once

#include <string>
#include <string_view>

namespace quilt {

/// A package name, `USER/PKG`, as quilt3 accepts it: Python's
/// `^[\w-]+/[\w-]+$` with Unicode-aware `\w` (letters and digits of any
/// script, and `_`). Unlike Python's `$`, a trailing newline is refused.
struct PackageName {
  std::string user;
  std::string pkg;

  /// Parse and validate `name`. Throws InvalidArgument naming it otherwise.
  static PackageName parse(std::string_view name);
  std::string str() const { return user + "/" + pkg; }
  bool operator==(const PackageName&) const = default;
};

/// Return whether `name` is a valid package name (see PackageName).
bool is_valid_package_name(std::string_view name) noexcept;

/// Throw InvalidArgument naming `name` unless it is a valid package name.
void validate_package_name(std::string_view name);

}  // namespace quilt
