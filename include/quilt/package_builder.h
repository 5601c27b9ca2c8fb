#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "quilt/package.h"

namespace quilt {

class ThreadPool;

/// Which entry wins in set_dir when a key exists already.
enum class UpdatePolicy : uint8_t {
  kIncoming,  ///< The file from the directory replaces the existing entry (quilt3's default).
  kExisting,  ///< The existing entry stays.
};

struct SetDirOptions {
  /// Meta for the directory (at the root: the package's user_meta, as quilt3
  /// sets it, so a root set_dir without meta sets user_meta to null).
  std::optional<Json> meta;
  UpdatePolicy update_policy = UpdatePolicy::kIncoming;
};

/// The mutable side of a package: set, remove and describe entries, then
/// build() an immutable Package. Entries set from local files are hashed by
/// build() (in parallel), so a Package never holds a half-built entry.
/// Not thread-safe.
class PackageBuilder {
 public:
  /// Start empty.
  PackageBuilder();
  /// Start from `base` (its entries, meta and message).
  explicit PackageBuilder(const Package& base);

  /// Set `logical_key` to the bytes at `location`: a local path (made
  /// absolute) or a `file://` or `s3://` URL. Local files must exist now
  /// (IoError naming the path otherwise); size and hash come at build().
  /// An `s3://` location is recorded, and build() refuses it until S3 lands.
  /// Throws InvalidArgument for a bad key or URL.
  PackageBuilder& set(std::string_view logical_key, std::string_view location,
                      std::optional<Json> meta = std::nullopt);
  /// Set an entry whose size and hash are known.
  PackageBuilder& set_entry(ManifestEntry entry);
  /// Set every regular file below `dir` under `prefix` ("" for the root):
  /// hidden files too, symbolic links to files followed, to directories not,
  /// `.quiltignore` patterns skipped; file names that are not UTF-8 are
  /// refused (InvalidArgument naming them).
  PackageBuilder& set_dir(std::string_view prefix, const std::string& dir,
                          const SetDirOptions& options = {});
  /// Remove an entry, or a whole directory ("a/b" or "a/b/"). Throws NotFound
  /// when nothing is there.
  PackageBuilder& remove(std::string_view logical_key);

  /// Set the package's user_meta (null clears it to null).
  PackageBuilder& set_meta(Json user_meta);
  /// Set the meta of one entry (its "user_meta" as quilt3 does).
  PackageBuilder& set_entry_meta(std::string_view logical_key, Json user_meta);
  /// Set a directory's meta ("a/b/").
  PackageBuilder& set_dir_meta(std::string_view dir_key, Json meta);
  /// The message recorded by build() (nullopt: `"message": null`).
  PackageBuilder& set_message(std::optional<std::string> message);

  /// True when `logical_key` names an entry.
  bool contains(std::string_view logical_key) const;
  size_t size() const { return entries_.size(); }

  /// Hash what is missing (on `pool`, in parallel) and return the package.
  /// Throws IoError for a file that vanished, InvalidArgument for an s3 entry.
  Package build(ThreadPool& pool) const;

 private:
  struct Pending {
    ManifestEntry entry;
    bool needs_hash = false;  ///< size and hash still to be computed
  };

  Json meta_;
  std::map<std::string, Pending, std::less<>> entries_;     // by key; ordered at build
  std::map<std::string, Json, std::less<>> directories_;    // "a/b/" -> meta
};

/// Return the absolute, lexically normalized form of `path` (relative to the
/// current directory).
std::string absolute_path(std::string_view path);

}  // namespace quilt
