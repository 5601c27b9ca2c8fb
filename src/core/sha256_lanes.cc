#include "core/sha256_lanes.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

#include "quilt/errors.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define QUILT_HAVE_SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace quilt::detail {
namespace {

constexpr std::array<uint32_t, 8> kInitialState = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

}  // namespace

#ifdef QUILT_HAVE_SHA_NI
namespace {

alignas(16) constexpr uint32_t kRoundConstants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define QUILT_SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))
#define QUILT_SHA_INLINE QUILT_SHA_TARGET __attribute__((always_inline)) inline

// One message in flight: the state as SHA-NI wants it (ABEF, CDGH), the last
// four groups of message words, and where the next block is.
struct NiLane {
  __m128i abef;
  __m128i cdgh;
  __m128i w[4];
  const uint8_t* p;
};

QUILT_SHA_INLINE void load_state(const uint32_t* h, NiLane& lane) {
  __m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h)), 0xB1);
  __m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + 4)), 0x1B);
  lane.abef = _mm_alignr_epi8(dcba, efgh, 8);
  lane.cdgh = _mm_blend_epi16(efgh, dcba, 0xF0);
}

QUILT_SHA_INLINE void store_state(const NiLane& lane, uint32_t* h) {
  __m128i feba = _mm_shuffle_epi32(lane.abef, 0x1B);
  __m128i dchg = _mm_shuffle_epi32(lane.cdgh, 0xB1);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(h), _mm_blend_epi16(feba, dchg, 0xF0));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(h + 4), _mm_alignr_epi8(dchg, feba, 8));
}

// Rounds 4G..4G+3 of one lane. Groups 0-3 load message words; later groups
// extend the schedule: W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16].
template <int G>
QUILT_SHA_INLINE void four_rounds(NiLane& lane) {
  __m128i w;
  if constexpr (G < 4) {
    const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    w = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(lane.p + 16 * G)),
                         byte_swap);
  } else {
    __m128i t = _mm_add_epi32(_mm_sha256msg1_epu32(lane.w[G % 4], lane.w[(G + 1) % 4]),
                              _mm_alignr_epi8(lane.w[(G + 3) % 4], lane.w[(G + 2) % 4], 4));
    w = _mm_sha256msg2_epu32(t, lane.w[(G + 3) % 4]);
  }
  lane.w[G % 4] = w;
  __m128i k = _mm_load_si128(reinterpret_cast<const __m128i*>(&kRoundConstants[4 * G]));
  __m128i wk = _mm_add_epi32(w, k);
  lane.cdgh = _mm_sha256rnds2_epu32(lane.cdgh, lane.abef, wk);
  lane.abef = _mm_sha256rnds2_epu32(lane.abef, lane.cdgh, _mm_shuffle_epi32(wk, 0x0E));
}

// The same four rounds for every lane, one lane after the other, so the
// out-of-order core overlaps their independent chains.
template <int G, size_t... I>
QUILT_SHA_INLINE void four_rounds_all(NiLane* lanes, std::index_sequence<I...>) {
  (four_rounds<G>(lanes[I]), ...);
}

template <size_t L, int... G>
QUILT_SHA_INLINE void all_rounds(NiLane* lanes, std::integer_sequence<int, G...>) {
  (four_rounds_all<G>(lanes, std::make_index_sequence<L>()), ...);
}

// Compress `blocks` 64-byte blocks of each of L messages into their states.
template <size_t L>
QUILT_SHA_TARGET void compress(uint32_t* const* states, const uint8_t* const* data, size_t blocks) {
  NiLane lanes[L];
  for (size_t i = 0; i < L; ++i) {
    load_state(states[i], lanes[i]);
    lanes[i].p = data[i];
  }
  for (; blocks > 0; --blocks) {
    __m128i abef[L], cdgh[L];
    for (size_t i = 0; i < L; ++i) {
      abef[i] = lanes[i].abef;
      cdgh[i] = lanes[i].cdgh;
    }
    all_rounds<L>(lanes, std::make_integer_sequence<int, 16>());
    for (size_t i = 0; i < L; ++i) {
      lanes[i].abef = _mm_add_epi32(lanes[i].abef, abef[i]);
      lanes[i].cdgh = _mm_add_epi32(lanes[i].cdgh, cdgh[i]);
      lanes[i].p += 64;
    }
  }
  for (size_t i = 0; i < L; ++i) store_state(lanes[i], states[i]);
}

void compress_lanes(size_t count, uint32_t* const* states, const uint8_t* const* data,
                    size_t blocks) {
  switch (count) {
    case 1:
      return compress<1>(states, data, blocks);
    case 2:
      return compress<2>(states, data, blocks);
    case 3:
      return compress<3>(states, data, blocks);
    default:
      return compress<4>(states, data, blocks);
  }
}

}  // namespace

