#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "quilt/hash.h"
#include "quilt/hasher.h"
#include "quilt/object_store.h"
#include "storage/temp_file.h"

namespace quilt {

class ThreadPool;

/// quiltcpp's data directory: `${XDG_DATA_HOME:-~/.local/share}/quiltcpp`
/// (XDG_DATA_HOME counts only when absolute, as the XDG spec says).
std::string default_data_dir();

/// One object of a ContentStore.
struct ContentObject {
  Hash hash;
  uint64_t size = 0;
  std::string path;  ///< The stored file.
};

/// How put_stream hashes.
struct ContentWriteOptions {
  HashType type = HashType::kSha2256Chunked;
  /// The final size when known: sha2-256-chunked then picks the right part
  /// size for any size (without it, streams over 80 GiB are refused).
  std::optional<uint64_t> expected_size;
  /// Hash whole parts here while the caller keeps writing; must outlive the writer.
  ThreadPool* pool = nullptr;
  /// fsync the object before it is renamed into place. set(key, object) turns
  /// it off: an object made from memory is like a file the user wrote, made
  /// durable only where it is published (a push copies and syncs it), and
  /// fsync of tens of MB cost more than serializing them.
  bool sync = true;
};

/// A sink that hashes while it writes (DESIGN.md): bytes go to a temp file
/// and to a StreamHasher; commit stores the file under the hash computed.
/// Destroying it uncommitted leaves nothing behind. Made by
/// ContentStore::put_stream; the store must outlive it. Not thread-safe.
class ContentWriter final : public Writer {
 public:
  /// Lets only ContentStore construct writers (through make_unique).
  class Token {
    friend class ContentStore;
    Token() = default;
  };
  ContentWriter(Token, const class ContentStore& store, const ContentWriteOptions& options);

  using Writer::write;
  void write(std::span<const uint8_t> bytes) override;
  /// Store the bytes under their hash (keeping the copy already stored, if
  /// any) and return the object.
  ContentObject commit_object();
  /// As commit_object(), for callers holding a Writer: the key is the
  /// object's path relative to the store's `objects/` directory.
  ObjectInfo commit() override;

 private:
  void flush();

  const ContentStore& store_;
  TempFile tmp_;
  StreamHasher hasher_;
  std::vector<uint8_t> buffer_;
  bool sync_ = true;
  bool committed_ = false;
};

/// The local content-addressed object store: `<data dir>/objects/`, one
/// read-only file per object at `objects/<type name>/<2 hex>/<rest of hex>`,
/// where the hex is the hash value in lowercase hex (sha2-256-chunked and
/// CRC64NVME values are base64-decoded first; SHA256 values already are hex).
/// Objects are written to a temp file and renamed into place, so a stored
/// object is always whole and matches its name. Thread-safe: every method may
/// be called concurrently, from threads or processes; racing puts of one
/// object both succeed with the same bytes.
class ContentStore {
 public:
  /// A store in `data_dir` (default_data_dir() for the user's), created on
  /// the first put.
  explicit ContentStore(std::string data_dir);

  /// The `objects/` directory.
  const std::string& objects_dir() const noexcept { return objects_dir_; }
  /// Where the object of `hash` is or would be. Throws InvalidArgument when
  /// the value is not a well-formed hash of its type.
  std::string path_for(const Hash& hash) const;
  /// The path of the object of `hash` when it is stored.
  std::optional<std::string> path_of(const Hash& hash) const;

  /// Copy the file `src` in, hashing it as it is copied, and return the
  /// stored path. Throws Corrupt naming src, expected and actual hash when
  /// the bytes do not hash to `expected` (nothing is stored then), IoError
  /// naming the file on I/O failures. When `expected` is already stored, src
  /// is not read.
  std::string put_file(const std::string& src, const Hash& expected, ThreadPool& pool);
  /// Start a write of bytes whose hash is computed as they arrive.
  std::unique_ptr<ContentWriter> put_stream(const ContentWriteOptions& options = {}) const;
  /// Remove an object; a missing one is not an error.
  void remove(const Hash& hash);

 private:
  friend class ContentWriter;
  // Make `tmp` (`size` bytes) read-only and commit it as the object of
  // `hash`, unless an object of that size is stored already (one of another
  // size is a leftover of a crash before its bytes reached the disk: replaced).
  std::string store(TempFile& tmp, const Hash& hash, uint64_t size, bool sync) const;

  std::string objects_dir_;
};

}  // namespace quilt
