#include "quilt/package.h"

#include <algorithm>
#include <mutex>

#include "quilt/logical_key.h"

namespace quilt {

// The shared, immutable state. The top hash is computed on first use, once,
// under the once_flag, so concurrent callers wait for the one computation.
struct Package::Impl {
  explicit Impl(Manifest m) : manifest(std::move(m)) {
    for (const ManifestEntry& entry : manifest.entries) total_size += entry.size;
  }

  Manifest manifest;
  uint64_t total_size = 0;
  mutable std::once_flag top_hash_once;
  mutable std::string top_hash;  // written once, under top_hash_once
};

namespace {

Manifest empty_manifest() {
  Manifest manifest;
  manifest.meta.set("version", "v0");
  return manifest;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

Package::Package() : impl_(std::make_shared<const Impl>(empty_manifest())) {}

Package::Package(Manifest manifest) {
  normalize_manifest(manifest);
  impl_ = std::make_shared<const Impl>(std::move(manifest));
}

const Json& Package::meta() const { return impl_->manifest.meta; }

std::optional<std::string> Package::message() const {
  const Json* message = meta().find("message");
  if (message == nullptr || !message->is_string()) return std::nullopt;
  return message->as_string();
}

Json Package::user_meta() const {
  const Json* user_meta = meta().find("user_meta");
  return user_meta == nullptr ? Json() : *user_meta;
}

std::span<const ManifestEntry> Package::entries() const { return impl_->manifest.entries; }

const std::vector<DirectoryMeta>& Package::directories() const {
  return impl_->manifest.directories;
}

const ManifestEntry* Package::find(std::string_view logical_key) const {
  const auto& entries = impl_->manifest.entries;
  auto it = std::lower_bound(entries.begin(), entries.end(), logical_key,
                             [](const ManifestEntry& e, std::string_view key) {
                               return walk_order_less(e.logical_key, key);
                             });
  if (it == entries.end() || it->logical_key != logical_key) return nullptr;
  return &*it;
}

std::span<const ManifestEntry> Package::under(std::string_view prefix) const {
  std::span<const ManifestEntry> all = entries();
  if (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  if (prefix.empty()) return all;
  std::string dir = std::string(prefix) + "/";
  // The keys starting with "dir/" are contiguous in walk order, and first
  // among the keys not less than "dir/".
  auto first = std::lower_bound(all.begin(), all.end(), dir,
                                [](const ManifestEntry& e, const std::string& key) {
                                  return walk_order_less(e.logical_key, key);
                                });
  auto last = std::partition_point(
      first, all.end(), [&](const ManifestEntry& e) { return starts_with(e.logical_key, dir); });
  return {first, last};
}

uint64_t Package::total_size() const { return impl_->total_size; }

const std::string& Package::top_hash() const {
  std::call_once(impl_->top_hash_once,
                 [this] { impl_->top_hash = compute_top_hash(impl_->manifest); });
  return impl_->top_hash;
}

std::string Package::manifest_text() const {
  std::string out;
  write_manifest(impl_->manifest, out);
  return out;
}

const Manifest& Package::manifest() const { return impl_->manifest; }

}  // namespace quilt
