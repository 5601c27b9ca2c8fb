#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace quilt {

/// What a store knows about one object.
struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  std::optional<std::string> version_id;  ///< Set by stores that version objects.
};

/// A byte range of an object: [offset, offset + length), or to the end.
/// The range is clamped to the object: from at or past its end, a read
/// gives no bytes (not an error).
struct ByteRange {
  uint64_t offset = 0;
  std::optional<uint64_t> length;
};

/// Sequential reader of one object. Not thread-safe.
class Reader {
 public:
  virtual ~Reader() = default;
  /// Read up to out.size() bytes; return the count, 0 only at the end.
  virtual size_t read(std::span<uint8_t> out) = 0;
  /// Read the rest into a string.
  std::string read_all();
};

/// A write whose result becomes visible at once, and only, on commit().
/// Destroying an uncommitted Writer discards what was written. Not thread-safe.
class Writer {
 public:
  virtual ~Writer() = default;
  virtual void write(std::span<const uint8_t> bytes) = 0;
  void write(std::string_view bytes) {
    write({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  }
  /// Make the object visible (durably, for local stores: fsync, rename,
  /// fsync of the directory). Throws Conflict when a condition of the write
  /// no longer holds.
  virtual ObjectInfo commit() = 0;
};

struct WriteOptions {
  /// Fail with Conflict if the key exists at commit (S3: If-None-Match: *).
  bool if_absent = false;
  /// Make the object durable at commit (local stores: fsync the file and its
  /// directory). False leaves that to a later ObjectStore::sync(), so many
  /// small writes cost one sync; the commit is atomic either way.
  bool sync = true;
};

/// One page of a listing: objects under a prefix, in key order.
struct ListPage {
  std::vector<ObjectInfo> objects;
  /// With a delimiter: the "directories" directly below the prefix, each
  /// ending with the delimiter.
  std::vector<std::string> common_prefixes;
  /// Empty when this is the last page.
  std::string next_token;
};

struct ListOptions {
  /// Where to resume: the `next_token` of the previous page (the last key or
  /// common prefix it returned); items at or before it are skipped.
  std::string_view page_token;
  /// Group keys by this character after the prefix (S3 Delimiter); 0: none.
  char delimiter = 0;
  /// Most objects plus common prefixes in one page (0: the default, 1000).
  size_t max_keys = 1000;
};

/// Blob storage addressed by key within one root (a directory or a bucket).
/// Keys are `/`-separated relative paths. Thread-safe: every method may be
/// called concurrently.
class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  /// The root this store addresses, as a URL (`file:///...`, `s3://bucket`).
  virtual std::string root_url() const = 0;
  /// Return metadata, or std::nullopt when the key does not exist.
  virtual std::optional<ObjectInfo> head(std::string_view key) = 0;
  /// Open an object for reading. Throws NotFound naming the key when absent.
  virtual std::unique_ptr<Reader> open_read(std::string_view key, ByteRange range = {}) = 0;
  /// Start a write that becomes visible only on Writer::commit().
  virtual std::unique_ptr<Writer> open_write(std::string_view key, WriteOptions options = {}) = 0;
  /// List objects whose key starts with `prefix` (a string prefix, as in S3:
  /// `a/b` matches `a/b.txt` and `a/bc/d`), sorted by key byte order.
  /// Throws InvalidArgument when the prefix cannot prefix a valid key.
  virtual ListPage list(std::string_view prefix, const ListOptions& options = {}) = 0;
  /// Remove an object; removing a missing key is not an error.
  virtual void remove(std::string_view key) = 0;
  /// Make every committed write durable (local stores: syncfs; remote ones
  /// are durable at commit, so the default does nothing).
  virtual void sync() {}
  /// Copy an object within the store (default: read, then write).
  virtual ObjectInfo copy(std::string_view from, std::string_view to);

  /// Read a whole object. Throws NotFound when absent.
  std::string get(std::string_view key);
  /// Write a whole object atomically.
  ObjectInfo put(std::string_view key, std::string_view bytes, WriteOptions options = {});
  /// Every object under `prefix`, all pages.
  std::vector<ObjectInfo> list_all(std::string_view prefix);
};

/// Open the store rooted at `root`: a local directory path or a `file://`
/// URL (the directory is created on the first write), or `s3://BUCKET[/PREFIX]`
/// (connection settings as docs/s3.md describes). Keys are relative `/` paths;
/// one with an empty, `.` or `..` segment is refused with InvalidArgument by
/// every method. Throws InvalidArgument for other schemes.
std::unique_ptr<ObjectStore> open_store(std::string_view root);

}  // namespace quilt
