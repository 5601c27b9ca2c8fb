#pragma once

// Column chunks for the Parquet writer. One ColumnWriter per table column lives
// for the whole file: write_chunk() encodes the rows of one row group into
// pages held by the writer, and the file writer then passes those bytes to the
// sink. Every buffer is reused: the working ones (page, levels, indices,
// compressor output) come from a cache for each chunk, so only as many exist
// as chunks are encoded at once, and the chunk's pages stay with the writer.
// Allocating and first-touching fresh memory is what makes writers slow on
// the machines we run on.
//
// One class per physical representation (column_writer_fixed.cc: INT32, INT64,
// FLOAT, DOUBLE and BOOLEAN; column_writer_byte_array.cc: BYTE_ARRAY with
// dictionary encoding). Values are handled a page at a time in tight loops:
// no virtual call or type switch per value.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "formats/parquet/compression.h"
#include "formats/parquet/metadata.h"
#include "formats/parquet/rle.h"
#include "formats/parquet/thrift_compact.h"
#include "quilt/table.h"

namespace quilt::parquet {

/// The options a column writer needs (a subset of quilt::ParquetWriteOptions).
struct ColumnWriterOptions {
  Codec codec = Codec::kSnappy;
  int compression_level = 0;
  int64_t data_page_size = 1 << 20;
  bool use_dictionary = true;
  int64_t dictionary_page_size_limit = 1 << 20;
  bool write_statistics = true;
  /// Data pages v1 or v2.
  int data_page_version = 1;
  /// The encoding of the values of PLAIN pages, by physical type: INT32/INT64 (PLAIN,
  /// DELTA_BINARY_PACKED or BYTE_STREAM_SPLIT), FLOAT/DOUBLE (PLAIN or BYTE_STREAM_SPLIT),
  /// BYTE_ARRAY (PLAIN, DELTA_LENGTH_BYTE_ARRAY or DELTA_BYTE_ARRAY; not PLAIN means no
  /// dictionary but a categorical's categories). Pages are encoded PLAIN and then re-encoded.
  Encoding integer_encoding = Encoding::kPlain;
  Encoding float_encoding = Encoding::kPlain;
  Encoding string_encoding = Encoding::kPlain;
};

/// Frees memory from allocate_populated().
struct PopulatedDeleter {
  size_t size = 0;
  void operator()(uint8_t *p) const noexcept;
};
using PopulatedBytes = std::unique_ptr<uint8_t[], PopulatedDeleter>;

/// Return `size` bytes of private anonymous memory whose pages the kernel maps
/// in one call (MAP_POPULATE): about 3 times faster on the machines we run on
/// than taking one page fault per 4 KiB on first touch.
PopulatedBytes allocate_populated(size_t size);

/// A byte buffer that grows without zero-filling (std::vector::resize would
/// memset every page before it is overwritten) and keeps its memory on clear().
/// Not thread-safe.
class ByteBuffer {
 public:
  /// Append `n` uninitialised bytes and return a pointer to them; valid until
  /// the next call that grows the buffer.
  uint8_t *grow(size_t n) {
    if (size_ + n > capacity_) reserve(size_ + n);
    uint8_t *p = data_.get() + size_;
    size_ += n;
    return p;
  }
  void append(std::span<const uint8_t> bytes) {
    if (!bytes.empty()) std::memcpy(grow(bytes.size()), bytes.data(), bytes.size());
  }
  void push_back(uint8_t byte) { *grow(1) = byte; }
  /// Append `value` as ULEB128.
  void put_varint(uint64_t value) {
    while (value >= 0x80) {
      push_back(static_cast<uint8_t>(value | 0x80));
      value >>= 7;
    }
    push_back(static_cast<uint8_t>(value));
  }
  /// Drop bytes past `size`. REQUIRES: size <= this->size().
  void truncate(size_t size) { size_ = size; }
  void clear() { size_ = 0; }
  /// Make room for `capacity` bytes in all (never shrinks).
  void reserve(size_t capacity);

