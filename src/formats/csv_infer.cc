// CSV column types: decide each column's type from all its fields, as pandas'
// read_csv does (bool, then integers, then floats; plus ISO-8601 timestamps,
// which pandas leaves as text unless asked), then parse the values.
#include <charconv>
#include <cmath>
#include <memory>

#include "formats/csv_fields.h"
#include "formats/csv_internal.h"

namespace quilt::detail {

NullSet::NullSet(const std::vector<std::string>& values) : values_(values) {
  for (const std::string& v : values_) {
    if (v.size() >= 64) {
      has_long_ = true;
    } else {
      length_mask_ |= uint64_t{1} << v.size();
    }
    if (!v.empty()) first_[static_cast<uint8_t>(v[0])] = true;
  }
}

namespace {

// pandas parses numbers with surrounding spaces (" 1", "1.5 ").
std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// from_chars takes no '+'; pandas does ("+1").
std::string_view drop_plus(std::string_view s) {
  if (s.size() > 1 && s[0] == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1);
  return s;
}

template <class T>
bool parse_integer(std::string_view s, T& value) {
  s = drop_plus(trim_spaces(s));
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), value);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool looks_integer(std::string_view s) {
  s = trim_spaces(s);
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool parse_double(std::string_view s, double& value) {
  s = drop_plus(trim_spaces(s));
  if (s.empty()) return false;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), value);
  // An out-of-range literal ("1e999") is a number to pandas too: +-inf or 0.
  if (r.ec == std::errc::result_out_of_range && r.ptr == s.data() + s.size()) {
    const bool tiny =
        s.find_first_of("eE") != std::string_view::npos && s[s.find_first_of("eE") + 1] == '-';
    value = tiny ? 0.0 : (s[0] == '-' ? -HUGE_VAL : HUGE_VAL);
    if (tiny && s[0] == '-') value = -0.0;
    return true;
  }
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_bool(std::string_view s, bool& value) {
  if (s == "True" || s == "true" || s == "TRUE") {
    value = true;
    return true;
  }
  if (s == "False" || s == "false" || s == "FALSE") {
    value = false;
    return true;
  }
  return false;
}

// Read exactly `n` digits at `s[at]`.
bool digits(std::string_view s, size_t at, size_t n, int64_t& value) {
  if (at + n > s.size()) return false;
  value = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    value = value * 10 + (s[i] - '0');
  }
  return true;
}

