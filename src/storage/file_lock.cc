#include "storage/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "quilt/errors.h"
#include "storage/temp_file.h"

namespace quilt {
namespace {

// Whether the kernel refused OFD locks (Linux < 3.15): use flock() instead.
bool ofd_unsupported(int error) { return error == EINVAL; }

// Try to lock `fd` exclusively; with `wait`, block until granted. Return
// true when locked, false when another holder has it (only without `wait`).
bool lock_fd(int fd, bool wait, const std::string& path) {
  struct flock lock = {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;  // l_start = l_len = 0: the whole file, however long
  for (;;) {
    if (::fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &lock) == 0) return true;
    int error = errno;
    if (error == EINTR) continue;
    if (error == EAGAIN || error == EACCES) return false;
    if (!ofd_unsupported(error)) throw_io_error("cannot lock", path, error);
    if (::flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) == 0) return true;
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) return false;
    throw_io_error("cannot lock", path, errno);
  }
}

UniqueFd open_lock_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0 && errno == ENOENT) {
    create_directories(parent_directory(path));
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  }
  if (fd < 0) throw_io_error("cannot open lock file", path, errno);
  return UniqueFd(fd);
}

}  // namespace

FileLock FileLock::acquire(const std::string& path,
                           std::optional<std::chrono::milliseconds> timeout) {
  UniqueFd fd = open_lock_file(path);
  if (!timeout) {
    lock_fd(fd.get(), true, path);
    return FileLock(std::move(fd), path);
  }
  // No blocking lock call takes a timeout: poll, backing off from 1 ms to 50 ms.
  auto deadline = std::chrono::steady_clock::now() + *timeout;
  auto pause = std::chrono::milliseconds(1);
  while (!lock_fd(fd.get(), false, path)) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) throw Conflict("another process holds the lock on '" + path + "'");
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    std::this_thread::sleep_for(std::min({pause, left + std::chrono::milliseconds(1)}));
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
  return FileLock(std::move(fd), path);
}

std::optional<FileLock> FileLock::try_acquire(const std::string& path) {
  UniqueFd fd = open_lock_file(path);
  if (!lock_fd(fd.get(), false, path)) return std::nullopt;
  return FileLock(std::move(fd), path);
}

std::string FileLock::lock_path_for(const std::string& dest) {
  size_t slash = dest.find_last_of('/');
  std::string name = slash == std::string::npos ? dest : dest.substr(slash + 1);
  std::string dir = slash == std::string::npos ? std::string() : dest.substr(0, slash + 1);
  return dir + std::string(kReservedNamePrefix) + "lock-" + name;
}

}  // namespace quilt
