#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/crc64nvme.h"
#include "core/part_digest_cache.h"
#include "core/sha256.h"
#include "core/sha256_chunked.h"
#include "core/sha256_lanes.h"
#include "core/unique_fd.h"
#include "quilt/errors.h"
#include "quilt/hasher.h"
#include "quilt/thread_pool.h"

namespace quilt {
namespace {

using detail::Sha256Digest;
using ByteSink = std::function<void(std::span<const uint8_t>)>;

// Files are read with pread into a buffer that each thread keeps, not mapped.
// Measured on the 2-core VM this project runs on: a fresh mapping costs about
// 2.4 us on the first touch of every 4 KiB page (as much as hashing the page),
// while pread from the page cache copies at 12-16 GB/s when the cache holds
// large folios. A reused buffer stays warm; and no SIGBUS if the file shrinks.
// Reads are kChunk bytes per part (the parts hashed together each get one).
constexpr size_t kChunk = size_t{256} << 10;
constexpr size_t kThreadBuffer = kChunk * detail::kMaxSha256Lanes;

struct OpenFile {
  UniqueFd fd;
  struct stat st;
};

OpenFile open_file(const std::string& path) {
  // A FIFO blocks here until a writer opens it, as `cat` would.
  OpenFile file{UniqueFd::open(path, O_RDONLY), {}};
  if (::fstat(file.fd.get(), &file.st) != 0) throw_io_error("cannot stat", path, errno);
  if (S_ISDIR(file.st.st_mode)) throw_io_error("cannot hash", path, EISDIR);
  return file;
}

[[noreturn]] void throw_changed(const std::string& path) {
  throw IoError("file '" + path + "' changed size while being hashed");
}

// Return this thread's read buffer (kThreadBuffer bytes, allocated once).
std::span<uint8_t> thread_buffer() {
  thread_local std::vector<uint8_t> buffer(kThreadBuffer);
  return buffer;
}

// Fill `into` from the file at `offset`; return it.
std::span<const uint8_t> read_exact(int fd, uint64_t offset, std::span<uint8_t> into,
                                    const std::string& path) {
  size_t done = 0;
  while (done < into.size()) {
    ssize_t n =
        ::pread(fd, into.data() + done, into.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_io_error("cannot read", path, errno);
    if (n == 0) throw_changed(path);
    done += static_cast<size_t>(n);
  }
  return into;
}

// Feed bytes [offset, offset + length) of a regular file to `sink`, in pieces
// of up to kThreadBuffer bytes. `sink` must not read files itself (the buffer
// belongs to this thread).
void read_range(int fd, uint64_t offset, uint64_t length, const std::string& path,
                const ByteSink& sink) {
  std::span<uint8_t> buffer = thread_buffer();
  while (length > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(length, buffer.size()));
    sink(read_exact(fd, offset, buffer.first(n), path));
    offset += n;
    length -= n;
  }
}

// The parts first..first+count-1 of a file cut in parts of `part_size` bytes,
// hashed together on this thread.
struct PartGroup {
  uint64_t file_size;
  uint64_t part_size;
  size_t first;
  size_t count;
};

std::vector<Sha256Digest> hash_part_group(int fd, const PartGroup& group, const std::string& path) {
  std::span<uint8_t> buffer = thread_buffer();
  std::array<uint64_t, detail::kMaxSha256Lanes> offset{};
  std::array<uint64_t, detail::kMaxSha256Lanes> left{};
  for (size_t i = 0; i < group.count; ++i) {
    offset[i] = (group.first + i) * group.part_size;
    left[i] = std::min(group.part_size, group.file_size - offset[i]);
  }
  detail::Sha256Lanes sha(group.count);
  std::array<std::span<const uint8_t>, detail::kMaxSha256Lanes> pieces;
  for (bool more = true; more;) {
    more = false;
    for (size_t i = 0; i < group.count; ++i) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(left[i], kChunk));
      pieces[i] = read_exact(fd, offset[i], buffer.subspan(i * kChunk, n), path);
      offset[i] += n;
      left[i] -= n;
      more = more || left[i] > 0;
    }
    sha.update(std::span(pieces).first(group.count));
  }
  return sha.finish();
}

