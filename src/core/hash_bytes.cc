#include <algorithm>
#include <cctype>

#include "core/crc64nvme.h"
#include "core/sha256.h"
#include "core/sha256_chunked.h"
#include "quilt/errors.h"
#include "quilt/hasher.h"

namespace quilt {

Hash hash_bytes(std::span<const uint8_t> bytes, HashType type, ThreadPool* pool) {
  switch (type) {
    case HashType::kSha256:
      return Hash{type, detail::to_hex(detail::sha256(bytes))};
    case HashType::kCrc64Nvme:
      return Hash{type, detail::crc64nvme_base64(crc64nvme(bytes))};
    case HashType::kSha2256Chunked:
      return Hash{type, detail::chunked_hash(bytes, pool)};
  }
  throw InvalidArgument("unknown hash type");
}

bool verify_bytes(std::span<const uint8_t> bytes, const Hash& expected, ThreadPool* pool) {
  Hash actual = hash_bytes(bytes, expected.type, pool);
  if (expected.type != HashType::kSha256) return actual.value == expected.value;
  // Hex digits compare in either case; base64 values are case-sensitive.
  return std::equal(
      actual.value.begin(), actual.value.end(), expected.value.begin(), expected.value.end(),
      [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
}

}  // namespace quilt
