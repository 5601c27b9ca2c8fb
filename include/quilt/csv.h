#pragma once

// CSV and TSV to and from Tables: RFC 4180 quoting, a header row, a text for
// nulls, ISO-8601 timestamps and shortest round-trip floats. Output matches
// what pandas' DataFrame.to_csv(index=False) writes for the same data.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quilt/ndarray.h"  // ByteSink
#include "quilt/table.h"

namespace quilt {

struct CsvWriteOptions {
  /// ',' for CSV, '\t' for TSV.
  char delimiter = ',';
  /// Write the column names as the first row.
  bool header = true;
  /// The text written for a null (pandas' na_rep).
  std::string null_value;
  /// Written after every row, the last included.
  std::string line_terminator = "\n";
  /// Threads formatting rows of a large table (0: one per core; 1: only the
  /// calling thread).
  size_t threads = 0;
};

/// Write `table` as CSV into `sink`: a field is quoted (with '"', doubled
/// inside) when it holds the delimiter, a quote, '\r', '\n' or a byte of the
/// line terminator, and a row that is one empty field is written `""` (as
/// Python's csv module does). Floats print as Python's repr (NaN as a null),
/// bools as True/False, timestamps as "YYYY-MM-DD HH:MM:SS[.fraction][+00:00]"
/// (pandas' layout), dates as YYYY-MM-DD, categoricals as their values, binary
/// as its bytes. Named time zones print in UTC with "+00:00" (no tz database);
/// fixed offsets ("+05:30") print in that offset. Throws InvalidArgument for a
/// delimiter that is a quote or line break, or an empty line terminator.
/// Thread-safe; whatever the sink throws.
void write_csv(const Table& table, const ByteSink& sink, const CsvWriteOptions& options = {});

struct CsvReadOptions {
  /// ',' for CSV, '\t' for TSV.
  char delimiter = ',';
  /// The first row holds the column names (else they are "0", "1", ...).
  bool header = true;
  /// Texts read as null (pandas' default na_values when not set).
  std::optional<std::vector<std::string>> null_values;
  /// Infer column types (see read_csv); when false, every column is a string
  /// column.
  bool infer_types = true;
  /// Threads typing the columns of a large file (0: one per core; 1: only
  /// the calling thread).
  size_t threads = 0;
};

/// Read CSV text into a Table. Rows end with "\n" or "\r\n" (a lone '\r' is
/// data); quoted fields may hold delimiters, doubled quotes and line breaks; a
/// UTF-8 BOM and blank lines are skipped; a field whose (unquoted) text is in
/// null_values is a null. Each column takes the first type all its non-null
/// values fit: bool, int64, uint64, float64, timestamp[ns] (ISO-8601; with an
/// offset on every value, converted to UTC and typed tz "UTC"), else string;
/// a column of nulls only is float64 (as pandas). Empty text is a table
/// without columns. The Table owns its data (nothing views `bytes`).
/// Throws Corrupt naming `source` and the line (1-based, where the row
/// starts) for a row with too many or too few fields, an unterminated quote
/// or text after a closing quote, and for bytes that are not UTF-8;
/// InvalidArgument for a delimiter that is a quote or a line break.
/// Thread-safe.
Table read_csv(const Buffer& bytes, std::string_view source, const CsvReadOptions& options = {});
/// Read a CSV file. Throws IoError naming the path when it cannot be read.
Table read_csv_file(const std::string& path, const CsvReadOptions& options = {});

}  // namespace quilt
