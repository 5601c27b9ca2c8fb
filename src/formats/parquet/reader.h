#pragma once

// The Parquet reader's private pieces, shared by reader*.cc:
//   reader.cc         entry points, footer, the plan of work, the Table at the end
//   reader_schema.cc  Parquet types -> column types (logical, converted, physical, pandas)
//   reader_pages.cc   the pages of one column chunk: headers, decompression, levels
//   reader_column.cc  values of a chunk into the output column (fixed, bool, strings, categorical)
//   reader_memory.cc  output memory (prefaulted anonymous mappings) and scratch buffers
//
// Work is split so that outputs never move: fixed-width columns are allocated whole up front and
// each column chunk (row group x column) decodes into its own slice, in parallel; string, binary
// and categorical columns decode one column per task, row group after row group, appending to one
// growing buffer. Nothing allocates per value, and every scratch buffer is reused from page to
// page and chunk to chunk.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "formats/parquet/metadata.h"
#include "quilt/parquet.h"
#include "quilt/table.h"

namespace quilt::parquet {

/// How a leaf column's physical values turn into the output column.
struct ColumnPlan {
  std::string name;
  size_t leaf = 0;  // index among the leaves, and in each RowGroup::columns
  PhysicalType physical = PhysicalType::kInt32;
  int32_t type_length = 0;  // FIXED_LEN_BYTE_ARRAY width
  bool optional = false;
  DataType type;             // the column type produced
  bool categorical = false;  // type is dictionary<int32, string or a number, date or timestamp>
  /// Return whether the column decodes one task per column: its values have no fixed width, or
  /// they are codes into categories gathered across the chunks.
  bool is_variable() const {
    return categorical || physical == PhysicalType::kByteArray ||
           physical == PhysicalType::kFixedLenByteArray;
  }
};

/// Return one plan per top-level column of `metadata` (or per column named in `chosen`, in its
/// order, when not null), applying pandas' metadata (time zones, categoricals) from `pandas_json`
/// when not empty; `num_leaves` (when not null) gets the number of leaf columns of the whole
/// schema, the column chunks of each row group. Throws InvalidArgument naming `source` and the
/// column for what the reader does not support in a column it plans (nested columns, repeated
/// fields, decimal or time integers), for a chosen name that is absent or chosen twice; Corrupt
/// for a schema that is not a tree.
std::vector<ColumnPlan> plan_columns(const FileMetaData& metadata, const std::string& pandas_json,
                                     const std::string& source,
                                     const std::vector<std::string>* chosen = nullptr,
                                     size_t* num_leaves = nullptr);

/// A growable scratch buffer that keeps its memory between uses. Large ones are prefaulted
/// mappings (see allocate_output), since a column chunk read from a file can be megabytes.
class Scratch {
 public:
  /// Return at least `size` bytes, 64-byte aligned (contents unspecified; kept when the size is
  /// not above capacity).
  uint8_t* reserve(size_t size) {
    if (size > capacity_) grow(size);
    return data_;
  }
  template <typename T>
  T* reserve_as(size_t count) {
    return reinterpret_cast<T*>(reserve(count * sizeof(T)));
  }

 private:
  void grow(size_t size);

  uint8_t* data_ = nullptr;
  size_t capacity_ = 0;
  std::shared_ptr<const void> owner_;
};

/// The scratch one task uses while it decodes; one per worker, reused across chunks.
struct Workspace {
  Scratch header;      // a page header read from a file
  Scratch body;        // a page's bytes read from a file
  Scratch page;        // a decompressed data page
  Scratch dictionary;  // the decompressed dictionary page (alive while its chunk decodes)
  Scratch dictionary_values;
  Scratch levels;
  Scratch dense;    // non-null values of a batch
  Scratch indices;  // dictionary indices of a batch
  Scratch remap;    // a categorical chunk's dictionary entries -> the column's categories
  Scratch levels_other;  // BYTE_STREAM_SPLIT values of a batch, put back together
};

/// Output memory of one column buffer: zeroed, aligned to 64 bytes. Large buffers are anonymous
/// mappings prefaulted in one call (first-touch page faults are slow on this machine).
struct OutputBuffer {
  uint8_t* data = nullptr;
  size_t size = 0;
  std::shared_ptr<const void> owner;
  Buffer buffer() const { return Buffer(data, size, owner); }
};

/// Allocate `size` zeroed bytes; `prefault` maps them all up front (when the caller will write
/// them all). Throws Corrupt naming `what` when the size cannot be had.
OutputBuffer allocate_output(size_t size, bool prefault, const std::string& what);

/// The bytes of a string or binary column, appended in order into one reservation of address
/// space as large as int32 offsets can address, so it never moves or copies while it grows.
/// Not thread-safe.
class GrowingData {
 public:
  /// `what` names the column in errors.
  GrowingData(bool prefault, std::string what);
  ~GrowingData();
  GrowingData(const GrowingData&) = delete;
  GrowingData& operator=(const GrowingData&) = delete;

  /// Return room for `bytes` more bytes at the end. Throws InvalidArgument when the column's data
  /// would pass 2 GiB (int32 offsets).
  uint8_t* room(size_t bytes) {
    if (bytes > limit_ - size_) fail_too_large(bytes);
    if (size_ + bytes > prefaulted_) prefault_to(size_ + bytes);
    return base_ + size_;
  }
  /// Record that `bytes` bytes were written at room().
  void advance(size_t bytes) { size_ += bytes; }
  size_t size() const { return size_; }
  /// Return the data as a buffer (the unused reservation is released).
  Buffer finish();

 private:
  [[noreturn]] void fail_too_large(size_t bytes) const;
  void prefault_to(size_t size);

