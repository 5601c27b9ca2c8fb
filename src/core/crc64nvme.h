#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace quilt::detail {

// The two CRC-64/NVME implementations behind quilt::crc64nvme(), exposed so tests
// can hold them against each other. Both take and return the CRC value as
// quilt::crc64nvme() does (0 to start; continue from a previous result).

/// Return the CRC computed with slicing-by-16 tables (any CPU).
uint64_t crc64nvme_table(std::span<const uint8_t> bytes, uint64_t crc = 0) noexcept;

/// Return whether this CPU can run crc64nvme_clmul() (x86-64 with PCLMULQDQ).
bool cpu_has_clmul() noexcept;

/// Return the CRC computed by carry-less multiplication folding.
/// REQUIRES: cpu_has_clmul(). Short inputs fall back to the tables.
uint64_t crc64nvme_clmul(std::span<const uint8_t> bytes, uint64_t crc = 0) noexcept;

/// Return the manifest form of a CRC-64/NVME: base64 of its 8 bytes, big-endian.
std::string crc64nvme_base64(uint64_t crc);

}  // namespace quilt::detail
