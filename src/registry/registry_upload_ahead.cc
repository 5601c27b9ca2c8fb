// Registry::upload_ahead: for push --dir to S3, send the large files of the directory while
// hashing them, before the package is built, so each is read once. build() then finds their
// hashes (core/part_digest_cache.h) and push() finds the objects in place.

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <memory>

#include "core/sha256_chunked.h"
#include "package/dir_walker.h"
#include "package/quiltignore.h"
#include "quilt/errors.h"
#include "quilt/hasher.h"
#include "quilt/registry.h"
#include "registry/registry_impl.h"
#include "registry/transfer_window.h"
#include "registry/verified_copy.h"
#include "storage/s3/clients.h"

namespace quilt {
namespace {

// As many large uploads at once as push runs (registry_write.cc).
constexpr size_t kAheadTransfers = 16;

struct FreeDeleter {
  void operator()(char* p) const noexcept { std::free(p); }
};

}  // namespace

void Registry::upload_ahead(const PackageName& name, const std::string& dir,
                            const PushOptions& options) {
  if (!impl_->is_s3() || !options.copy_data || options.dest_fn) return;
  std::unique_ptr<char, FreeDeleter> resolved(::realpath(dir.c_str(), nullptr));
  if (!resolved) throw_io_error("cannot read directory", dir, errno);
  std::string root = resolved.get();
  // The files set_dir("", dir) records, with the names it would refuse refused here first.
  std::optional<detail::IgnoreRules> ignore = detail::IgnoreRules::load(root);
  std::vector<detail::WalkedFile> files = detail::walk_directory(
      root, {.ignore = ignore ? &*ignore : nullptr, .allow_non_utf8 = false});

  const uint64_t threshold =
      static_cast<s3::S3Store&>(*impl_->store).client().config().multipart_threshold;
  std::vector<ManifestEntry> entries;
  std::vector<detail::FileIdentity> identities;
  for (const detail::WalkedFile& file : files) {
    struct stat st;
    if (::stat(file.path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    uint64_t size = static_cast<uint64_t>(st.st_size);
    // More than one chunk: smaller files go through the transfer engine, hashed in memory.
    if (size <= kEngineMaxObject || size <= detail::kChunkedBasePartSize || size > threshold) {
      continue;
    }
    ManifestEntry entry;
    entry.logical_key = file.relative;
    entry.physical_key = PhysicalKey::from_local_path(file.path);
    entry.size = size;
    entries.push_back(std::move(entry));
    identities.push_back(detail::identity_of(st));
  }
  if (entries.empty()) return;
  // Where push() will put them: the same plan from the same options.
  std::vector<EntryTarget> plan = plan_push_targets(
      PushRegistry{impl_->store->root_url(), impl_->root, impl_->bucket, impl_->prefix}, name,
      entries, options);

  ThreadPool transfers(std::min(kAheadTransfers, entries.size()));
  transfers.parallel_for(entries.size(), [&](size_t i) {
    const EntryTarget& target = plan[i];
    if (!target.copy || !target.s3) return;
    const ManifestEntry& entry = entries[i];
    try {
      std::shared_ptr<s3::Client> client = s3::client_for_bucket(target.bucket);
      std::unique_ptr<s3::ChunkSource> chunks =
          hashing_file_chunks(entry.logical_key, entry.physical_key.local_path(), entry.size);
      s3::PutResult put = client->put_object_stream(target.bucket, target.key, entry.size, *chunks);
      std::lock_guard<std::mutex> lock(impl_->ahead_mutex);
      impl_->uploaded_ahead[{target.bucket, target.key}] = {identities[i], put.version_id};
    } catch (const std::exception&) {
      // push() sends it again and reports what goes wrong then.
    }
  });
}

std::optional<std::optional<std::string>> Registry::Impl::take_uploaded_ahead(
    const std::string& bucket, const std::string& key, const ManifestEntry& entry) {
  UploadedAhead ahead;
  {
    std::lock_guard<std::mutex> lock(ahead_mutex);
    auto it = uploaded_ahead.find({bucket, key});
    if (it == uploaded_ahead.end()) return std::nullopt;
    ahead = it->second;
    uploaded_ahead.erase(it);
  }
  if (!entry.physical_key.is_local() || entry.hash.type != HashType::kSha2256Chunked) {
    return std::nullopt;
  }
  // The file is what was sent, and the entry's hash is the one made on the way up.
  struct stat st;
  if (::stat(entry.physical_key.local_path().c_str(), &st) != 0) return std::nullopt;
  if (detail::identity_of(st) != ahead.identity || ahead.identity.size != entry.size) {
    return std::nullopt;
  }
  std::optional<std::vector<detail::Sha256Digest>> digests = detail::recall_part_digests(ahead.identity);
  if (!digests || detail::chunked_value(*digests) != entry.hash.value) return std::nullopt;
  return ahead.version_id;
}

}  // namespace quilt
