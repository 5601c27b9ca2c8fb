#include "storage/s3/bucket_settings.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>

#include "quilt/errors.h"

namespace quilt::s3 {

std::string quiltcpp_config_path() {
  if (const char* path = std::getenv("QUILTCPP_CONFIG"); path != nullptr && *path != '\0') {
    return path;
  }
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && *xdg == '/') return std::string(xdg) + "/quiltcpp/config.yml";
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "") + "/.config/quiltcpp/config.yml";
}

ConfigOverrides with_bucket_settings(const std::string& bucket, ConfigOverrides overrides) {
  std::string path = quiltcpp_config_path();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return overrides;
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw Corrupt("quiltcpp config '" + path + "' is not valid YAML: " + e.what());
  }
  if (!root.IsMap() || !root["s3"] || !root["s3"].IsMap()) return overrides;
  YAML::Node buckets = root["s3"]["buckets"];
  if (!buckets || !buckets.IsMap() || !buckets[bucket]) return overrides;
  YAML::Node settings = buckets[bucket];
  std::string where = "quiltcpp config '" + path + "', bucket '" + bucket + "'";
  if (!settings.IsMap()) throw InvalidArgument(where + ": settings must be a mapping");
  for (const auto& item : settings) {
    std::string name = item.first.as<std::string>();
    const YAML::Node& value = item.second;
    if (!value.IsScalar()) throw InvalidArgument(where + ": '" + name + "' must be a single value");
    std::string text = value.as<std::string>();
    if (name == "endpoint_url") {
      if (!overrides.endpoint_url) overrides.endpoint_url = text;
    } else if (name == "region") {
      if (!overrides.region) overrides.region = text;
    } else if (name == "profile") {
      if (!overrides.profile) overrides.profile = text;
    } else if (name == "addressing") {
      if (text != "path" && text != "virtual") {
        throw InvalidArgument(where + ": addressing must be 'path' or 'virtual', not '" + text + "'");
      }
      if (!overrides.addressing) overrides.addressing = text == "path" ? Addressing::kPath : Addressing::kVirtual;
    } else if (name == "no_sign_request" || name == "conditional_writes") {
      bool flag = false;
      if (!YAML::convert<bool>::decode(value, flag)) {
        throw InvalidArgument(where + ": " + name + " must be true or false, not '" + text + "'");
      }
      std::optional<bool>& field =
          name == "no_sign_request" ? overrides.anonymous : overrides.conditional_writes;
      if (!field) field = flag;
    } else {
      throw InvalidArgument(where + ": unknown setting '" + name +
                            "' (known: endpoint_url, region, profile, addressing, no_sign_request, conditional_writes)");
    }
  }
  return overrides;
}

}  // namespace quilt::s3
