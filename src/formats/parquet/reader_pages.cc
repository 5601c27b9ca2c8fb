#include <snappy.h>
#include <zstd.h>

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

// Refuse an uncompressed size the compressed bytes cannot produce, before allocating for it.
void check_uncompressed_size(Codec codec, std::span<const uint8_t> body, uint64_t size) {
  auto mismatch = [&](uint64_t actual) {
    throw Corrupt(std::string(codec_name(codec)) + " page data holds " + std::to_string(actual) +
                  " bytes, the page header says " + std::to_string(size));
  };
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

}  // namespace

std::string PageReader::where() const {
  std::string s = column_context(*job_.source, job_.plan->name) + ", row group " +
                  std::to_string(job_.row_group);
  if (page_index_ >= 0) s += ", page " + std::to_string(page_index_);
  return s;
}

std::span<const uint8_t> PageReader::decompress_body(const PageHeader& header,
                                                     std::span<const uint8_t> body,
                                                     Scratch& into) {
  auto size = static_cast<uint64_t>(header.uncompressed_page_size);
  check_uncompressed_size(job_.codec, body, size);
  if (job_.codec == Codec::kUncompressed) return body;
  std::span<uint8_t> out(into.reserve(size), size);
  decompress(job_.codec, body, out);
  return out;
}

bool PageReader::next(Page& page) {
  while (rows_seen_ < job_.num_rows) {
    ++page_index_;
    std::span<const uint8_t> rest = job_.bytes.subspan(pos_);
    if (rest.empty()) {
      throw Corrupt("the column chunk ends after " + std::to_string(rows_seen_) + " of its " +
                    std::to_string(job_.num_rows) + " values");
    }
    CompactReader reader(rest, "page header");
    PageHeader header = read_page_header(reader);
    size_t body_start = reader.position();
    auto compressed = static_cast<uint64_t>(header.compressed_page_size);
    if (compressed > rest.size() - body_start) {
      throw Corrupt("the page header gives " + std::to_string(compressed) +
                    " compressed bytes, only " + std::to_string(rest.size() - body_start) +
                    " remain in the column chunk");
    }
    std::span<const uint8_t> body = rest.subspan(body_start, compressed);
    pos_ += body_start + compressed;
    switch (header.type) {
      case PageType::kIndexPage:
        continue;
      case PageType::kDataPageV2:
        throw InvalidArgument("data pages v2 are not supported by this reader");
      case PageType::kDictionaryPage: {
        if (!header.dictionary_page_header) throw Corrupt("dictionary page without its header");
        const DictionaryPageHeader& d = *header.dictionary_page_header;
        if (d.encoding != Encoding::kPlain && d.encoding != Encoding::kPlainDictionary) {
          throw InvalidArgument("dictionary page encoding " + encoding_name(d.encoding) +
                                " is not supported by this reader");
        }
        page.type = PageType::kDictionaryPage;
        page.num_values = d.num_values;
        page.encoding = Encoding::kPlain;
        page.data = decompress_body(header, body, work_.dictionary);
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
        Encoding e = d.encoding;
        bool is_rle_bool = e == Encoding::kRle && job_.plan->physical == PhysicalType::kBoolean;
        if (e != Encoding::kPlain && e != Encoding::kPlainDictionary &&
            e != Encoding::kRleDictionary && !is_rle_bool) {
          throw InvalidArgument("encoding " + encoding_name(e) + " is not supported by this reader");
        }
        rows_seen_ += d.num_values;
        page.type = PageType::kDataPage;
        page.num_values = d.num_values;
        page.encoding = e;
        page.data = decompress_body(header, body, work_.page);
        return true;
      }
    }
    throw Corrupt("unknown page type " + std::to_string(static_cast<int>(header.type)));
  }
  return false;
}

}  // namespace quilt::parquet
