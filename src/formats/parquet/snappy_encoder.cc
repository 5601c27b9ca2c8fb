#include "formats/parquet/snappy_encoder.h"

#include <algorithm>
#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace quilt::parquet {
namespace {

// Matches never cross a block, so offsets fit the 16 bits of a copy-2 element
// and positions fit the uint16_t hash table.
constexpr size_t kBlockSize = size_t{1} << 16;
// Matching stops this many bytes before a block's end, so the 16-byte loads
// and literal stores of the inner loop never read past it; the last bytes go
// out as one literal.
constexpr size_t kMargin = 16;
constexpr int kMaxHashBits = 14;
constexpr int kMinHashBits = 8;

uint32_t load32(const uint8_t *p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

uint64_t load64(const uint8_t *p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

void copy16(uint8_t *to, const uint8_t *from) { std::memcpy(to, from, 16); }

uint32_t hash4(uint32_t bytes, int shift) { return (bytes * 0x1E35A7BDu) >> shift; }

// Bit i set when a[i] == b[i], for i < 16.
uint32_t equal_mask16(const uint8_t *a, const uint8_t *b) {
#if defined(__SSE2__)
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i *>(a));
  const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i *>(b));
  return static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(x, y)));
#else
  uint32_t mask = 0;
  for (int half = 0; half < 2; ++half) {
    const uint64_t x = load64(a + 8 * half) ^ load64(b + 8 * half);
    constexpr uint64_t kLow7 = 0x7F7F7F7F7F7F7F7FULL;
    // The top bit of each byte: set when that byte of x is not zero.
    const uint64_t nonzero = ((x & kLow7) + kLow7) | x;
    const uint64_t equal = (~nonzero >> 7) & 0x0101010101010101ULL;
    // Gather bit 8i into bit 56+i.
    mask |= static_cast<uint32_t>((equal * 0x0102040810204080ULL) >> 56) << (8 * half);
  }
  return mask;
#endif
}

// The number of bytes from `b` on (at most up to `limit`) equal to those from
// `a`, where a < b.
size_t match_length(const uint8_t *a, const uint8_t *b, const uint8_t *limit) {
  const uint8_t *start = b;
  while (b + 8 <= limit) {
    const uint64_t diff = load64(a) ^ load64(b);
    if (diff != 0) return static_cast<size_t>(b - start) + (std::countr_zero(diff) >> 3);
    a += 8;
    b += 8;
  }
  while (b < limit && *a == *b) {
    ++a;
    ++b;
  }
  return static_cast<size_t>(b - start);
}

uint8_t *put_varint(uint8_t *op, size_t value) {
  while (value >= 0x80) {
    *op++ = static_cast<uint8_t>(value | 0x80);
    value >>= 7;
  }
  *op++ = static_cast<uint8_t>(value);
  return op;
}

// A literal of 1..16 bytes whose source has 16 readable bytes and whose
// destination has 16 writable ones.
uint8_t *emit_short_literal(uint8_t *op, const uint8_t *from, size_t length) {
  *op++ = static_cast<uint8_t>((length - 1) << 2);
  copy16(op, from);
  return op + length;
}

uint8_t *emit_literal(uint8_t *op, const uint8_t *from, size_t length) {
  const size_t n = length - 1;
  if (n < 60) {
    *op++ = static_cast<uint8_t>(n << 2);
  } else {
    // Tag 60..63: the length minus one follows in 1..4 little-endian bytes.
    const int bytes = n < (1u << 8) ? 1 : n < (1u << 16) ? 2 : n < (1u << 24) ? 3 : 4;
    *op++ = static_cast<uint8_t>((59 + bytes) << 2);
    for (int i = 0; i < bytes; ++i) *op++ = static_cast<uint8_t>(n >> (8 * i));
  }
  std::memcpy(op, from, length);
  return op + length;
}

