#pragma once

// Tables as a terminal shows them (`quiltcpp head`): an aligned text grid, or JSON lines.

#include <cstdint>
#include <optional>
#include <string>

#include "quilt/json.h"
#include "quilt/table.h"

namespace quilt::cli {

/// What a null cell prints as in text output: not a value any column type prints.
inline constexpr std::string_view kNullText = "<null>";

/// Return cell `row` of `column` as text, or std::nullopt for a null: integers in decimal,
/// floats as Python's repr (shortest round-trip digits; NaN, inf), bools as True/False,
/// timestamps ISO-8601 ("2021-03-04T05:06:07.5", "...Z" when UTC-adjusted, the column's own
/// offset for "+05:30"), dates YYYY-MM-DD, binary as 0x-prefixed hex, categoricals as their
/// value. Strings are returned as they are.
std::optional<std::string> cell_text(const Column& column, int64_t row);

/// Return `table` as an aligned grid: a header of column names, a rule, one line per row
/// (numbers right-aligned, text left-aligned, nulls as kNullText, control characters escaped,
/// cells longer than `max_width` characters cut with "…"), then "N of TOTAL rows, C columns".
std::string format_table_text(const Table& table, int64_t total_rows, size_t max_width = 40);

/// Return row `row` of `table` as a JSON object in column order: numbers as numbers (non-finite
/// floats as the strings "NaN", "Infinity", "-Infinity", which JSON cannot spell), nulls as
/// null, other values as cell_text spells them.
Json row_json(const Table& table, int64_t row);

/// Return `n` with a comma between thousands ("3,150,000").
std::string with_thousands(int64_t n);

}  // namespace quilt::cli
