#pragma once

// Parquet files to and from Tables: our own writer and reader (Apache Arrow
// C++ is not in Debian here). The writer writes flat schemas with data pages
// v1, PLAIN and RLE_DICTIONARY encodings, RLE definition levels, statistics,
// logical types and key-value metadata (including pandas' JSON). The reader
// reads what it writes and what pyarrow and DuckDB write by default.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "quilt/ndarray.h"  // ByteSink
#include "quilt/table.h"

namespace quilt {

class ThreadPool;

/// A page compression codec.
enum class ParquetCompression { kNone, kSnappy, kGzip, kZstd };

/// Return the codec named `name` ("snappy", "zstd", "gzip", "none" or
/// "uncompressed"; any case), or std::nullopt.
std::optional<ParquetCompression> parse_parquet_compression(std::string_view name);
/// Return the lower-case name ("snappy", "zstd", "gzip", "none").
std::string_view parquet_compression_name(ParquetCompression compression);

/// A Parquet value encoding the writer can be asked for (besides its default of PLAIN and
/// dictionary encoding).
enum class ParquetEncoding {
  kPlain,                 // the default: PLAIN (and RLE_DICTIONARY as use_dictionary says)
  kDeltaBinaryPacked,     // integers (INT32, INT64: ints, dates, timestamps)
  kDeltaLengthByteArray,  // strings and binary
  kDeltaByteArray,        // strings and binary (prefixes shared with the previous value)
  kByteStreamSplit,       // floats
};

/// Return the encoding named `name` as Parquet spells it ("plain", "delta_binary_packed",
/// "delta_length_byte_array", "delta_byte_array", "byte_stream_split"; any case), or std::nullopt.
std::optional<ParquetEncoding> parse_parquet_encoding(std::string_view name);

struct ParquetWriteOptions {
  /// Snappy by default, as pandas.
  ParquetCompression compression = ParquetCompression::kSnappy;
  /// 0: the codec's default level.
  int compression_level = 0;
  /// Rows per row group (the last may be shorter).
  int64_t row_group_size = 1048576;
  /// Target size of one data page before compression, in bytes.
  int64_t data_page_size = 1048576;
  /// Dictionary-encode string, binary and categorical columns.
  bool use_dictionary = true;
  /// A column chunk whose dictionary grows beyond this many bytes falls back
  /// to PLAIN for the rest of the chunk.
  int64_t dictionary_page_size_limit = 1048576;
  /// Write min/max/null_count statistics for each column chunk.
  bool write_statistics = true;
  /// Encode column chunks on this pool and the calling thread, the sink being
  /// called (on the calling thread) while later chunks are encoded; one pool
  /// thread is left for the sink (null: all on the calling thread).
  ThreadPool* pool = nullptr;
  /// Data pages v1 (the default, what every reader reads) or v2 (levels uncompressed before the
  /// compressed values).
  int data_page_version = 1;
  /// The encoding of integer columns (INT32/INT64 physical types, dates and timestamps
  /// included): kPlain or kDeltaBinaryPacked. (BYTE_STREAM_SPLIT of integers is read but not
  /// written: DuckDB reads it for floats only.) Categoricals keep their dictionary encoding
  /// whatever these say.
  ParquetEncoding integer_encoding = ParquetEncoding::kPlain;
  /// The encoding of float32/float64 columns: kPlain or kByteStreamSplit.
  ParquetEncoding float_encoding = ParquetEncoding::kPlain;
  /// The encoding of string and binary columns: kPlain (dictionary-encoded as use_dictionary
  /// says), kDeltaLengthByteArray or kDeltaByteArray (then no dictionary).
  ParquetEncoding string_encoding = ParquetEncoding::kPlain;
};

/// Write `table` as a Parquet file into `sink`, front to back in one pass
/// (the sink sees each byte once; nothing is read back). Memory beyond the
/// table is about one row group's encoded pages; writer buffers are kept in a
/// small process-wide cache (at most 128 MB each for working buffers and for
/// chunk pages) for the next write. When the
/// table's metadata has no "pandas" key, one is written that makes pandas
/// restore a RangeIndex and the column dtypes; other keys are written as is.
///
/// Every column is OPTIONAL, as pyarrow writes them. A categorical is written
/// as its value type, with its categories as the dictionary when they fit
/// dictionary_page_size_limit (else, for strings, through a dictionary built
/// from the values; for other types, PLAIN; bool categoricals are PLAIN). Timestamps carry the legacy TIMESTAMP_MILLIS/MICROS only when
/// they have a time zone (those mean UTC-adjusted). A table without columns
/// is written as pyarrow does (a schema without leaves, num_rows, no row
/// group), though DuckDB refuses to read such a file. The bytes do not depend
/// on options.pool. Thread-safe (distinct calls share nothing but the cache).
///
/// Throws InvalidArgument, naming the column, for a table Parquet cannot hold
/// (a column name that repeats) or bad buffers (a dictionary index outside
/// the dictionary, string offsets going backwards), and for bad options;
/// whatever the sink throws.
void write_parquet(const Table& table, const ByteSink& sink, const ParquetWriteOptions& options = {});
/// Write to a file (created or truncated; removed again when writing fails).
/// Throws IoError naming the path.
void write_parquet_file(const Table& table, const std::string& path,
                        const ParquetWriteOptions& options = {});

struct ParquetReadOptions {
  /// Decode columns on this pool (null: on the calling thread only).
  ThreadPool* pool = nullptr;
  /// Read only these columns, by name, in this order (std::nullopt: every column). Only their
  /// column chunks are read: a file is read with pread, page by page, never whole; an unchosen
  /// column may be of a type the reader does not support.
  std::optional<std::vector<std::string>> columns = std::nullopt;
  /// Read only these row groups (0-based indices into the file's row groups), their rows in
  /// this order (std::nullopt: every row group).
  std::optional<std::vector<int>> row_groups = std::nullopt;
};

/// Read a Parquet file held in `bytes` into a Table (the columns and row groups `options`
/// chooses). Data pages v1 and v2; encodings PLAIN, PLAIN_DICTIONARY, RLE_DICTIONARY, RLE
/// (booleans), DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT;
/// codecs UNCOMPRESSED, SNAPPY, GZIP, ZSTD, BROTLI, LZ4_RAW. Types: logical
/// types as written (STRING, INT(bits, signed), TIMESTAMP, DATE), the legacy
/// converted types, and BYTE_ARRAY without annotation as binary; the time
/// zone and categoricals come back from pandas' metadata when present.
/// `source` names the input in errors. Throws Corrupt naming the source and
/// the column, row group and page for bad bytes; InvalidArgument naming the
/// column for what it does not support (nested columns, other encodings), and for a chosen
/// column or row group the file does not have.
Table read_parquet(const Buffer& bytes, std::string_view source,
                   const ParquetReadOptions& options = {});
/// Read a Parquet file. Throws IoError naming the path when it cannot be read.
Table read_parquet_file(const std::string& path, const ParquetReadOptions& options = {});

/// Random access to a Parquet file that is not a local file (an object in S3, say): the reader
/// asks for the footer and then for the column chunks it needs, never for the whole file.
struct ParquetByteSource {
  /// Names the file in errors.
  std::string name;
  /// The file's size in bytes.
  uint64_t size = 0;
  /// Fill `out` with the bytes [offset, offset + out.size()) (always within `size`), or throw.
  /// Called from the pool's threads at once when ParquetReadOptions::pool is set.
  std::function<void(uint64_t offset, std::span<uint8_t> out)> read_at;
};

/// Read a Parquet file through `source`, as read_parquet reads bytes in memory.
Table read_parquet(const ParquetByteSource& source, const ParquetReadOptions& options = {});

/// One top-level column of a Parquet file.
struct ParquetColumnInfo {
  std::string name;
  /// The column type read_parquet makes of it (pandas' metadata applied), or std::nullopt when
  /// the reader cannot read the column (`unsupported` then says why).
  std::optional<DataType> type;
  std::string unsupported;
  /// False for a REQUIRED column (no nulls possible).
  bool nullable = true;
  /// Parquet's physical type ("INT64", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY(16)"), or "group"
  /// for a nested column.
  std::string physical_type;
  /// Parquet's logical type ("STRING", "TIMESTAMP(MICROS,UTC)", "INT(8,signed)", "DATE"), else
  /// the legacy converted type ("UTF8", "DECIMAL(9,1)"); empty when the column has neither.
  std::string logical_type;
};

/// One row group of a Parquet file.
struct ParquetRowGroupInfo {
  int64_t num_rows = 0;
  /// Sums over its column chunks, as the footer gives them.
  int64_t compressed_bytes = 0;
  int64_t uncompressed_bytes = 0;
  /// The distinct codecs of its column chunks, in column order ("SNAPPY", "ZSTD", ...).
  std::vector<std::string> codecs;
  /// The bytes [first_byte, end_byte) of the file that hold its column chunks.
  uint64_t first_byte = 0;
  uint64_t end_byte = 0;
};

/// What a Parquet file's footer says.
struct ParquetFileInfo {
  std::vector<ParquetColumnInfo> columns;
  int64_t num_rows = 0;
  std::vector<ParquetRowGroupInfo> row_groups;
  /// The writer's name and version, when the file names it.
  std::optional<std::string> created_by;
  /// The keys of the file's key-value metadata, in file order ("pandas", "ARROW:schema", ...).
  std::vector<std::string> metadata_keys;
  /// The footer's format version (1 or 2).
  int32_t format_version = 1;
  uint64_t file_size = 0;
};

/// Read only the footer of the Parquet file at `path` and describe it. Throws IoError naming
/// the path when it cannot be read; Corrupt naming it for a file that is not Parquet or whose
/// footer is malformed (a schema that is not a tree, row group sizes that disagree with the
/// footer's row count); InvalidArgument for an encrypted file. A column the reader cannot
/// decode is described, not refused.
ParquetFileInfo read_parquet_info_file(const std::string& path);
/// Read only the footer through `source` (three reads: the magic at each end, then the footer)
/// and describe it; throws as read_parquet_info_file does, naming source.name.
ParquetFileInfo read_parquet_info(const ParquetByteSource& source);

}  // namespace quilt
