#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace quilt {

namespace detail {
struct JsonAccess;  // gives the parser and encoders (src/core/json_*.cc) the variant
}  // namespace detail

/// A JSON value that keeps exactly what Python's `json.loads` keeps, so that
/// metadata read from a quilt3 manifest re-encodes to the same bytes and the
/// same top hash:
///   - integers of any size (an int64 when it fits, else the decimal digits);
///   - floats as doubles (`1e400` becomes Infinity; NaN and +-Infinity allowed);
///   - strings as code-point sequences, stored as WTF-8: UTF-8 in which a lone
///     surrogate (U+D800..U+DFFF, reachable only through a `\u` escape) is
///     encoded as its three-byte form. Byte order of WTF-8 is code-point order;
///   - objects in insertion order; a duplicate key keeps its first position
///     and takes the last value, as a Python dict does.
///
/// A Json is a plain value: copyable, movable, not thread-safe for mutation.
class Json {
 public:
  enum class Kind : uint8_t { kNull, kBool, kInt, kBigInt, kDouble, kString, kArray, kObject };

  using Array = std::vector<Json>;
  using Member = std::pair<std::string, Json>;
  /// Members in insertion order; keys are unique.
  using Object = std::vector<Member>;

  /// The decimal digits of an integer outside int64 (optional '-', no leading zeros).
  struct BigInt {
    std::string digits;
    bool operator==(const BigInt&) const = default;
  };

  Json() noexcept = default;  // null
  Json(std::nullptr_t) noexcept {}
  Json(bool b) noexcept : value_(b) {}
  Json(int v) noexcept : value_(int64_t{v}) {}
  Json(int64_t v) noexcept : value_(v) {}
  Json(uint64_t v);
  Json(double v) noexcept : value_(v) {}
  Json(std::string s) noexcept : value_(std::move(s)) {}
  Json(std::string_view s) : value_(std::string(s)) {}
  Json(const char* s) : value_(std::string(s)) {}
  Json(Array a) noexcept : value_(std::move(a)) {}
  Json(Object o) noexcept : value_(std::move(o)) {}

  /// Return an integer from its decimal text (optional '-'); kept as int64 when it fits.
  /// Throws InvalidArgument when `digits` is not an integer.
  static Json integer(std::string_view digits);
  static Json array() { return Json(Array{}); }
  static Json object() { return Json(Object{}); }

  /// Parse one JSON text with Python `json.loads` semantics (see the class
  /// comment). Surrounding whitespace (space, tab, CR, LF) is allowed; anything
  /// else after the value is an error. Throws Corrupt naming the byte offset
  /// and the problem: invalid UTF-8, a byte-order mark, an integer literal over
  /// Python's 4300-digit limit, or arrays/objects nested over 1000 deep.
  static Json parse(std::string_view text);

  Kind kind() const noexcept { return static_cast<Kind>(value_.index()); }
  bool is_null() const noexcept { return kind() == Kind::kNull; }
  bool is_bool() const noexcept { return kind() == Kind::kBool; }
  /// True for integers of any size.
  bool is_integer() const noexcept { return kind() == Kind::kInt || kind() == Kind::kBigInt; }
  bool is_double() const noexcept { return kind() == Kind::kDouble; }
  bool is_number() const noexcept { return is_integer() || is_double(); }
  bool is_string() const noexcept { return kind() == Kind::kString; }
  bool is_array() const noexcept { return kind() == Kind::kArray; }
  bool is_object() const noexcept { return kind() == Kind::kObject; }

  // Accessors: REQUIRES the matching kind; otherwise they throw InvalidArgument.
  bool as_bool() const;
  /// Return the integer when it fits int64.
  int64_t as_int() const;
  /// Return the decimal text of an integer of any size.
  std::string integer_text() const;
  double as_double() const;  // integers convert
  const std::string& as_string() const;
  std::string& as_string();
  const Array& as_array() const;
  Array& as_array();
  const Object& as_object() const;
  Object& as_object();

  /// Return the member named `key`, or nullptr (also when this is not an object).
  const Json* find(std::string_view key) const noexcept;
  Json* find(std::string_view key) noexcept;
  /// Set `key` to `value` as a Python dict does (replace in place, else append).
  /// REQUIRES: this is an object (null becomes an empty object first).
  Json& set(std::string key, Json value);
  /// Remove `key`; return whether it was there.
  bool erase(std::string_view key);
  /// Object member count or array length; 0 for scalars.
  size_t size() const noexcept;
  /// True for an empty object or array (Python truthiness of containers).
  bool empty() const noexcept { return size() == 0; }

  /// Append the encoding of Python's
  /// `json.dumps(v, sort_keys=True, separators=(",", ":"))` (ensure_ascii) to out:
  /// the canonical form the top hash is computed over.
  /// Both encoders throw InvalidArgument, leaving `out` as it was, for a string
  /// that is not UTF-8/WTF-8 or arrays/objects nested over 1000 deep.
  void dump_canonical(std::string& out) const;
  std::string canonical() const;

  /// Append the encoding quilt3 writes into manifests: `json.dumps(v,
  /// ensure_ascii=False)` with `", "` and `": "` separators, insertion order.
  /// A lone surrogate is written as a `\uXXXX` escape (it has no UTF-8 form).
  /// Throws InvalidArgument for NaN or Infinity, which quilt3 refuses to write,
  /// unless `allow_nan` (then they print as Python prints them: NaN, Infinity).
  void dump_manifest(std::string& out, bool allow_nan = false) const;
  std::string manifest_text() const;
  /// Append what Python's `json.dumps(v)` writes with its defaults: `", "` and
  /// `": "` separators, insertion order, ensure_ascii (as dump_canonical
  /// escapes), NaN and Infinity printed as Python prints them. quilt3's "json"
  /// format serializes with it. Throws as dump_canonical.
  void dump_python(std::string& out) const;

  /// Equality as Python's `==` on the values json.loads makes: numbers compare
  /// exactly across int, float and bool (1 == 1.0 == true), objects ignore order.
  /// NaN is not equal to NaN, except as an element of an array or object: there
  /// Python's identity shortcut applies to the one NaN object json.loads shares.
  friend bool operator==(const Json& a, const Json& b) noexcept;

 private:
  friend struct detail::JsonAccess;
  std::variant<std::monostate, bool, int64_t, BigInt, double, std::string, Array, Object> value_;
};

/// Append `d` as Python's `repr(float)` would print it (shortest round-trip
/// digits; exponent form below 1e-4 and from 1e16; `NaN`, `Infinity`, `-Infinity`).
void append_python_float(std::string& out, double d);

}  // namespace quilt
