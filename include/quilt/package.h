#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "quilt/formats.h"
#include "quilt/manifest.h"

namespace quilt {

/// Differences between two packages, by logical key, each list in walk order.
struct PackageDiff {
  std::vector<std::string> added;     ///< In the other package only.
  std::vector<std::string> modified;  ///< In both, with a different hash or size.
  std::vector<std::string> deleted;   ///< In this package only.
  bool empty() const { return added.empty() && modified.empty() && deleted.empty(); }
};

/// Result of verifying a package against a directory.
struct VerifyResult {
  std::vector<std::string> missing;   ///< Entries with no file.
  std::vector<std::string> modified;  ///< Files whose bytes do not match the entry.
  std::vector<std::string> extra;     ///< Files that no entry names.
  /// True when nothing is missing or modified, and no extra file unless allowed.
  bool ok(bool extra_files_ok) const {
    return missing.empty() && modified.empty() && (extra_files_ok || extra.empty());
  }
};

/// An immutable package: entries keyed by logical key (each with physical
/// key, size and hash), directory meta and package meta. Its top hash is
/// computed once. Copying is cheap (shared, immutable state); every const
/// method is safe to call from many threads at once. Build one with
/// PackageBuilder or load one from a manifest.
class Package {
 public:
  /// The empty package (`{"version": "v0"}`, no message).
  Package();
  /// Adopt a manifest (put in walk order; see normalize_manifest, whose
  /// Corrupt errors for duplicate or file-and-directory keys it throws).
  explicit Package(Manifest manifest);

  /// The package meta object (`version`, `message`, `user_meta`, ...).
  const Json& meta() const;
  /// The message, when one was set (null and absent both give nullopt).
  std::optional<std::string> message() const;
  /// `user_meta`, or null.
  Json user_meta() const;

  /// Entries in walk order.
  std::span<const ManifestEntry> entries() const;
  const std::vector<DirectoryMeta>& directories() const;
  /// The entry at `logical_key`, or nullptr.
  const ManifestEntry* find(std::string_view logical_key) const;
  /// Entries under the directory `prefix` ("a/b" or "a/b/"; "" for all), in
  /// walk order: a contiguous range, empty when there is no such directory.
  std::span<const ManifestEntry> under(std::string_view prefix) const;
  /// Total bytes of all entries.
  uint64_t total_size() const;

  /// The top hash, as quilt3 computes it: computed on first call, once, even
  /// when called from many threads at once, then cached.
  const std::string& top_hash() const;
  /// The manifest as quilt3 writes it.
  std::string manifest_text() const;
  const Manifest& manifest() const;

  /// Entries of `other` against this one (this is the old side). Modified
  /// means a different hash (type or value) or size; entry meta and physical
  /// keys are not compared (quilt3's diff also compares entry meta).
  PackageDiff diff(const Package& other) const;
  /// Keep the entries for which `keep` returns true. The package meta stays,
  /// and the meta of directories that still hold an entry (quilt3's filter
  /// starts from an empty package meta instead).
  Package filter(const std::function<bool(const ManifestEntry&)>& keep) const;
  /// Return a package whose entries are `fn(entry)` (keys may change; the
  /// result is put back in walk order). Throws InvalidArgument for an invalid
  /// key, a key given twice or both a file and a directory, or an entry
  /// without hash or physical key. Meta is kept as filter() keeps it.
  Package map(const std::function<ManifestEntry(const ManifestEntry&)>& fn) const;

  /// Compare the files under `dir` (entry at dir/<logical key>, links
  /// followed) with the entries, hashing each with its own hash type on
  /// `pool` (a size that differs decides without reading). Missing: no regular
  /// file there. Extra: regular files found by walking `dir` (every one, no
  /// .quiltignore; links to files followed, to directories not; names that
  /// are not UTF-8 reported as raw bytes) that no entry names. Throws IoError
  /// when `dir` cannot be listed or a file cannot be read.
  VerifyResult verify(const std::string& dir, ThreadPool& pool) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

struct DeserializeOptions {
  /// The formats to choose from (null: FormatRegistry::builtin()).
  const FormatRegistry* registry = nullptr;
  /// Hash and decode on this pool (null: the calling thread only).
  ThreadPool* pool = nullptr;
};

/// Read the bytes of `entry` (a local file:// physical key), checking them
/// against the entry's hash while reading, and return the object its format
/// makes of them. The format is the one the meta names (format.name, else
/// target), else the physical key's extension. Throws Corrupt naming the
/// logical key, the expected and the actual hash when the bytes do not match
/// (nothing is decoded then); InvalidArgument for an unknown format or an s3
/// key (not yet supported); IoError naming the file; Corrupt from the format.
Object deserialize(const ManifestEntry& entry, const DeserializeOptions& options = {});

}  // namespace quilt
