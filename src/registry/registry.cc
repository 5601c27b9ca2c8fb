#include "quilt/registry.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "core/utf8.h"
#include "quilt/errors.h"
#include "registry/config.h"
#include "registry/registry_impl.h"
#include "storage/s3/client.h"

namespace quilt {
namespace {

std::string trim(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  return text.substr(start);
}

bool is_hex(std::string_view text) noexcept {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

std::optional<int64_t> parse_timestamp(std::string_view name) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), value);
  if (ec != std::errc() || end != name.data() + name.size() || name.empty()) return std::nullopt;
  return value;
}

}  // namespace

bool is_top_hash(std::string_view text) noexcept { return text.size() == 64 && is_hex(text); }

std::optional<std::string> Registry::Impl::read_pointer(const std::string& key) {
  if (!store->head(key)) return std::nullopt;
  std::string value = trim(store->get(key));
  if (!is_top_hash(value)) {
    throw Corrupt("pointer '" + key + "' in registry " + store->root_url() +
                  " does not hold a top hash (it holds '" + escape_for_message(value, 80) + "')");
  }
  return value;
}

void Registry::Impl::write_pointer(const std::string& key, const std::string& top_hash) {
  store->put(key, top_hash);
}

std::vector<PackageVersion> Registry::Impl::versions(const PackageName& name) {
  std::string dir = layout::pointer_dir(name);
  std::vector<PackageVersion> out;
  for (const ObjectInfo& info : store->list_all(dir)) {
    std::string_view leaf = std::string_view(info.key).substr(dir.size());
    std::optional<int64_t> ts = parse_timestamp(leaf);
    if (!ts) continue;  // `latest` and anything foreign
    std::optional<std::string> hash = read_pointer(info.key);
    if (hash) out.push_back(PackageVersion{*ts, *hash});
  }
  std::sort(out.begin(), out.end(),
            [](const PackageVersion& a, const PackageVersion& b) { return a.timestamp < b.timestamp; });
  return out;
}

void Registry::Impl::refuse_workflows() {
  if (store->head(layout::kWorkflowConfig)) {
    throw InvalidArgument("registry " + store->root_url() +
                          " has a workflow config (.quilt/workflows/config.yml): quiltcpp does "
                          "not validate workflows yet, and a package pushed without one would "
                          "get a different top hash than quilt3 gives it");
  }
}

std::string Registry::Impl::lock_path(const PackageName& name) const {
  return root + "/.quilt/locks/" + name.user + "/" + name.pkg + ".lock";
}

Registry::Registry(std::unique_ptr<ObjectStore> store) : impl_(std::make_unique<Impl>()) {
  std::string url = store->root_url();
  if (url.starts_with("s3://")) {
    std::string_view rest = std::string_view(url).substr(5);
    size_t slash = rest.find('/');
    impl_->bucket = std::string(rest.substr(0, slash));
    if (slash != std::string_view::npos) impl_->prefix = std::string(rest.substr(slash + 1)) + "/";
  } else {
    impl_->root = local_path_of(url);
  }
  impl_->store = std::move(store);
}

Registry::~Registry() = default;

std::unique_ptr<Registry> Registry::open(std::string_view url) {
  return std::make_unique<Registry>(open_store(url));
}

std::string Registry::url() const { return impl_->store->root_url(); }

std::vector<std::string> Registry::list_packages() {
  std::set<std::string> names;
  for (const ObjectInfo& info : impl_->store->list_all(layout::kNamed)) {
    std::string_view rest = std::string_view(info.key).substr(layout::kNamed.size());
    size_t first = rest.find('/');
    if (first == std::string_view::npos) continue;
    size_t second = rest.find('/', first + 1);
    if (second == std::string_view::npos) continue;
    std::string name(rest.substr(0, second));
    if (is_valid_package_name(name)) names.insert(std::move(name));
  }
  return {names.begin(), names.end()};
}

std::vector<PackageVersion> Registry::list_versions(const PackageName& name) {
  std::vector<PackageVersion> out = impl_->versions(name);
  if (out.empty() && !impl_->store->head(layout::latest_key(name))) {
    throw NotFound("no package '" + name.str() + "' in registry " + url());
  }
  return out;
}

std::string Registry::latest(const PackageName& name) {
  std::optional<std::string> hash = impl_->read_pointer(layout::latest_key(name));
  if (!hash) throw NotFound("no package '" + name.str() + "' in registry " + url());
  return *hash;
}

