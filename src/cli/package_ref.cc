#include "cli/package_ref.h"

#include "core/utf8.h"
#include "quilt/errors.h"
#include "quilt/physical_key.h"

namespace quilt::cli {
namespace {

[[noreturn]] void bad_ref(std::string_view text, const std::string& why) {
  throw InvalidArgument("invalid package reference '" + escape_for_message(text) + "': " + why);
}

// Split "USER/PKG[@HASH|:TAG]" into the ref.
void parse_name_and_hash(std::string_view text, std::string_view whole, PackageRef& ref) {
  size_t at = text.find('@');
  size_t colon = text.find(':');
  std::string_view name = text.substr(0, std::min(at, colon));
  if (at != std::string_view::npos) {
    ref.top_hash = std::string(text.substr(at + 1));
    if (ref.top_hash.empty()) bad_ref(whole, "empty hash after '@'");
  } else if (colon != std::string_view::npos) {
    if (text.substr(colon + 1) != "latest") bad_ref(whole, "the only tag is ':latest'");
  }
  ref.name = PackageName::parse(name);
}

// Turn "quilt+file:///p" or "quilt+s3://b" into the registry location.
std::string registry_of_uri(std::string_view base, std::string_view whole) {
  std::string_view rest = base.substr(6);  // after "quilt+"
  if (rest.starts_with("file://") || rest.starts_with("s3://")) return std::string(rest);
  bad_ref(whole, "a Quilt URI starts with quilt+file:// or quilt+s3://");
}

}  // namespace

PackageRef parse_package_ref(std::string_view text) {
  PackageRef ref;
  if (!text.starts_with("quilt+")) {
    parse_name_and_hash(text, text, ref);
    return ref;
  }
  size_t hash = text.find('#');
  if (hash == std::string_view::npos) bad_ref(text, "no '#package=' fragment");
  ref.registry = registry_of_uri(text.substr(0, hash), text);
  std::string_view fragment = text.substr(hash + 1);
  bool has_package = false;
  while (!fragment.empty()) {
    size_t amp = fragment.find('&');
    std::string_view pair = fragment.substr(0, amp);
    fragment = amp == std::string_view::npos ? std::string_view{} : fragment.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string value = eq == std::string_view::npos ? "" : url_unquote(pair.substr(eq + 1));
    if (key == "package") {
      parse_name_and_hash(value, text, ref);
      has_package = true;
    } else if (key == "path") {
      ref.path = value;
    } else if (key != "catalog") {
      bad_ref(text, "unknown fragment parameter '" + std::string(key) + "'");
    }
  }
  if (!has_package) bad_ref(text, "no 'package=' in the fragment");
  return ref;
}

std::unique_ptr<Registry> open_registry(const std::string& option, const PackageRef* ref) {
  std::string location = option;
  if (location.starts_with("quilt+")) location = registry_of_uri(location, option);
  if (location.empty() && ref != nullptr) location = ref->registry;
  if (location.empty()) location = default_registry();
  return Registry::open(location);
}

}  // namespace quilt::cli
