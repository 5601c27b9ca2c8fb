#include "registry/config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>

#include "quilt/errors.h"
#include "quilt/physical_key.h"
#include "quilt/registry.h"

namespace quilt {
namespace {

std::optional<std::string> string_setting(const YAML::Node& root, const char* name) {
  YAML::Node node = root[name];
  if (!node || node.IsNull() || !node.IsScalar()) return std::nullopt;
  std::string value = node.as<std::string>();
  if (value.empty()) return std::nullopt;
  return value;
}

}  // namespace

std::string data_home() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg != nullptr && *xdg == '/') return xdg;
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "") + "/.local/share";
}

QuiltConfig read_quilt_config() {
  std::string path = data_home() + "/Quilt/config.yml";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {};
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw Corrupt("quilt3 config '" + path + "' is not valid YAML: " + e.what());
  }
  if (root.IsNull()) return {};
  if (!root.IsMap()) throw Corrupt("quilt3 config '" + path + "' is not a YAML mapping");
  QuiltConfig config;
  config.default_local_registry = string_setting(root, "default_local_registry");
  config.default_remote_registry = string_setting(root, "default_remote_registry");
  config.default_install_location = string_setting(root, "default_install_location");
  return config;
}

std::string local_path_of(const std::string& location) {
  if (location.starts_with("file:")) return PhysicalKey::from_url(location).local_path();
  return location;
}

std::string default_local_registry() {
  QuiltConfig config = read_quilt_config();
  if (config.default_local_registry) return local_path_of(*config.default_local_registry);
  return data_home() + "/Quilt/packages";
}

std::string default_registry() {
  const char* env = std::getenv("QUILTCPP_REGISTRY");
  if (env != nullptr && *env != '\0') return env;
  return default_local_registry();
}

}  // namespace quilt
