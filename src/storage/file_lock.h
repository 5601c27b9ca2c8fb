#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/unique_fd.h"

namespace quilt {

/// An exclusive advisory lock on a lock file, held while the object lives.
///
/// The lock is an open-file-description lock (fcntl F_OFD_SETLK; flock() on
/// kernels without it), so it excludes other processes and also other
/// threads of this process, each of which opens the file anew. The lock file
/// is created (with its parent directories) when missing and never deleted:
/// deleting a lock file lets two holders lock two different files. Name it
/// with kReservedNamePrefix (lock_path_for() does) so store listings skip it.
/// Advisory only: it binds those who take it. The descriptor is close-on-exec,
/// so a child process does not inherit the lock across exec.
/// Move-only; one FileLock must not be used from two threads at once.
class FileLock {
 public:
  /// Block until the lock on `path` is ours. With `timeout`, give up after
  /// it and throw Conflict "another process holds the lock on '<path>'".
  /// Throws IoError naming the path when the lock file cannot be opened.
  static FileLock acquire(const std::string& path,
                          std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  /// Take the lock only if it is free now.
  static std::optional<FileLock> try_acquire(const std::string& path);

  /// The lock file guarding `dest`: `<dir of dest>/.quiltcpp-lock-<name of dest>`.
  static std::string lock_path_for(const std::string& dest);

  FileLock() noexcept = default;
  ~FileLock() = default;  // closing the descriptor releases the lock
  FileLock(FileLock&&) noexcept = default;
  FileLock& operator=(FileLock&&) noexcept = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  bool is_held() const noexcept { return fd_.is_valid(); }
  const std::string& path() const noexcept { return path_; }
  /// Release the lock now (idempotent).
  void release() noexcept { fd_.reset(); }

 private:
  FileLock(UniqueFd fd, std::string path) noexcept : fd_(std::move(fd)), path_(std::move(path)) {}

  UniqueFd fd_;
  std::string path_;
};

}  // namespace quilt
