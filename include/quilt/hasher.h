#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "quilt/hash.h"

namespace quilt {

class ThreadPool;

/// Part size of sha2-256-chunked for an input of `size` bytes: 8 MiB, doubled
/// while the part count would exceed 10,000.
uint64_t chunked_part_size(uint64_t size) noexcept;

/// Incremental hasher for one byte stream, of any HashType.
///
/// For sha2-256-chunked the part size depends on the total size. Give
/// `expected_size` when it is known (files, HTTP objects). Without it the
/// hasher uses 8 MiB parts and finish() throws InvalidArgument when the stream
/// turned out larger than 10,000 such parts (80 GiB): the caller must then
/// hash again with the size known. With a pool, full parts are hashed on the
/// pool while the caller keeps feeding bytes (bounded memory: a few parts).
/// With 2 x pool->size() parts queued or being hashed, update() hashes the
/// next part itself instead of waiting, so a hasher fed from inside a pool
/// task never deadlocks. An update() holding whole parts from a part boundary
/// on hashes them where they lie, on the pool and the calling thread, before
/// it returns (no copy). The pool must outlive the hasher.
/// A StreamHasher is not thread-safe; use one per stream.
class StreamHasher {
 public:
  explicit StreamHasher(HashType type, std::optional<uint64_t> expected_size = std::nullopt,
                        ThreadPool* pool = nullptr);
  ~StreamHasher();
  StreamHasher(StreamHasher&&) noexcept;
  StreamHasher& operator=(StreamHasher&&) noexcept;

  void update(std::span<const uint8_t> bytes);
  void update(std::string_view bytes) {
    update({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  }
  /// Return the hash of everything fed so far. The hasher is spent afterwards.
  /// Throws InvalidArgument when the size differs from `expected_size`.
  Hash finish();
  /// Bytes fed so far.
  uint64_t size() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Return the hash of `bytes` held in memory (parts hashed on `pool` when given).
Hash hash_bytes(std::span<const uint8_t> bytes, HashType type = HashType::kSha2256Chunked,
                ThreadPool* pool = nullptr);

/// A file's size and hash.
struct FileHash {
  std::string path;
  uint64_t size = 0;
  Hash hash;
};

/// Hash one local file; the parts of a large file are hashed on all the
/// pool's threads at once. Throws IoError naming the path when it cannot be
/// opened or read (also for a directory, and for a file whose size changed
/// while it was hashed). A FIFO or device is read to its end, as a stream of
/// unknown size.
/// Thread-safe; may be called from inside a task on `pool`.
FileHash hash_file(const std::string& path, HashType type, ThreadPool& pool);

/// Hash many local files, in parallel across files and within large ones.
/// Results are in the order of `paths`. Every file is attempted; when any
/// fails, the first error (in `paths` order) is rethrown after all finish.
std::vector<FileHash> hash_files(const std::vector<std::string>& paths, HashType type,
                                 ThreadPool& pool);

/// Return whether `bytes` hash to `expected` (any HashType).
bool verify_bytes(std::span<const uint8_t> bytes, const Hash& expected, ThreadPool* pool = nullptr);

/// CRC-64/NVME of `bytes` continuing from `crc` (0 to start): polynomial
/// 0xad93d23594c93659 (0x9a6c9329ac4bc9b5 bit-reversed), reflected input and output,
/// init and xorout all ones. crc64nvme("123456789") == 0xae8b14860a799888.
/// crc64nvme(b, crc64nvme(a)) == crc64nvme(a + b). Uses PCLMULQDQ when the CPU has it.
uint64_t crc64nvme(std::span<const uint8_t> bytes, uint64_t crc = 0) noexcept;

}  // namespace quilt
