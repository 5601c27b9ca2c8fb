#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace quilt {

/// The hash algorithms a manifest entry may carry.
enum class HashType : uint8_t {
  kSha256,          ///< "SHA256": hex of SHA-256 of the bytes (legacy quilt3 manifests).
  kSha2256Chunked,  ///< "sha2-256-chunked": the default for new hashes (DESIGN.md).
  kCrc64Nvme,       ///< "CRC64NVME": base64 of the big-endian CRC-64/NVME; read and verify.
};

/// Return the manifest name of `type` ("SHA256", "sha2-256-chunked", "CRC64NVME").
std::string_view hash_type_name(HashType type) noexcept;

/// Return the type named `name` as spelled in manifests. Throws InvalidArgument
/// naming the type and the known ones when `name` is not one of them.
HashType parse_hash_type(std::string_view name);

/// The hash of an entry's bytes as it appears in a manifest: `{"type", "value"}`.
struct Hash {
  HashType type = HashType::kSha2256Chunked;
  std::string value;

  bool operator==(const Hash&) const = default;
};

}  // namespace quilt
