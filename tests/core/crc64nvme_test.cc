#include "core/crc64nvme.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include "quilt/hasher.h"

namespace quilt {
namespace {

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// The definition, one bit at a time: no tables, no folding.
uint64_t crc64nvme_bitwise(std::span<const uint8_t> bytes) {
  uint64_t crc = ~uint64_t{0};
  for (uint8_t b : bytes) {
    crc ^= b;
    for (int i = 0; i < 8; ++i) crc = (crc & 1) ? (crc >> 1) ^ 0x9a6c9329ac4bc9b5ULL : crc >> 1;
  }
  return ~crc;
}

std::vector<uint8_t> random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> out(n);
  for (uint8_t& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

TEST(Crc64Nvme, CheckValue) {
  EXPECT_EQ(crc64nvme(as_bytes("123456789")), 0xae8b14860a799888ULL);
  EXPECT_EQ(detail::crc64nvme_table(as_bytes("123456789")), 0xae8b14860a799888ULL);
  EXPECT_EQ(crc64nvme_bitwise(as_bytes("123456789")), 0xae8b14860a799888ULL);
}

TEST(Crc64Nvme, EmptyInputIsZero) {
  EXPECT_EQ(crc64nvme({}), 0u);
  EXPECT_EQ(crc64nvme({}, 0x1234), 0x1234u);  // nothing to add: the CRC carries over
}

TEST(Crc64Nvme, TableMatchesBitwiseDefinition) {
  std::vector<uint8_t> data = random_bytes(3000, 1);
  for (size_t n : {1u, 7u, 8u, 15u, 16u, 17u, 31u, 255u, 256u, 1000u, 3000u}) {
    std::span<const uint8_t> bytes(data.data(), n);
    EXPECT_EQ(detail::crc64nvme_table(bytes), crc64nvme_bitwise(bytes)) << "n=" << n;
  }
}

TEST(Crc64Nvme, IncrementalEqualsOneShot) {
  std::vector<uint8_t> data = random_bytes(1 << 20, 2);
  uint64_t whole = crc64nvme(data);
  std::mt19937_64 rng(3);
  uint64_t crc = 0;
  size_t at = 0;
  while (at < data.size()) {
    size_t piece = std::min<size_t>(data.size() - at, rng() % 70000);
    crc = crc64nvme(std::span<const uint8_t>(data).subspan(at, piece), crc);
    at += piece;
  }
  EXPECT_EQ(crc, whole);
}

TEST(Crc64Nvme, ClmulMatchesTableOnRandomLengthsAndAlignments) {
  if (!detail::cpu_has_clmul()) {
    GTEST_SKIP() << "this CPU has no PCLMULQDQ; only the table version runs here";
  }
  std::vector<uint8_t> data = random_bytes(200000, 4);
  std::mt19937_64 rng(5);
  for (int round = 0; round < 3000; ++round) {
    size_t offset = rng() % 64;
    size_t length = round < 600 ? rng() % 600 : rng() % (data.size() - offset);
    uint64_t start = round % 3 == 0 ? 0 : rng();
    std::span<const uint8_t> bytes(data.data() + offset, length);
    ASSERT_EQ(detail::crc64nvme_clmul(bytes, start), detail::crc64nvme_table(bytes, start))
        << "offset=" << offset << " length=" << length << " start=" << start;
  }
}

TEST(Crc64Nvme, ClmulMatchesBitwiseOnLargeInput) {
  if (!detail::cpu_has_clmul()) GTEST_SKIP() << "this CPU has no PCLMULQDQ";
  std::vector<uint8_t> data = random_bytes(100003, 6);
  EXPECT_EQ(detail::crc64nvme_clmul(data), crc64nvme_bitwise(data));
}

TEST(Crc64Nvme, ManifestValueIsBase64OfBigEndianBytes) {
  // base64(bytes.fromhex("ae8b14860a799888")) in Python.
  EXPECT_EQ(detail::crc64nvme_base64(0xae8b14860a799888ULL), "rosUhgp5mIg=");
  EXPECT_EQ(detail::crc64nvme_base64(0), "AAAAAAAAAAA=");
  Hash h = hash_bytes(as_bytes("123456789"), HashType::kCrc64Nvme);
  EXPECT_EQ(h.type, HashType::kCrc64Nvme);
  EXPECT_EQ(h.value, "rosUhgp5mIg=");
  EXPECT_TRUE(verify_bytes(as_bytes("123456789"), h));
  EXPECT_FALSE(verify_bytes(as_bytes("123456780"), h));
}

}  // namespace
}  // namespace quilt