bool cpu_has_sha_ni() noexcept {
  static const bool has = [] {
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (__get_cpuid(1, &a, &b, &c, &d) == 0) return false;
    bool sse = (c & bit_SSSE3) != 0 && (c & bit_SSE4_1) != 0;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0) return false;
    return sse && (b & bit_SHA) != 0;
  }();
  return has;
}

#else

namespace {
void compress_lanes(size_t, uint32_t* const*, const uint8_t* const*, size_t) {}
}  // namespace

bool cpu_has_sha_ni() noexcept { return false; }

#endif

Sha256Lanes::Sha256Lanes(size_t lanes, bool allow_sha_ni)
    : count_(lanes), sha_ni_(allow_sha_ni && cpu_has_sha_ni()) {
  if (lanes == 0 || lanes > kMaxSha256Lanes) {
    throw InvalidArgument("Sha256Lanes: lane count " + std::to_string(lanes) + " is not 1.." +
                          std::to_string(kMaxSha256Lanes));
  }
  for (Lane& lane : lanes_) lane.h = kInitialState;
  if (!sha_ni_) fallback_.resize(lanes);
}

void Sha256Lanes::update(std::span<const std::span<const uint8_t>> pieces) {
  if (pieces.size() > count_) throw InvalidArgument("Sha256Lanes: more pieces than lanes");
  if (!sha_ni_) {
    for (size_t i = 0; i < pieces.size(); ++i) fallback_[i].update(pieces[i]);
    return;
  }
  update_sha_ni(pieces);
}

void Sha256Lanes::update_sha_ni(std::span<const std::span<const uint8_t>> pieces) {
  std::array<const uint8_t*, kMaxSha256Lanes> next{};
  std::array<size_t, kMaxSha256Lanes> blocks{};
  for (size_t i = 0; i < pieces.size(); ++i) {
    Lane& lane = lanes_[i];
    std::span<const uint8_t> piece = pieces[i];
    if (piece.empty()) continue;  // (its data() may be null, which memcpy must not see)
    lane.length += piece.size();
    if (lane.fill > 0) {  // complete the block begun by an earlier piece
      size_t take = std::min(piece.size(), 64 - lane.fill);
      std::memcpy(lane.partial.data() + lane.fill, piece.data(), take);
      lane.fill += take;
      piece = piece.subspan(take);
      if (lane.fill < 64) continue;
      uint32_t* state = lane.h.data();
      const uint8_t* block = lane.partial.data();
      compress_lanes(1, &state, &block, 1);
      lane.fill = 0;
    }
    next[i] = piece.data();
    blocks[i] = piece.size() / 64;
    lane.fill = piece.size() % 64;
    std::memcpy(lane.partial.data(), piece.data() + blocks[i] * 64, lane.fill);
  }
  // Whole blocks: all lanes that have some, as many blocks as the shortest.
  for (;;) {
    std::array<uint32_t*, kMaxSha256Lanes> states;
    std::array<const uint8_t*, kMaxSha256Lanes> data;
    size_t active = 0;
    size_t common = SIZE_MAX;
    for (size_t i = 0; i < pieces.size(); ++i) {
      if (blocks[i] == 0) continue;
      states[active] = lanes_[i].h.data();
      data[active++] = next[i];
      common = std::min(common, blocks[i]);
    }
    if (active == 0) return;
    compress_lanes(active, states.data(), data.data(), common);
    for (size_t i = 0; i < pieces.size(); ++i) {
      if (blocks[i] == 0) continue;
      blocks[i] -= common;
      next[i] += common * 64;
    }
  }
}

Sha256Digest Sha256Lanes::finish_lane(Lane& lane) {
  // Padding: 0x80, zeros, then the length in bits, big-endian, ending a block.
  std::array<uint8_t, 128> tail{};
  std::memcpy(tail.data(), lane.partial.data(), lane.fill);
  tail[lane.fill] = 0x80;
  size_t tail_size = lane.fill + 9 <= 64 ? 64 : 128;
  uint64_t bits = lane.length * 8;
  for (size_t i = 0; i < 8; ++i) tail[tail_size - 1 - i] = static_cast<uint8_t>(bits >> (8 * i));
  uint32_t* state = lane.h.data();
  const uint8_t* data = tail.data();
  compress_lanes(1, &state, &data, tail_size / 64);
  Sha256Digest digest;
  for (size_t i = 0; i < 8; ++i) {
    for (size_t b = 0; b < 4; ++b) {
      digest[4 * i + b] = static_cast<uint8_t>(lane.h[i] >> (24 - 8 * b));
    }
  }
  return digest;
}

std::vector<Sha256Digest> Sha256Lanes::finish() {
  std::vector<Sha256Digest> digests;
  digests.reserve(count_);
  for (size_t i = 0; i < count_; ++i) {
    digests.push_back(sha_ni_ ? finish_lane(lanes_[i]) : fallback_[i].finish());
  }
  return digests;
}

}  // namespace quilt::detail
