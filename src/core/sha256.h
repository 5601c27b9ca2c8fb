#pragma once

#include <openssl/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace quilt::detail {

/// A SHA-256 digest.
using Sha256Digest = std::array<uint8_t, 32>;

/// Return the SHA-256 of `bytes` (OpenSSL EVP, SHA-NI where the CPU has it).
/// Thread-safe. Throws Error if OpenSSL fails.
Sha256Digest sha256(std::span<const uint8_t> bytes);

/// Incremental SHA-256 over OpenSSL's EVP interface. Not thread-safe; one per stream.
class Sha256 {
 public:
  Sha256();
  void update(std::span<const uint8_t> bytes);
  /// Return the digest of everything fed since construction or the last finish(),
  /// and start over.
  Sha256Digest finish();

 private:
  struct CtxDeleter {
    void operator()(EVP_MD_CTX* ctx) const noexcept;
  };
  std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx_;
};

/// Return `bytes` as lowercase hex.
std::string to_hex(std::span<const uint8_t> bytes);

/// Return `bytes` in standard, padded base64 (RFC 4648 section 4), on one line.
std::string to_base64(std::span<const uint8_t> bytes);

}  // namespace quilt::detail
