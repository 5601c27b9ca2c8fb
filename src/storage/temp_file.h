#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/unique_fd.h"

namespace quilt {

/// Names beginning with this are quiltcpp's own files inside a store (temp
/// files, lock files): listings skip them and keys may not use them.
inline constexpr std::string_view kReservedNamePrefix = ".quiltcpp-";

/// A file written under a hidden name and made visible whole, or not at all.
///
/// The file is created with O_EXCL as `<dir>/.quiltcpp-tmp-<random>`, so it
/// lives on the destination's file system and rename() is atomic. commit()
/// fsyncs the file, renames it over the destination and fsyncs the
/// destination's directory (libgit2's git_filebuf_commit_at). The destructor
/// unlinks a file never committed, so an error or an exception before
/// commit leaves the destination as it was; a crash leaves only the hidden
/// temp file behind. Move-only. Not thread-safe.
class TempFile {
 public:
  /// Create a temp file in the directory of `dest` (created with its
  /// parents when missing). Throws IoError naming the directory.
  static TempFile create_beside(const std::string& dest);
  /// Create a temp file in `dir` (created with its parents when missing),
  /// for a destination not yet known; commit() may rename it into any
  /// directory of the same file system.
  static TempFile create_in(const std::string& dir);

  TempFile() noexcept = default;
  ~TempFile();
  TempFile(TempFile&& other) noexcept;
  TempFile& operator=(TempFile&& other) noexcept;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  /// The open descriptor (read-write); invalid after commit.
  int fd() const noexcept { return fd_.get(); }
  /// The temp file's own path.
  const std::string& path() const noexcept { return path_; }
  bool is_committed() const noexcept { return committed_; }

  /// Write all of `bytes` at the current offset. Throws IoError.
  void write_all(std::span<const uint8_t> bytes);
  void write_all(std::string_view bytes) {
    write_all({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  }

  /// Make the file visible as `dest`, replacing what is there: fsync, rename
  /// (creating dest's directory if it vanished), fsync of the directory.
  /// Throws IoError; the temp file is then still this object's to discard.
  /// With `sync` false the fsyncs are left out: the rename is still atomic,
  /// and the caller makes the data durable later (syncfs) before anything
  /// that depends on it is written.
  void commit(const std::string& dest, bool sync = true);
  /// As commit(), but throws Conflict "'<dest>' already exists" and leaves
  /// dest untouched when it exists (renameat2 RENAME_NOREPLACE, or link() and
  /// unlink() where the file system lacks it): of racing committers exactly
  /// one wins.
  void commit_if_absent(const std::string& dest);

 private:
  TempFile(UniqueFd fd, std::string path) noexcept : fd_(std::move(fd)), path_(std::move(path)) {}
  void prepare_commit(bool sync);
  // Rename to dest with renameat2 `flags`, creating dest's directory when
  // missing; return 0 or the errno.
  int rename_to(const std::string& dest, unsigned flags);
  void finish_commit(const std::string& dest, bool sync);

  UniqueFd fd_;
  std::string path_;
  bool committed_ = false;
};

/// Write all of `bytes` to `fd`, retrying short writes and EINTR. `path`
/// names the file in the IoError thrown on failure.
void write_all(int fd, std::span<const uint8_t> bytes, const std::string& path);

/// Create directory `dir` and its missing parents (mode 0777 less umask),
/// fsyncing each parent a new directory was added to. Throws IoError naming
/// the directory that could not be made (ENOTDIR when a file is in the way).
/// Thread-safe: racing creators of one directory both succeed.
void create_directories(const std::string& dir);

/// fsync the directory `dir`, making renames and unlinks in it durable.
void fsync_directory(const std::string& dir);

/// The directory part of `path` ("." when it has none, "/" for "/x").
std::string parent_directory(const std::string& path);

}  // namespace quilt
