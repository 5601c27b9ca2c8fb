#include "storage/temp_file.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <utility>

#include "quilt/errors.h"

namespace quilt {
namespace {

// Tries at creating a temp file when its directory keeps vanishing (a
// concurrent remove() pruning empty directories) or names keep colliding.
constexpr int kCreateAttempts = 16;

std::string random_suffix() {
  uint64_t value = 0;
  // getrandom never blocks after boot for 8 bytes; fork-safe, unlike a seeded PRNG.
  if (::getrandom(&value, sizeof value, 0) != sizeof value) {
    value = static_cast<uint64_t>(::getpid()) * 0x9e3779b97f4a7c15ull ^
            reinterpret_cast<uintptr_t>(&value);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (size_t i = 0; i < out.size(); ++i) out[i] = kHex[(value >> (4 * i)) & 0xf];
  return out;
}

std::string join(const std::string& dir, std::string_view name) {
  if (dir.empty() || dir.back() == '/') return dir + std::string(name);
  return dir + "/" + std::string(name);
}

}  // namespace

std::string parent_directory(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

void fsync_directory(const std::string& dir) {
  UniqueFd fd = UniqueFd::open(dir, O_RDONLY | O_DIRECTORY);
  if (::fsync(fd.get()) != 0 && errno != EINVAL) throw_io_error("cannot sync", dir, errno);
}

void create_directories(const std::string& dir) {
  if (dir.empty() || dir == "/" || dir == ".") return;
  for (int attempt = 0; attempt < kCreateAttempts; ++attempt) {
    if (::mkdir(dir.c_str(), 0777) == 0) {
      try {
        fsync_directory(parent_directory(dir));
      } catch (const IoError& e) {
        // A concurrent remove() pruned the new, still empty directory and then its parent;
        // the caller's create or open finds it gone and comes back here.
        if (e.error_number() != ENOENT) throw;
      }
      return;
    }
    int error = errno;
    if (error == EEXIST) {
      struct stat st;
      if (::stat(dir.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) return;
        throw_io_error("cannot create directory", dir, ENOTDIR);
      }
      continue;  // it vanished between mkdir and stat: try again
    }
    if (error != ENOENT) throw_io_error("cannot create directory", dir, error);
    create_directories(parent_directory(dir));
  }
  throw_io_error("cannot create directory", dir, ENOENT);
}

void write_all(int fd, std::span<const uint8_t> bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_io_error("cannot write", path, errno);
    done += static_cast<size_t>(n);
  }
}

TempFile TempFile::create_beside(const std::string& dest) {
  return create_in(parent_directory(dest));
}

TempFile TempFile::create_in(const std::string& dir) {
  int error = 0;
  for (int attempt = 0; attempt < kCreateAttempts; ++attempt) {
    std::string path = join(dir, std::string(kReservedNamePrefix) + "tmp-" + random_suffix());
    // 0666 less umask, as any new file: a committed object is not private to its writer.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return TempFile(UniqueFd(fd), std::move(path));
    error = errno;
    if (error == ENOENT) {
      create_directories(dir);
    } else if (error != EEXIST && error != EINTR) {
      break;
    }
  }
  throw_io_error("cannot create a temp file in", dir, error);
}

TempFile::~TempFile() {
  if (!committed_ && !path_.empty()) ::unlink(path_.c_str());
}

TempFile::TempFile(TempFile&& other) noexcept
    : fd_(std::move(other.fd_)),
      path_(std::exchange(other.path_, {})),
      committed_(std::exchange(other.committed_, false)) {}

TempFile& TempFile::operator=(TempFile&& other) noexcept {
  if (this != &other) {
    if (!committed_ && !path_.empty()) ::unlink(path_.c_str());
    fd_ = std::move(other.fd_);
    path_ = std::exchange(other.path_, {});
    committed_ = std::exchange(other.committed_, false);
  }
  return *this;
}

void TempFile::write_all(std::span<const uint8_t> bytes) {
  if (!fd_) throw Error("write to a temp file that is committed or empty: '" + path_ + "'");
  quilt::write_all(fd_.get(), bytes, path_);
}

void TempFile::prepare_commit(bool sync) {
  if (!fd_ || committed_) throw Error("commit of a temp file twice: '" + path_ + "'");
  if (sync && ::fsync(fd_.get()) != 0) throw_io_error("cannot sync", path_, errno);
}

void TempFile::finish_commit(const std::string& dest, bool sync) {
  committed_ = true;
  fd_.reset();
  if (!sync) return;
  std::string dest_dir = parent_directory(dest);
  fsync_directory(dest_dir);
  std::string own_dir = parent_directory(path_);
  if (own_dir != dest_dir) fsync_directory(own_dir);
}

int TempFile::rename_to(const std::string& dest, unsigned flags) {
  for (int attempt = 0; attempt < kCreateAttempts; ++attempt) {
    if (::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, dest.c_str(), flags) == 0) return 0;
    // ENOENT: dest's directory is missing (a file made by create_in, or a concurrent
    // remove() pruned it); our own file is still there while fd_ is open.
    if (errno != ENOENT || ::access(path_.c_str(), F_OK) != 0) return errno;
    create_directories(parent_directory(dest));
  }
  return ENOENT;
}

void TempFile::commit(const std::string& dest, bool sync) {
  prepare_commit(sync);
  int error = rename_to(dest, 0);
  if (error != 0) throw_io_error("cannot rename '" + path_ + "' to", dest, error);
  finish_commit(dest, sync);
}

void TempFile::commit_if_absent(const std::string& dest) {
  prepare_commit(true);
  int error = rename_to(dest, RENAME_NOREPLACE);
  if (error == 0) {
    finish_commit(dest, true);
    return;
  }
  if (error == EEXIST) throw Conflict("'" + dest + "' already exists");
  if (error != EINVAL && error != ENOSYS && error != ENOTSUP) {
    throw_io_error("cannot rename '" + path_ + "' to", dest, error);
  }
  // No RENAME_NOREPLACE on this file system: link() fails on an existing name too.
  create_directories(parent_directory(dest));
  if (::link(path_.c_str(), dest.c_str()) != 0) {
    if (errno == EEXIST) throw Conflict("'" + dest + "' already exists");
    throw_io_error("cannot link '" + path_ + "' to", dest, errno);
  }
  // dest is complete now; a temp name left behind by a failed unlink is only litter.
  ::unlink(path_.c_str());
  finish_commit(dest, true);
}

}  // namespace quilt
