#pragma once

// The version the Parquet writer names in created_by and in pandas' metadata:
// the project's version (QUILT_VERSION, from CMakeLists.txt), as --version prints.

namespace quilt::parquet {

inline constexpr const char *kQuiltVersion = QUILT_VERSION;

/// The footer's created_by, in the "<application> version <version>" form
/// readers parse to recognise writers.
inline constexpr const char *kCreatedBy = "quiltcpp version " QUILT_VERSION;

}  // namespace quilt::parquet