// sha2-256-chunked of a regular file: groups of parts on the pool and this thread.
std::string hash_chunked(const OpenFile& file, const std::string& path, ThreadPool& pool,
                         std::vector<Sha256Digest>* parts_out) {
  const uint64_t size = static_cast<uint64_t>(file.st.st_size);
  const uint64_t part_size = chunked_part_size(size);
  const size_t parts = static_cast<size_t>(detail::chunked_part_count(size, part_size));
  const size_t lanes = detail::chunked_lanes(parts, pool.size());
  std::vector<Sha256Digest> digests(parts);
  pool.parallel_for((parts + lanes - 1) / lanes, [&](size_t g) {
    PartGroup group{size, part_size, g * lanes, std::min(lanes, parts - g * lanes)};
    std::vector<Sha256Digest> done = hash_part_group(file.fd.get(), group, path);
    std::copy(done.begin(), done.end(), digests.begin() + static_cast<ptrdiff_t>(group.first));
  });
  std::string value = detail::chunked_value(digests);
  if (parts_out != nullptr) *parts_out = std::move(digests);
  return value;
}

// SHA256 or CRC64NVME of a regular file: one stream, front to back.
std::string hash_sequential(const OpenFile& file, HashType type, const std::string& path) {
  const uint64_t size = static_cast<uint64_t>(file.st.st_size);
  if (type == HashType::kCrc64Nvme) {
    uint64_t crc = 0;
    read_range(file.fd.get(), 0, size, path,
               [&](std::span<const uint8_t> bytes) { crc = crc64nvme(bytes, crc); });
    return detail::crc64nvme_base64(crc);
  }
  detail::Sha256 sha;
  read_range(file.fd.get(), 0, size, path,
             [&](std::span<const uint8_t> bytes) { sha.update(bytes); });
  return detail::to_hex(sha.finish());
}

// A FIFO, a character device, /dev/stdin: no size known, read to the end.
FileHash hash_stream(const OpenFile& file, HashType type, const std::string& path,
                     ThreadPool& pool) {
  StreamHasher hasher(type, std::nullopt, &pool);
  std::span<uint8_t> buffer = thread_buffer();
  for (;;) {
    ssize_t n = ::read(file.fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_io_error("cannot read", path, errno);
    if (n == 0) break;
    hasher.update({buffer.data(), static_cast<size_t>(n)});
  }
  uint64_t size = hasher.size();
  return FileHash{path, size, hasher.finish()};
}

}  // namespace

FileHash hash_file(const std::string& path, HashType type, ThreadPool& pool) {
  OpenFile file = open_file(path);
  if (!S_ISREG(file.st.st_mode)) return hash_stream(file, type, path, pool);
  FileHash result{path, static_cast<uint64_t>(file.st.st_size), Hash{type, {}}};
  detail::FileIdentity id = detail::identity_of(file.st);
  if (type == HashType::kSha2256Chunked) {
    // This process read the file as it still is a moment ago (an upload that hashed it).
    std::optional<std::vector<Sha256Digest>> known = detail::recall_part_digests(id);
    if (known && known->size() == detail::chunked_part_count(result.size, chunked_part_size(result.size))) {
      result.hash.value = detail::chunked_value(*known);
      return result;
    }
  }
  std::vector<Sha256Digest> parts;
  const int64_t started = detail::wall_clock_ns();
  result.hash.value = type == HashType::kSha2256Chunked ? hash_chunked(file, path, pool, &parts)
                                                        : hash_sequential(file, type, path);
  // A file that grew while we read it would have a hash of bytes it never held
  // all at once; say so rather than record it.
  struct stat after;
  if (::fstat(file.fd.get(), &after) != 0) throw_io_error("cannot stat", path, errno);
  if (after.st_size != file.st.st_size) throw_changed(path);
  // Kept for an upload of the same, unchanged file (push signs its chunks with them).
  if (parts.size() > 1 && detail::identity_of(after) == id) {
    detail::remember_part_digests(id, started, std::move(parts));
  }
  return result;
}

std::vector<FileHash> hash_files(const std::vector<std::string>& paths, HashType type,
                                 ThreadPool& pool) {
  std::vector<FileHash> results(paths.size());
  std::vector<std::exception_ptr> errors(paths.size());
  // Files in parallel; hash_file spreads the parts of large ones over the
  // pool too. A thread done with small files joins a large file's parts.
  pool.parallel_for(paths.size(), [&](size_t i) {
    try {
      results[i] = hash_file(paths[i], type, pool);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  });
  for (const std::exception_ptr& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  return results;
}

}  // namespace quilt