// The literal [from, to), if any, from a source with 16 readable bytes past
// `to` (inside a block, short of its margin) into an output with 16 writable
// bytes past it.
uint8_t *emit_pending(uint8_t *op, const uint8_t *from, const uint8_t *to) {
  if (to <= from) return op;
  const auto length = static_cast<size_t>(to - from);
  return length <= 16 ? emit_short_literal(op, from, length) : emit_literal(op, from, length);
}

// One copy element of 4..64 bytes at `offset` < 65536, with 4 writable bytes
// at op. Both forms are built and one is stored with a single 4-byte store.
// (GCC still branches on the choice, mispredicted now and then on DOUBLE
// pages whose offsets straddle 2048; a masked select removed those
// mispredictions but added about 11 instructions per copy, and neither
// measured faster on this loaded machine.)
uint8_t *emit_copy_upto64(uint8_t *op, size_t offset, size_t length) {
  const auto o = static_cast<uint32_t>(offset);
  const auto n = static_cast<uint32_t>(length);
  // Tag 01: length-4 in bits 2..4, offset bits 8..10 in bits 5..7, then the
  // low byte. Tag 10: length-1 in bits 2..7, then the offset, little-endian.
  const uint32_t one = 1 | (n - 4) << 2 | (o >> 8) << 5 | (o & 0xFF) << 8;
  const uint32_t two = 2 | (n - 1) << 2 | o << 8;
  const bool short_form = n < 12 && o < 2048;
  const uint32_t element = short_form ? one : two;
  std::memcpy(op, &element, 4);
  return op + (short_form ? 2 : 3);
}

// A copy of `length` >= 4 bytes as elements of at most 64, none shorter than 4.
uint8_t *emit_copy(uint8_t *op, size_t offset, size_t length) {
  if (length <= 64) [[likely]] return emit_copy_upto64(op, offset, length);
  while (length >= 68) {
    op = emit_copy_upto64(op, offset, 64);
    length -= 64;
  }
  if (length > 64) {
    op = emit_copy_upto64(op, offset, 60);
    length -= 60;
  }
  return emit_copy_upto64(op, offset, length);
}

int hash_bits_for(size_t block_size) {
  int bits = kMinHashBits;
  while (bits < kMaxHashBits && (size_t{1} << bits) < block_size) ++bits;
  return bits;
}

// Bit i set when a[i] == b[i], for i < 64.
uint64_t equal_mask64(const uint8_t *a, const uint8_t *b) {
  return uint64_t{equal_mask16(a, b)} | uint64_t{equal_mask16(a + 16, b + 16)} << 16 |
         uint64_t{equal_mask16(a + 32, b + 32)} << 32 | uint64_t{equal_mask16(a + 48, b + 48)} << 48;
}

// Bit i set when bits i..i+3 of `mask` are all set: a match of 4 bytes can
// start there.
uint32_t starts_of_4(uint32_t mask) { return mask & (mask >> 1) & (mask >> 2) & (mask >> 3); }

// Stride mode pays off where at least this many 4-byte matches start in 32
// bytes: a run of 8-byte values whose top 5 bytes repeat has 2 per value,
// 8 in 32 bytes; data that repeats only by chance has far fewer.
constexpr int kMinStarts = 6;
// Stride mode goes on while at least this many copies start in 64 bytes.
constexpr int kMinWindowCopies = 3;
// Stride mode is tried after a copy from at most this far back: on a DOUBLE
// page, whose copies come from far back, trying it after each copy cost more
// than it found.
constexpr size_t kMaxStride = 32;
// Copies in a row from a multiple of 8 bytes back (beyond kMaxStride) that
// switch the hash search to one position per 8 bytes (see compress_block).
constexpr int kAlignedCopies = 8;
// Copies in a row from other offsets that switch it back. On the founding
// table's DOUBLE page one such copy came every 60 values or so, and ending
// the aligned search at each cost the 8 copies to start it again, with
// every byte looked up meanwhile: 7% of the page's time.
constexpr int kStrayCopies = 4;

