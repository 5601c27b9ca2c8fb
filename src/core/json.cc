// Json: construction, accessors, object editing and Python-style equality.

#include "quilt/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/json_internal.h"
#include "quilt/errors.h"

namespace quilt {
namespace {

using detail::JsonAccess;

const char* kind_name(Json::Kind kind) {
  switch (kind) {
    case Json::Kind::kNull:
      return "null";
    case Json::Kind::kBool:
      return "a boolean";
    case Json::Kind::kInt:
    case Json::Kind::kBigInt:
      return "an integer";
    case Json::Kind::kDouble:
      return "a float";
    case Json::Kind::kString:
      return "a string";
    case Json::Kind::kArray:
      return "an array";
    case Json::Kind::kObject:
      return "an object";
  }
  return "unknown";
}

[[noreturn]] void throw_kind(const Json& j, const char* wanted) {
  throw InvalidArgument(std::string("JSON value is ") + kind_name(j.kind()) + ", not " + wanted);
}

template <typename T>
T& get_or_throw(Json& j, const char* wanted) {
  T* p = std::get_if<T>(&JsonAccess::value(j));
  if (p == nullptr) throw_kind(j, wanted);
  return *p;
}

template <typename T>
const T& get_or_throw(const Json& j, const char* wanted) {
  const T* p = std::get_if<T>(&JsonAccess::value(j));
  if (p == nullptr) throw_kind(j, wanted);
  return *p;
}

constexpr uint64_t kInt64Max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
constexpr double kTwoTo63 = 9223372036854775808.0;

/// Python's int == float for an int64: exact, never through rounding.
bool int_equals_double(int64_t i, double d) noexcept {
  if (!std::isfinite(d) || d != std::trunc(d) || d < -kTwoTo63 || d >= kTwoTo63) return false;
  return static_cast<int64_t>(d) == i;
}

/// Python's int == float for an integer outside int64, compared digit by digit
/// with the exact decimal value of the (necessarily integral) double.
bool big_equals_double(const Json::BigInt& big, double d) noexcept {
  if (!std::isfinite(d) || std::fabs(d) < kTwoTo63) return false;
  char buf[400];
  const auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed, 0);
  return r.ec == std::errc() && std::string_view(buf, r.ptr - buf) == big.digits;
}

/// Python's == between numbers; bool counts as the int 0 or 1 (True == 1.0).
bool numbers_equal(const Json& a, const Json& b) noexcept {
  const auto& va = JsonAccess::value(a);
  const auto& vb = JsonAccess::value(b);
  if (a.kind() == Json::Kind::kBigInt || b.kind() == Json::Kind::kBigInt) {
    const bool a_big = a.kind() == Json::Kind::kBigInt;
    const auto& big = std::get<Json::BigInt>(a_big ? va : vb);
    const Json& other = a_big ? b : a;
    if (other.kind() == Json::Kind::kBigInt)
      return std::get<Json::BigInt>(JsonAccess::value(other)) == big;
    if (other.is_double())
      return big_equals_double(big, std::get<double>(JsonAccess::value(other)));
    return false;  // a BigInt lies outside int64, and so outside bool
  }
  auto as_int = [](const Json& j) -> int64_t {
    return j.is_bool() ? int64_t{std::get<bool>(JsonAccess::value(j))}
                       : std::get<int64_t>(JsonAccess::value(j));
  };
  if (a.is_double() && b.is_double()) return std::get<double>(va) == std::get<double>(vb);
  if (a.is_double()) return int_equals_double(as_int(b), std::get<double>(va));
  if (b.is_double()) return int_equals_double(as_int(a), std::get<double>(vb));
  return as_int(a) == as_int(b);
}

bool is_numeric(const Json& j) noexcept { return j.is_number() || j.is_bool(); }

bool is_nan(const Json& j) noexcept {
  return j.is_double() && std::isnan(std::get<double>(JsonAccess::value(j)));
}

/// Python compares the elements of lists and dicts with PyObject_RichCompareBool,
/// which holds an object equal to itself, and json.loads makes every NaN literal
/// the same float object: so NaN equals NaN inside containers, never at the top.
bool element_equal(const Json& x, const Json& y) noexcept {
  return (is_nan(x) && is_nan(y)) || x == y;
}

bool arrays_equal(const Json::Array& a, const Json::Array& b) noexcept {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), element_equal);
}

bool objects_equal(const Json::Object& a, const Json::Object& b) noexcept {
  if (a.size() != b.size()) return false;
  // Keys are unique, so same size and every member of `a` found equal in `b`
  // is dict equality. Past a few dozen members, compare sorted views instead.
  if (a.size() <= 32) {
    for (const auto& [key, value] : a) {
      auto it =
          std::find_if(b.begin(), b.end(), [&](const Json::Member& m) { return m.first == key; });
      if (it == b.end() || !element_equal(it->second, value)) return false;
    }
    return true;
  }
  auto sorted = [](const Json::Object& o) {
    std::vector<const Json::Member*> v;
    v.reserve(o.size());
    for (const auto& m : o) v.push_back(&m);
    std::sort(v.begin(), v.end(), [](auto* x, auto* y) { return x->first < y->first; });
    return v;
  };
  const auto sa = sorted(a);
  const auto sb = sorted(b);
  for (size_t i = 0; i < sa.size(); ++i) {
    if (sa[i]->first != sb[i]->first || !element_equal(sa[i]->second, sb[i]->second)) {
      return false;
    }
  }
  return true;
}

}  // namespace

