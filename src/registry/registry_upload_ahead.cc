// Registry::upload_ahead: for push --dir to S3, send the large files of the directory while
// hashing them, before the package is built, so each is read once. build() then finds their
// hashes (core/part_digest_cache.h) and push() finds the objects in place. A record on disk
// per object lets a push that was killed, run again, skip what it already sent.

#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "core/sha256_chunked.h"
#include "package/dir_walker.h"
#include "package/quiltignore.h"
#include "quilt/errors.h"
#include "quilt/hasher.h"
#include "quilt/registry.h"
#include "registry/registry_impl.h"
#include "registry/transfer_window.h"
#include "registry/verified_copy.h"
#include "storage/content_store.h"
#include "storage/s3/clients.h"
#include "storage/temp_file.h"

namespace quilt {
namespace {

// As many large uploads at once as push runs (registry_write.cc).
constexpr size_t kAheadTransfers = 16;

// What an upload ahead sent, kept on disk so that a push killed before its manifest, run
// again, need not send it again: the object carries no quilt-hash metadata (its hash was not
// known when its headers went), so this record is what vouches for it. One small file per
// object, under the data dir, named by the SHA-256 of "bucket/key"; one line of text:
// "device inode size mtime_ns ctime_ns etag version|- digest digest ...".
struct AheadRecord {
  detail::FileIdentity identity;
  std::string etag;
  std::optional<std::string> version_id;
  std::vector<detail::Sha256Digest> digests;
};

std::string record_path(const std::string& bucket, const std::string& key) {
  std::string name = bucket + "/" + key;
  return default_data_dir() + "/upload-ahead/" +
         detail::to_hex(detail::sha256({reinterpret_cast<const uint8_t*>(name.data()), name.size()}));
}

void save_record(const std::string& bucket, const std::string& key, const AheadRecord& r) {
  std::ostringstream out;
  out << r.identity.device << ' ' << r.identity.inode << ' ' << r.identity.size << ' '
      << r.identity.mtime_ns << ' ' << r.identity.ctime_ns << ' ' << r.etag << ' '
      << r.version_id.value_or("-");
  for (const detail::Sha256Digest& d : r.digests) out << ' ' << detail::to_hex(d);
  out << '\n';
  std::string path = record_path(bucket, key);
  TempFile tmp = TempFile::create_beside(path);
  std::string text = out.str();
  tmp.write_all({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  tmp.commit(path, false);
}

// The record of `bucket`/`key`, if there is a readable one.
std::optional<AheadRecord> load_record(const std::string& bucket, const std::string& key) {
  std::ifstream in(record_path(bucket, key));
  AheadRecord r;
  std::string version;
  if (!(in >> r.identity.device >> r.identity.inode >> r.identity.size >> r.identity.mtime_ns >>
        r.identity.ctime_ns >> r.etag >> version)) {
    return std::nullopt;
  }
  if (version != "-") r.version_id = version;
  std::string hex;
  while (in >> hex) {
    detail::Sha256Digest d{};
    if (hex.size() != 64) return std::nullopt;
    for (size_t i = 0; i < d.size(); ++i) {
      d[i] = static_cast<uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
    }
    r.digests.push_back(d);
  }
  if (r.digests.size() != detail::chunked_part_count(r.identity.size, detail::kChunkedBasePartSize)) {
    return std::nullopt;
  }
  return r;
}

}  // namespace

void Registry::upload_ahead(const PackageName& name, const std::string& dir,
                            const PushOptions& options) {
  if (!impl_->is_s3() || !options.copy_data || options.dest_fn) return;
  std::string root = detail::real_directory(dir);
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
      // Sent before by a push that did not finish, from the file as it still is.
      std::optional<AheadRecord> done = load_record(target.bucket, target.key);
      if (done && done->identity == identities[i]) {
        std::optional<s3::ObjectMeta> there =
            client->head_object(target.bucket, target.key, done->version_id);
        if (there && there->etag == done->etag && there->size == entry.size) {
          // Read (for the record) before this run began: not racy by now.
          detail::remember_part_digests(identities[i], detail::wall_clock_ns(), done->digests);
          std::lock_guard<std::mutex> lock(impl_->ahead_mutex);
          impl_->uploaded_ahead[{target.bucket, target.key}] = {identities[i], done->version_id};
          return;
        }
      }
      std::unique_ptr<s3::ChunkSource> chunks =
          hashing_file_chunks(entry.logical_key, entry.physical_key.local_path(), entry.size);
      s3::PutResult put = client->put_object_stream(target.bucket, target.key, entry.size, *chunks);
      std::optional<std::vector<detail::Sha256Digest>> digests =
          detail::recall_part_digests(identities[i]);
      if (digests) {
        save_record(target.bucket, target.key, {identities[i], put.etag, put.version_id, *digests});
      }
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
