#include "quilt/package_builder.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <exception>

#include "core/utf8.h"
#include "package/location.h"
#include "quilt/errors.h"
#include "quilt/hasher.h"
#include "quilt/logical_key.h"
#include "quilt/thread_pool.h"
#include "storage/s3/clients.h"

namespace quilt {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

std::string quoted(std::string_view s) { return "'" + escape_for_message(s) + "'"; }

// The local file behind set(): it must be a regular file now (links followed).
void check_local_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) throw_io_error("cannot read", path, errno);
  if (S_ISDIR(st.st_mode)) {
    throw InvalidArgument(quoted(path) + " is a directory; use set_dir to add a directory");
  }
  if (!S_ISREG(st.st_mode)) throw InvalidArgument(quoted(path) + " is not a regular file");
}

// The physical key of a location given to set(). A local path is made
// absolute lexically (symbolic links are kept as given).
PhysicalKey physical_key_of(std::string_view location) {
  if (location.empty()) throw InvalidArgument("empty location");
  if (detail::has_url_scheme(location)) {
    PhysicalKey key = PhysicalKey::from_url(std::string(location));
    if (key.is_local()) check_local_file(key.local_path());
    return key;
  }
  std::string path = absolute_path(detail::expand_user(location));
  check_local_file(path);
  return PhysicalKey::from_local_path(path);
}

// The key of a directory ("a/b" or "a/b/") without its trailing '/'.
std::string directory_key(std::string_view key) {
  if (!key.empty() && key.back() == '/') key.remove_suffix(1);
  validate_logical_key(key);
  return std::string(key);
}

}  // namespace

PackageBuilder::PackageBuilder() : meta_(Json::object()) { meta_.set("version", "v0"); }

PackageBuilder::PackageBuilder(const Package& base) : meta_(base.meta()) {
  if (const Json* message = meta_.find("message")) message_ = *message;
  for (const ManifestEntry& entry : base.entries()) {
    entries_.emplace_hint(entries_.end(), entry.logical_key, Pending{entry, false});
  }
  for (const DirectoryMeta& dir : base.directories()) {
    if (!dir.meta.is_null()) directories_.emplace(dir.logical_key, dir.meta);
  }
}

namespace {

// Return the first of "a", "a/b", ... up to `dir_key` itself that is a file
// entry, or an empty view. `Map` is the builder's map of entries.
template <typename Map>
std::string_view file_on_path(const Map& entries, std::string_view dir_key) {
  if (dir_key.empty()) return {};
  for (size_t end = 0;; ++end) {
    end = dir_key.find('/', end);
    std::string_view parent = dir_key.substr(0, end);
    if (entries.find(parent) != entries.end()) return parent;
    if (end == std::string_view::npos) return {};
  }
}

}  // namespace

void PackageBuilder::check_file_key_free(std::string_view key) const {
  std::string dir = std::string(key) + "/";
  // Byte order keeps the keys starting with "key/" together, first at or after "key/".
  auto below = entries_.lower_bound(dir);
  if (below != entries_.end() && starts_with(below->first, dir)) {
    throw InvalidArgument("cannot set " + quoted(key) + ": it is a directory holding " +
                          quoted(below->first));
  }
  size_t slash = key.rfind('/');
  if (slash == std::string_view::npos) return;
  std::string_view file = file_on_path(entries_, key.substr(0, slash));
  if (!file.empty()) {
    throw InvalidArgument("cannot set " + quoted(key) + ": " + quoted(file) + " is a file");
  }
}

void PackageBuilder::check_dir_key_free(std::string_view dir_key) const {
  std::string_view file = file_on_path(entries_, dir_key);
  if (!file.empty()) {
    throw InvalidArgument("cannot use " + quoted(dir_key) + " as a directory: " + quoted(file) +
                          " is a file");
  }
}

PackageBuilder& PackageBuilder::set(std::string_view logical_key, std::string_view location,
                                    std::optional<Json> meta) {
  validate_logical_key(logical_key);
  Pending pending;
  pending.entry.logical_key = std::string(logical_key);
  pending.entry.physical_key = physical_key_of(location);
  pending.needs_hash = true;
  if (meta) {
    Json entry_meta = Json::object();
    entry_meta.set("user_meta", std::move(*meta));
    pending.entry.meta = entry_meta;
  }
  check_file_key_free(logical_key);
  entries_.insert_or_assign(pending.entry.logical_key, std::move(pending));
  return *this;
}

PackageBuilder& PackageBuilder::set_entry(ManifestEntry entry) {
  validate_logical_key(entry.logical_key);
  if (entry.hash.value.empty() || entry.physical_key.empty()) {
    throw InvalidArgument("set_entry " + quoted(entry.logical_key) +
                          ": the entry needs a physical key and a hash");
  }
  check_file_key_free(entry.logical_key);
  std::string key = entry.logical_key;
  entries_.insert_or_assign(std::move(key), Pending{std::move(entry), false});
  return *this;
}