  size_t capacity() const { return capacity_; }
  uint8_t *data() { return data_.get(); }
  const uint8_t *data() const { return data_.get(); }
  size_t size() const { return size_; }
  std::span<const uint8_t> bytes() const { return {data_.get(), size_}; }

 private:
  PopulatedBytes data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

/// Bytes appended in order into blocks that never move (growing a contiguous
/// chunk buffer by doubling would touch, and copy, twice the memory).
/// Not thread-safe.
class BlockList {
 public:
  static constexpr size_t kBlockSize = size_t{256} << 10;

  void append(std::span<const uint8_t> bytes);
  /// Forget the bytes, keeping the blocks.
  void clear() { size_ = 0; }
  size_t size() const { return size_; }
  size_t capacity() const { return blocks_.size() * kBlockSize; }
  /// Call f(std::span<const uint8_t>) on the bytes, block by block, in order.
  template <class F>
  void for_each(F &&f) const {
    size_t left = size_;
    for (size_t i = 0; left > 0; ++i) {
      const size_t n = std::min(left, kBlockSize);
      f(std::span<const uint8_t>(blocks_[i].get(), n));
      left -= n;
    }
  }

 private:
  std::vector<PopulatedBytes> blocks_;
  size_t size_ = 0;
};

/// The working buffers of a column writer while it encodes one chunk. They
/// outlive the writer and the chunk: taken from a small process-wide cache for
/// each write_chunk() and given back after it, so that only as many exist as
/// chunks are encoded at once, and writing table after table touches no fresh
/// memory (first touch of fresh memory runs at about 0.23 GB/s on the machines
/// we run on).
struct WriterScratch {
  std::unique_ptr<Compressor> compressor;
  Codec codec = Codec::kUncompressed;
  int level = 0;
  CompactWriter header;
  ByteBuffer page;
  ByteBuffer validity;
  ByteBuffer plain;
  ByteBuffer bits;
  std::vector<std::unique_ptr<RleEncoder>> index_encoders;
  std::vector<uint32_t> indices;

  /// Return the bytes this scratch holds (roughly).
  size_t footprint() const;
};

/// The encoded pages of a column chunk, held by the writer until the next
/// chunk (about the chunk's compressed size), and cached as WriterScratch is.
struct ChunkOutput {
  BlockList dictionary;
  BlockList data;

  /// Return the bytes this output holds.
  size_t footprint() const { return dictionary.capacity() + data.capacity(); }
};

/// Return a scratch from the cache (or a new one) with a compressor for
/// `codec` at `level`.
std::unique_ptr<WriterScratch> acquire_writer_scratch(Codec codec, int level);
/// Give `scratch` back to the cache; it is freed when the cache is full.
void release_writer_scratch(std::unique_ptr<WriterScratch> scratch);
/// Return an output from the cache (or a new one), empty.
std::unique_ptr<ChunkOutput> acquire_chunk_output();
/// Give `output` back to the cache; it is freed when the cache is full.
void release_chunk_output(std::unique_ptr<ChunkOutput> output);

/// Copy `count` bits starting at bit `offset` of the LSB-first bitmap `src` to
/// `dst` starting at bit 0; bits of the last byte past `count` are zeroed.
/// Writes (count + 7) / 8 bytes; reads only the bytes holding the bits.
void copy_bits(const uint8_t *src, int64_t offset, int64_t count, uint8_t *dst);
/// Return how many bits are set in the first `count` bits of `bits`.
int64_t count_set_bits(const uint8_t *bits, int64_t count);

/// Reads the indices of a dictionary (categorical) column whatever their
/// integer type. Row i is slot offset() + i. Valid rows are those whose index
/// is not null and points at a non-null dictionary entry.
class DictionaryIndexReader {
 public:
  explicit DictionaryIndexReader(const Column &column);