Json::Json(uint64_t v) {
  if (v <= kInt64Max) {
    value_ = static_cast<int64_t>(v);
  } else {
    value_ = BigInt{std::to_string(v)};
  }
}

Json Json::integer(std::string_view text) {
  std::string_view digits = text;
  const bool negative = !digits.empty() && digits.front() == '-';
  if (negative) digits.remove_prefix(1);
  const bool all_digits =
      std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits.empty() || !all_digits) {
    throw InvalidArgument("not a decimal integer: '" + std::string(text.substr(0, 60)) +
                          (text.size() > 60 ? "...'" : "'"));
  }
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  if (digits.size() > detail::kMaxIntDigits) {
    throw InvalidArgument("integer has " + std::to_string(digits.size()) +
                          " digits, more than Python's limit of 4300");
  }
  if (digits.size() <= 19) {
    uint64_t u = 0;
    for (char c : digits) u = u * 10 + static_cast<unsigned>(c - '0');
    if (!negative && u <= kInt64Max) return Json(static_cast<int64_t>(u));
    if (negative && u <= kInt64Max + 1) return Json(static_cast<int64_t>(0 - u));
  }
  Json out;
  std::string& text_out = out.value_.emplace<BigInt>().digits;
  if (negative) text_out.push_back('-');
  text_out.append(digits);
  return out;
}

bool Json::as_bool() const { return get_or_throw<bool>(*this, "a boolean"); }

int64_t Json::as_int() const {
  if (kind() == Kind::kBigInt) {
    throw InvalidArgument("JSON integer " + std::get<BigInt>(value_).digits +
                          " does not fit in 64 bits");
  }
  return get_or_throw<int64_t>(*this, "an integer");
}

std::string Json::integer_text() const {
  if (kind() == Kind::kBigInt) return std::get<BigInt>(value_).digits;
  return std::to_string(get_or_throw<int64_t>(*this, "an integer"));
}

double Json::as_double() const {
  switch (kind()) {
    case Kind::kDouble:
      return std::get<double>(value_);
    case Kind::kInt:
      return static_cast<double>(std::get<int64_t>(value_));
    case Kind::kBigInt: {
      // Correctly rounded, as Python's float(int); too large is an error there too.
      const std::string& digits = std::get<BigInt>(value_).digits;
      double d = 0;
      const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), d);
      if (r.ec != std::errc()) {
        throw InvalidArgument("JSON integer with " + std::to_string(digits.size()) +
                              " digits is too large to convert to a float");
      }
      return d;
    }
    default:
      throw_kind(*this, "a number");
  }
}

const std::string& Json::as_string() const { return get_or_throw<std::string>(*this, "a string"); }
std::string& Json::as_string() { return get_or_throw<std::string>(*this, "a string"); }
const Json::Array& Json::as_array() const { return get_or_throw<Array>(*this, "an array"); }
Json::Array& Json::as_array() { return get_or_throw<Array>(*this, "an array"); }
const Json::Object& Json::as_object() const { return get_or_throw<Object>(*this, "an object"); }
Json::Object& Json::as_object() { return get_or_throw<Object>(*this, "an object"); }

const Json* Json::find(std::string_view key) const noexcept {
  const Object* obj = std::get_if<Object>(&value_);
  if (obj == nullptr) return nullptr;
  for (const auto& member : *obj) {
    if (member.first == key) return &member.second;
  }
  return nullptr;
}

Json* Json::find(std::string_view key) noexcept {
  return const_cast<Json*>(static_cast<const Json*>(this)->find(key));
}

Json& Json::set(std::string key, Json value) {
  if (is_null()) value_ = Object{};
  Object& obj = get_or_throw<Object>(*this, "an object (cannot set a member)");
  for (auto& member : obj) {
    if (member.first == key) {
      member.second = std::move(value);
      return member.second;
    }
  }
  return obj.emplace_back(std::move(key), std::move(value)).second;
}

bool Json::erase(std::string_view key) {
  Object* obj = std::get_if<Object>(&value_);
  if (obj == nullptr) return false;
  auto it = std::find_if(obj->begin(), obj->end(), [&](const Member& m) { return m.first == key; });
  if (it == obj->end()) return false;
  obj->erase(it);
  return true;
}

size_t Json::size() const noexcept {
  if (const Object* obj = std::get_if<Object>(&value_)) return obj->size();
  if (const Array* arr = std::get_if<Array>(&value_)) return arr->size();
  return 0;
}

bool operator==(const Json& a, const Json& b) noexcept {
  if (is_numeric(a) && is_numeric(b)) return numbers_equal(a, b);
  if (a.kind() != b.kind()) return false;
  const auto& va = JsonAccess::value(a);
  const auto& vb = JsonAccess::value(b);
  switch (a.kind()) {
    case Json::Kind::kNull:
      return true;
    case Json::Kind::kString:
      return std::get<std::string>(va) == std::get<std::string>(vb);
    case Json::Kind::kArray:
      return arrays_equal(std::get<Json::Array>(va), std::get<Json::Array>(vb));
    case Json::Kind::kObject:
      return objects_equal(std::get<Json::Object>(va), std::get<Json::Object>(vb));
    default:
      return false;  // numbers were handled above
  }
}

}  // namespace quilt
