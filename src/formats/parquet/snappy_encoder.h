#pragma once

// Our own encoder for the snappy format, used to compress Parquet pages.
//
// Why not libsnappy: on the pages a Parquet writer produces it was the largest
// CPU cost of writing a table (issue #4). Fixed-width columns (INT64, DOUBLE,
// timestamps) repeat their high bytes every 8 bytes, so the stream becomes
// short literal / short copy pairs one value back, and libsnappy spends a hash
// lookup and a match extension on each (about 700 MB/s here). This encoder
// notices when 4-byte matches keep starting 8 (or 4) bytes back and then reads
// the literals and copies of 64 bytes at a time off one byte-equality mask
// ("stride mode", about 3x libsnappy's speed); on DOUBLE pages, whose matches
// are mantissas recurring at whole values back, it looks up one position per
// value instead of every byte ("aligned search"). Elsewhere it searches as
// libsnappy does. Its output is within a fraction of a percent of
// libsnappy's size on issue #4's table (bench/snappy_bench.cc). libsnappy
// stays the decoder (reading) and the test oracle.
//
// The format (google/snappy's format_description.txt): the uncompressed length
// as a varint, then elements: a literal (tag 00) or a copy of earlier output
// (tag 01: length 4..11 and an 11-bit offset; tag 10: length 1..64 and a 16-bit
// offset). Like libsnappy, we cut the input into 64 KiB blocks and match only
// within a block, so every offset fits 16 bits.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace quilt::parquet {

/// Compresses byte ranges into the snappy format with tables reused from call
/// to call. Not thread-safe: one per column writer.
class SnappyEncoder {
 public:
  SnappyEncoder();

  /// Return the most bytes compress() can write for `input_size` input bytes
  /// (the output buffer must be at least this large; it includes slack for
  /// 16-byte stores).
  static size_t max_compressed_length(size_t input_size);

  /// Write `input` in the snappy format to `output`, which has room for
  /// max_compressed_length(input.size()) bytes, and return the bytes written.
  size_t compress(std::span<const uint8_t> input, uint8_t *output);

  /// Write `head` followed by `tail` in the snappy format, exactly the bytes
  /// compress() writes for their concatenation, without joining them (only a
  /// 64 KiB block that straddles the two is copied).
  size_t compress(std::span<const uint8_t> head, std::span<const uint8_t> tail, uint8_t *output);

 private:
  std::vector<uint16_t> table_;  // hash of 4 bytes -> their last position in the block
  std::vector<uint8_t> block_;   // a block that straddles head and tail
};

}  // namespace quilt::parquet
