#pragma once

// One S3 client per bucket for the whole process. Physical keys name buckets, not servers: an
// entry at s3://team-data/... must be read with team-data's endpoint and credentials (its
// per-bucket settings), whichever command or registry reaches it. Clients keep their
// connections, so sharing them also shares the connection pools.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "quilt/hash.h"
#include "quilt/physical_key.h"
#include "quilt/thread_pool.h"
#include "storage/s3/client.h"
#include "storage/s3/config.h"

namespace quilt::s3 {

/// Set the overrides (command-line flags) every client made from now on starts from. The CLI
/// calls this once after parsing; clients already made keep their settings.
void set_default_overrides(const ConfigOverrides& overrides);

/// Return the shared client for `bucket`, made on first use from the default overrides, the
/// bucket's settings (bucket_settings.h) and resolve_config(). Thread-safe.
std::shared_ptr<Client> client_for_bucket(const std::string& bucket);

/// What hash_object() found.
struct ObjectHash {
  uint64_t size = 0;
  Hash hash;
  std::optional<std::string> version_id;  ///< Of the bytes hashed (none when unversioned).
};

/// Hash the S3 object `url` (`s3://BUCKET/KEY[?versionId=V]`) by streaming it: a HEAD for the
/// size and version, then a GET pinned to that version's ETag, hashed on `pool` as it arrives.
/// `on_bytes(bytes, size)` is told of each piece hashed and the object's size (for progress).
/// Throws NotFound for a missing object, RemoteError when fewer bytes arrive than the HEAD
/// promised.
ObjectHash hash_object(const PhysicalKey& url, HashType type, ThreadPool* pool,
                       const std::function<void(uint64_t, uint64_t)>& on_bytes = {});

}  // namespace quilt::s3
