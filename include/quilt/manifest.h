#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "quilt/compact_json.h"
#include "quilt/hash.h"
#include "quilt/json.h"
#include "quilt/physical_key.h"

namespace quilt {

class ThreadPool;

/// One file of a package as a manifest line records it.
struct ManifestEntry {
  std::string logical_key;
  PhysicalKey physical_key;
  uint64_t size = 0;
  Hash hash;
  /// The entry's meta object; user metadata lives under "user_meta".
  CompactJson meta;
};

/// Metadata of a directory ("a/b/"), from a directory-meta line.
struct DirectoryMeta {
  std::string logical_key;  ///< Ends with '/'.
  Json meta = Json::object();
};

/// A quilt3 manifest (version v0) in memory: the package meta object (line 1,
/// without the legacy `top_hash`), directory meta and entries, both in
/// tree-walk order (compare_walk_order) with unique keys. A plain value.
struct Manifest {
  Json meta = Json::object();
  std::vector<DirectoryMeta> directories;
  std::vector<ManifestEntry> entries;
};

/// quilt3's default limit on the bytes of one manifest record.
inline constexpr size_t kDefaultMaxRecordSize = 1'000'000;

struct ManifestReadOptions {
  /// Longest accepted record in bytes, newline excluded; 0 means
  /// `QUILT_MANIFEST_MAX_RECORD_SIZE` from the environment, else kDefaultMaxRecordSize.
  size_t max_record_size = 0;
  /// Parse lines on this pool; nullptr parses on the calling thread.
  ThreadPool* pool = nullptr;
  /// Name used in error messages ("manifest 'NAME' line N: ...").
  std::string source_name;
};

/// Parse manifest text. Records are separated by '\n' only. Throws Corrupt
/// naming the line and the problem for a record that is not JSON, not UTF-8,
/// over the size limit, empty, malformed (a missing or ill-typed field, an
/// invalid logical key, an unknown hash type), or a duplicate logical key.
Manifest read_manifest(std::string_view text, const ManifestReadOptions& options = {});

/// Read a manifest file, streaming it in blocks. Throws IoError naming the
/// path when it cannot be read, and Corrupt as read_manifest does.
Manifest read_manifest_file(const std::string& path, ManifestReadOptions options = {});

/// Put entries and directories into tree-walk order. Throws Corrupt naming the
/// key for a duplicate logical key, or for a key that is both a file and a
/// directory ("a" and "a/b").
void normalize_manifest(Manifest& manifest);

/// Append the manifest as quilt3 writes it: one JSON record per line, each
/// ending in '\n'; directory-meta lines only for non-empty meta.
/// REQUIRES: normalized (as read_manifest returns it). Throws InvalidArgument
/// for NaN or Infinity in metadata, which quilt3 refuses to write.
void write_manifest(const Manifest& manifest, std::string& out);

/// Return the top hash (64 lowercase hex digits) as quilt3 computes it: SHA-256
/// over the canonical JSON of the package meta, then of each entry's
/// {hash, logical_key, meta, size} in walk order. REQUIRES: normalized.
std::string compute_top_hash(const Manifest& manifest, ThreadPool* pool = nullptr);

}  // namespace quilt
