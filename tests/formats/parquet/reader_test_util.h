#pragma once

// Helpers of the Parquet reader tests: values of a Table column and of DuckDB's JSON rows in one
// text form, so a column can be compared with what DuckDB reads from the same file.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "quilt/json.h"
#include "quilt/table.h"

namespace quilt::test {

inline std::string double_text(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

inline std::string hex_upper(std::string_view bytes) {
  static const char* const kDigits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

/// Return value `row` of `column` as text: integers, timestamps (raw, in the column's unit) and
/// dates (days) in decimal, floats by %.17g, binary as upper-case hex, "null" for a null.
inline std::string cell_text(const Column& c, int64_t row) {
  if (c.is_null(row)) return "null";
  switch (c.type().id()) {
    case TypeId::kBool:
      return c.bool_at(row) ? "true" : "false";
    case TypeId::kInt8:
      return std::to_string(c.values<int8_t>()[row]);
    case TypeId::kInt16:
      return std::to_string(c.values<int16_t>()[row]);
    case TypeId::kInt32:
    case TypeId::kDate32:
      return std::to_string(c.values<int32_t>()[row]);
    case TypeId::kInt64:
    case TypeId::kTimestamp:
      return std::to_string(c.values<int64_t>()[row]);
    case TypeId::kUInt8:
      return std::to_string(c.values<uint8_t>()[row]);
    case TypeId::kUInt16:
      return std::to_string(c.values<uint16_t>()[row]);
    case TypeId::kUInt32:
      return std::to_string(c.values<uint32_t>()[row]);
    case TypeId::kUInt64:
      return std::to_string(c.values<uint64_t>()[row]);
    case TypeId::kFloat32:
      return double_text(c.values<float>()[row]);
    case TypeId::kFloat64:
      return double_text(c.values<double>()[row]);
    case TypeId::kString:
      return std::string(c.string_at(row));
    case TypeId::kBinary:
      return hex_upper(c.string_at(row));
    case TypeId::kDictionary:
      return std::string(c.dictionary().string_at(c.values<int32_t>()[row]));
  }
  return "?";
}

/// Return a JSON value from duckdb_sql as cell_text renders the same value.
inline std::string json_text(const Json& v) {
  if (v.is_null()) return "null";
  if (v.is_bool()) return v.as_bool() ? "true" : "false";
  if (v.is_integer()) return v.integer_text();
  if (v.is_double()) return double_text(v.as_double());
  if (v.is_string()) return v.as_string();
  return v.canonical();
}

/// Expect `table` to hold exactly `rows` (DuckDB's JSON rows), column by column, where DuckDB's
/// column `name` is compared with the table's column of that name.
inline void expect_same_rows(const Table& table, const Json& rows) {
  ASSERT_TRUE(rows.is_array());
  ASSERT_EQ(table.num_rows(), static_cast<int64_t>(rows.size()));
  for (const Column& c : table.columns()) {
    int mismatches = 0;
    for (int64_t r = 0; r < table.num_rows() && mismatches < 5; ++r) {
      const Json* cell = rows.as_array()[static_cast<size_t>(r)].find(c.name());
      ASSERT_NE(cell, nullptr) << "DuckDB has no column " << c.name();
      std::string ours = cell_text(c, r);
      std::string theirs = json_text(*cell);
      if (ours != theirs) {
        ++mismatches;
        ADD_FAILURE() << "column " << c.name() << " row " << r << ": ours " << ours << ", DuckDB "
                      << theirs;
      }
    }
  }
}

}  // namespace quilt::test
