#include "cli/table_text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "formats/csv_internal.h"

namespace quilt::cli {
namespace {

template <typename T>
std::string integer_text(const Column& column, int64_t row) {
  return std::to_string(column.values<T>()[static_cast<size_t>(row)]);
}

std::string float32_text(float v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buffer[detail::kMaxFloatChars];
  char* end = detail::write_python_float(buffer, v);
  return std::string(buffer, end);
}

std::string float64_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::string out;
  append_python_float(out, v);
  return out;
}

// ISO-8601 in the column's unit, fraction digits trimmed; "Z" when the column has a time zone
// (its values are UTC instants; we have no tz database to show local times).
std::string timestamp_text(const DataType& type, int64_t value) {
  int64_t per_second = 1;
  int digits = 0;
  switch (type.unit()) {
    case TimeUnit::kSecond:
      break;
    case TimeUnit::kMilli:
      per_second = 1000, digits = 3;
      break;
    case TimeUnit::kMicro:
      per_second = 1000000, digits = 6;
      break;
    case TimeUnit::kNano:
      per_second = 1000000000, digits = 9;
      break;
  }
  int64_t seconds = value / per_second;
  int64_t fraction = value % per_second;
  if (fraction < 0) fraction += per_second, seconds -= 1;
  int64_t days = seconds / 86400;
  int64_t in_day = seconds % 86400;
  if (in_day < 0) in_day += 86400, days -= 1;
  detail::CivilDate date = detail::civil_from_days(days);
  char buffer[64];
  int n = std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                        static_cast<long long>(date.year), date.month, date.day,
                        static_cast<long long>(in_day / 3600),
                        static_cast<long long>(in_day / 60 % 60),
                        static_cast<long long>(in_day % 60));
  std::string out(buffer, static_cast<size_t>(n));
  if (fraction != 0) {
    std::snprintf(buffer, sizeof buffer, "%0*lld", digits, static_cast<long long>(fraction));
    std::string f(buffer);
    while (!f.empty() && f.back() == '0') f.pop_back();
    out += "." + f;
  }
  if (!type.timezone().empty()) out += "Z";
  return out;
}

std::string date_text(int32_t days) {
  detail::CivilDate date = detail::civil_from_days(days);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02u", static_cast<long long>(date.year),
                date.month, date.day);
  return buffer;
}