// The offset to follow in stride mode from ip: whichever of the value widths
// 8 and 4 lets the most 4-byte matches start in the next 32 bytes; 0 when
// neither lets kMinStarts start. Only these two: other offsets that repeat
// (the length prefixes of PLAIN strings, a word that recurs) are better left
// to the hash table, which finds the longest of many offsets.
size_t choose_stride(const uint8_t *base, const uint8_t *ip) {
  size_t best = 0;
  int best_count = kMinStarts - 1;
  for (size_t candidate : {size_t{8}, size_t{4}}) {
    if (static_cast<size_t>(ip - base) < candidate) continue;
    const uint32_t equal = equal_mask16(ip, ip - candidate) |
                           equal_mask16(ip + 16, ip + 16 - candidate) << 16;
    const int count = std::popcount(starts_of_4(equal) & 0x1FFFFFFF);
    if (count > best_count) {
      best_count = count;
      best = candidate;
    }
  }
  return best;
}

// Stride mode: encode the input from `ip` (where a copy just ended, so nothing
// is pending) as literals and copies at the one `offset`, 64 bytes at a time:
// equal_mask64 of a window against the window `offset` back gives every copy
// and literal in it with a few bit operations, instead of a hash lookup and a
// match extension per element. Fixed-width columns (INT64, DOUBLE exponents,
// timestamps) and periodic data (bit-packed levels) go fast this way. Stops
// where a literal grows past 48 bytes (the data no longer repeats at this
// offset) or 80 bytes before `end`. Returns the start of the pending literal
// (everything before it is emitted), where the hash search resumes.
const uint8_t *stride_mode(const uint8_t *ip, size_t offset, const uint8_t *end, uint8_t *&op_ref) {
  uint8_t *op = op_ref;
  const uint8_t *next_emit = ip;
  const uint8_t *copy_start = nullptr;  // set while a copy runs on
  const uint8_t *window = ip;
  while (window + 80 <= end) {
    const uint64_t equal = equal_mask64(window, window - offset);
    // A start at bit 61..63 needs bits from the next window.
    const uint64_t ahead = equal_mask16(window + 64, window + 64 - offset);
    const uint64_t starts = equal & (equal >> 1 | ahead << 63) & (equal >> 2 | ahead << 62) &
                            (equal >> 3 | ahead << 61);
    int i = 0;
    int copies = 0;  // started in this window
    for (;;) {
      if (copy_start != nullptr) {
        const uint64_t rest = ~equal >> i;
        if (rest == 0) break;  // the copy runs into the next window
        i += std::countr_zero(rest);
        op = emit_copy(op, offset, static_cast<size_t>(window + i - copy_start));
        next_emit = window + i;
        copy_start = nullptr;
      } else {
        if (i >= 64) break;
        const uint64_t later = starts >> i << i;
        if (later == 0) break;
        i = std::countr_zero(later);
        const uint8_t *match = window + i;
        op = emit_pending(op, next_emit, match);
        copy_start = match;
        ++copies;
      }
    }
    window += 64;
    // Leave when the data no longer repeats at this offset: a long literal is
    // pending, or few copies started in this window (8-byte values whose
    // top bytes repeat start one per value, 8).
    if (copy_start == nullptr && (window - next_emit > 48 || copies < kMinWindowCopies)) break;
  }
  if (copy_start != nullptr) {
    // The copy runs into the window not compared (it may have started in the
    // last 3 bytes of the one before): extend it as far as it goes.
    const size_t length = static_cast<size_t>(window - copy_start) +
                          match_length(window - offset, window, end);
    op = emit_copy(op, offset, length);
    next_emit = copy_start + length;
  }
  op_ref = op;
  return next_emit;
}

