// Registry writes: push (data, manifest, pointers), delete and rollback.
// Every file is written atomically and in an order that leaves the registry
// valid at each step: data, then the manifest, then the timestamp pointer,
// then `latest`. Writers of one name hold a lock file across processes in a
// local registry. S3 has no lock: `latest` is checked before it is written
// and read back after, as quilt3 does, so a concurrent push that moved it is
// reported as a conflict rather than silently replaced (docs/s3.md says what
// each server guarantees).

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <exception>
#include <map>
#include <optional>
#include <vector>

#include "quilt/errors.h"
#include "quilt/hash.h"
#include "quilt/registry.h"
#include "quilt/thread_pool.h"
#include "registry/push_targets.h"
#include "registry/registry_impl.h"
#include "registry/transfer_window.h"
#include "registry/verified_copy.h"
#include "storage/file_lock.h"
#include "storage/local_store.h"
#include "storage/s3/clients.h"
#include "storage/s3/s3_store.h"

namespace quilt {
namespace {

constexpr auto kLockTimeout = std::chrono::seconds(120);
// Transfers to or from S3 that cannot go through the transfer engine (large files, server-side
// copies, checks of an earlier push) wait on the network, not the CPU: run this many at once.
constexpr size_t kRemoteTransfers = 16;

// User metadata on objects a push uploads to S3: the entry's hash, so that a
// push run again after an interruption can skip what is already there whole.
constexpr char kHashMetadata[] = "quilt-hash";

std::string hash_metadata(const Hash& hash) {
  return std::string(hash_type_name(hash.type)) + ":" + hash.value;
}

// Copy an entry's bytes into the store under `key`; nothing becomes visible
// unless its bytes match the entry.
ObjectInfo copy_into_store(ObjectStore& store, const ManifestEntry& entry, const std::string& key) {
  // Many files, one sync: push calls ObjectStore::sync() before the manifest.
  std::unique_ptr<Writer> writer;
  if (auto* s3_store = dynamic_cast<s3::S3Store*>(&store)) {
    s3::Client& client = s3_store->client();
    if (entry.physical_key.is_local() && entry.hash.type == HashType::kSha2256Chunked &&
        entry.size <= client.config().multipart_threshold) {
      // One PutObject read from the file as it goes, each chunk hashed once to check the
      // entry and to sign it (the server gets no last chunk when the hash is wrong).
      std::unique_ptr<s3::ChunkSource> chunks =
          verified_file_chunks(entry, client.config().credentials.has_value());
      s3::PutOptions put;
      put.metadata = {{kHashMetadata, hash_metadata(entry.hash)}};
      s3::PutResult result = client.put_object_stream(s3_store->bucket(), s3_store->full_key(key),
                                                      entry.size, *chunks, put);
      ObjectInfo info;
      info.key = key;
      info.size = result.size;
      info.version_id = result.version_id;
      return info;
    }
    writer = s3_store->open_write(key, WriteOptions{.sync = false},
                                  {{kHashMetadata, hash_metadata(entry.hash)}});
  } else {
    writer = store.open_write(key, WriteOptions{.sync = false});
  }
  copy_verified(entry, [&](std::span<const uint8_t> bytes) { writer->write(bytes); });
  return writer->commit();
}

// The version of an object a previous push left at `key` with the entry's
// size and hash, if there is one.
std::optional<std::optional<std::string>> already_pushed(s3::S3Store& store, const ManifestEntry& entry,
                                                         const std::string& key) {
  std::optional<s3::ObjectMeta> meta = store.client().head_object(store.bucket(), store.full_key(key));
  if (!meta || meta->size != entry.size) return std::nullopt;
  if (meta->meta(kHashMetadata) != hash_metadata(entry.hash)) return std::nullopt;
  return meta->version_id;
}

bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

}  // namespace

std::optional<s3::PutResult> Registry::Impl::server_side_copy(const ManifestEntry& entry,
                                                               s3::S3Store& target,
                                                               const std::string& key) {
  if (!entry.physical_key.is_s3()) return std::nullopt;
  std::shared_ptr<s3::Client> source = s3::client_for_bucket(entry.physical_key.bucket());
  const s3::ClientConfig& from = source->config();
  const s3::ClientConfig& to = target.client().config();
  // One server and one identity: the server can copy. Otherwise the bytes
  // pass through here (and are hash-checked on the way).
  bool same = from.endpoint == to.endpoint && from.region == to.region &&
              from.credentials.has_value() == to.credentials.has_value() &&
              (!from.credentials || from.credentials->access_key_id == to.credentials->access_key_id);
  if (!same) return std::nullopt;
  s3::PutResult result = target.client().copy_object(
      entry.physical_key.bucket(), entry.physical_key.s3_key(), entry.physical_key.version_id(),
      target.bucket(), target.full_key(key), {{kHashMetadata, hash_metadata(entry.hash)}});
  if (result.size != entry.size) {
    throw Corrupt("'" + entry.logical_key + "' does not match its entry: " +
                  entry.physical_key.str() + " is " + std::to_string(result.size) +
                  " bytes, not " + std::to_string(entry.size));
  }
  return result;
}

Registry::Impl::TargetStores Registry::Impl::target_stores(const std::vector<EntryTarget>& plan) {
  TargetStores out;
  out.store.resize(plan.size());
  out.key.resize(plan.size());
  std::map<std::string, ObjectStore*> by_root;  // "s3://bucket" or a directory -> its store
  auto store_for = [&](const std::string& root, auto make) {
    ObjectStore*& slot = by_root[root];
    if (slot == nullptr) {
      out.owned.push_back(make());
      slot = out.owned.back().get();
    }
    return slot;
  };
  for (size_t i = 0; i < plan.size(); ++i) {
    const EntryTarget& target = plan[i];
    if (!target.copy) continue;
    if (target.s3) {
      // In the registry's bucket, under its prefix: through the registry's own store (and its
      // client), as a push without dest always did.
      if (is_s3() && target.bucket == bucket && target.key.starts_with(prefix)) {
        out.store[i] = store.get();
        out.key[i] = target.key.substr(prefix.size());
      } else {
        out.store[i] = store_for("s3://" + target.bucket, [&] {
          return std::make_unique<s3::S3Store>(s3::client_for_bucket(target.bucket), target.bucket);
        });
        out.key[i] = target.key;
      }
    } else if (!is_s3() && target.key.starts_with(root + "/")) {
      out.store[i] = store.get();
      out.key[i] = target.key.substr(root.size() + 1);
    } else {
      // Elsewhere on disk: a store over the file's directory, so that its sync() reaches the
      // file system the file is on.
      size_t slash = target.key.rfind('/');
      std::string dir = slash == 0 ? "/" : target.key.substr(0, slash);
      out.store[i] = store_for(dir, [&] { return std::make_unique<LocalStore>(dir); });
      out.key[i] = target.key.substr(slash + 1);
    }
  }
  return out;
}

std::vector<size_t> Registry::Impl::skip_pushed(
    const std::vector<size_t>& indices, std::span<const ManifestEntry> entries,
    const TargetStores& where, std::vector<PhysicalKey>& targets, const ProgressFn& on_progress) {
  std::vector<std::exception_ptr> errors(entries.size());
  std::vector<char> there(entries.size(), 0);
  {
    TransferWindow window;
    for (size_t i : indices) {
      window.begin(0);
      auto& s3_store = static_cast<s3::S3Store&>(*where.store[i]);
      const std::string& key = where.key[i];
      s3_store.client().head_object_async(
          s3_store.bucket(), s3_store.full_key(key), std::nullopt,
          [&, i](s3::AsyncResult<std::optional<s3::ObjectMeta>> result) {
            const ManifestEntry& entry = entries[i];
            if (result.error) {
              errors[i] = result.error;
            } else if (const std::optional<s3::ObjectMeta>& meta = *result.value;
                       meta && meta->size == entry.size &&
                       meta->meta(kHashMetadata) == hash_metadata(entry.hash)) {
              // As already_pushed(): an earlier push left this object whole.
              targets[i] = PhysicalKey::from_s3(s3_store.bucket(), s3_store.full_key(key),
                                                meta->version_id);
              there[i] = 1;
              if (on_progress) on_progress(1, entry.size);
            }
            window.end(0);
          });
    }
  }
  std::vector<size_t> missing;
  for (size_t i : indices) {
    if (errors[i]) std::rethrow_exception(errors[i]);
    if (!there[i]) missing.push_back(i);
  }
  return missing;
}

void Registry::Impl::push_small(const std::vector<size_t>& indices,
                                std::span<const ManifestEntry> entries,
                                const TargetStores& where, std::vector<PhysicalKey>& targets,
                                ThreadPool& pool, const ProgressFn& on_progress) {
  std::vector<std::exception_ptr> errors(entries.size());
  std::atomic<bool> failed{false};
  {
    TransferWindow window;
    // Reading and hashing run on the CPU pool; each file's bytes are read once, hashed (the
    // entry's hash and the request's SHA-256) and sent from the same buffer.
    pool.parallel_for(indices.size(), [&](size_t n) {
      if (failed) return;  // no new uploads after a failure; those running finish
      size_t i = indices[n];
      const ManifestEntry& entry = entries[i];
      window.begin(entry.size);
      std::shared_ptr<const std::vector<uint8_t>> body;
      s3::PutOptions put;
      auto& s3_store = static_cast<s3::S3Store&>(*where.store[i]);
      const std::string& key = where.key[i];
      try {
        body = std::make_shared<const std::vector<uint8_t>>(read_verified(entry));
        put.payload_sha256 = s3::sha256_hex(*body);
      } catch (...) {
        window.end(entry.size);
        throw;
      }
      put.metadata = {{kHashMetadata, hash_metadata(entry.hash)}};
      s3_store.client().put_object_async(
          s3_store.bucket(), s3_store.full_key(key), std::move(body), put,
          [&, i](s3::AsyncResult<s3::PutResult> result) {
                                const ManifestEntry& done = entries[i];
                                if (result.error) {
                                  errors[i] = result.error;
                                  failed = true;
                                } else {
                                  targets[i] = PhysicalKey::from_s3(
                                      s3_store.bucket(), s3_store.full_key(key),
                                      result.value->version_id);
                                  if (on_progress) on_progress(1, done.size);
                                }
                                window.end(done.size);
                              });
    });
  }  // the window waits for the last upload, also when the loop threw
  for (size_t i : indices) {
    if (errors[i]) std::rethrow_exception(errors[i]);  // the first by walk order
  }
}

Package Registry::Impl::copy_data(const PackageName& name, const Package& package,
                                  ThreadPool& pool, const PushOptions& options) {
  auto entries = package.entries();
  std::vector<EntryTarget> plan = plan_push_targets(
      PushRegistry{store->root_url(), root, bucket, prefix}, name, entries, options);
  TargetStores where = target_stores(plan);
  std::vector<PhysicalKey> targets(entries.size());
  bool remote = std::any_of(plan.begin(), plan.end(), [](const EntryTarget& t) { return t.s3; }) ||
                std::any_of(entries.begin(), entries.end(), [](const ManifestEntry& e) {
                  return e.physical_key.is_s3();
                });
  // What an earlier, interrupted push to the same keys left: one listing per
  // S3 store (under the keys' common directory), then a HEAD only for keys of
  // the right size. Keys with no common directory get a HEAD each instead.
  std::map<ObjectStore*, std::optional<std::map<std::string, uint64_t>>> existing;
  for (size_t i = 0; i < plan.size(); ++i) {
    if (!plan[i].copy || !plan[i].s3) continue;
    auto [it, fresh] = existing.try_emplace(where.store[i]);
    if (!fresh) continue;
    std::string common = where.key[i];
    for (size_t j = i; j < plan.size(); ++j) {
      if (where.store[j] != where.store[i]) continue;
      const std::string& other = where.key[j];
      size_t n = 0;
      while (n < common.size() && n < other.size() && common[n] == other[n]) ++n;
      common.resize(n);
    }
    common.resize(common.rfind('/') == std::string::npos ? 0 : common.rfind('/') + 1);
    if (common.empty()) continue;
    it->second.emplace();
    for (ObjectInfo& info : where.store[i]->list_all(common)) {
      it->second->emplace(std::move(info.key), info.size);
    }
  }
  // Whether entry i's S3 target may hold what an earlier push left: listed with its size, or
  // not listed at all (keys with no common directory), so a HEAD must tell.
  auto maybe_pushed = [&](size_t i) {
    const auto& listed = existing.at(where.store[i]);
    if (!listed) return true;
    auto found = listed->find(where.key[i]);
    return found != listed->end() && found->second == entries[i].size;
  };
  // Small local files bound for S3 go through the S3 client's transfer engine, many at once on
  // one thread; everything else takes the path below.
  std::vector<size_t> rest;
  std::vector<size_t> small;
  std::vector<size_t> recheck;  // small, with an object of the right size there already
  for (size_t i = 0; i < entries.size(); ++i) {
    const ManifestEntry& entry = entries[i];
    if (!(plan[i].copy && plan[i].s3 && entry.physical_key.is_local() &&
          entry.size <= kEngineMaxObject)) {
      rest.push_back(i);
      continue;
    }
    (maybe_pushed(i) ? recheck : small).push_back(i);
  }
  if (!recheck.empty()) {
    std::vector<size_t> again = skip_pushed(recheck, entries, where, targets, options.on_progress);
    small.insert(small.end(), again.begin(), again.end());
    std::sort(small.begin(), small.end());  // errors are reported in walk order
  }
  if (!small.empty()) push_small(small, entries, where, targets, pool, options.on_progress);
  std::unique_ptr<ThreadPool> transfers;
  if (remote && !rest.empty()) transfers = std::make_unique<ThreadPool>(kRemoteTransfers);
  (transfers ? *transfers : pool).parallel_for(rest.size(), [&](size_t n) {
    const size_t i = rest[n];
    const ManifestEntry& entry = entries[i];
    const std::string& key = where.key[i];
    if (!plan[i].copy) {
      targets[i] = entry.physical_key;  // the selector keeps it (or it is already in the bucket)
    } else if (plan[i].s3) {
      auto& s3_store = static_cast<s3::S3Store&>(*where.store[i]);
      auto pushed_as = [&](const std::optional<std::string>& version_id) {
        return PhysicalKey::from_s3(s3_store.bucket(), s3_store.full_key(key), version_id);
      };
      std::optional<std::optional<std::string>> done;
      if ((done = take_uploaded_ahead(s3_store.bucket(), s3_store.full_key(key), entry))) {
        targets[i] = pushed_as(*done);
      } else if (maybe_pushed(i) && (done = already_pushed(s3_store, entry, key))) {
        targets[i] = pushed_as(*done);
      } else if (std::optional<s3::PutResult> copied = server_side_copy(entry, s3_store, key)) {
        targets[i] = pushed_as(copied->version_id);
      } else {
        targets[i] = pushed_as(copy_into_store(s3_store, entry, key).version_id);
      }
    } else {
      const std::string& dest = plan[i].key;
      targets[i] = PhysicalKey::from_local_path(dest);
      bool in_place =
          entry.physical_key.is_local() && same_file(entry.physical_key.local_path(), dest);
      if (!in_place) copy_into_store(*where.store[i], entry, key);
    }
    if (options.on_progress) options.on_progress(1, entry.size);
  });
  // The data is durable before anything names it (push syncs the registry's own store).
  for (const std::unique_ptr<ObjectStore>& other : where.owned) other->sync();
  size_t next = 0;
  return package.map([&](const ManifestEntry& entry) {
    ManifestEntry moved = entry;
    moved.physical_key = targets[next++];
    return moved;
  });
}

PushResult Registry::push(const PackageName& name, const Package& package,
                          const PushOptions& options, ThreadPool& pool) {
  impl_->refuse_workflows();
  if (!options.copy_data && (!options.dest.empty() || options.dest_fn || options.selector)) {
    throw InvalidArgument("dest and selector apply to a push that copies data, not to a build");
  }
  Package written = options.copy_data ? impl_->copy_data(name, package, pool, options) : package;
  std::optional<FileLock> lock = impl_->lock(name);
  std::string latest_key = layout::latest_key(name);
  std::optional<std::string> current = impl_->read_pointer(latest_key);
  if (options.parent && !options.force && current.value_or("") != *options.parent) {
    throw Conflict("'" + name.str() + "' moved in registry " + url() + ": latest is " +
                   current.value_or("(none)") + ", this package was made on " +
                   (options.parent->empty() ? std::string("(none)") : *options.parent) +
                   "; pull the new revision or use --force");
  }
  const std::string& top_hash = written.top_hash();
  if (options.dedupe && current == top_hash) return PushResult{written, true};
  impl_->store->sync();  // the data is durable before anything names it
  impl_->store->put(layout::manifest_key(top_hash), written.manifest_text());
  impl_->add_revision(name, top_hash, current);
  return PushResult{written, false};
}

void Registry::Impl::add_revision(const PackageName& name, const std::string& top_hash,
                                  const std::optional<std::string>& expected_latest) {
  // One pointer per revision, named by its time; a second revision in the
  // same second takes the next free second rather than replacing the first.
  int64_t ts = static_cast<int64_t>(std::time(nullptr));
  for (;; ++ts) {
    try {
      store->put(layout::pointer_dir(name) + std::to_string(ts), top_hash,
                 WriteOptions{.if_absent = true});
      break;
    } catch (const Conflict&) {
    }
  }
  std::string latest_key = layout::latest_key(name);
  if (!is_s3()) {
    write_pointer(latest_key, top_hash);
    return;
  }
  // No lock in S3. The revision's own pointer is written either way, so
  // nothing is lost when `latest` cannot be moved.
  auto moved = [&](const std::optional<std::string>& now) {
    return Conflict("'" + name.str() + "' moved in registry " + store->root_url() +
                    " during this push: latest is now " + now.value_or("(none)") +
                    "; revision " + top_hash + " was recorded but is not latest");
  };
  auto& s3_store = static_cast<s3::S3Store&>(*store);
  s3::Client& client = s3_store.client();
  if (client.config().conditional_writes) {
    // One conditional write: If-Match the ETag of the value checked, or
    // If-None-Match: * when there was none. The server decides the race.
    std::string full_key = s3_store.full_key(latest_key);
    std::string value;
    std::optional<std::string> etag;
    try {
      s3::BodySink sink = [&](std::span<const uint8_t> bytes) {
        value.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      };
      etag = client.get_object(bucket, full_key, {}, sink).etag;
    } catch (const NotFound&) {
    }
    std::optional<std::string> before;
    if (etag) before = read_pointer(latest_key);
    if (before != expected_latest) throw moved(before);
    s3::PutOptions put;
    if (etag) {
      put.if_match = *etag;
    } else {
      put.if_none_match_any = true;
    }
    try {
      client.put_object(bucket, full_key,
                        {reinterpret_cast<const uint8_t*>(top_hash.data()), top_hash.size()}, put);
    } catch (const Conflict&) {
      throw moved(read_pointer(latest_key));
    }
    return;
  }
  // Otherwise: check, write, check again, as quilt3 does.
  std::optional<std::string> before = read_pointer(latest_key);
  if (before != expected_latest) throw moved(before);
  write_pointer(latest_key, top_hash);
  std::optional<std::string> after = read_pointer(latest_key);
  if (after != top_hash) throw moved(after);
}

std::optional<FileLock> Registry::Impl::lock(const PackageName& name) {
  if (is_s3()) return std::nullopt;
  return FileLock::acquire(lock_path(name), kLockTimeout);
}

void Registry::delete_package(const PackageName& name) {
  std::optional<FileLock> lock = impl_->lock(name);
  std::vector<ObjectInfo> pointers = impl_->store->list_all(layout::pointer_dir(name));
  if (pointers.empty()) throw NotFound("no package '" + name.str() + "' in registry " + url());
  // `latest` goes first, so an interrupted delete never leaves it dangling.
  impl_->store->remove(layout::latest_key(name));
  for (const ObjectInfo& info : pointers) impl_->store->remove(info.key);
}

void Registry::delete_version(const PackageName& name, std::string_view hash_or_prefix) {
  std::string top_hash = resolve(name, hash_or_prefix);
  std::optional<FileLock> lock = impl_->lock(name);
  std::vector<PackageVersion> versions = impl_->versions(name);
  std::vector<PackageVersion> kept;
  bool found = false;
  for (const PackageVersion& v : versions) {
    if (v.top_hash == top_hash) {
      found = true;
    } else {
      kept.push_back(v);
    }
  }
  if (!found) {
    throw NotFound("'" + name.str() + "' has no revision " + top_hash + " in registry " + url());
  }
  std::string latest_key = layout::latest_key(name);
  if (impl_->read_pointer(latest_key) == top_hash) {
    if (kept.empty()) {
      impl_->store->remove(latest_key);
    } else {
      impl_->write_pointer(latest_key, kept.back().top_hash);
    }
  }
  for (const PackageVersion& v : versions) {
    if (v.top_hash == top_hash) {
      impl_->store->remove(layout::pointer_dir(name) + std::to_string(v.timestamp));
    }
  }
}

void Registry::rollback(const PackageName& name, std::string_view hash_or_prefix) {
  impl_->refuse_workflows();
  std::string top_hash = resolve(name, hash_or_prefix);
  browse(name, top_hash);  // the revision must be whole before latest points at it
  std::optional<FileLock> lock = impl_->lock(name);
  impl_->add_revision(name, top_hash, impl_->read_pointer(layout::latest_key(name)));
}

}  // namespace quilt
