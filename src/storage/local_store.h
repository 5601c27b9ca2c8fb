#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "quilt/object_store.h"

namespace quilt {

/// An ObjectStore over a local directory: key `a/b` is the file `<root>/a/b`.
///
/// Objects are regular files (or symbolic links to them); directories are
/// only the `/`s of keys, created on write and removed when they become
/// empty. Writes go to a TempFile beside the destination and are renamed
/// over it on commit (fsync of file and directory), so readers see the old
/// value or the new one, whole. Keys must be relative `/` paths without
/// empty, `.` or `..` segments, NUL bytes, or a segment starting with
/// kReservedNamePrefix (temp and lock files, which listings skip); anything
/// else is refused with InvalidArgument naming the key. The root is created
/// on the first write. Listings do not descend into symbolic links to
/// directories. Thread-safe: it keeps no mutable state, only the file system.
class LocalStore final : public ObjectStore {
 public:
  /// A store rooted at the directory `root` (made absolute; need not exist).
  explicit LocalStore(std::string root);

  const std::string& root() const noexcept { return root_; }
  /// The file that holds `key`. Throws InvalidArgument for an invalid key.
  std::string path_of(std::string_view key) const;

  std::string root_url() const override;
  std::optional<ObjectInfo> head(std::string_view key) override;
  std::unique_ptr<Reader> open_read(std::string_view key, ByteRange range = {}) override;
  std::unique_ptr<Writer> open_write(std::string_view key, WriteOptions options = {}) override;
  ListPage list(std::string_view prefix, const ListOptions& options = {}) override;
  void remove(std::string_view key) override;
  /// syncfs on the root's file system.
  void sync() override;
  /// Copy with copy_file_range (a reflink where the file system shares
  /// extents), else read and write; atomic as open_write.
  ObjectInfo copy(std::string_view from, std::string_view to) override;

 private:
  std::string root_;
};

/// Throw InvalidArgument naming `key` unless it is a valid LocalStore key.
void validate_store_key(std::string_view key);

/// Throw InvalidArgument naming `prefix` unless it can prefix a valid key (it may be empty, and
/// its part after the last '/' is free).
void validate_store_prefix(std::string_view prefix);

}  // namespace quilt