  /// Return the index of row `i`. REQUIRES: the index of row i is not null.
  int64_t index(int64_t i) const {
    const int64_t slot = offset_ + i;
    switch (width_) {
      case 1:
        return is_signed_ ? int64_t{reinterpret_cast<const int8_t *>(data_)[slot]} : data_[slot];
      case 2: {
        uint16_t v;
        std::memcpy(&v, data_ + 2 * slot, 2);
        return is_signed_ ? int64_t{static_cast<int16_t>(v)} : int64_t{v};
      }
      case 4: {
        uint32_t v;
        std::memcpy(&v, data_ + 4 * slot, 4);
        return is_signed_ ? int64_t{static_cast<int32_t>(v)} : int64_t{v};
      }
      default: {
        int64_t v;
        std::memcpy(&v, data_ + 8 * slot, 8);
        return v;
      }
    }
  }
  bool is_valid(int64_t i) const {
    const int64_t slot = offset_ + i;
    if (validity_ != nullptr && !((validity_[slot >> 3] >> (slot & 7)) & 1)) return false;
    if (dict_validity_ == nullptr) return true;
    const int64_t d = dict_offset_ + index(i);
    return (dict_validity_[d >> 3] >> (d & 7)) & 1;
  }
  /// Throw InvalidArgument naming the column and the row when a non-null
  /// index of rows [begin, end) is outside the dictionary (Column::make checks
  /// only buffer sizes; a bad index must not become a read past the buffer).
  void check_range(int64_t begin, int64_t end) const;

  /// Build into `bits` the validity of rows [begin, end) (a null index or an
  /// index of a null dictionary entry is a null), store the null count in
  /// `*nulls`, and return the bitmap, or nullptr when there is no null.
  const uint8_t *page_validity(int64_t begin, int64_t end, ByteBuffer &bits, int64_t *nulls) const;

  /// Whether some row may be null (an index or a dictionary entry).
  bool may_have_nulls() const { return validity_ != nullptr || dict_validity_ != nullptr; }
  /// Whether some dictionary entry is null.
  bool dictionary_has_nulls() const { return dict_validity_ != nullptr; }

 private:
  const Column *column_;
  int64_t dictionary_length_;
  const uint8_t *data_;
  int width_;
  bool is_signed_;
  int64_t offset_;
  const uint8_t *validity_ = nullptr;
  const uint8_t *dict_validity_ = nullptr;
  int64_t dict_offset_ = 0;
};

/// Throw InvalidArgument naming `column` unless offsets[begin..end] (of a
/// string or binary column, or of a dictionary's entries) are non-decreasing
/// and within its data buffer.
void check_offsets(const Column &column, int64_t begin, int64_t end);

/// Encodes the column chunks of one table column. Not thread-safe; distinct
/// writers may run on distinct threads.
class ColumnWriter {
 public:
  virtual ~ColumnWriter();
  ColumnWriter(const ColumnWriter &) = delete;
  ColumnWriter &operator=(const ColumnWriter &) = delete;

  /// Encode rows [begin, end) as one column chunk, replacing the last one.
  /// Throws InvalidArgument naming the column for what Parquet cannot hold.
  void write_chunk(int64_t begin, int64_t end);

  /// The chunk's bytes, to be written in this order: the dictionary page with
  /// its header (empty when the chunk has none), then the data pages.
  const BlockList &dictionary_page() const { return output_->dictionary; }
  const BlockList &data_pages() const { return output_->data; }
  /// The chunk's metadata, with offsets counted from the chunk's first byte.
  const ColumnMetaData &metadata() const { return metadata_; }

 protected:
  ColumnWriter(const Column &column, PhysicalType type, const ColumnWriterOptions &options);

  /// Encode rows [begin, end): begin_page()/finish_page() for each data page,
  /// write_dictionary_page() when dictionary-encoded, set_min_max() at the end.
  virtual void encode(int64_t begin, int64_t end) = 0;

  /// Return the validity of rows [begin, end) as a bitmap starting at bit 0
  /// (in a buffer of this writer, valid until the next call), or nullptr when
  /// they are all valid; `*nulls` gets the number of nulls. The default reads
  /// the column's validity bitmap.
  virtual const uint8_t *page_validity(int64_t begin, int64_t end, int64_t *nulls);

