#pragma once

// Pieces shared by the CSV writer and reader: Python's float spelling into a
// char buffer, and the proleptic Gregorian calendar (days <-> year/month/day).

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace quilt::detail {

/// The longest text write_python_float writes ("-2.2250738585072014e-308").
constexpr size_t kMaxFloatChars = 32;

/// Write `v` (1e-4 <= |v| < 1e15, not integral) positionally when at most 9
/// fraction digits round-trip; return the end, or nullptr to take the general
/// path. m = round(v * 10^k) for the smallest k with m / 10^k == v: both
/// operands exact (|m| < 2^50), so the division is correctly rounded and equals
/// reading the decimal back; with |m| < 2^50 only one k-digit decimal can round
/// to v, so it is the one Python's repr picks.
inline char* write_short_decimal(char* out, double v) {
  static constexpr double kPow10[] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
  static constexpr double kMaxScaled = 1125899906842624.0;  // 2^50
  const double a = std::fabs(v);
  if (!(a >= 1e-4 && a < 1e15)) return nullptr;
  for (int k = 1; k <= 9; ++k) {
    const double scaled = a * kPow10[k];
    if (scaled >= kMaxScaled) return nullptr;
    const double m = std::nearbyint(scaled);
    if (m / kPow10[k] != a) continue;
    const auto digits = static_cast<uint64_t>(m);
    const auto pow = static_cast<uint64_t>(kPow10[k]);
    if (v < 0) *out++ = '-';
    out = std::to_chars(out, out + 20, digits / pow).ptr;
    *out++ = '.';
    uint64_t frac = digits % pow;
    for (int i = k - 1; i >= 0; --i) {
      out[i] = static_cast<char>('0' + frac % 10);
      frac /= 10;
    }
    return out + k;
  }
  return nullptr;
}

/// Write finite, non-NaN `v` at `out` as Python's repr(float) spells it (numpy's
/// str for float32: the shortest digits that round-trip in the value's own
/// width; positional between 1e-4 and 1e16, else "1.5e+300"); return the end.
/// The same spelling as quilt::append_python_float for doubles, into a caller
/// buffer (at least kMaxFloatChars bytes) so the CSV writer avoids a string per value.
template <class T>
char* write_python_float(char* out, T v) {
  static_assert(std::is_floating_point_v<T>);
  if (v == 0) {
    if (std::signbit(v)) *out++ = '-';
    std::memcpy(out, "0.0", 3);
    return out + 3;
  }
  // Integral values below 1e15 print as their digits plus ".0": the common
  // case in data, and far cheaper than the shortest-digits search.
  if (std::is_same_v<T, double> && std::fabs(v) < 1e15 &&
      static_cast<double>(static_cast<int64_t>(v)) == v) {
    out = std::to_chars(out, out + 20, static_cast<int64_t>(v)).ptr;
    std::memcpy(out, ".0", 2);
    return out + 2;
  }
  if (std::is_same_v<T, double>) {
    char* end = write_short_decimal(out, static_cast<double>(v));
    if (end != nullptr) return end;
  }
  char sci[kMaxFloatChars];
  char* const sci_end = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific).ptr;
  const char* e_pos = sci;
  while (*e_pos != 'e') ++e_pos;
  int exponent = 0;
  std::from_chars(e_pos + (e_pos[1] == '+' ? 2 : 1), sci_end, exponent);
  if (exponent < -4 || exponent >= 16) {
    std::memcpy(out, sci, static_cast<size_t>(sci_end - sci));
    return out + (sci_end - sci);
  }
  const char* p = sci;
  if (*p == '-') *out++ = *p++;
  char digits[24];
  int n = 0;
  for (; p < e_pos; ++p) {
    if (*p != '.') digits[n++] = *p;
  }
  const int point = exponent + 1;  // digits before the decimal point
  if (point <= 0) {
    *out++ = '0';
    *out++ = '.';
    for (int i = 0; i < -point; ++i) *out++ = '0';
    std::memcpy(out, digits, static_cast<size_t>(n));
    return out + n;
  }
  if (point < n) {
    std::memcpy(out, digits, static_cast<size_t>(point));
    out += point;
    *out++ = '.';
    std::memcpy(out, digits + point, static_cast<size_t>(n - point));
    return out + (n - point);
  }
  std::memcpy(out, digits, static_cast<size_t>(n));
  out += n;
  for (int i = n; i < point; ++i) *out++ = '0';
  std::memcpy(out, ".0", 2);
  return out + 2;
}

struct CivilDate {
  int64_t year;
  unsigned month;  // 1..12
  unsigned day;    // 1..31
};

/// Return the proleptic Gregorian date `days` after 1970-01-01 (negative: before).
/// The era arithmetic of H. Hinnant's "chrono-compatible low-level date algorithms".
inline CivilDate civil_from_days(int64_t days) noexcept {
  days += 719468;  // shift the epoch to 0000-03-01
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;                                    // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11], March = 0
  const unsigned day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  const unsigned month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

/// Return the days from 1970-01-01 to the given proleptic Gregorian date.
inline int64_t days_from_civil(int64_t year, unsigned month, unsigned day) noexcept {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t yoe = year - era * 400;                                               // [0, 399]
  const int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                          // [0, 146096]
  return era * 146097 + doe - 719468;
}

/// Return the number of days in `month` of `year` (proleptic Gregorian).
inline unsigned days_in_month(int64_t year, unsigned month) noexcept {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace quilt::detail
