#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/part_digest_cache.h"
#include "quilt/object_store.h"
#include "quilt/registry.h"
#include "quilt/thread_pool.h"
#include "registry/push_targets.h"
#include "storage/file_lock.h"
#include "storage/s3/client.h"
#include "storage/s3/s3_store.h"

namespace quilt {

/// Where quilt3's registry layout puts things, relative to the registry root.
namespace layout {
inline constexpr std::string_view kPackages = ".quilt/packages/";
inline constexpr std::string_view kNamed = ".quilt/named_packages/";
inline constexpr std::string_view kWorkflowConfig = ".quilt/workflows/config.yml";

inline std::string manifest_key(std::string_view top_hash) {
  return std::string(kPackages) + std::string(top_hash);
}
inline std::string pointer_dir(const PackageName& name) {
  return std::string(kNamed) + name.user + "/" + name.pkg + "/";
}
inline std::string latest_key(const PackageName& name) { return pointer_dir(name) + "latest"; }
}  // namespace layout

/// True for 64 lowercase hex digits.
bool is_top_hash(std::string_view text) noexcept;

struct Registry::Impl {
  /// An object upload_ahead() put in place: the file it came from, as it was then.
  struct UploadedAhead {
    detail::FileIdentity identity;
    std::optional<std::string> version_id;
  };
  /// What upload_ahead() sent, by (bucket, key); copy_data() takes what still applies.
  std::mutex ahead_mutex;
  std::map<std::pair<std::string, std::string>, UploadedAhead> uploaded_ahead;
  /// The version of the object upload_ahead() put at `bucket`/`key` for `entry`, if the
  /// entry's file is still as it was and its hash is the one computed on the way up.
  std::optional<std::optional<std::string>> take_uploaded_ahead(const std::string& bucket,
                                                                 const std::string& key,
                                                                 const ManifestEntry& entry);

  std::unique_ptr<ObjectStore> store;
  std::string root;  ///< Local directory of the registry; empty for S3.
  std::string bucket;  ///< The bucket of an S3 registry; empty for local ones.
  std::string prefix;  ///< Key prefix of an S3 registry inside its bucket ("" or "p/").

  bool is_s3() const { return !bucket.empty(); }

  /// Read a pointer file; nullopt when absent; Corrupt when not a top hash.
  std::optional<std::string> read_pointer(const std::string& key);
  /// Point `key` at `top_hash` atomically.
  void write_pointer(const std::string& key, const std::string& top_hash);
  /// Timestamp pointers of a package, oldest first (empty when none).
  std::vector<PackageVersion> versions(const PackageName& name);
  /// Refuse writes into a registry with a workflow config (DESIGN.md).
  void refuse_workflows();
  /// Path of the lock file that serializes writers of `name` across processes.
  std::string lock_path(const PackageName& name) const;
  /// Take the lock of `name` in a local registry; S3 registries have none.
  std::optional<FileLock> lock(const PackageName& name);
  /// Add a timestamp pointer to `top_hash` (the current second, or the next
  /// free one) and point `latest` at it. REQUIRES: the name's lock is held
  /// (local registries), or `expected_latest` is what `latest` held when the
  /// caller checked it (S3, where there is no lock: see registry_write.cc).
  void add_revision(const PackageName& name, const std::string& top_hash,
                    const std::optional<std::string>& expected_latest = std::nullopt);
  /// In an S3 registry, copy an entry that lives in another bucket of the
  /// same server on the server, to `key` of `target`; std::nullopt when the
  /// bytes must pass through here instead.
  std::optional<s3::PutResult> server_side_copy(const ManifestEntry& entry, s3::S3Store& target,
                                                const std::string& key);
  /// The store each copied entry of a push plan is written through, and its key in it: the
  /// registry's own store for targets inside the registry, others (owned here) elsewhere.
  struct TargetStores {
    std::vector<ObjectStore*> store;  ///< Per entry; null for entries not copied.
    std::vector<std::string> key;
    std::vector<std::unique_ptr<ObjectStore>> owned;
  };
  TargetStores target_stores(const std::vector<EntryTarget>& plan);
  /// Copy the data of the entries `options` selects (every entry not already
  /// in the bucket it would go to, by default) to <root>/USER/PKG/<logical
  /// key> or `options.dest`, verifying hashes, and return the package with
  /// physical keys pointing there (with the versionId S3 assigned). Objects a
  /// previous push left at a target with the entry's hash are not sent again.
  Package copy_data(const PackageName& name, const Package& package, ThreadPool& pool,
                    const PushOptions& options);
  /// For the entries at `indices` (small local files whose target key in S3 may already
  /// hold an object of their size): HEAD each through the transfer engine, and where an
  /// earlier push left it whole (its quilt-hash metadata is the entry's), set targets[i] and
  /// count it as done. Return the indices still to upload, in order.
  std::vector<size_t> skip_pushed(const std::vector<size_t>& indices,
                                  std::span<const ManifestEntry> entries,
                                  const TargetStores& where, std::vector<PhysicalKey>& targets,
                                  const ProgressFn& on_progress);
  /// copy_data() for the entries at `indices`: local files of at most kEngineMaxObject bytes
  /// bound for S3 (where.store[i], under where.key[i]). Each is read and verified on `pool` and
  /// uploaded through the S3 client's transfer engine; targets[i] gets its new physical key.
  /// Throws the first failure in `indices` order once every started upload has ended.
  void push_small(const std::vector<size_t>& indices, std::span<const ManifestEntry> entries,
                  const TargetStores& where, std::vector<PhysicalKey>& targets, ThreadPool& pool,
                  const ProgressFn& on_progress);
};

}  // namespace quilt
