#include "package/location.h"

#include <pwd.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>

#include "quilt/errors.h"
#include "quilt/package_builder.h"

namespace quilt {
namespace detail {

bool has_url_scheme(std::string_view location) noexcept {
  size_t colon = location.find("://");
  if (colon == 0 || colon == std::string_view::npos) return false;
  if (!std::isalpha(static_cast<unsigned char>(location[0]))) return false;
  for (size_t i = 1; i < colon; ++i) {
    auto c = static_cast<unsigned char>(location[i]);
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

std::string expand_user(std::string_view path) {
  if (path.empty() || path[0] != '~' || (path.size() > 1 && path[1] != '/')) {
    return std::string(path);
  }
  std::string home;
  if (const char* env = std::getenv("HOME"); env != nullptr && *env != '\0') {
    home = env;
  } else if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr) {
    home = pw->pw_dir;
  } else {
    return std::string(path);
  }
  return home + std::string(path.substr(1));
}

}  // namespace detail

std::string absolute_path(std::string_view path) {
  if (path.empty()) throw InvalidArgument("empty path");
  std::filesystem::path p(path);
  if (p.is_relative()) {
    std::error_code ec;
    std::filesystem::path cwd = std::filesystem::current_path(ec);
    if (ec) throw IoError("cannot read the current directory: " + ec.message(), ec.value());
    p = cwd / p;
  }
  std::string out = p.lexically_normal().string();
  // lexically_normal keeps a trailing separator ("/a/b/"); a file path has none.
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

}  // namespace quilt