// The aligned search's common case, one value per step: the lookup at a
// phase position hits a whole number of values back (beyond kMaxStride), and
// the copy ends within the value, so the next lookup is 8 bytes on. That
// next lookup is made before this one's match is extended, so the chain of
// dependent loads (table, candidate, match) of one value overlaps the next.
// Returns the position where this stops (a lookup that is not such a hit,
// not yet entered in the table; or ip_limit or beyond), with `next_emit`,
// `op` and `last_offset` updated.
const uint8_t *aligned_run(const uint8_t *base, const uint8_t *ip, const uint8_t *ip_limit,
                           const uint8_t *end, uint16_t *table, int shift, size_t phase,
                           const uint8_t *&next_emit_ref, uint8_t *&op_ref,
                           size_t &last_offset) {
  uint8_t *op = op_ref;
  const uint8_t *next_emit = next_emit_ref;
  uint32_t bytes = load32(ip);
  uint32_t h = hash4(bytes, shift);
  size_t candidate_at = table[h];
  for (;;) {
    const uint8_t *const next = ip + 8;  // readable: ip < ip_limit = end - kMargin
    const uint32_t next_bytes = load32(next);
    const uint32_t next_h = hash4(next_bytes, shift);
    size_t next_candidate_at = table[next_h];
    const uint8_t *candidate = base + candidate_at;
    const auto offset = static_cast<size_t>(ip - candidate);
    if (load32(candidate) != bytes || (offset & 7) != 0 || offset <= kMaxStride) break;
    table[h] = static_cast<uint16_t>(ip - base);
    if (next_h == h) next_candidate_at = static_cast<size_t>(ip - base);
    op = emit_pending(op, next_emit, ip);
    const size_t length = 4 + match_length(candidate + 4, ip + 4, end);
    op = emit_copy(op, offset, length);
    last_offset = offset;
    next_emit = ip + length;
    if (next_emit <= next) {
      ip = next;
      bytes = next_bytes;
      h = next_h;
      candidate_at = next_candidate_at;
    } else {
      ip = next_emit + ((phase - static_cast<size_t>(next_emit - base)) & 7);
      if (ip >= ip_limit) break;
      bytes = load32(ip);
      h = hash4(bytes, shift);
      candidate_at = table[h];
    }
    if (ip >= ip_limit) break;
  }
  op_ref = op;
  next_emit_ref = next_emit;
  return ip;
}

