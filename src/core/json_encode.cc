// The two encodings quilt3 produces with Python's json module:
//   dump_canonical: json.dumps(v, sort_keys=True, separators=(",", ":")) (ensure_ascii),
//                   the bytes the top hash is computed over;
//   dump_manifest:  json.dumps(v, ensure_ascii=False), the bytes of a manifest line;
//   dump_python:    json.dumps(v), the bytes quilt3's "json" format writes.

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "core/json_internal.h"
#include "quilt/errors.h"
#include "quilt/json.h"

namespace quilt {
namespace {

using detail::JsonAccess;

constexpr char kHexDigits[] = "0123456789abcdef";

/// Append `\uXXXX` with lowercase hex, as Python writes it.
inline void append_u_escape(std::string& out, uint32_t unit) {
  const char buf[6] = {'\\',
                       'u',
                       kHexDigits[(unit >> 12) & 0xF],
                       kHexDigits[(unit >> 8) & 0xF],
                       kHexDigits[(unit >> 4) & 0xF],
                       kHexDigits[unit & 0xF]};
  out.append(buf, 6);
}

/// Append the escape of an ASCII byte that JSON strings cannot hold raw (both
/// encodings agree on these: '"', '\\', the five short escapes, else \u00xx).
inline void append_ascii_escape(std::string& out, unsigned char c) {
  switch (c) {
    case '"':
      out.append("\\\"", 2);
      return;
    case '\\':
      out.append("\\\\", 2);
      return;
    case '\n':
      out.append("\\n", 2);
      return;
    case '\r':
      out.append("\\r", 2);
      return;
    case '\t':
      out.append("\\t", 2);
      return;
    case '\b':
      out.append("\\b", 2);
      return;
    case '\f':
      out.append("\\f", 2);
      return;
    default:
      append_u_escape(out, c);
  }
}

[[noreturn]] void throw_bad_utf8(std::string_view s, const char* at) {
  throw InvalidArgument("cannot encode a JSON string that is not valid UTF-8 (byte " +
                        std::to_string(at - s.data()) + " of a " + std::to_string(s.size()) +
                        "-byte string)");
}

/// Decode the WTF-8 sequence at q or throw; return its length.
inline int decode_or_throw(std::string_view s, const char* q, char32_t& cp) {
  const auto* u = reinterpret_cast<const unsigned char*>(q);
  const auto* end = reinterpret_cast<const unsigned char*>(s.data() + s.size());
  const int n = detail::decode_utf8(u, end, cp, true);
  if (n == 0) throw_bad_utf8(s, q);
  return n;
}

/// ensure_ascii: everything outside 0x20..0x7E is escaped; astral characters
/// as a UTF-16 surrogate pair.
void append_canonical_string_impl(std::string& out, std::string_view s) {
  out.reserve(out.size() + s.size() + 2);
  out.push_back('"');
  const char* const end = s.data() + s.size();
  const char* q = s.data();
  while (q < end) {
    const char* const special = detail::find_string_special<true>(q, end);
    out.append(q, special);
    if (special == end) break;
    q = special;
    const auto c = static_cast<unsigned char>(*q);
    if (c < 0x80) {
      append_ascii_escape(out, c);
      ++q;
      continue;
    }
    char32_t cp;
    q += decode_or_throw(s, q, cp);
    if (cp >= 0x10000) {
      append_u_escape(out, 0xD800 + ((cp - 0x10000) >> 10));
      append_u_escape(out, 0xDC00 + ((cp - 0x10000) & 0x3FF));
    } else {
      append_u_escape(out, cp);
    }
  }
  out.push_back('"');
}

/// ensure_ascii=False: only '"', '\\' and control characters are escaped;
/// everything else is written as UTF-8, except lone surrogates, which have no
/// UTF-8 form and are written as `\udxxx` escapes.
void append_manifest_string(std::string& out, std::string_view s) {
  out.reserve(out.size() + s.size() + 2);
  out.push_back('"');
  const char* const end = s.data() + s.size();
  const char* run = s.data();
  const char* q = run;
  while (q < end) {
    q = detail::find_string_special<false>(q, end);
    if (q == end) break;
    const auto c = static_cast<unsigned char>(*q);
    if (c >= 0x80) {
      char32_t cp;
      const int n = decode_or_throw(s, q, cp);
      if (cp < 0xD800 || cp > 0xDFFF) {
        q += n;  // valid UTF-8 stays in the run
        continue;
      }
      out.append(run, q);
      append_u_escape(out, cp);
      run = q += n;
      continue;
    }
    out.append(run, q);
    append_ascii_escape(out, c);
    run = ++q;
  }
  out.append(run, end);
  out.push_back('"');
}

inline void append_int(std::string& out, int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

/// Refuse what Json::parse would refuse to read back: containers nested more
/// than kMaxJsonDepth deep (this also keeps the recursion off the stack's end).
inline void check_depth(const Json& v, int depth) {
  if (depth >= detail::kMaxJsonDepth && (v.is_array() || v.is_object())) {
    throw InvalidArgument("cannot encode JSON nested deeper than " +
                          std::to_string(detail::kMaxJsonDepth) + " levels");
  }
}

/// Fill `order` with pointers to the members of `obj` sorted by key bytes,
/// which for UTF-8/WTF-8 is code-point order, as Python's sort_keys.
template <size_t kInline>
const Json::Member* const* sort_members(const Json::Object& obj,
                                        std::array<const Json::Member*, kInline>& inline_buf,
                                        std::unique_ptr<const Json::Member*[]>& heap_buf) {
  const size_t n = obj.size();
  const Json::Member** order = inline_buf.data();
  if (n > kInline) {
    heap_buf = std::make_unique<const Json::Member*[]>(n);
    order = heap_buf.get();
  }
  for (size_t i = 0; i < n; ++i) order[i] = &obj[i];
  // std::string's operator< compares as unsigned bytes (char_traits<char>).
  std::sort(order, order + n,
            [](const Json::Member* a, const Json::Member* b) { return a->first < b->first; });
  return order;
}

void write_canonical(std::string& out, const Json& v, int depth);

void write_canonical_object(std::string& out, const Json::Object& obj, int depth) {
  if (obj.empty()) {
    out.append("{}", 2);
    return;
  }
  std::array<const Json::Member*, 16> inline_buf;
  std::unique_ptr<const Json::Member*[]> heap_buf;
  const Json::Member* const* order = sort_members(obj, inline_buf, heap_buf);
  out.push_back('{');
  for (size_t i = 0; i < obj.size(); ++i) {
    if (i != 0) out.push_back(',');
    append_canonical_string_impl(out, order[i]->first);
    out.push_back(':');
    write_canonical(out, order[i]->second, depth + 1);
  }
  out.push_back('}');
}

void write_canonical(std::string& out, const Json& v, int depth) {
  check_depth(v, depth);
  const auto& value = JsonAccess::value(v);
  switch (v.kind()) {
    case Json::Kind::kNull:
      out.append("null", 4);
      return;
    case Json::Kind::kBool:
      std::get<bool>(value) ? out.append("true", 4) : out.append("false", 5);
      return;
    case Json::Kind::kInt:
      append_int(out, std::get<int64_t>(value));
      return;
    case Json::Kind::kBigInt:
      out += std::get<Json::BigInt>(value).digits;
      return;
    case Json::Kind::kDouble:
      append_python_float(out, std::get<double>(value));
      return;
    case Json::Kind::kString:
      append_canonical_string_impl(out, std::get<std::string>(value));
      return;
    case Json::Kind::kArray: {
      const auto& array = std::get<Json::Array>(value);
      out.push_back('[');
      for (size_t i = 0; i < array.size(); ++i) {
        if (i != 0) out.push_back(',');
        write_canonical(out, array[i], depth + 1);
      }
      out.push_back(']');
      return;
    }
    case Json::Kind::kObject:
      write_canonical_object(out, std::get<Json::Object>(value), depth);
      return;
  }
}

// How write_spaced differs between the two `", "`/`": "` encodings.
struct SpacedStyle {
  bool allow_nan = false;
  bool ensure_ascii = false;  // json.dumps' default; manifests use ensure_ascii=False
};

void write_spaced(std::string& out, const Json& v, int depth, SpacedStyle style);

void append_spaced_string(std::string& out, std::string_view s, SpacedStyle style) {
  style.ensure_ascii ? append_canonical_string_impl(out, s) : append_manifest_string(out, s);
}

void write_spaced_object(std::string& out, const Json::Object& obj, int depth, SpacedStyle style) {
  out.push_back('{');
  for (size_t i = 0; i < obj.size(); ++i) {
    if (i != 0) out.append(", ", 2);
    append_spaced_string(out, obj[i].first, style);
    out.append(": ", 2);
    write_spaced(out, obj[i].second, depth + 1, style);
  }
  out.push_back('}');
}

void write_spaced(std::string& out, const Json& v, int depth, SpacedStyle style) {
  check_depth(v, depth);
  const auto& value = JsonAccess::value(v);
  switch (v.kind()) {
    case Json::Kind::kDouble: {
      const double d = std::get<double>(value);
      if (!std::isfinite(d) && !style.allow_nan) {
        throw InvalidArgument("cannot write " + std::string(std::isnan(d) ? "NaN" : "Infinity") +
                              " into a manifest: quilt3 writes JSON without NaN or Infinity");
      }
      append_python_float(out, d);
      return;
    }
    case Json::Kind::kString:
      append_spaced_string(out, std::get<std::string>(value), style);
      return;
    case Json::Kind::kArray: {
      const auto& array = std::get<Json::Array>(value);
      out.push_back('[');
      for (size_t i = 0; i < array.size(); ++i) {
        if (i != 0) out.append(", ", 2);
        write_spaced(out, array[i], depth + 1, style);
      }
      out.push_back(']');
      return;
    }
    case Json::Kind::kObject:
      write_spaced_object(out, std::get<Json::Object>(value), depth, style);
      return;
    default:
      write_canonical(out, v, depth);  // null, bools and integers print the same
  }
}

/// Run `write` appending to `out`; if it throws, leave `out` as it was.
template <typename Write>
void append_or_restore(std::string& out, Write write) {
  const size_t size = out.size();
  try {
    write();
  } catch (...) {
    out.resize(size);
    throw;
  }
}

}  // namespace

void detail::append_canonical_string(std::string& out, std::string_view s) {
  append_canonical_string_impl(out, s);
}

void append_python_float(std::string& out, double d) {
  if (std::isnan(d)) {
    out.append("NaN", 3);
    return;
  }
  if (std::isinf(d)) {
    d > 0 ? out.append("Infinity", 8) : out.append("-Infinity", 9);
    return;
  }
  if (d == 0) {
    std::signbit(d) ? out.append("-0.0", 4) : out.append("0.0", 3);
    return;
  }
  // Shortest round-trip digits in scientific form, e.g. "-1.2345e+02"; this is
  // already repr's spelling when repr uses exponent form.
  char buf[32];
  const char* const sci = buf;
  const char* const sci_end =
      std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific).ptr;
  const char* const e_pos = std::find(sci, sci_end, 'e');
  int exponent = 0;
  std::from_chars(e_pos + (e_pos[1] == '+' ? 2 : 1), sci_end, exponent);
  if (exponent < -4 || exponent >= 16) {
    out.append(sci, sci_end);
    return;
  }
  // Positional: at least one digit after the point ("100.0", "0.0001").
  const char* p = sci;
  if (*p == '-') out.push_back(*p++);
  char digits[20];
  size_t n = 0;
  for (; p < e_pos; ++p) {
    if (*p != '.') digits[n++] = *p;
  }
  const int point = exponent + 1;  // digits before the decimal point
  if (point <= 0) {
    out.append("0.", 2);
    out.append(static_cast<size_t>(-point), '0');
    out.append(digits, n);
  } else if (static_cast<size_t>(point) < n) {
    out.append(digits, static_cast<size_t>(point));
    out.push_back('.');
    out.append(digits + point, n - static_cast<size_t>(point));
  } else {
    out.append(digits, n);
    out.append(static_cast<size_t>(point) - n, '0');
    out.append(".0", 2);
  }
}

void Json::dump_canonical(std::string& out) const {
  append_or_restore(out, [&] { write_canonical(out, *this, 0); });
}

std::string Json::canonical() const {
  std::string out;
  write_canonical(out, *this, 0);
  return out;
}

void Json::dump_manifest(std::string& out, bool allow_nan) const {
  append_or_restore(out, [&] { write_spaced(out, *this, 0, {.allow_nan = allow_nan}); });
}

std::string Json::manifest_text() const {
  std::string out;
  write_spaced(out, *this, 0, {});
  return out;
}

void Json::dump_python(std::string& out) const {
  append_or_restore(out, [&] {
    write_spaced(out, *this, 0, {.allow_nan = true, .ensure_ascii = true});
  });
}

}  // namespace quilt
