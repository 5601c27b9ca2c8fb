#include <brotli/decode.h>
#include <lz4.h>
#include <snappy.h>
#include <zstd.h>

#include <algorithm>
#include <string>

#include "formats/parquet/reader.h"
#include "quilt/errors.h"

namespace quilt::parquet {
namespace {

// The most a deflate stream can expand: 1032:1 (zlib's technical notes), plus room for headers.
constexpr uint64_t kDeflateMaxRatio = 1032;
// The most a zstd frame can expand when it does not state its size: a block of 128 KiB from a
// 3-byte header and one byte of RLE.
constexpr uint64_t kZstdMaxRatio = 32768;
// A page header is read through a window this large first (headers are tens of bytes, more
// with statistics).
constexpr uint64_t kHeaderWindow = 4096;

std::string encoding_name(Encoding e) {
  switch (e) {
    case Encoding::kPlain:
      return "PLAIN";
    case Encoding::kPlainDictionary:
      return "PLAIN_DICTIONARY";
    case Encoding::kRle:
      return "RLE";
    case Encoding::kBitPacked:
      return "BIT_PACKED";
    case Encoding::kDeltaBinaryPacked:
      return "DELTA_BINARY_PACKED";
    case Encoding::kDeltaLengthByteArray:
      return "DELTA_LENGTH_BYTE_ARRAY";
    case Encoding::kDeltaByteArray:
      return "DELTA_BYTE_ARRAY";
    case Encoding::kRleDictionary:
      return "RLE_DICTIONARY";
    case Encoding::kByteStreamSplit:
      return "BYTE_STREAM_SPLIT";
  }
  return "encoding #" + std::to_string(static_cast<int>(e));
}

std::string physical_type_name(PhysicalType type) {
  switch (type) {
    case PhysicalType::kBoolean:
      return "BOOLEAN";
    case PhysicalType::kInt32:
      return "INT32";
    case PhysicalType::kInt64:
      return "INT64";
    case PhysicalType::kInt96:
      return "INT96";
    case PhysicalType::kFloat:
      return "FLOAT";
    case PhysicalType::kDouble:
      return "DOUBLE";
    case PhysicalType::kByteArray:
      return "BYTE_ARRAY";
    case PhysicalType::kFixedLenByteArray:
      return "FIXED_LEN_BYTE_ARRAY";
  }
  return "type #" + std::to_string(static_cast<int>(type));
}

// Codecs the reader decompresses itself (compression.h has the ones the writer writes too).
constexpr auto kBrotli = static_cast<Codec>(4);
constexpr auto kLz4Raw = static_cast<Codec>(7);
// An LZ4 sequence of 1 token byte + 1 offset pair + 255-length bytes emits at most about 255
// bytes per input byte.
constexpr uint64_t kLz4MaxRatio = 256;
// Brotli can expand further than any bound we would like to allocate for; a page whose header
// claims more than this ratio (plus 64 MiB) is refused rather than allocated for.
constexpr uint64_t kBrotliMaxRatio = 65536;

std::string reader_codec_name(Codec codec) {
  if (codec == kBrotli) return "BROTLI";
  if (codec == kLz4Raw) return "LZ4_RAW";
  return std::string(codec_name(codec));
}

void brotli_decompress(std::span<const uint8_t> input, std::span<uint8_t> output) {
  size_t produced = output.size();
  uint8_t none = 0;
  BrotliDecoderResult rc = BrotliDecoderDecompress(input.size(), input.data(), &produced,
                                                   output.empty() ? &none : output.data());
  if (rc != BROTLI_DECODER_RESULT_SUCCESS) {
    throw Corrupt("BROTLI page data does not decompress (truncated or invalid, or more than the " +
                  std::to_string(output.size()) + " bytes the page header gives)");
  }
  if (produced != output.size()) {
    throw Corrupt("BROTLI page data holds " + std::to_string(produced) +
                  " bytes, the page header says " + std::to_string(output.size()));
  }
}

void lz4_raw_decompress(std::span<const uint8_t> input, std::span<uint8_t> output) {
  if (input.size() > static_cast<size_t>(LZ4_MAX_INPUT_SIZE) ||
      output.size() > static_cast<size_t>(LZ4_MAX_INPUT_SIZE) * 2) {
    throw InvalidArgument("LZ4_RAW page of " + std::to_string(input.size()) +
                          " bytes is too large");
  }
  uint8_t none = 0;
  int rc = LZ4_decompress_safe(reinterpret_cast<const char*>(input.data()),
                               reinterpret_cast<char*>(output.empty() ? &none : output.data()),
                               static_cast<int>(input.size()), static_cast<int>(output.size()));
  if (rc < 0) {
    throw Corrupt("LZ4_RAW page data does not decompress (truncated or invalid, or more than the " +
                  std::to_string(output.size()) + " bytes the page header gives)");
  }
  if (static_cast<size_t>(rc) != output.size()) {
    throw Corrupt("LZ4_RAW page data holds " + std::to_string(rc) +
                  " bytes, the page header says " + std::to_string(output.size()));
  }
}

void decompress_page(Codec codec, std::span<const uint8_t> input, std::span<uint8_t> output) {
  if (codec == kBrotli) return brotli_decompress(input, output);
  if (codec == kLz4Raw) return lz4_raw_decompress(input, output);
  decompress(codec, input, output);
}

// Refuse an uncompressed size the compressed bytes cannot produce, before allocating for it.
void check_uncompressed_size(Codec codec, std::span<const uint8_t> body, uint64_t size) {
  auto mismatch = [&](uint64_t actual) {
    throw Corrupt(reader_codec_name(codec) + " page data holds " + std::to_string(actual) +
                  " bytes, the page header says " + std::to_string(size));
  };
  if (codec == kLz4Raw) {
    if (size > body.size() * kLz4MaxRatio + 1024) mismatch(body.size() * kLz4MaxRatio);
    return;
  }
  if (codec == kBrotli) {
    if (size > body.size() * kBrotliMaxRatio + (uint64_t{64} << 20)) {
      throw Corrupt("BROTLI page of " + std::to_string(body.size()) + " bytes cannot hold the " +
                    std::to_string(size) + " bytes its page header says");
    }
    return;
  }
  switch (codec) {
    case Codec::kUncompressed:
      if (body.size() != size) mismatch(body.size());
      return;
    case Codec::kSnappy: {
      size_t length = 0;
      if (!snappy::GetUncompressedLength(reinterpret_cast<const char*>(body.data()), body.size(),
                                         &length)) {
        throw Corrupt("SNAPPY page data does not decompress: bad length header");
      }
      if (length != size) mismatch(length);
      return;
    }
    case Codec::kZstd: {
      unsigned long long length = ZSTD_getFrameContentSize(body.data(), body.size());
      if (length == ZSTD_CONTENTSIZE_ERROR) {
        throw Corrupt("ZSTD page data does not decompress: not a zstd frame");
      }
      if (length != ZSTD_CONTENTSIZE_UNKNOWN && length != size) mismatch(length);
      if (size > body.size() * kZstdMaxRatio + 1024) mismatch(body.size() * kZstdMaxRatio);
      return;
    }
    case Codec::kGzip:
      if (size > body.size() * kDeflateMaxRatio + 1024) {
        throw Corrupt("GZIP page of " + std::to_string(body.size()) + " bytes cannot hold the " +
                      std::to_string(size) + " bytes its page header says");
      }
      return;
  }
}

// Refuse a data page encoding the column's physical type cannot have.
void check_encoding(Encoding e, PhysicalType type) {
  bool ok = false;
  switch (e) {
    case Encoding::kPlain:
      ok = true;
      break;
    case Encoding::kPlainDictionary:
    case Encoding::kRleDictionary:
      ok = type != PhysicalType::kBoolean;
      break;
    case Encoding::kRle:
      ok = type == PhysicalType::kBoolean;
      break;
    case Encoding::kDeltaBinaryPacked:
      ok = type == PhysicalType::kInt32 || type == PhysicalType::kInt64;
      break;
    case Encoding::kDeltaLengthByteArray:
      ok = type == PhysicalType::kByteArray;
      break;
    case Encoding::kDeltaByteArray:
      ok = type == PhysicalType::kByteArray || type == PhysicalType::kFixedLenByteArray;
      break;
    case Encoding::kByteStreamSplit:
      ok = type == PhysicalType::kFloat || type == PhysicalType::kDouble ||
           type == PhysicalType::kInt32 || type == PhysicalType::kInt64 ||
           type == PhysicalType::kFixedLenByteArray;
      break;
    default:
      break;
  }
  if (!ok) {
    throw InvalidArgument("encoding " + encoding_name(e) + " of a " +
                          physical_type_name(type) + " column is not supported by this reader");
  }
}

}  // namespace

bool reader_supports_codec(int32_t value) {
  return is_supported_codec(value) || value == static_cast<int32_t>(kBrotli) ||
         value == static_cast<int32_t>(kLz4Raw);
}

std::string PageReader::where() const {
  std::string s = column_context(*job_.source, job_.plan->name) + ", row group " +
                  std::to_string(job_.row_group);
  if (page_index_ >= 0) s += ", page " + std::to_string(page_index_);
  return s;
}

// Read the page header at pos_ through a window that grows until the header fits: headers are
// small, but statistics may make one long.
PageHeader PageReader::read_header(size_t& header_size) {
  uint64_t left = job_.size - pos_;
  size_t window = static_cast<size_t>(std::min<uint64_t>(left, kHeaderWindow));
  for (;;) {
    std::span<const uint8_t> bytes = job_.input->read(job_.offset + pos_, window, work_.header);
    try {
      CompactReader reader(bytes, "page header");
      PageHeader header = read_page_header(reader);
      header_size = reader.position();
      return header;
    } catch (const Corrupt&) {
      if (window == left) throw;
      window = static_cast<size_t>(std::min<uint64_t>(left, uint64_t{window} * 8));
    }
  }
}

// Read and decompress the body of `header` at `offset` (within the chunk). An uncompressed body
// read from memory is used where it lies; from a file it is read straight into `into`.
std::span<const uint8_t> PageReader::read_body(const PageHeader& header, uint64_t offset,
                                               Scratch& into) {
  auto compressed = static_cast<uint64_t>(header.compressed_page_size);
  auto size = static_cast<uint64_t>(header.uncompressed_page_size);
  if (job_.codec == Codec::kUncompressed) {
    if (compressed != size) {
      throw Corrupt("UNCOMPRESSED page holds " + std::to_string(compressed) +
                    " bytes, the page header says " + std::to_string(size));
    }
    return job_.input->read(job_.offset + offset, compressed, into);
  }
  std::span<const uint8_t> body = job_.input->read(job_.offset + offset, compressed, work_.body);
  check_uncompressed_size(job_.codec, body, size);
  std::span<uint8_t> out(into.reserve(size), size);
  decompress_page(job_.codec, body, out);
  return out;
}

// Read a data page v2 body: levels uncompressed, then the values, compressed when the codec is
// not UNCOMPRESSED and the header does not say otherwise. The levels stay in work_.body.
void PageReader::read_body_v2(const PageHeader& header, uint64_t offset, Page& page) {
  const DataPageHeaderV2& d = *header.data_page_header_v2;
  auto compressed = static_cast<uint64_t>(header.compressed_page_size);
  auto size = static_cast<uint64_t>(header.uncompressed_page_size);
  auto levels = static_cast<uint64_t>(d.definition_levels_byte_length) +
                static_cast<uint64_t>(d.repetition_levels_byte_length);
  if (levels > compressed || levels > size) {
    throw Corrupt("the page's levels of " + std::to_string(levels) +
                  " bytes run past its data (" + std::to_string(std::min(compressed, size)) +
                  " bytes)");
  }
  std::span<const uint8_t> raw = job_.input->read(job_.offset + offset, compressed, work_.body);
  page.definition_levels = raw.subspan(d.repetition_levels_byte_length,
                                       static_cast<size_t>(d.definition_levels_byte_length));
  std::span<const uint8_t> values = raw.subspan(levels);
  uint64_t values_size = size - levels;
  if (job_.codec == Codec::kUncompressed || !d.is_compressed) {
    if (values.size() != values_size) {
      throw Corrupt("the uncompressed page holds " + std::to_string(compressed) +
                    " bytes, the page header says " + std::to_string(size));
    }
    page.data = values;
    return;
  }
  check_uncompressed_size(job_.codec, values, values_size);
  std::span<uint8_t> out(work_.page.reserve(values_size), values_size);
  decompress_page(job_.codec, values, out);
  page.data = out;
}

bool PageReader::next(Page& page) {
  // A chunk of no rows is read to its end all the same: its dictionary page may hold a
  // categorical's categories (the only place an empty table keeps them).
  while (rows_seen_ < job_.num_rows || (job_.num_rows == 0 && pos_ < job_.size)) {
    ++page_index_;
    if (pos_ == job_.size) {
      throw Corrupt("the column chunk ends after " + std::to_string(rows_seen_) + " of its " +
                    std::to_string(job_.num_rows) + " values");
    }
    size_t header_size = 0;
    PageHeader header = read_header(header_size);
    auto compressed = static_cast<uint64_t>(header.compressed_page_size);
    uint64_t left = job_.size - pos_ - header_size;
    if (compressed > left) {
      throw Corrupt("the page header gives " + std::to_string(compressed) +
                    " compressed bytes, only " + std::to_string(left) +
                    " remain in the column chunk");
    }
    uint64_t body = pos_ + header_size;
    pos_ = body + compressed;
    switch (header.type) {
      case PageType::kIndexPage:
        continue;
      case PageType::kDataPageV2: {
        if (!header.data_page_header_v2) throw Corrupt("data page v2 without its header");
        const DataPageHeaderV2& d = *header.data_page_header_v2;
        if (d.num_values > job_.num_rows - rows_seen_) {
          throw Corrupt("the page holds " + std::to_string(d.num_values) + " values, only " +
                        std::to_string(job_.num_rows - rows_seen_) +
                        " of the row group's rows remain");
        }
        // Flat columns: one value per row, no repetition levels.
        if (d.num_rows != d.num_values || d.num_nulls > d.num_values) {
          throw Corrupt("the page gives " + std::to_string(d.num_values) + " values, " +
                        std::to_string(d.num_rows) + " rows and " + std::to_string(d.num_nulls) +
                        " nulls");
        }
        if (d.repetition_levels_byte_length != 0) {
          throw Corrupt("repetition levels in a page of a flat column");
        }
        check_encoding(d.encoding, job_.plan->physical);
        rows_seen_ += d.num_values;
        page.type = PageType::kDataPage;
        page.num_values = d.num_values;
        page.encoding = d.encoding;
        page.v2 = true;
        read_body_v2(header, body, page);
        return true;
      }
      case PageType::kDictionaryPage: {
        if (!header.dictionary_page_header) throw Corrupt("dictionary page without its header");
        const DictionaryPageHeader& d = *header.dictionary_page_header;
        if (d.encoding != Encoding::kPlain && d.encoding != Encoding::kPlainDictionary) {
          throw InvalidArgument("dictionary page encoding " + encoding_name(d.encoding) +
                                " is not supported by this reader");
        }
        page.type = PageType::kDictionaryPage;
        page.v2 = false;
        page.num_values = d.num_values;
        page.encoding = Encoding::kPlain;
        page.data = read_body(header, body, work_.dictionary);
        return true;
      }
      case PageType::kDataPage: {
        if (!header.data_page_header) throw Corrupt("data page without its header");
        const DataPageHeader& d = *header.data_page_header;
        if (d.num_values > job_.num_rows - rows_seen_) {
          throw Corrupt("the page holds " + std::to_string(d.num_values) + " values, only " +
                        std::to_string(job_.num_rows - rows_seen_) +
                        " of the row group's rows remain");
        }
        if (job_.plan->optional && d.definition_level_encoding != Encoding::kRle) {
          throw InvalidArgument("definition levels in " +
                                encoding_name(d.definition_level_encoding) +
                                " are not supported by this reader");
        }
        check_encoding(d.encoding, job_.plan->physical);
        rows_seen_ += d.num_values;
        page.type = PageType::kDataPage;
        page.num_values = d.num_values;
        page.encoding = d.encoding;
        page.v2 = false;
        page.definition_levels = {};
        page.data = read_body(header, body, work_.page);
        return true;
      }
    }
    throw Corrupt("unknown page type " + std::to_string(static_cast<int>(header.type)));
  }
  return false;
}

}  // namespace quilt::parquet
