#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "quilt/package_name.h"
#include "quilt/registry.h"

namespace quilt::cli {

/// A package named on the command line: `USER/PKG`, `USER/PKG@HASH`, or a
/// Quilt URI `quilt+file:///ABS/PATH#package=USER/PKG[@HASH|:latest][&path=P]`
/// (`quilt+s3://BUCKET#...` parses too; opening it fails until S3 lands).
struct PackageRef {
  PackageName name;
  std::string registry;  ///< From the URI; empty when not given.
  std::string top_hash;  ///< A hash or prefix; empty for latest.
  std::string path;      ///< A logical key or directory inside; empty for all.
};

/// Parse `text`. Throws InvalidArgument naming it when malformed.
PackageRef parse_package_ref(std::string_view text);

/// Open the registry for a command: `--registry` when given, else the URI's,
/// else QUILTCPP_REGISTRY, else the local registry quilt3 uses. A registry
/// named by a Quilt URI (`quilt+file:///...`) is accepted too.
std::unique_ptr<Registry> open_registry(const std::string& option, const PackageRef* ref = nullptr);

}  // namespace quilt::cli
