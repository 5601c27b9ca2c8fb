#pragma once

// The sha2-256-chunked part digests of large files hashed in this process, so that an upload
// right after (push --dir hashes, then uploads) can sign its chunks with them instead of
// hashing every byte again. A file is known by what changes when it is written to: a digest
// list is only handed back while the file's identity is what it was when it was hashed.

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "core/sha256.h"

namespace quilt::detail {

/// Device, inode, size, and modification and change times in nanoseconds. The kernel moves
/// the change time on every write and nothing can set it back, so equal identities mean
/// unchanged contents (as git's index assumes).
struct FileIdentity {
  uint64_t device = 0;
  uint64_t inode = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};

FileIdentity identity_of(const struct stat& st);

/// Remember the part digests of the file as it was at `id`. Only files of more than one part
/// are worth it; at most a few thousand are kept (the oldest are forgotten).
void remember_part_digests(const FileIdentity& id, std::vector<Sha256Digest> digests);

/// The part digests remembered for a file at `id`, if any.
std::optional<std::vector<Sha256Digest>> recall_part_digests(const FileIdentity& id);

}  // namespace quilt::detail
