#pragma once

// The version the Parquet writer names in created_by and in pandas' metadata.
// It follows the CLI's --version (src/cli/main.cc, "quiltcpp 0.1.0").

namespace quilt::parquet {

inline constexpr const char *kQuiltVersion = "0.1.0";

/// The footer's created_by, in the "<application> version <version>" form
/// readers parse to recognise writers.
inline constexpr const char *kCreatedBy = "quiltcpp version 0.1.0";

}  // namespace quilt::parquet
