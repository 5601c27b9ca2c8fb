#include "formats/parquet/compression.h"

#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "formats/parquet/snappy_encoder.h"
#include "quilt/errors.h"

namespace quilt::parquet {
namespace {

[[noreturn]] void throw_corrupt(Codec codec, const std::string &detail) {
  throw Corrupt(std::string(codec_name(codec)) + " page data does not decompress: " + detail);
}

// zlib counts in uInt; a page is far below 4 GiB, but a lying header must not
// wrap.
void check_zlib_size(size_t size) {
  if (size > std::numeric_limits<uInt>::max()) {
    throw InvalidArgument("GZIP page of " + std::to_string(size) + " bytes is too large");
  }
}

size_t gzip_compress(std::span<const uint8_t> input, int level, std::vector<uint8_t> &buffer) {
  check_zlib_size(input.size());
  z_stream stream{};
  // windowBits 15 + 16: the gzip format, which Parquet's GZIP codec means.
  if (deflateInit2(&stream, level == 0 ? Z_DEFAULT_COMPRESSION : level, Z_DEFLATED, 31, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    throw Error("GZIP: deflateInit2 failed");
  }
  buffer.resize(deflateBound(&stream, static_cast<uLong>(input.size())) + 32);
  stream.next_in = const_cast<Bytef *>(input.data());
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = buffer.data();
  stream.avail_out = static_cast<uInt>(buffer.size());
  int rc = deflate(&stream, Z_FINISH);
  size_t written = stream.total_out;
  deflateEnd(&stream);
  if (rc != Z_STREAM_END) throw Error("GZIP: deflate failed");
  return written;
}

void gzip_decompress(std::span<const uint8_t> input, std::span<uint8_t> output) {
  check_zlib_size(input.size());
  check_zlib_size(output.size());
  z_stream stream{};
  // windowBits 15 + 32: accept gzip and zlib headers, as other readers do.
  if (inflateInit2(&stream, 47) != Z_OK) throw Error("GZIP: inflateInit2 failed");
  stream.next_in = const_cast<Bytef *>(input.data());
  stream.avail_in = static_cast<uInt>(input.size());
  // zlib refuses a null output pointer, which an empty span may have.
  uint8_t none = 0;
  stream.next_out = output.empty() ? &none : output.data();
  stream.avail_out = static_cast<uInt>(output.size());
  int rc = inflate(&stream, Z_FINISH);
  size_t produced = stream.total_out;
  std::string message = stream.msg != nullptr ? stream.msg : "";
  inflateEnd(&stream);
  if (rc == Z_STREAM_END && produced == output.size()) return;
  if (rc == Z_BUF_ERROR && stream.avail_out == 0) {
    throw_corrupt(Codec::kGzip, "more than the " + std::to_string(output.size()) +
                                    " bytes the page header gives");
  }
  throw_corrupt(Codec::kGzip, message.empty() ? "truncated or invalid stream" : message);
}

void snappy_decompress(std::span<const uint8_t> input, std::span<uint8_t> output) {
  const char *in = reinterpret_cast<const char *>(input.data());
  size_t length = 0;
  if (!snappy::GetUncompressedLength(in, input.size(), &length)) {
    throw_corrupt(Codec::kSnappy, "bad length header");
  }
  if (length != output.size()) {
    throw_corrupt(Codec::kSnappy, "holds " + std::to_string(length) + " bytes, page header says " +
                                      std::to_string(output.size()));
  }
  if (!snappy::RawUncompress(in, input.size(), reinterpret_cast<char *>(output.data()))) {
    throw_corrupt(Codec::kSnappy, "invalid stream");
  }
}

void zstd_decompress(std::span<const uint8_t> input, std::span<uint8_t> output) {
  size_t rc = ZSTD_decompress(output.data(), output.size(), input.data(), input.size());
  if (ZSTD_isError(rc)) throw_corrupt(Codec::kZstd, ZSTD_getErrorName(rc));
  if (rc != output.size()) {
    throw_corrupt(Codec::kZstd, "gave " + std::to_string(rc) + " bytes, page header says " +
                                    std::to_string(output.size()));
  }
}

}  // namespace

struct Compressor::ZstdContext {
  ZSTD_CCtx *context = ZSTD_createCCtx();
  ~ZstdContext() { ZSTD_freeCCtx(context); }
};

std::string_view codec_name(Codec codec) {
  switch (codec) {
    case Codec::kUncompressed:
      return "UNCOMPRESSED";
    case Codec::kSnappy:
      return "SNAPPY";
    case Codec::kGzip:
      return "GZIP";
    case Codec::kZstd:
      return "ZSTD";
  }
  return "UNKNOWN";
}

bool is_supported_codec(int32_t value) {
  return value == 0 || value == 1 || value == 2 || value == 6;
}

Compressor::Compressor(Codec codec, int level) : codec_(codec), level_(level) {
  if (!is_supported_codec(static_cast<int32_t>(codec))) {
    throw InvalidArgument("unsupported Parquet compression codec " +
                          std::to_string(static_cast<int32_t>(codec)));
  }
  if (codec == Codec::kSnappy) snappy_ = std::make_unique<SnappyEncoder>();
  if (codec == Codec::kZstd) {
    zstd_ = std::make_unique<ZstdContext>();
    if (zstd_->context == nullptr) throw Error("ZSTD: cannot create a compression context");
  }
}

Compressor::~Compressor() = default;
Compressor::Compressor(Compressor &&) noexcept = default;
Compressor &Compressor::operator=(Compressor &&) noexcept = default;

std::span<const uint8_t> Compressor::compress(std::span<const uint8_t> input) {
  size_t size = 0;
  switch (codec_) {
    case Codec::kUncompressed:
      return input;
    case Codec::kSnappy:
      buffer_.resize(SnappyEncoder::max_compressed_length(input.size()));
      size = snappy_->compress(input, buffer_.data());
      break;
    case Codec::kGzip:
      size = gzip_compress(input, level_, buffer_);
      break;
    case Codec::kZstd: {
      buffer_.resize(ZSTD_compressBound(input.size()));
      size = ZSTD_compressCCtx(zstd_->context, buffer_.data(), buffer_.size(), input.data(),
                               input.size(), level_ == 0 ? ZSTD_CLEVEL_DEFAULT : level_);
      if (ZSTD_isError(size)) throw Error(std::string("ZSTD: ") + ZSTD_getErrorName(size));
      break;
    }
  }
  return {buffer_.data(), size};
}

std::span<const uint8_t> Compressor::compress(std::span<const uint8_t> head,
                                              std::span<const uint8_t> tail) {
  if (codec_ == Codec::kSnappy) {
    // Our encoder compresses 64 KiB blocks of the stream independently,
    // copying only a block that straddles the two pieces.
    buffer_.resize(SnappyEncoder::max_compressed_length(head.size() + tail.size()));
    const size_t size = snappy_->compress(head, tail, buffer_.data());
    return {buffer_.data(), size};
  }
  joined_.resize(head.size() + tail.size());
  if (!head.empty()) std::memcpy(joined_.data(), head.data(), head.size());
  if (!tail.empty()) std::memcpy(joined_.data() + head.size(), tail.data(), tail.size());
  return compress(joined_);
}

void decompress(Codec codec, std::span<const uint8_t> input, std::span<uint8_t> output) {
  switch (codec) {
    case Codec::kUncompressed:
      if (input.size() != output.size()) {
        throw Corrupt("UNCOMPRESSED page holds " + std::to_string(input.size()) +
                      " bytes, page header says " + std::to_string(output.size()));
      }
      if (!input.empty()) std::memcpy(output.data(), input.data(), input.size());
      return;
    case Codec::kSnappy:
      return snappy_decompress(input, output);
    case Codec::kGzip:
      return gzip_decompress(input, output);
    case Codec::kZstd:
      return zstd_decompress(input, output);
  }
  throw InvalidArgument("unsupported Parquet compression codec " +
                        std::to_string(static_cast<int32_t>(codec)));
}

}  // namespace quilt::parquet