PackageBuilder& PackageBuilder::remove(std::string_view logical_key) {
  std::string key = directory_key(logical_key);
  if (entries_.erase(key) > 0) return *this;
  std::string dir = key + "/";
  size_t removed = 0;
  auto first = entries_.lower_bound(dir);
  auto last = first;
  while (last != entries_.end() && starts_with(last->first, dir)) ++last, ++removed;
  entries_.erase(first, last);
  auto dir_first = directories_.lower_bound(dir);
  auto dir_last = dir_first;
  while (dir_last != directories_.end() && starts_with(dir_last->first, dir)) ++dir_last, ++removed;
  directories_.erase(dir_first, dir_last);
  if (removed == 0) throw NotFound("no entry or directory " + quoted(key) + " in the package");
  return *this;
}

PackageBuilder& PackageBuilder::set_meta(Json user_meta) {
  meta_.set("user_meta", std::move(user_meta));
  return *this;
}

PackageBuilder& PackageBuilder::set_entry_meta(std::string_view logical_key, Json user_meta) {
  validate_logical_key(logical_key);
  auto it = entries_.find(logical_key);
  if (it == entries_.end()) throw NotFound("no entry " + quoted(logical_key) + " in the package");
  Json meta = it->second.entry.meta.value();
  if (!meta.is_object()) meta = Json::object();
  meta.set("user_meta", std::move(user_meta));
  it->second.entry.meta = meta;
  return *this;
}

PackageBuilder& PackageBuilder::set_dir_meta(std::string_view dir_key, Json meta) {
  std::string dir = directory_key(dir_key) + "/";
  auto below = entries_.lower_bound(dir);
  if (below == entries_.end() || !starts_with(below->first, dir)) {
    throw NotFound("no directory " + quoted(dir) + " in the package");
  }
  if (meta.is_null()) {
    directories_.erase(dir);
  } else {
    directories_.insert_or_assign(std::move(dir), std::move(meta));
  }
  return *this;
}

PackageBuilder& PackageBuilder::set_message(std::optional<std::string> message) {
  message_ = message ? Json(std::move(*message)) : Json();
  return *this;
}

Package PackageBuilder::build(ThreadPool& pool) const {
  std::vector<std::string> paths;
  std::vector<const ManifestEntry*> remote;
  for (const auto& [key, pending] : entries_) {
    if (!pending.needs_hash) continue;
    if (pending.entry.physical_key.is_s3()) {
      remote.push_back(&pending.entry);
    } else {
      paths.push_back(pending.entry.physical_key.local_path());
    }
  }
  // hash_files opens and fstats each file anyway: a file that vanished or
  // became a directory fails there, naming its path.
  std::vector<FileHash> hashes = hash_files(paths, HashType::kSha2256Chunked, pool);
  // S3 objects are hashed by streaming them, many at once (the wait is the
  // network's), each pinned to the version it had when it was looked at.
  std::vector<s3::ObjectHash> remote_hashes(remote.size());
  if (!remote.empty()) {
    ThreadPool transfers(std::min<size_t>(remote.size(), 16));
    std::vector<std::exception_ptr> errors(remote.size());
    transfers.parallel_for(remote.size(), [&](size_t i) {
      try {
        remote_hashes[i] = s3::hash_object(remote[i]->physical_key, HashType::kSha2256Chunked, &pool);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    });
    for (const std::exception_ptr& error : errors) {
      if (error) std::rethrow_exception(error);
    }
  }

  Manifest manifest;
  manifest.meta = meta_;
  manifest.meta.set("message", message_);
  manifest.entries.reserve(entries_.size());
  size_t hashed = 0;
  size_t remote_hashed = 0;
  for (const auto& [key, pending] : entries_) {
    manifest.entries.push_back(pending.entry);
    if (!pending.needs_hash) continue;
    ManifestEntry& entry = manifest.entries.back();
    if (entry.physical_key.is_s3()) {
      s3::ObjectHash& got = remote_hashes[remote_hashed++];
      entry.size = got.size;
      entry.hash = std::move(got.hash);
      // Pin the entry to the version hashed, as quilt3 records it.
      if (got.version_id && !entry.physical_key.version_id()) {
        entry.physical_key = PhysicalKey::from_s3(entry.physical_key.bucket(),
                                                  entry.physical_key.s3_key(), got.version_id);
      }
      continue;
    }
    entry.size = hashes[hashed].size;
    entry.hash = std::move(hashes[hashed].hash);
    ++hashed;
  }
  for (const auto& [dir, meta] : directories_) {
    // Meta of a directory that no longer holds an entry is dropped.
    auto below = entries_.lower_bound(dir);
    if (below == entries_.end() || !starts_with(below->first, dir)) continue;
    if (meta.is_null() || ((meta.is_object() || meta.is_array()) && meta.empty())) continue;
    manifest.directories.push_back({dir, meta});
  }
  return Package(std::move(manifest));
}

bool PackageBuilder::contains(std::string_view logical_key) const {
  return entries_.find(logical_key) != entries_.end();
}

const ManifestEntry* PackageBuilder::find(std::string_view logical_key) const {
  auto it = entries_.find(logical_key);
  return it == entries_.end() ? nullptr : &it->second.entry;
}

std::vector<std::string> PackageBuilder::keys() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& [key, pending] : entries_) out.push_back(key);
  return out;
}

const Json* PackageBuilder::dir_meta(std::string_view dir_key) const {
  auto it = directories_.find(dir_key);
  return it == directories_.end() ? nullptr : &it->second;
}

}  // namespace quilt
