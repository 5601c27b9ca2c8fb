#pragma once

#include <optional>
#include <string>

namespace quilt {

/// quilt3's settings that quiltcpp honours, from
/// `${XDG_DATA_HOME:-~/.local/share}/Quilt/config.yml`.
struct QuiltConfig {
  std::optional<std::string> default_local_registry;
  std::optional<std::string> default_remote_registry;
  std::optional<std::string> default_install_location;
};

/// `${XDG_DATA_HOME:-$HOME/.local/share}`.
std::string data_home();

/// Read quilt3's config.yml; a missing file gives an empty config. Throws
/// Corrupt naming the file when it is not YAML or not a mapping.
QuiltConfig read_quilt_config();

/// A registry location as a local path: `file://` URLs decoded, other text
/// kept. REQUIRES: not an s3:// URL.
std::string local_path_of(const std::string& location);

}  // namespace quilt
