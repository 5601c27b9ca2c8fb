#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace quilt::parquet {

class SnappyEncoder;

/// A page compression codec, numbered as parquet.thrift's CompressionCodec.
enum class Codec : int32_t {
  kUncompressed = 0,
  kSnappy = 1,
  kGzip = 2,
  kZstd = 6,
};

/// Return the codec's name as Parquet spells it ("SNAPPY", "ZSTD", ...).
std::string_view codec_name(Codec codec);

/// Return whether `value` (a CompressionCodec from a file) is a codec we can
/// read and write.
bool is_supported_codec(int32_t value);

/// Compresses pages with one codec into a buffer reused from call to call, so a
/// column writer does not allocate (and page-fault) a fresh buffer per page.
/// Not thread-safe: one per column writer.
class Compressor {
 public:
  /// Make a compressor for `codec`; `level` 0 means the codec's default level.
  /// Throws InvalidArgument for a codec we do not support.
  explicit Compressor(Codec codec, int level = 0);
  ~Compressor();
  Compressor(Compressor &&) noexcept;
  Compressor &operator=(Compressor &&) noexcept;

  /// Return `input` compressed. The view stays valid until the next call or
  /// destruction. For kUncompressed it is `input` itself.
  std::span<const uint8_t> compress(std::span<const uint8_t> input);
  /// Return `head` followed by `tail` compressed: the bytes compress() gives
  /// for their concatenation. Snappy reads `tail` where it lies (a page's
  /// values need not be copied behind its levels first); the other codecs
  /// join the two in a buffer. Unlike compress(), never returns its input.
  std::span<const uint8_t> compress(std::span<const uint8_t> head, std::span<const uint8_t> tail);

  Codec codec() const { return codec_; }

 private:
  struct ZstdContext;
  Codec codec_;
  int level_;
  std::vector<uint8_t> buffer_;
  std::vector<uint8_t> joined_;  // head and tail together, for codecs that need one input
  std::unique_ptr<SnappyEncoder> snappy_;  // ours, not libsnappy's: see snappy_encoder.h
  std::unique_ptr<ZstdContext> zstd_;
};

/// Decompress `input` into `output`, whose size is the uncompressed size the
/// page header gives. Throws Corrupt, naming the codec, when the data does not
/// decompress to exactly `output.size()` bytes; InvalidArgument for an
/// unsupported codec.
void decompress(Codec codec, std::span<const uint8_t> input, std::span<uint8_t> output);

}  // namespace quilt::parquet
