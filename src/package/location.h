#pragma once

#include <string>
#include <string_view>

namespace quilt::detail {

/// Return whether `location` starts with a URL scheme and "://" ("s3://b/k",
/// "file:///p"); anything else given to set/set_dir is a local path.
bool has_url_scheme(std::string_view location) noexcept;

/// Return `path` with a leading "~" or "~/" replaced by the home directory
/// ($HOME, else the password database), as quilt3's expanduser() does;
/// other paths ("~user/x" included) are returned unchanged.
std::string expand_user(std::string_view path);

}  // namespace quilt::detail