// Compress one block of at most kBlockSize bytes, appending its elements at
// `op`; return the new end of the output.
uint8_t *compress_block(const uint8_t *base, size_t size, uint8_t *op, uint16_t *table) {
  const uint8_t *const end = base + size;
  const uint8_t *next_emit = base;
  if (size <= kMargin + 1) {
    return size == 0 ? op : emit_literal(op, base, size);
  }
  const int bits = hash_bits_for(size);
  const int shift = 32 - bits;
  std::memset(table, 0, sizeof(uint16_t) << bits);
  const uint8_t *const ip_limit = end - kMargin;
  // The offset of the last copy: for a page of fixed-width values, one value.
  size_t last_offset = 1;
  // Aligned search: after kAlignedCopies copies in a row from whole values
  // back (offsets that are multiples of 8, beyond stride mode's reach), the
  // page holds 8-byte values whose matches start at one place in a value (a
  // DOUBLE column repeating mantissas: most copies start at the top byte of
  // the value before, 0x40 for most doubles, and run over the mantissa), so
  // only positions in that phase, the one most copies so far started at, are
  // looked up: an eighth of the lookups, and each one far more likely to hit.
  // kStrayCopies copies in a row from other offsets end it.
  int aligned_copies = 0;
  int stray_copies = 0;
  size_t probe_step = 1;
  size_t phase = 0;
  uint32_t phase_votes[8] = {};
  const uint8_t *ip = base + 1;
  for (;;) {
    // Look for a match of at least 4 bytes at ip: in the hash table, then at
    // the last offset (the hash table first: libsnappy's choice compresses
    // DOUBLE pages better). Each miss moves on further, so incompressible
    // input is passed over quickly (as libsnappy does).
    const uint8_t *candidate;
    uint32_t skip = 32;
    if (probe_step != 1) {
      ip += (phase - static_cast<size_t>(ip - base)) & 7;
      if (ip >= ip_limit) [[unlikely]] goto remainder;
      const uint8_t *const op_before = op;
      ip = aligned_run(base, ip, ip_limit, end, table, shift, phase, next_emit, op, last_offset);
      if (op != op_before) stray_copies = 0;
      if (ip >= ip_limit) [[unlikely]] goto remainder;
    }
    for (;;) {
      const uint32_t bytes = load32(ip);
      const uint32_t h = hash4(bytes, shift);
      candidate = base + table[h];
      table[h] = static_cast<uint16_t>(ip - base);
      if (load32(candidate) == bytes) break;
      if (load32(ip - last_offset) == bytes) {
        candidate = ip - last_offset;
        break;
      }
      const uint32_t step = skip >> 5;
      skip += step;
      ip += step * probe_step;
      if (ip >= ip_limit) [[unlikely]] goto remainder;
    }
    op = emit_pending(op, next_emit, ip);
    // Emit the match; then, if the data goes on repeating at one offset (a
    // page of fixed-width values), continue in stride mode.
    {
      const size_t length = 4 + match_length(candidate + 4, ip + 4, end);
      last_offset = static_cast<size_t>(ip - candidate);
      op = emit_copy(op, last_offset, length);
      if ((last_offset & 7) == 0 && last_offset > kMaxStride) {
        stray_copies = 0;
        if (probe_step == 1) {
          ++phase_votes[static_cast<size_t>(ip - base) & 7];
          if (++aligned_copies >= kAlignedCopies) {
            probe_step = 8;
            phase = static_cast<size_t>(
                std::max_element(phase_votes, phase_votes + 8) - phase_votes);
          }
        }
      } else if (probe_step == 1 || ++stray_copies >= kStrayCopies) {
        aligned_copies = 0;
        stray_copies = 0;
        probe_step = 1;
      }
      ip += length;
      next_emit = ip;
      if (ip >= ip_limit) [[unlikely]] goto remainder;
      // Only a copy from near back hints at fixed-width values; choose_stride
      // reads 32 bytes.
      const size_t stride = last_offset <= kMaxStride && ip + 32 <= end
                                ? choose_stride(base, ip)
                                : 0;
      if (stride != 0) {
        last_offset = stride;
        ip = stride_mode(ip, stride, end, op);
        next_emit = ip;
        if (ip >= ip_limit) [[unlikely]] goto remainder;
      }
    }
    // Remember the position before the match's end, so later data can match
    // the end of this one (not in aligned search, which looks up only one
    // phase).
    if (probe_step == 1) {
      table[hash4(load32(ip - 1), shift)] = static_cast<uint16_t>(ip - 1 - base);
    }
  }
remainder:
  if (next_emit < end) op = emit_literal(op, next_emit, static_cast<size_t>(end - next_emit));
  return op;
}

}  // namespace

SnappyEncoder::SnappyEncoder() : table_(size_t{1} << kMaxHashBits) {}

size_t SnappyEncoder::max_compressed_length(size_t input_size) {
  // libsnappy's bound (32 + n + n/6) covers the varint and the worst mix of
  // literals and copies; 16 more for the slack of 16-byte literal stores.
  return 32 + input_size + input_size / 6 + 16;
}

size_t SnappyEncoder::compress(std::span<const uint8_t> input, uint8_t *output) {
  return compress(input, {}, output);
}

size_t SnappyEncoder::compress(std::span<const uint8_t> head, std::span<const uint8_t> tail,
                               uint8_t *output) {
  const size_t total = head.size() + tail.size();
  uint8_t *op = put_varint(output, total);
  for (size_t position = 0; position < total; position += kBlockSize) {
    const size_t size = std::min(kBlockSize, total - position);
    const uint8_t *block;
    if (position + size <= head.size()) {
      block = head.data() + position;
    } else if (position >= head.size()) {
      block = tail.data() + (position - head.size());
    } else {
      // The one block that straddles the pieces.
      block_.resize(kBlockSize);
      const size_t from_head = head.size() - position;
      std::memcpy(block_.data(), head.data() + position, from_head);
      std::memcpy(block_.data() + from_head, tail.data(), size - from_head);
      block = block_.data();
    }
    op = compress_block(block, size, op, table_.data());
  }
  return static_cast<size_t>(op - output);
}

}  // namespace quilt::parquet