ResolvedHash Registry::resolve_prefix(std::string_view prefix) {
  ResolvedHash out;
  for (const ObjectInfo& info : impl_->store->list_all(layout::manifest_key(prefix))) {
    std::string hash = info.key.substr(layout::kPackages.size());
    if (is_top_hash(hash)) out.candidates.push_back(std::move(hash));
  }
  if (out.candidates.size() == 1) {
    out.status = ResolvedHash::Status::kFound;
    out.top_hash = std::move(out.candidates.front());
    out.candidates.clear();
  } else if (out.candidates.size() > 1) {
    out.status = ResolvedHash::Status::kAmbiguous;
  }
  return out;
}

std::string Registry::resolve(const PackageName& name, std::string_view hash_or_prefix) {
  if (hash_or_prefix.empty()) return latest(name);
  std::string prefix(hash_or_prefix);
  std::transform(prefix.begin(), prefix.end(), prefix.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!is_hex(prefix) || prefix.size() > 64) {
    throw InvalidArgument("'" + escape_for_message(hash_or_prefix) + "' is not a top hash");
  }
  if (prefix.size() < 6) {
    throw InvalidArgument("hash prefix '" + prefix + "' is too short: give 6 or more hex digits");
  }
  ResolvedHash resolved = resolve_prefix(prefix);
  switch (resolved.status) {
    case ResolvedHash::Status::kFound:
      return resolved.top_hash;
    case ResolvedHash::Status::kAmbiguous:
      throw InvalidArgument("hash prefix '" + prefix + "' is ambiguous: it matches " +
                            std::to_string(resolved.candidates.size()) + " revisions (" +
                            resolved.candidates[0].substr(0, 12) + ", " +
                            resolved.candidates[1].substr(0, 12) + ", ...)");
    case ResolvedHash::Status::kNone:
      break;
  }
  throw NotFound("no revision with top hash " + prefix + " in registry " + url());
}

namespace {

// Manifests read from S3 are kept in ${XDG_CACHE_HOME:-~/.cache}/quiltcpp/manifests/, one file
// per manifest URL (named by the URL's SHA-256). Not by top hash alone: physical keys are not
// hashed, so two registries can hold different manifests with one top hash. A cached file that
// no longer hashes to its top hash is fetched again.
std::string manifest_cache_path(const std::string& url) {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  std::string base;
  if (xdg != nullptr && *xdg == '/') {
    base = xdg;
  } else {
    const char* home = std::getenv("HOME");
    base = std::string(home != nullptr ? home : "") + "/.cache";
  }
  return base + "/quiltcpp/manifests/" +
         s3::sha256_hex({reinterpret_cast<const uint8_t*>(url.data()), url.size()});
}

std::optional<Package> cached_manifest(const std::string& url, const std::string& top_hash) {
  std::string path = manifest_cache_path(url);
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    ManifestReadOptions options;
    options.source_name = path;
    Package package(read_manifest(text, options));
    if (package.top_hash() == top_hash) return package;
  } catch (const Error&) {
  }
  return std::nullopt;
}

// Best effort: a cache that cannot be written is no reason to fail a browse.
void cache_manifest(const std::string& url, const std::string& text) {
  std::string path = manifest_cache_path(url);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::string temp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return;
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out) {
      std::filesystem::remove(temp, ec);
      return;
    }
  }
  std::filesystem::rename(temp, path, ec);
  if (ec) std::filesystem::remove(temp, ec);
}

}  // namespace

Package Registry::browse(const PackageName& name, std::string_view hash_or_prefix) {
  std::string top_hash = resolve(name, hash_or_prefix);
  std::string key = layout::manifest_key(top_hash);
  std::string manifest_url = url() + "/" + key;
  if (impl_->is_s3()) {
    if (std::optional<Package> cached = cached_manifest(manifest_url, top_hash)) return *cached;
  }
  if (!impl_->store->head(key)) {
    throw Corrupt("registry " + url() + " points '" + name.str() + "' at " + top_hash +
                  ", but its manifest " + key + " is missing");
  }
  ManifestReadOptions options;
  options.source_name = key;
  std::string text = impl_->store->get(key);
  Package package(read_manifest(text, options));
  if (package.top_hash() != top_hash) {
    throw Corrupt("manifest " + key + " in registry " + url() + " hashes to " +
                  package.top_hash() + ", not to its name");
  }
  if (impl_->is_s3()) cache_manifest(manifest_url, text);
  return package;
}

}  // namespace quilt
