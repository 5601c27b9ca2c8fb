#include "core/sha256_chunked.h"

#include <algorithm>
#include <vector>

#include "quilt/hasher.h"
#include "quilt/thread_pool.h"

namespace quilt {

uint64_t chunked_part_size(uint64_t size) noexcept {
  uint64_t part_size = detail::kChunkedBasePartSize;
  while (detail::chunked_part_count(size, part_size) > detail::kChunkedMaxParts) part_size *= 2;
  return part_size;
}

namespace detail {

std::string chunked_value(std::span<const Sha256Digest> part_digests) {
  Sha256 top;
  for (const Sha256Digest& digest : part_digests) top.update(digest);
  return to_base64(top.finish());
}

std::string chunked_hash(std::span<const uint8_t> bytes, ThreadPool* pool) {
  const uint64_t part_size = chunked_part_size(bytes.size());
  const size_t parts = static_cast<size_t>(chunked_part_count(bytes.size(), part_size));
  std::vector<Sha256Digest> digests(parts);
  auto hash_part = [&](size_t i) {
    size_t offset = static_cast<size_t>(i * part_size);
    size_t length = std::min(static_cast<size_t>(part_size), bytes.size() - offset);
    digests[i] = sha256(bytes.subspan(offset, length));
  };
  if (pool != nullptr && parts > 1) {
    pool->parallel_for(parts, hash_part);
  } else {
    for (size_t i = 0; i < parts; ++i) hash_part(i);
  }
  return chunked_value(digests);
}

}  // namespace detail
}  // namespace quilt