std::string hex_text(std::string_view bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "0x";
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

int64_t dictionary_index(const Column& column, int64_t row) {
  size_t i = static_cast<size_t>(row);
  switch (column.type().index_type().id()) {
    case TypeId::kInt8:
      return column.values<int8_t>()[i];
    case TypeId::kInt16:
      return column.values<int16_t>()[i];
    case TypeId::kInt32:
      return column.values<int32_t>()[i];
    case TypeId::kUInt8:
      return column.values<uint8_t>()[i];
    case TypeId::kUInt16:
      return column.values<uint16_t>()[i];
    case TypeId::kUInt32:
      return column.values<uint32_t>()[i];
    case TypeId::kUInt64:
      return static_cast<int64_t>(column.values<uint64_t>()[i]);
    default:
      return column.values<int64_t>()[i];
  }
}

bool is_numeric(const DataType& type) {
  if (type.id() == TypeId::kDictionary) return is_numeric(type.value_type());
  return type.is_integer() || type.is_floating();
}

// Make a cell printable on one line: control characters escaped as C does, then cut to
// `max_width` code points (the last one an ellipsis).
std::string printable(std::string_view text, size_t max_width) {
  std::string out;
  size_t width = 0;
  size_t cut_at = std::string::npos;  // where the text stood at max_width - 1 code points
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    bool starts_point = (c & 0xC0) != 0x80;
    if (starts_point) {
      if (width == max_width - 1) cut_at = out.size();
      ++width;
    }
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
      out += buffer;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (width > max_width && cut_at != std::string::npos) {
    out.resize(cut_at);
    out += "…";
  }
  return out;
}

size_t display_width(std::string_view text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

void pad(std::string& line, const std::string& cell, size_t width, bool right) {
  size_t fill = width - std::min(width, display_width(cell));
  if (right) line.append(fill, ' ');
  line += cell;
  if (!right) line.append(fill, ' ');
}

}  // namespace

std::optional<std::string> cell_text(const Column& column, int64_t row) {
  if (column.is_null(row)) return std::nullopt;
  const DataType& type = column.type();
  switch (type.id()) {
    case TypeId::kBool:
      return column.bool_at(row) ? "True" : "False";
    case TypeId::kInt8:
      return integer_text<int8_t>(column, row);
    case TypeId::kInt16:
      return integer_text<int16_t>(column, row);
    case TypeId::kInt32:
      return integer_text<int32_t>(column, row);
    case TypeId::kInt64:
      return integer_text<int64_t>(column, row);
    case TypeId::kUInt8:
      return integer_text<uint8_t>(column, row);
    case TypeId::kUInt16:
      return integer_text<uint16_t>(column, row);
    case TypeId::kUInt32:
      return integer_text<uint32_t>(column, row);
    case TypeId::kUInt64:
      return integer_text<uint64_t>(column, row);
    case TypeId::kFloat32:
      return float32_text(column.values<float>()[static_cast<size_t>(row)]);
    case TypeId::kFloat64:
      return float64_text(column.values<double>()[static_cast<size_t>(row)]);
    case TypeId::kString:
      return std::string(column.string_at(row));
    case TypeId::kBinary:
      return hex_text(column.string_at(row));
    case TypeId::kTimestamp:
      return timestamp_text(type, column.values<int64_t>()[static_cast<size_t>(row)]);
    case TypeId::kDate32:
      return date_text(column.values<int32_t>()[static_cast<size_t>(row)]);
    case TypeId::kDictionary:
      return cell_text(column.dictionary(), dictionary_index(column, row));
  }
  return std::nullopt;
}

std::string format_table_text(const Table& table, int64_t total_rows, size_t max_width) {
  max_width = std::max<size_t>(max_width, 2);
  const int columns = table.num_columns();
  const int64_t rows = table.num_rows();
  // cells[c][0] is the header, then one per row.
  std::vector<std::vector<std::string>> cells(static_cast<size_t>(columns));
  std::vector<size_t> widths(static_cast<size_t>(columns), 0);
  for (int c = 0; c < columns; ++c) {
    const Column& column = table.column(c);
    std::vector<std::string>& out = cells[static_cast<size_t>(c)];
    out.push_back(printable(column.name(), max_width));
    for (int64_t r = 0; r < rows; ++r) {
      std::optional<std::string> text = cell_text(column, r);
      out.push_back(text ? printable(*text, max_width) : std::string(kNullText));
    }
    for (const std::string& cell : out) {
      widths[static_cast<size_t>(c)] = std::max(widths[static_cast<size_t>(c)], display_width(cell));
    }
  }
  std::string text;
  auto emit_line = [&](auto&& cell_of, auto&& right_of) {
    std::string line;
    for (int c = 0; c < columns; ++c) {
      if (c > 0) line += "  ";
      pad(line, cell_of(c), widths[static_cast<size_t>(c)], right_of(c));
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    text += line + "\n";
  };
  auto numeric = [&](int c) { return is_numeric(table.column(c).type()); };
  if (columns > 0) {
    emit_line([&](int c) { return cells[static_cast<size_t>(c)][0]; }, numeric);
    emit_line([&](int c) { return std::string(widths[static_cast<size_t>(c)], '-'); }, numeric);
    for (int64_t r = 0; r < rows; ++r) {
      emit_line([&](int c) { return cells[static_cast<size_t>(c)][static_cast<size_t>(r + 1)]; },
                numeric);
    }
  }
  text += with_thousands(rows) + " of " + with_thousands(total_rows) +
          (total_rows == 1 ? " row, " : " rows, ") + with_thousands(columns) +
          (columns == 1 ? " column\n" : " columns\n");
  return text;
}

Json row_json(const Table& table, int64_t row) {
  Json out = Json::object();
  for (const Column& column : table.columns()) {
    const DataType& type =
        column.type().id() == TypeId::kDictionary ? column.type().value_type() : column.type();
    const Column& values = column.type().id() == TypeId::kDictionary ? column.dictionary() : column;
    int64_t i = column.type().id() == TypeId::kDictionary && column.is_valid(row)
                    ? dictionary_index(column, row)
                    : row;
    Json value;
    if (column.is_null(row) || values.is_null(i)) {
      value = Json();
    } else if (type.id() == TypeId::kBool) {
      value = Json(values.bool_at(i));
    } else if (type.id() == TypeId::kUInt64) {
      value = Json(values.values<uint64_t>()[static_cast<size_t>(i)]);
    } else if (type.is_integer()) {
      value = Json::integer(*cell_text(values, i));
    } else if (type.is_floating()) {
      double d = type.id() == TypeId::kFloat32 ? values.values<float>()[static_cast<size_t>(i)]
                                               : values.values<double>()[static_cast<size_t>(i)];
      if (std::isnan(d)) {
        value = Json("NaN");
      } else if (std::isinf(d)) {
        value = Json(d > 0 ? "Infinity" : "-Infinity");
      } else if (type.id() == TypeId::kFloat32) {
        // The float's shortest digits, not the double's (0.1f, not 0.10000000149011612).
        value = Json(std::stod(float32_text(static_cast<float>(d))));
      } else {
        value = Json(d);
      }
    } else {
      value = Json(*cell_text(values, i));
    }
    out.set(column.name(), std::move(value));
  }
  return out;
}

std::string with_thousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

}  // namespace quilt::cli