  uint8_t* base_ = nullptr;
  size_t reserved_ = 0;
  size_t size_ = 0;
  size_t limit_ = 0;
  size_t prefaulted_ = 0;
  bool prefault_;
  std::string what_;
};

/// The bytes of the input by offset. Thread-safe.
class Input {
 public:
  virtual ~Input() = default;
  virtual uint64_t size() const = 0;
  /// Return bytes [offset, offset + size): a view into memory, or a copy read into `scratch`
  /// (valid until the scratch is reused). REQUIRES: the range is within size().
  virtual std::span<const uint8_t> read(uint64_t offset, size_t size, Scratch& scratch) const = 0;
};

/// The footer of a file and where it starts (the column chunks lie before).
struct Footer {
  FileMetaData metadata;
  uint64_t data_end = 0;
};

/// Read and decode the footer of `in` (the magic at both ends checked). Throws Corrupt naming
/// `source` for a file too short, without the magic, or with a footer length past its start;
/// InvalidArgument for an encrypted file.
Footer read_footer(const Input& in, const std::string& source);

/// Open a local file for reading by offset. Throws IoError naming the path.
std::unique_ptr<Input> open_file_input(const std::string& path);
/// Read through `source` (which must outlive the input).
std::unique_ptr<Input> make_source_input(const ParquetByteSource& source);

/// One top-level column of a schema as the reader sees it: where its element is, and its plan
/// or why it cannot be read.
struct ColumnDescription {
  size_t element = 0;  // index into FileMetaData::schema
  std::optional<ColumnPlan> plan;
  std::string unsupported;  // the reader's message when plan is empty
};

/// Describe every top-level column of `metadata` (pandas' metadata applied as plan_columns
/// does), keeping going past columns the reader does not support. Throws Corrupt as
/// plan_columns does for a schema that is not a tree.
std::vector<ColumnDescription> describe_columns(const FileMetaData& metadata,
                                                const std::string& pandas_json,
                                                const std::string& source);

/// One column chunk to decode: where its bytes are and where its rows go.
struct ChunkJob {
  const ColumnPlan* plan = nullptr;
  int row_group = 0;
  int64_t first_row = 0;  // the row of the output column where this chunk starts
  int64_t num_rows = 0;
  Codec codec = Codec::kUncompressed;
  const Input* input = nullptr;  // the chunk is [offset, offset + size) of it
  uint64_t offset = 0;
  uint64_t size = 0;
  const std::string* source = nullptr;
};

/// One page of a column chunk, decompressed.
struct Page {
  PageType type = PageType::kDataPage;
  int32_t num_values = 0;
  Encoding encoding = Encoding::kPlain;  // of the values
  /// v1: levels (length-prefixed) then values; v2: the values; or the dictionary's values.
  std::span<const uint8_t> data;
  bool v2 = false;
  std::span<const uint8_t> definition_levels;  // v2: the RLE stream, without length prefix
};

/// Return whether the reader can decompress the CompressionCodec `value` (UNCOMPRESSED, SNAPPY,
/// GZIP, ZSTD, BROTLI, LZ4_RAW).
bool reader_supports_codec(int32_t value);

/// Walks the pages of one column chunk, reading (from a file: one page at a time, so scratch
/// stays the size of a page) and decompressing each into the workspace; a dictionary page goes
/// into its own buffer, so it outlives the data pages that follow. Checks every size a header
/// gives against the bytes present before using it. Throws Corrupt / InvalidArgument without the
/// context (the caller adds where()). Not thread-safe.
class PageReader {
 public:
  PageReader(const ChunkJob& job, Workspace& work) : job_(job), work_(work) {}
  /// Read the next dictionary or data page into `page`; return false once the data pages read
  /// hold the chunk's rows.
  bool next(Page& page);
  /// Return "SOURCE: column 'NAME', row group R, page P" (P of the page read last).
  std::string where() const;

 private:
  PageHeader read_header(size_t& header_size);
  std::span<const uint8_t> read_body(const PageHeader& header, uint64_t offset, Scratch& into);
  void read_body_v2(const PageHeader& header, uint64_t offset, Page& page);

  const ChunkJob& job_;
  Workspace& work_;
  uint64_t pos_ = 0;  // within the chunk
  int page_index_ = -1;
  int64_t rows_seen_ = 0;
};

/// Where a fixed-width column's chunks write. Validity is null for a REQUIRED column.
struct FixedOutput {
  uint8_t* values = nullptr;  // bits for bool, else values of the output type
  uint8_t* validity = nullptr;
};

/// Decode a chunk of a fixed-width column (bool included) into `out` at job.first_row. Return the
/// number of nulls. Safe to run for different chunks of one column at once (bytes shared at a
/// row group boundary are set atomically). Throws Corrupt / InvalidArgument naming the source,
/// column, row group and page.
int64_t decode_fixed_chunk(const ChunkJob& job, const FixedOutput& out, Workspace& work);

/// The output of a string, binary or categorical column, filled chunk after chunk in row order.
class VariableOutput {
 public:
  VariableOutput(const ColumnPlan& plan, int64_t num_rows, bool prefault,
                 const std::string& source);
  ~VariableOutput();
  VariableOutput(const VariableOutput&) = delete;
  VariableOutput& operator=(const VariableOutput&) = delete;

  /// Decode the next chunk (its rows follow the previous chunk's).
  void decode_chunk(const ChunkJob& job, Workspace& work);
  /// Return the finished column.
  Column finish();

  struct State;

 private:
  std::unique_ptr<State> state_;
};

/// Return "SOURCE: column 'NAME'" for error messages.
std::string column_context(const std::string& source, const std::string& column);

}  // namespace quilt::parquet
