#pragma once

// Where a push puts each entry's data: the entry-target decision of Registry::push, kept apart
// from the transfers (registry_write.cc) so either can change without the other.

#include <span>
#include <string>
#include <vector>

#include "quilt/manifest.h"
#include "quilt/package_name.h"
#include "quilt/registry.h"

namespace quilt {

/// The registry a push writes into, as the target decision needs it.
struct PushRegistry {
  std::string url;     ///< For messages.
  std::string root;    ///< Local directory; empty for S3.
  std::string bucket;  ///< S3 bucket; empty for a local registry.
  std::string prefix;  ///< Key prefix of an S3 registry ("" or ending with '/').
  bool is_s3() const { return !bucket.empty(); }
};

/// What happens to one entry's data.
struct EntryTarget {
  bool copy = false;   ///< false: the entry keeps its physical key.
  bool s3 = false;     ///< The target is an S3 object (else a local file).
  std::string bucket;  ///< S3 target's bucket.
  std::string key;     ///< S3 target: the object key in `bucket`; local: an absolute path.
};

/// Decide every entry's target from `options` (dest, dest_fn, selector), calling the user's
/// functions once per entry, in order, on this thread. Throws InvalidArgument naming the
/// offending dest or logical key for: an unparsable dest (another scheme, a versionId, a key
/// with empty, '.' or '..' segments), a local dest for an S3 registry, two entries sent to one
/// target, and an entry left at a local physical key in a package bound for an S3 registry.
std::vector<EntryTarget> plan_push_targets(const PushRegistry& registry, const PackageName& name,
                                           std::span<const ManifestEntry> entries,
                                           const PushOptions& options);

}  // namespace quilt