  /// Start a data page of `count` rows: write its definition levels (all 1
  /// when `validity` is null, else from the bitmap) into page().
  void begin_page(const uint8_t *validity, int64_t count, int64_t nulls);
  /// The page under construction: append the values after begin_page().
  ByteBuffer &page() { return scratch_->page; }
  /// Compress the page and append it with its header to the chunk.
  void finish_page(int64_t count, Encoding encoding) { finish_page(count, encoding, {}); }
  /// Likewise for a page whose last bytes, after page(), are `values` where
  /// they lie (a fixed-width column's own memory: not copied into the page).
  void finish_page(int64_t count, Encoding encoding, std::span<const uint8_t> values);
  /// Compress a dictionary page holding `plain` (the PLAIN values) and make it
  /// the chunk's dictionary page.
  void write_dictionary_page(std::span<const uint8_t> plain, int64_t count);
  /// Record min and max (PLAIN-encoded); `signed_order` also writes the
  /// deprecated min/max fields, whose order is signed.
  void set_min_max(std::string min, std::string max, bool signed_order);

  /// Return a reusable RLE encoder for dictionary indices of `bit_width`.
  RleEncoder &index_encoder(int bit_width);
  /// Append the RLE_DICTIONARY data of `indices` (bit width byte, then the
  /// RLE/bit-packed hybrid) to page().
  void put_indices(std::span<const uint32_t> indices, int bit_width);

  const Column &column() const { return column_; }
  const ColumnWriterOptions &options() const { return options_; }
  /// Rows per batch when the page size is checked as values are added.
  int64_t batch_rows() const;
  /// Scratch bitmap for page_validity() overrides.
  ByteBuffer &validity_scratch() { return scratch_->validity; }
  /// Buffers subclasses may use between calls of the helpers above.
  WriterScratch &scratch() { return *scratch_; }

 private:
  void append_page(PageType type, std::span<const uint8_t> raw, std::span<const uint8_t> tail,
                   int64_t count, Encoding encoding, BlockList &out);
  void append_page_v2(std::span<const uint8_t> raw, std::span<const uint8_t> tail, int64_t count,
                      Encoding encoding, BlockList &out);

  /// Return the encoding PLAIN pages of this column are re-encoded into (kPlain: none).
  Encoding value_encoding() const;
  /// Re-encode the PLAIN values of the page (after its levels in page(), then `values`) into
  /// `encoding`; return the page (levels, then the values) in recoded_.
  std::span<const uint8_t> recode(std::span<const uint8_t> values, Encoding encoding);

  const Column &column_;
  ColumnWriterOptions options_;
  ColumnMetaData metadata_;
  std::vector<uint8_t> joined_;   // PLAIN values to re-encode
  std::vector<uint8_t> recoded_;  // a re-encoded page
  int64_t page_nulls_ = 0;        // of the page begun last
  uint32_t other_encodings_ = 0;  // bit (1 << Encoding) for encodings besides PLAIN and dictionary
  std::unique_ptr<ChunkOutput> output_;
  std::unique_ptr<WriterScratch> scratch_;  // only within write_chunk()
  int64_t nulls_ = 0;
  bool has_plain_ = false;
  bool has_dictionary_ = false;
};

/// Return the writer for `column`. Throws InvalidArgument naming the column
/// when Parquet cannot hold its type. `column` must outlive the writer.
std::unique_ptr<ColumnWriter> make_column_writer(const Column &column,
                                                 const ColumnWriterOptions &options);

/// Return the schema element of `column`: OPTIONAL, with its physical,
/// logical and converted types.
SchemaElement column_schema_element(const Column &column);

// Constructors of the per-type writers (column_writer_fixed.cc,
// column_writer_byte_array.cc).
std::unique_ptr<ColumnWriter> make_fixed_column_writer(const Column &column,
                                                       const ColumnWriterOptions &options);
std::unique_ptr<ColumnWriter> make_byte_array_column_writer(const Column &column,
                                                            const ColumnWriterOptions &options);

}  // namespace quilt::parquet