// Parse "Z", "+HH:MM", "+HHMM" or "+HH" (the rest of `s` from `at`).
bool parse_offset(std::string_view s, size_t at, int64_t& seconds) {
  const std::string_view z = s.substr(at);
  if (z == "Z") {
    seconds = 0;
    return true;
  }
  if (z.size() < 3 || (z[0] != '+' && z[0] != '-')) return false;
  int64_t h = 0;
  int64_t m = 0;
  if (!digits(z, 1, 2, h)) return false;
  if (z.size() == 6   ? z[3] != ':' || !digits(z, 4, 2, m)
      : z.size() == 5 ? !digits(z, 3, 2, m)
                      : z.size() != 3) {
    return false;
  }
  if (h > 23 || m > 59) return false;
  seconds = (z[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
  return true;
}

}  // namespace

bool parse_timestamp(std::string_view s, int64_t& ns, bool& zoned) noexcept {
  int64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, fraction = 0;
  if (s.size() < 10 || !digits(s, 0, 4, year) || s[4] != '-' || !digits(s, 5, 2, month) ||
      s[7] != '-' || !digits(s, 8, 2, day)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 ||
      day > days_in_month(year, static_cast<unsigned>(month))) {
    return false;
  }
  size_t at = 10;
  int64_t offset = 0;
  zoned = false;
  if (at < s.size()) {
    if ((s[at] != 'T' && s[at] != ' ') || !digits(s, at + 1, 2, hour) || s.size() < at + 9 ||
        s[at + 3] != ':' || !digits(s, at + 4, 2, minute) || s[at + 6] != ':' ||
        !digits(s, at + 7, 2, second)) {
      return false;
    }
    if (hour > 23 || minute > 59 || second > 59) return false;
    at += 9;
    if (at < s.size() && s[at] == '.') {
      size_t n = 0;
      while (at + 1 + n < s.size() && s[at + 1 + n] >= '0' && s[at + 1 + n] <= '9') {
        if (++n > 9) return false;
        fraction = fraction * 10 + (s[at + n] - '0');
      }
      if (n == 0) return false;
      for (size_t i = n; i < 9; ++i) fraction *= 10;
      at += 1 + n;
    }
    if (at < s.size()) {
      if (!parse_offset(s, at, offset)) return false;
      zoned = true;
    }
  }
  const int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset;
  int64_t scaled = 0;
  if (__builtin_mul_overflow(secs, int64_t{1000000000}, &scaled) ||
      __builtin_add_overflow(scaled, fraction, &ns)) {
    return false;
  }
  return true;
}

namespace {

// Which types every non-null field seen so far fits.
struct Candidates {
  bool is_bool = true;
  bool is_int = true;
  bool is_uint = true;
  bool is_float = true;
  bool is_naive = true;  // timestamps without offsets
  bool is_zoned = true;  // timestamps with offsets
  // Every value is written as an integer (some may fit neither int64 nor
  // uint64: pandas then keeps the column as text, not float).
  bool integer_text = true;
  bool any() const { return is_bool || is_int || is_uint || is_float || is_naive || is_zoned; }

  void see(std::string_view s) {
    bool b;
    int64_t i;
    uint64_t u;
    double d;
    if (is_bool && !parse_bool(s, b)) is_bool = false;
    if (is_int || is_uint) {
      // uint64 is for integers past int64's max only: a negative one rules it out.
      if (parse_integer(s, i)) {
        if (i < 0) is_uint = false;
      } else {
        is_int = false;
        if (is_uint && !parse_integer(s, u)) is_uint = false;
      }
    }
    if (integer_text && !is_int && !is_uint && !looks_integer(s)) integer_text = false;
    // Integers are floats too, so only a field that is neither needs the look.
    if (is_float && !is_int && !is_uint && !parse_double(s, d)) is_float = false;
    if (is_naive || is_zoned) {
      bool zoned = false;
      if (!parse_timestamp(s, i, zoned)) {
        is_naive = is_zoned = false;
      } else {
        (zoned ? is_naive : is_zoned) = false;
      }
    }
  }
};

struct Validity {
  std::vector<uint8_t> bits;
  int64_t nulls = 0;
};

Validity find_nulls(const FieldColumn& f, const NullSet& nulls) {
  Validity v;
  const size_t n = f.size();
  v.bits.assign((n + 7) / 8, 0);
  for (size_t i = 0; i < n; ++i) {
    if (nulls.contains(f.at(i))) {
      ++v.nulls;
    } else {
      v.bits[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
    }
  }
  return v;
}

bool valid(const Validity& v, size_t i) { return (v.bits[i >> 3] >> (i & 7)) & 1; }

ColumnBuffers buffers_with(Validity v, Buffer values) {
  ColumnBuffers b;
  b.values = std::move(values);
  if (v.nulls > 0) {
    b.validity = Buffer::from_vector(std::move(v.bits));
    b.null_count = v.nulls;
  }
  return b;
}

template <class T, class Parse>
Column build_fixed(const FieldColumn& f, Validity v, DataType type, Parse parse) {
  // Not zero-filled: every slot is written below (nulls as 0).
  std::shared_ptr<T[]> values = std::make_unique_for_overwrite<T[]>(f.size());
  for (size_t i = 0; i < f.size(); ++i) {
    values[i] = T{};
    if (valid(v, i)) parse(f.at(i), values[i]);
  }
  const int64_t n = static_cast<int64_t>(f.size());
  Buffer buffer(values.get(), f.size() * sizeof(T), values);
  return Column::make(f.name, std::move(type), n, buffers_with(std::move(v), std::move(buffer)));
}

Column build_bools(const FieldColumn& f, Validity v) {
  std::vector<uint8_t> bits((f.size() + 7) / 8, 0);
  for (size_t i = 0; i < f.size(); ++i) {
    bool b = false;
    if (valid(v, i) && parse_bool(f.at(i), b) && b)
      bits[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
  }
  const int64_t n = static_cast<int64_t>(f.size());
  return Column::make(f.name, DataType::boolean(), n,
                      buffers_with(std::move(v), Buffer::from_vector(std::move(bits))));
}

Column build_string_column(FieldColumn f, Validity v) {
  // Null slots hold no bytes (string_at of a null is empty).
  if (v.nulls > 0 && f.offsets.back() != 0) {
    ByteBuilder text;
    text.reserve(f.text.size());
    std::vector<int32_t> offsets{0};
    offsets.reserve(f.offsets.size());
    for (size_t i = 0; i < f.size(); ++i) {
      if (valid(v, i)) text.append(f.at(i));
      offsets.push_back(static_cast<int32_t>(text.size()));
    }
    f.text = std::move(text);
    f.offsets = std::move(offsets);
  }
  const int64_t n = static_cast<int64_t>(f.size());
  ColumnBuffers b = buffers_with(std::move(v), Buffer::from_vector(std::move(f.offsets)));
  b.data = f.text.finish();
  return Column::make(std::move(f.name), DataType::string(), n, std::move(b));
}

}  // namespace

Column build_strings(FieldColumn fields, const NullSet& nulls) {
  Validity v = find_nulls(fields, nulls);
  return build_string_column(std::move(fields), std::move(v));
}

Column build_inferred(FieldColumn f, const NullSet& nulls) {
  Validity v = find_nulls(f, nulls);
  if (f.size() == 0) return build_string_column(std::move(f), std::move(v));
  if (v.nulls == static_cast<int64_t>(f.size())) {
    return Column::make(
        f.name, DataType::float64(), v.nulls,
        buffers_with(std::move(v), Buffer::from_vector(std::vector<double>(f.size(), NAN))));
  }
  Candidates c;
  for (size_t i = 0; i < f.size() && c.any(); ++i) {
    if (valid(v, i)) c.see(f.at(i));
  }
  if (c.is_bool) return build_bools(f, std::move(v));
  if (c.is_int) {
    return build_fixed<int64_t>(f, std::move(v), DataType::int64(),
                                [](std::string_view s, int64_t& x) { parse_integer(s, x); });
  }
  if (c.is_uint) {
    return build_fixed<uint64_t>(f, std::move(v), DataType::uint64(),
                                 [](std::string_view s, uint64_t& x) { parse_integer(s, x); });
  }
  if (c.is_float && !c.integer_text) {
    return build_fixed<double>(f, std::move(v), DataType::float64(),
                               [](std::string_view s, double& x) { parse_double(s, x); });
  }
  if (c.is_naive || c.is_zoned) {
    const DataType type = DataType::timestamp(TimeUnit::kNano, c.is_zoned ? "UTC" : "");
    return build_fixed<int64_t>(f, std::move(v), type, [](std::string_view s, int64_t& x) {
      bool zoned;
      parse_timestamp(s, x, zoned);
    });
  }
  return build_string_column(std::move(f), std::move(v));
}

}  // namespace quilt::detail
