#include "core/sha256_chunked.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <vector>

#include "core/sha256_lanes.h"
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

size_t chunked_lanes(size_t parts, size_t threads) noexcept {
  size_t per_thread = (parts + std::max<size_t>(threads, 1) - 1) / std::max<size_t>(threads, 1);
  return std::clamp<size_t>(per_thread, 1, kMaxSha256Lanes);
}

std::vector<Sha256Digest> hash_parts(std::span<const uint8_t> bytes, uint64_t part_size,
                                     ThreadPool* pool) {
  const size_t parts = static_cast<size_t>(chunked_part_count(bytes.size(), part_size));
  const size_t lanes = chunked_lanes(parts, pool != nullptr ? pool->size() : 1);
  const size_t groups = (parts + lanes - 1) / lanes;
  std::vector<Sha256Digest> digests(parts);
  // Each group of `lanes` consecutive parts is hashed together on one thread.
  auto hash_group = [&](size_t g) {
    size_t first = g * lanes;
    size_t count = std::min(lanes, parts - first);
    std::array<std::span<const uint8_t>, kMaxSha256Lanes> pieces;
    for (size_t i = 0; i < count; ++i) {
      uint64_t offset = (first + i) * part_size;
      pieces[i] = bytes.subspan(static_cast<size_t>(offset),
                                static_cast<size_t>(std::min(part_size, bytes.size() - offset)));
    }
    Sha256Lanes sha(count);
    sha.update(std::span(pieces).first(count));
    std::vector<Sha256Digest> group = sha.finish();
    std::copy(group.begin(), group.end(), digests.begin() + static_cast<ptrdiff_t>(first));
  };
  if (pool != nullptr && groups > 1) {
    pool->parallel_for(groups, hash_group);
  } else {
    for (size_t g = 0; g < groups; ++g) hash_group(g);
  }
  return digests;
}

std::string chunked_hash(std::span<const uint8_t> bytes, ThreadPool* pool) {
  return chunked_value(hash_parts(bytes, chunked_part_size(bytes.size()), pool));
}

}  // namespace detail
}  // namespace quilt
