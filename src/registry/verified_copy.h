#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "quilt/manifest.h"
#include "storage/s3/client.h"

namespace quilt {

/// Read the bytes behind `entry` (a local file, or an S3 object and the
/// version its key names) and pass them to `sink` while hashing them; throw
/// Corrupt naming the key when the size or hash differs from the entry's (the
/// caller then discards what the sink received), IoError when a file cannot be
/// read, NotFound/RemoteError from S3, InvalidArgument for other schemes.
void copy_verified(const ManifestEntry& entry,
                   const std::function<void(std::span<const uint8_t>)>& sink);

/// Read the whole of `entry` (meant for small ones) into memory, checked as copy_verified()
/// checks it: the bytes returned are the bytes hashed, read once.
std::vector<uint8_t> read_verified(const ManifestEntry& entry);

/// The bytes of a local file entry with a sha2-256-chunked hash, in the hash's parts, each with
/// its SHA-256: what an upload that signs its chunks needs (s3::Client::put_object_stream), read
/// and hashed once. finish() checks the size and the hash against the entry (Corrupt naming the
/// key and file, as copy_verified()). With `server_checks_chunks` (the upload signs every chunk,
/// so the server refuses a chunk whose bytes are not the SHA-256 signed), part digests this
/// process computed for the file as it still is are used instead of hashing again, and
/// finish() checks that the file was not written to since. InvalidArgument for other entries.
std::unique_ptr<s3::ChunkSource> verified_file_chunks(const ManifestEntry& entry,
                                                      bool server_checks_chunks);

/// The chunks of the local file `path` of `size` bytes, hashed as they are read, for an upload
/// that makes the hash rather than checks one (push --dir, Registry::upload_ahead). finish()
/// fails (Corrupt) if the file was written to meanwhile, and otherwise keeps the part digests
/// so that hashing the unchanged file afterwards reads nothing (core/part_digest_cache.h).
std::unique_ptr<s3::ChunkSource> hashing_file_chunks(const std::string& logical_key,
                                                     const std::string& path, uint64_t size);

/// Checks the bytes of `entry` as they arrive from `source` (an s3:// URL, for messages), with
/// copy_verified()'s errors: update() throws Corrupt as soon as there are too many bytes,
/// finish() when the size or the hash differs.
class EntryVerifier {
 public:
  EntryVerifier(const ManifestEntry& entry, std::string source);
  ~EntryVerifier();
  EntryVerifier(const EntryVerifier&) = delete;
  EntryVerifier& operator=(const EntryVerifier&) = delete;

  void update(std::span<const uint8_t> bytes);
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace quilt
