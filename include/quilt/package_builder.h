#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quilt/formats.h"
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

/// How PackageBuilder::set serializes an in-memory object.
struct SetObjectOptions {
  /// A format name ("csv", "numpy", "utf-8", ...) or an extension ("tsv"),
  /// overriding the extension of the key and location. Empty: by extension.
  std::string format;
  /// A local path (or file:// URL) to write the serialized bytes to (parents
  /// created, an existing file replaced atomically); the entry points there.
  /// Empty: the content store of `data_dir`. Its extension, when it has one,
  /// must equal the logical key's.
  std::string location;
  /// The entry's user meta, as set() takes it: meta becomes
  /// {"format": ..., "target": ..., "user_meta": meta}.
  std::optional<Json> meta;
  /// Format options (a JSON object; null for none); see SerializeContext.
  Json format_options;
  /// The data directory whose content store (`<data_dir>/objects`) receives
  /// the bytes when no location is given. Empty: default_data_dir(), the
  /// user's (`${XDG_DATA_HOME:-~/.local/share}/quiltcpp`).
  std::string data_dir;
  /// Serialize and hash on this pool (null: the calling thread only).
  ThreadPool* pool = nullptr;
  /// The formats to choose from (null: FormatRegistry::builtin()).
  const FormatRegistry* registry = nullptr;
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

  /// Set `logical_key` to the bytes at `location`: a local path (a leading
  /// "~" expanded, then made absolute with absolute_path: symbolic links are
  /// kept as given) or a `file://` or `s3://` URL (kept as its text). Local
  /// files must be regular files now (links followed): IoError naming the path
  /// when missing, InvalidArgument for a directory (use set_dir) or a device.
  /// Size and hash come at build(). An `s3://` location is recorded, and
  /// build() refuses it until S3 lands. `meta`, when given, becomes the
  /// entry's meta `{"user_meta": meta}` (quilt3's entry.set_meta); an entry set
  /// again is replaced whole. Throws InvalidArgument for a bad key or URL, and
  /// for a key that is a directory ("a" when "a/b" exists) or below a file.
  PackageBuilder& set(std::string_view logical_key, std::string_view location,
                      std::optional<Json> meta = std::nullopt);
  /// Set `logical_key` to `object` serialized in the format its extension
  /// (or options.format) picks: the bytes stream through a sha2-256-chunked
  /// hasher into the content store (or options.location) as the format
  /// produces them, so when set returns the entry has its size, hash,
  /// physical key (the file:// URL of the stored file) and meta, and nothing
  /// was read back; build() does not hash it again. Throws InvalidArgument for
  /// a bad key, an unknown (kind, extension) pair or option, differing
  /// extensions of key and location, and what the format cannot hold; IoError
  /// naming the file. On any error nothing is left behind (no temp file, no
  /// directory the call made) and the builder is unchanged.
  template <ObjectType T>
  PackageBuilder& set(std::string_view logical_key, const T& object,
                      const SetObjectOptions& options = {}) {
    if constexpr (std::same_as<T, Object>) {
      return set_object(logical_key, object, options);
    } else {
      return set_object(logical_key, Object(object), options);
    }
  }
  /// Set an entry whose size and hash are known (InvalidArgument without a
  /// hash value or physical key, and for the key conflicts set() refuses).
  PackageBuilder& set_entry(ManifestEntry entry);
  /// Set every regular file below `dir` (a local path or `file://` URL) under
  /// `prefix` ("", "." or "/" for the root), as quilt3's set_dir does: hidden
  /// files too; symbolic links to files followed, to directories not; dangling
  /// links skipped; what `<dir>/.quiltignore` excludes skipped (rules in
  /// src/package/quiltignore.h). Physical keys are real paths: `dir` is
  /// resolved first, and a link to a file gets its target's real path (as
  /// quilt3's os.path.realpath). At the root, the package user_meta becomes
  /// options.meta or null; below it, the directory's meta becomes options.meta
  /// or none. Throws InvalidArgument naming a file name that is not UTF-8 or a
  /// key conflict, IoError for a directory that is missing or unreadable; on
  /// any error nothing has changed.
  PackageBuilder& set_dir(std::string_view prefix, const std::string& dir,
                          const SetDirOptions& options = {});
  /// Remove an entry, or a whole directory ("a/b" or "a/b/") with its
  /// directory meta. Throws NotFound when nothing is there, InvalidArgument
  /// for an invalid key.
  PackageBuilder& remove(std::string_view logical_key);

  /// Set the package's user_meta (null clears it to null).
  PackageBuilder& set_meta(Json user_meta);
  /// Set the meta of one entry (its "user_meta" as quilt3 does; other keys of
  /// the entry's meta stay). Throws NotFound when there is no such entry.
  PackageBuilder& set_entry_meta(std::string_view logical_key, Json user_meta);
  /// Set a directory's meta ("a/b/" or "a/b"), written as its directory-meta
  /// line (quilt3 keeps a directory's user_meta there, unwrapped); null removes
  /// it. Throws NotFound when no entry is below the directory. Meta of a
  /// directory left without entries is dropped at build().
  PackageBuilder& set_dir_meta(std::string_view dir_key, Json meta);
  /// The message recorded by build() (nullopt: `"message": null`). A builder
  /// made from a Package starts with that package's message.
  PackageBuilder& set_message(std::optional<std::string> message);

  /// True when `logical_key` names an entry.
  bool contains(std::string_view logical_key) const;
  size_t size() const { return entries_.size(); }
  /// The entry at `logical_key`, or nullptr. An entry set from a path has size
  /// 0 and an empty hash value until build() hashes it. Valid until the next
  /// change to the builder.
  const ManifestEntry* find(std::string_view logical_key) const;
  /// Every logical key, in byte order.
  std::vector<std::string> keys() const;
  /// The package meta build() starts from (version, user_meta, ...; build()
  /// sets "message").
  const Json& meta() const noexcept { return meta_; }
  /// The meta of directory `dir_key` ("a/b/"), or nullptr when it has none.
  const Json* dir_meta(std::string_view dir_key) const;

  /// Hash what is missing (on `pool`, in parallel; sha2-256-chunked, sizes from
  /// the bytes hashed, so a file changed since set() is taken as it is now) and
  /// return the package. Meta: the builder's package meta with "message" set
  /// in place, else appended (quilt3's order: version, user_meta, message).
  /// Throws IoError naming a file that vanished or is no longer a regular file,
  /// InvalidArgument for an s3 entry. The builder is unchanged and reusable.
  Package build(ThreadPool& pool) const;

 private:
  struct Pending {
    ManifestEntry entry;
    bool needs_hash = false;  ///< size and hash still to be computed
  };

  PackageBuilder& set_object(std::string_view logical_key, const Object& object,
                             const SetObjectOptions& options);
  /// Throw InvalidArgument naming both keys when `key` cannot be a file: it
  /// is a directory ("a" when "a/b" exists) or below a file ("a/b" when "a" is one).
  void check_file_key_free(std::string_view key) const;
  /// Throw InvalidArgument when the directory `dir_key` ("a/b", no '/') or a
  /// parent of it is a file.
  void check_dir_key_free(std::string_view dir_key) const;

  Json meta_;     // package meta; build() sets its "message" (in place, else last) from message_
  Json message_;  // string or null
  std::map<std::string, Pending, std::less<>> entries_;   // by key; ordered at build
  std::map<std::string, Json, std::less<>> directories_;  // "a/b/" -> meta (never null)
};

/// Return the absolute, lexically normalized form of `path` (relative to the
/// current directory).
std::string absolute_path(std::string_view path);

}  // namespace quilt
