#pragma once

// ObjectStore over an S3 bucket, optionally under a key prefix: `s3://bucket/some/prefix` keeps
// key `a/b` at `some/prefix/a/b`. It keeps the contract the local store keeps (the storage
// conformance suite runs against both):
// - reads stream in ranged GETs of kReadChunk bytes pinned to the first one's ETag, so a reader
//   never mixes two versions of an object (a change mid-read is a Conflict);
// - writes are buffered and become visible only at commit: one PutObject up to kPartSize,
//   else a multipart upload whose parts go out as they fill (aligned with the chunked hash) and
//   that is aborted if the writer is dropped;
// - `if_absent` sends If-None-Match: * and, because some servers ignore it (Ceph RGW on
//   versioned buckets), also checks with a HEAD first: on such servers a concurrent writer
//   between the HEAD and the PUT can still win, which DESIGN.md and the README say.

#include <memory>
#include <string>

#include "quilt/object_store.h"
#include "storage/s3/client.h"

namespace quilt::s3 {

class S3Store final : public ObjectStore {
 public:
  /// Bytes per ranged GET of a reader.
  static constexpr uint64_t kReadChunk = uint64_t{8} << 20;
  /// Writes above this become multipart uploads with parts of this size (the chunked hash's
  /// part size, so a part's payload hash is also a part of the object's hash).
  static constexpr uint64_t kPartSize = uint64_t{8} << 20;
  /// A writer does not know its final size, and S3 allows 10,000 parts: past this many parts
  /// of kPartSize (72 GiB), parts grow to kLargePartSize, for objects up to about 570 GiB.
  static constexpr int kSmallParts = 9000;
  static constexpr uint64_t kLargePartSize = uint64_t{512} << 20;

  /// A store over `bucket`, under `prefix` ("" or a key prefix without leading or trailing
  /// '/'). Throws InvalidArgument for a bad bucket name or prefix.
  S3Store(std::shared_ptr<Client> client, std::string bucket, std::string prefix = {});

  std::string root_url() const override;
  std::optional<ObjectInfo> head(std::string_view key) override;
  std::unique_ptr<Reader> open_read(std::string_view key, ByteRange range = {}) override;
  std::unique_ptr<Writer> open_write(std::string_view key, WriteOptions options = {}) override;
  /// open_write(), also storing user metadata with the object (x-amz-meta-*).
  std::unique_ptr<Writer> open_write(std::string_view key, WriteOptions options,
                                     std::vector<Header> metadata);
  /// The full key of `key` in the bucket (the store's prefix added).
  std::string full_key(std::string_view key) const;
  ListPage list(std::string_view prefix, const ListOptions& options = {}) override;
  void remove(std::string_view key) override;
  /// A server-side copy (CopyObject; UploadPartCopy above 5 GiB): no byte passes through here.
  ObjectInfo copy(std::string_view from, std::string_view to) override;

  Client& client() { return *client_; }
  const std::string& bucket() const { return bucket_; }

 private:

  std::shared_ptr<Client> client_;
  std::string bucket_;
  std::string prefix_;  // "" or ending with '/'
};

/// Open the store for `url`, `s3://BUCKET[/PREFIX]`, with the configuration resolve_config()
/// gives for `overrides`. Throws InvalidArgument for a malformed URL.
std::unique_ptr<S3Store> open_s3_store(std::string_view url, const ConfigOverrides& overrides = {});

}  // namespace quilt::s3
