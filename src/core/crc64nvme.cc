#include "core/crc64nvme.h"

#include <array>
#include <bit>
#include <cstring>

#include "core/sha256.h"
#include "quilt/hasher.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define QUILT_HAVE_CLMUL 1
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace quilt {
namespace detail {
namespace {

// CRC-64/NVME has the polynomial 0xad93d23594c93659 and is reflected: bit i
// of the register is the coefficient of x^(63-i), so the register holds the
// polynomial bit-reversed.
constexpr uint64_t kPoly = 0x9a6c9329ac4bc9b5ULL;

using Tables = std::array<std::array<uint64_t, 256>, 16>;

// tables[k][b]: the register after byte b is followed by k zero bytes.
constexpr Tables make_tables() {
  Tables t{};
  for (uint64_t b = 0; b < 256; ++b) {
    uint64_t c = b;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[0][b] = c;
  }
  for (size_t k = 1; k < t.size(); ++k) {
    for (size_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
  }
  return t;
}

constexpr Tables kTables = make_tables();

inline uint64_t load_le64(const uint8_t* p) noexcept {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

// Fold the 8 bytes of `v` through tables first..first-7, first byte first.
inline uint64_t fold_word(uint64_t v, size_t first) noexcept {
  return kTables[first][v & 0xff] ^ kTables[first - 1][(v >> 8) & 0xff] ^
         kTables[first - 2][(v >> 16) & 0xff] ^ kTables[first - 3][(v >> 24) & 0xff] ^
         kTables[first - 4][(v >> 32) & 0xff] ^ kTables[first - 5][(v >> 40) & 0xff] ^
         kTables[first - 6][(v >> 48) & 0xff] ^ kTables[first - 7][v >> 56];
}

// Advance the raw register `state` (not inverted) over `n` bytes.
uint64_t table_update(uint64_t state, const uint8_t* p, size_t n) noexcept {
  for (; n >= 16; p += 16, n -= 16) {
    state = fold_word(load_le64(p) ^ state, 15) ^ fold_word(load_le64(p + 8), 7);
  }
  for (; n > 0; ++p, --n) state = (state >> 8) ^ kTables[0][(state ^ *p) & 0xff];
  return state;
}

}  // namespace

uint64_t crc64nvme_table(std::span<const uint8_t> bytes, uint64_t crc) noexcept {
  return ~table_update(~crc, bytes.data(), bytes.size());
}

#ifdef QUILT_HAVE_CLMUL
namespace {

// x^n mod P in the reflected form: multiplying by x shifts right.
constexpr uint64_t xpow_mod(unsigned n) {
  uint64_t r = uint64_t{1} << 63;
  for (unsigned i = 0; i < n; ++i) r = (r & 1) ? (r >> 1) ^ kPoly : r >> 1;
  return r;
}

// Constants that move a 128-bit block D bits further along the message. A
// block A = A_hi*x^64 + A_lo becomes A_hi*(x^(D+64) mod P) + A_lo*(x^D mod P);
// each exponent is one less because a carry-less product of two reflected
// 64-bit values lands one bit short of the 128-bit reflected form.
struct FoldConstants {
  uint64_t for_low_qword;   // multiplies A_hi, held in the register's low qword
  uint64_t for_high_qword;  // multiplies A_lo
};

constexpr FoldConstants fold_constants(unsigned distance_bits) {
  return {xpow_mod(distance_bits + 63), xpow_mod(distance_bits - 1)};
}

constexpr FoldConstants kFold1024 = fold_constants(1024);
constexpr FoldConstants kFold128 = fold_constants(128);
constexpr std::array<FoldConstants, 7> kFoldToLast = {
    fold_constants(896), fold_constants(768), fold_constants(640), fold_constants(512),
    fold_constants(384), fold_constants(256), fold_constants(128)};

__attribute__((target("pclmul,sse2"))) inline __m128i constants(FoldConstants k) {
  return _mm_set_epi64x(static_cast<long long>(k.for_high_qword),
                        static_cast<long long>(k.for_low_qword));
}

__attribute__((target("pclmul,sse2"))) inline __m128i fold(__m128i block, __m128i k) {
  return _mm_xor_si128(_mm_clmulepi64_si128(block, k, 0x00), _mm_clmulepi64_si128(block, k, 0x11));
}

__attribute__((target("pclmul,sse2"))) inline __m128i load(const uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// Fold all whole 128-byte blocks of p[0, n) (n >= 128) into one 16-byte
// remainder congruent to them, with `state` folded into the first bytes.
// Return the number of bytes consumed; the remainder is stored in `out`.
__attribute__((target("pclmul,sse2"))) size_t fold_blocks(uint64_t state, const uint8_t* p,
                                                          size_t n, uint8_t out[16]) {
  __m128i x[8];
  for (int j = 0; j < 8; ++j) x[j] = load(p + 16 * j);
  x[0] = _mm_xor_si128(x[0], _mm_cvtsi64_si128(static_cast<long long>(state)));
  size_t used = 128;
  const __m128i k1024 = constants(kFold1024);
  for (; n - used >= 128; used += 128) {
    for (int j = 0; j < 8; ++j) x[j] = _mm_xor_si128(fold(x[j], k1024), load(p + used + 16 * j));
  }
  __m128i acc = x[7];
  for (int j = 0; j < 7; ++j) acc = _mm_xor_si128(acc, fold(x[j], constants(kFoldToLast[j])));
  const __m128i k128 = constants(kFold128);
  for (; n - used >= 16; used += 16) acc = _mm_xor_si128(fold(acc, k128), load(p + used));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), acc);
  return used;
}

}  // namespace

bool cpu_has_clmul() noexcept {
  static const bool has = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    return __get_cpuid(1, &a, &b, &c, &d) != 0 && (c & bit_PCLMUL) != 0 && (d & bit_SSE2) != 0;
  }();
  return has;
}

uint64_t crc64nvme_clmul(std::span<const uint8_t> bytes, uint64_t crc) noexcept {
  if (bytes.size() < 256) return crc64nvme_table(bytes, crc);
  uint8_t remainder[16];
  size_t used = fold_blocks(~crc, bytes.data(), bytes.size(), remainder);
  // The remainder stands for everything folded, with the register already in
  // it: finish it and the tail with the tables, starting from a zero register.
  uint64_t state = table_update(0, remainder, sizeof remainder);
  return ~table_update(state, bytes.data() + used, bytes.size() - used);
}

#else

bool cpu_has_clmul() noexcept { return false; }

uint64_t crc64nvme_clmul(std::span<const uint8_t> bytes, uint64_t crc) noexcept {
  return crc64nvme_table(bytes, crc);
}

#endif

std::string crc64nvme_base64(uint64_t crc) {
  std::array<uint8_t, 8> big_endian;
  for (size_t i = 0; i < big_endian.size(); ++i) big_endian[i] = uint8_t(crc >> (56 - 8 * i));
  return to_base64(big_endian);
}

}  // namespace detail

uint64_t crc64nvme(std::span<const uint8_t> bytes, uint64_t crc) noexcept {
  static const bool use_clmul = detail::cpu_has_clmul();
  return use_clmul ? detail::crc64nvme_clmul(bytes, crc) : detail::crc64nvme_table(bytes, crc);
}

}  // namespace quilt
