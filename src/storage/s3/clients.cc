#include "storage/s3/clients.h"

#include <map>
#include <mutex>

#include "quilt/errors.h"
#include "quilt/hasher.h"
#include "storage/s3/bucket_settings.h"

namespace quilt::s3 {
namespace {

struct Cache {
  std::mutex mutex;
  ConfigOverrides defaults;
  std::map<std::string, std::shared_ptr<Client>> clients;
};

Cache& cache() {
  static Cache* instance = new Cache();  // never destroyed: clients may outlive static teardown
  return *instance;
}

}  // namespace

void set_default_overrides(const ConfigOverrides& overrides) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.defaults = overrides;
  c.clients.clear();
}

std::shared_ptr<Client> client_for_bucket(const std::string& bucket) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  auto it = c.clients.find(bucket);
  if (it != c.clients.end()) return it->second;
  validate_bucket_name(bucket);
  auto client = std::make_shared<Client>(resolve_config(with_bucket_settings(bucket, c.defaults)));
  c.clients.emplace(bucket, client);
  return client;
}

ObjectHash hash_object(const PhysicalKey& url, HashType type, ThreadPool* pool,
                       const std::function<void(uint64_t, uint64_t)>& on_bytes) {
  std::string bucket = url.bucket();
  std::string key = url.s3_key();
  std::shared_ptr<Client> client = client_for_bucket(bucket);
  std::optional<ObjectMeta> meta = client->head_object(bucket, key, url.version_id());
  if (!meta) throw NotFound("no object " + url.str());
  StreamHasher hasher(type, meta->size, pool);
  GetOptions options;
  options.version_id = url.version_id() ? url.version_id() : meta->version_id;
  options.if_match = meta->etag;
  BodySink sink = [&](std::span<const uint8_t> bytes) {
    hasher.update(bytes);
    if (on_bytes) on_bytes(bytes.size(), meta->size);
  };
  client->get_object(bucket, key, options, sink);
  if (hasher.size() != meta->size) {
    throw RemoteError("reading " + url.str() + ": got " + std::to_string(hasher.size()) +
                      " bytes of an object of " + std::to_string(meta->size));
  }
  return ObjectHash{meta->size, hasher.finish(), options.version_id};
}

}  // namespace quilt::s3
