#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

#include "quilt/errors.h"

namespace quilt {

/// Owner of one POSIX file descriptor: closes it on destruction. Move-only.
/// Not thread-safe (the descriptor itself may be used from many threads, e.g. pread).
class UniqueFd {
 public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  /// Open `path` with `flags` (O_CLOEXEC is always added), retrying on EINTR.
  /// Throws IoError "cannot open '<path>': <reason>".
  static UniqueFd open(const std::string& path, int flags, mode_t mode = 0) {
    int fd;
    do {
      fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) throw_io_error("cannot open", path, errno);
    return UniqueFd(fd);
  }

  int get() const noexcept { return fd_; }
  bool is_valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return is_valid(); }

  /// Give up ownership and return the descriptor.
  int release() noexcept { return std::exchange(fd_, -1); }

  /// Close the owned descriptor (errors ignored: nothing was written through it
  /// that close could lose; writers must fsync and check before) and own `fd`.
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace quilt
