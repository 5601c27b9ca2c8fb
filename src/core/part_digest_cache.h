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

/// Remember the part digests of the file as it was at `id`, read from `started_ns` (the
/// wall clock, CLOCK_REALTIME, when the read began). Only files of more than one part are
/// worth it; at most a few thousand are kept (the oldest are forgotten). A file changed less
/// than kRacyNs before the read began is not remembered: the kernel's file times move in
/// clock ticks of a few ms, so a second write within the tick of the one before the read could
/// leave the same identity (git's "racy" files).
void remember_part_digests(const FileIdentity& id, int64_t started_ns,
                           std::vector<Sha256Digest> digests);

/// How long before a read a file must have last changed for its digests to be remembered.
inline constexpr int64_t kRacyNs = 50'000'000;

/// The wall clock now, in ns (what remember_part_digests() takes as `started_ns`).
int64_t wall_clock_ns();

/// The part digests remembered for a file at `id`, if any.
std::optional<std::vector<Sha256Digest>> recall_part_digests(const FileIdentity& id);

}  // namespace quilt::detail
