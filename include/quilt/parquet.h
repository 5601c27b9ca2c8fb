#pragma once

// Parquet files to and from Tables: our own writer and reader (Apache Arrow
// C++ is not in Debian here). The writer writes flat schemas with data pages
// v1, PLAIN and RLE_DICTIONARY encodings, RLE definition levels, statistics,
// logical types and key-value metadata (including pandas' JSON). The reader
// reads what it writes and what pyarrow and DuckDB write by default.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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
};

/// Read a whole Parquet file held in `bytes` into a Table. Types: logical
/// types as written (STRING, INT(bits, signed), TIMESTAMP, DATE), the legacy
/// converted types, and BYTE_ARRAY without annotation as binary; the time
/// zone and categoricals come back from pandas' metadata when present.
/// `source` names the input in errors. Throws Corrupt naming the source and
/// the column, row group and page for bad bytes; InvalidArgument naming the
/// column for what it does not support (nested columns, other encodings).
Table read_parquet(const Buffer& bytes, std::string_view source,
                   const ParquetReadOptions& options = {});
/// Read a Parquet file. Throws IoError naming the path when it cannot be read.
Table read_parquet_file(const std::string& path, const ParquetReadOptions& options = {});

}  // namespace quilt
