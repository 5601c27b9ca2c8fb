#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/sha256.h"

namespace quilt {
class ThreadPool;
}

namespace quilt::detail {

/// Part size of sha2-256-chunked before any doubling: 8 MiB.
inline constexpr uint64_t kChunkedBasePartSize = uint64_t{8} << 20;
/// Most parts a sha2-256-chunked hash (and an S3 multipart upload) may have.
inline constexpr uint64_t kChunkedMaxParts = 10000;

/// Return how many parts of `part_size` bytes cover `size` bytes (0 for empty input).
constexpr uint64_t chunked_part_count(uint64_t size, uint64_t part_size) noexcept {
  return size / part_size + (size % part_size != 0 ? 1 : 0);
}

/// Return how many parts one thread should hash together (Sha256Lanes) when
/// `parts` parts are spread over `threads` threads: enough to give every
/// thread work, at most kMaxSha256Lanes.
size_t chunked_lanes(size_t parts, size_t threads) noexcept;

/// Return the sha2-256-chunked value (base64) of the part digests, in order.
std::string chunked_value(std::span<const Sha256Digest> part_digests);

/// Return the digests of `bytes` cut in parts of `part_size` (the last may be
/// shorter), hashed on `pool` (and the calling thread) when given.
std::vector<Sha256Digest> hash_parts(std::span<const uint8_t> bytes, uint64_t part_size,
                                     ThreadPool* pool);

/// Return the sha2-256-chunked value of `bytes` in memory, hashing the parts on
/// `pool` (and the calling thread) when given.
std::string chunked_hash(std::span<const uint8_t> bytes, ThreadPool* pool);

}  // namespace quilt::detail
