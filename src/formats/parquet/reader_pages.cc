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
  decompress(job_.codec, body, out);
  return out;
}

bool PageReader::next(Page& page) {
  while (rows_seen_ < job_.num_rows) {
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
        Encoding e = d.encoding;
        bool is_rle_bool = e == Encoding::kRle && job_.plan->physical == PhysicalType::kBoolean;
        if (e != Encoding::kPlain && e != Encoding::kPlainDictionary &&
            e != Encoding::kRleDictionary && !is_rle_bool) {
          throw InvalidArgument("encoding " + encoding_name(e) +
                                " is not supported by this reader");
        }
        rows_seen_ += d.num_values;
        page.type = PageType::kDataPage;
        page.num_values = d.num_values;
        page.encoding = e;
        page.data = read_body(header, body, work_.page);
        return true;
      }
    }
    throw Corrupt("unknown page type " + std::to_string(static_cast<int>(header.type)));
  }
  return false;
}

}  // namespace quilt::parquet
