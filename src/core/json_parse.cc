// Json::parse: a recursive-descent parser with the semantics of CPython's
// C-accelerated `json.loads` (strict=True), over UTF-8 input.

#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_internal.h"
#include "quilt/errors.h"
#include "quilt/json.h"

namespace quilt {
namespace {

using detail::JsonAccess;
using detail::kMaxJsonDepth;

/// Containers are parsed into these per-thread stacks and then moved, once,
/// into a vector of exactly the right size. Stacks that grew past the limit
/// are released after the parse so that one huge document does not pin memory.
struct ScratchStacks {
  std::vector<Json::Member> members;
  std::vector<Json> values;
};
thread_local ScratchStacks t_scratch;
constexpr size_t kScratchKeep = 4096;

inline bool is_digit(char c) { return static_cast<unsigned char>(c - '0') < 10; }

inline bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Return the value of the 4 hex digits at p (REQUIRES 4 readable bytes), or -1.
inline int32_t hex4(const char* p) {
  int32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    const int h = hex_value(p[i]);
    if (h < 0) return -1;
    v = (v << 4) | h;
  }
  return v;
}

/// Finds duplicate keys among the members of one object being parsed. Small
/// objects are searched linearly; from kLinearLimit members on, an
/// open-addressing table of member positions takes over.
class KeyIndex {
 public:
  static constexpr size_t kLinearLimit = 16;

  KeyIndex(const std::vector<Json::Member>& stack, size_t base) : stack_(stack), base_(base) {}

  /// Return the stack position of a member named `key`, or SIZE_MAX. Call
  /// `added()` after pushing a new member.
  size_t find(std::string_view key) {
    const size_t n = stack_.size() - base_;
    if (n < kLinearLimit) {
      for (size_t i = base_; i < stack_.size(); ++i) {
        if (stack_[i].first == key) return i;
      }
      return SIZE_MAX;
    }
    if (slots_.empty()) rebuild(64);
    for (size_t s = hash(key) & mask_;; s = (s + 1) & mask_) {
      if (slots_[s] == 0) return SIZE_MAX;
      const size_t pos = base_ + slots_[s] - 1;
      if (stack_[pos].first == key) return pos;
    }
  }

  void added() {
    if (slots_.empty()) return;
    const size_t n = stack_.size() - base_;
    if (n * 2 > slots_.size()) {
      rebuild(slots_.size() * 2);
    } else {
      insert(n - 1);
    }
  }

 private:
  static size_t hash(std::string_view key) { return std::hash<std::string_view>{}(key); }

  void insert(size_t index) {
    size_t s = hash(stack_[base_ + index].first) & mask_;
    while (slots_[s] != 0) s = (s + 1) & mask_;
    slots_[s] = index + 1;
  }

  void rebuild(size_t capacity) {
    slots_.assign(capacity, 0);
    mask_ = capacity - 1;
    for (size_t i = 0; i < stack_.size() - base_; ++i) insert(i);
  }

  const std::vector<Json::Member>& stack_;
  size_t base_;
  std::vector<size_t> slots_;  // member index + 1; 0 = empty
  size_t mask_ = 0;
};

class Parser {
 public:
  explicit Parser(std::string_view text)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()) {}

  ~Parser() {
    // After an exception the stacks hold the partial containers: drop them.
    auto& s = t_scratch;
    s.members.clear();
    s.values.clear();
    if (s.members.capacity() > kScratchKeep) s.members = {};
    if (s.values.capacity() > kScratchKeep) s.values = {};
  }

  /// The cursor's entry points: parse one value (or one string) at the start
  /// of the text, after whitespace, and return the bytes consumed.
  size_t parse_prefix_value(Json& out) {
    skip_ws();
    parse_value(out, 0);
    return static_cast<size_t>(p_ - begin_);
  }
  size_t parse_prefix_string(std::string& out) {
    skip_ws();
    if (p_ == end_ || *p_ != '"') fail(p_, "expected a string");
    ++p_;
    out = parse_string();
    return static_cast<size_t>(p_ - begin_);
  }

  Json parse_document() {
    Json out;
    skip_ws();
    parse_value(out, 0);
    skip_ws();
    if (p_ != end_) fail(p_, "unexpected data after the JSON value");
    return out;
  }

 private:
  [[noreturn]] void fail(const char* at, std::string_view what) const {
    throw Corrupt("invalid JSON at byte " + std::to_string(at - begin_) + ": " + std::string(what));
  }

  void skip_ws() {
    while (p_ < end_ && is_ws(*p_)) ++p_;
  }

  bool consume_literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size()) return false;
    if (std::memcmp(p_, word.data(), word.size()) != 0) return false;
    p_ += word.size();
    return true;
  }

  void parse_value(Json& out, int depth);
  void parse_literal(Json& out);
  [[noreturn]] void fail_unexpected();
  void parse_object(Json& out, int depth);
  void parse_array(Json& out, int depth);
  std::string parse_string();
  void parse_string_slow(std::string& out, const char* q);
  const char* parse_escape(const char* q, std::string& out);
  void parse_number(Json& out);
  void parse_integer(Json& out, const char* start, const char* digits, const char* stop);
  void parse_float(Json& out, const char* start, const char* stop);

  const char* begin_;
  const char* p_;
  const char* end_;
};

void Parser::parse_value(Json& out, int depth) {
  if (p_ == end_) fail(p_, "expected a value, found the end of the input");
  switch (*p_) {
    case '{':
      parse_object(out, depth);
      return;
    case '[':
      parse_array(out, depth);
      return;
    case '"':
      ++p_;
      JsonAccess::value(out).emplace<std::string>(parse_string());
      return;
    case '-':
      parse_number(out);
      return;
    default:
      if (is_digit(*p_)) {
        parse_number(out);
      } else {
        parse_literal(out);
      }
  }
}

void Parser::parse_literal(Json& out) {
  auto& v = JsonAccess::value(out);
  if (consume_literal("true")) {
    v = true;
  } else if (consume_literal("false")) {
    v = false;
  } else if (consume_literal("null")) {
    v = std::monostate{};
  } else if (consume_literal("NaN")) {
    v = std::numeric_limits<double>::quiet_NaN();
  } else if (consume_literal("Infinity")) {
    v = std::numeric_limits<double>::infinity();
  } else {
    fail_unexpected();
  }
}

void Parser::fail_unexpected() {
  const auto c = static_cast<unsigned char>(*p_);
  if (c >= 0x80) {
    char32_t cp;
    const auto* u = reinterpret_cast<const unsigned char*>(p_);
    if (detail::decode_utf8(u, u + (end_ - p_), cp, false) == 0) fail(p_, "invalid UTF-8");
  }
  if (c < 0x20 || c >= 0x7F) fail(p_, "expected a value");
  fail(p_, std::string("expected a value, found '") + static_cast<char>(c) + "'");
}

void Parser::parse_object(Json& out, int depth) {
  if (depth >= kMaxJsonDepth) fail(p_, "nested deeper than 1000 levels");
  ++p_;
  skip_ws();
  if (p_ < end_ && *p_ == '}') {
    ++p_;
    JsonAccess::value(out) = Json::Object{};
    return;
  }
  auto& stack = t_scratch.members;
  const size_t base = stack.size();
  KeyIndex index(stack, base);
  for (;;) {
    if (p_ == end_ || *p_ != '"') fail(p_, "expected '\"' to start an object key");
    ++p_;
    std::string key = parse_string();
    skip_ws();
    if (p_ == end_ || *p_ != ':') fail(p_, "expected ':' after object key");
    ++p_;
    skip_ws();
    Json value;
    parse_value(value, depth + 1);
    // A duplicate key keeps its first position and takes the last value (Python dict).
    if (const size_t dup = index.find(key); dup != SIZE_MAX) {
      stack[dup].second = std::move(value);
    } else {
      stack.emplace_back(std::move(key), std::move(value));
      index.added();
    }
    skip_ws();
    if (p_ < end_ && *p_ == ',') {
      ++p_;
      skip_ws();
      continue;
    }
    if (p_ < end_ && *p_ == '}') break;
    fail(p_, "expected ',' or '}' after object member");
  }
  ++p_;
  const auto first = stack.begin() + static_cast<ptrdiff_t>(base);
  JsonAccess::value(out) =
      Json::Object(std::make_move_iterator(first), std::make_move_iterator(stack.end()));
  stack.erase(first, stack.end());
}

void Parser::parse_array(Json& out, int depth) {
  if (depth >= kMaxJsonDepth) fail(p_, "nested deeper than 1000 levels");
  ++p_;
  skip_ws();
  if (p_ < end_ && *p_ == ']') {
    ++p_;
    JsonAccess::value(out) = Json::Array{};
    return;
  }
  auto& stack = t_scratch.values;
  const size_t base = stack.size();
  for (;;) {
    // Not into stack.emplace_back(): nested arrays grow the stack under us.
    Json value;
    parse_value(value, depth + 1);
    stack.push_back(std::move(value));
    skip_ws();
    if (p_ < end_ && *p_ == ',') {
      ++p_;
      skip_ws();
      continue;
    }
    if (p_ < end_ && *p_ == ']') break;
    fail(p_, "expected ',' or ']' after array element");
  }
  ++p_;
  const auto first = stack.begin() + static_cast<ptrdiff_t>(base);
  JsonAccess::value(out) =
      Json::Array(std::make_move_iterator(first), std::make_move_iterator(stack.end()));
  stack.erase(first, stack.end());
}

// p_ is just past the opening quote. Most strings hold no escape and no
// non-ASCII byte: they are found by one scan and built in one allocation.
std::string Parser::parse_string() {
  const char* q = detail::find_string_special<false>(p_, end_);
  if (q < end_ && *q == '"') {
    std::string out(p_, q);
    p_ = q + 1;
    return out;
  }
  std::string out;
  parse_string_slow(out, q);
  return out;
}

// The general case, resumed at q: non-ASCII bytes are validated in place and
// stay in the current run; escapes end the run.
void Parser::parse_string_slow(std::string& out, const char* q) {
  const char* const open = p_ - 1;
  const char* run = p_;
  for (;; q = detail::find_string_special<false>(q, end_)) {
    if (q == end_) fail(open, "unterminated string");
    const auto c = static_cast<unsigned char>(*q);
    if (c == '"') break;
    if (c >= 0x80) {
      char32_t cp;
      const auto* u = reinterpret_cast<const unsigned char*>(q);
      const int n = detail::decode_utf8(u, u + (end_ - q), cp, false);
      if (n == 0) fail(q, "invalid UTF-8");
      q += n;
    } else if (c == '\\') {
      out.append(run, q);
      q = parse_escape(q, out);
      run = q;
    } else {
      fail(q, "invalid control character in string (it must be escaped)");
    }
  }
  out.append(run, q);
  p_ = q + 1;
}

// q is at a backslash; append the escaped character and return what follows it.
const char* Parser::parse_escape(const char* q, std::string& out) {
  if (end_ - q < 2) fail(q, "unterminated string");
  switch (q[1]) {
    case '"':
      out.push_back('"');
      return q + 2;
    case '\\':
      out.push_back('\\');
      return q + 2;
    case '/':
      out.push_back('/');
      return q + 2;
    case 'b':
      out.push_back('\b');
      return q + 2;
    case 'f':
      out.push_back('\f');
      return q + 2;
    case 'n':
      out.push_back('\n');
      return q + 2;
    case 'r':
      out.push_back('\r');
      return q + 2;
    case 't':
      out.push_back('\t');
      return q + 2;
    case 'u':
      break;
    default:
      fail(q, "invalid escape in string");
  }
  const int32_t cp = end_ - q >= 6 ? hex4(q + 2) : -1;
  if (cp < 0) fail(q, "invalid \\uXXXX escape");
  // A high surrogate escape followed by a low one is one astral character; any
  // other surrogate escape stays a lone surrogate, kept in its WTF-8 form.
  if (cp >= 0xD800 && cp <= 0xDBFF && end_ - q >= 12 && q[6] == '\\' && q[7] == 'u') {
    const int32_t low = hex4(q + 8);
    if (low >= 0xDC00 && low <= 0xDFFF) {
      detail::append_utf8(out, 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00));
      return q + 12;
    }
  }
  detail::append_utf8(out, static_cast<char32_t>(cp));
  return q + 6;
}

void Parser::parse_number(Json& out) {
  const char* const start = p_;
  const char* q = p_;
  if (*q == '-') {
    ++q;
    if (q < end_ && *q == 'I') {
      if (!consume_literal("-Infinity")) fail(start, "expected a value");
      JsonAccess::value(out) = -std::numeric_limits<double>::infinity();
      return;
    }
    if (q == end_ || !is_digit(*q)) fail(start, "expected a digit after '-'");
  }
  const char* const digits = q;
  if (*q == '0') {
    ++q;
    if (q < end_ && is_digit(*q)) fail(digits, "leading zeros are not allowed in numbers");
  } else {
    while (q < end_ && is_digit(*q)) ++q;
  }
  const char* const int_end = q;
  if (q < end_ && *q == '.') {
    ++q;
    if (q == end_ || !is_digit(*q)) fail(q, "expected a digit after the decimal point");
    while (q < end_ && is_digit(*q)) ++q;
  }
  if (q < end_ && (*q == 'e' || *q == 'E')) {
    ++q;
    if (q < end_ && (*q == '+' || *q == '-')) ++q;
    if (q == end_ || !is_digit(*q)) fail(q, "expected a digit in the exponent");
    while (q < end_ && is_digit(*q)) ++q;
  }
  p_ = q;
  if (q == int_end) {
    parse_integer(out, start, digits, q);
  } else {
    parse_float(out, start, q);
  }
}

void Parser::parse_integer(Json& out, const char* start, const char* digits, const char* stop) {
  const size_t n = static_cast<size_t>(stop - digits);
  const bool negative = digits != start;
  if (n <= 19) {
    // 19 digits always fit a uint64; then check the int64 range.
    uint64_t u = 0;
    for (const char* d = digits; d < stop; ++d) u = u * 10 + static_cast<unsigned>(*d - '0');
    constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (!negative && u <= kMax) {
      JsonAccess::value(out) = static_cast<int64_t>(u);
      return;
    }
    if (negative && u <= kMax + 1) {
      JsonAccess::value(out) = static_cast<int64_t>(0 - u);
      return;
    }
  }
  if (n > detail::kMaxIntDigits) {
    fail(start, "integer has " + std::to_string(n) +
                    " digits, more than Python's limit of 4300 for integer conversion");
  }
  JsonAccess::value(out) = Json::BigInt{std::string(start, stop)};
}

/// Return the decimal exponent of the leading nonzero digit of the number
/// text [p, stop) (grammar already checked), saturated to +-1e9.
int64_t leading_decimal_exponent(const char* p, const char* stop) {
  if (*p == '-') ++p;
  const char* int_end = p;
  while (int_end < stop && is_digit(*int_end)) ++int_end;
  int64_t position = int_end - p - 1;  // decimal exponent of the digit at p
  int64_t lead = 0;
  bool seen_nonzero = false;
  for (; p < stop && *p != 'e' && *p != 'E'; ++p) {
    if (*p == '.') continue;
    if (*p != '0' && !seen_nonzero) {
      seen_nonzero = true;
      lead = position;
    }
    --position;
  }
  int64_t exponent = 0;
  if (p < stop) {
    ++p;
    const bool neg = *p == '-';
    if (*p == '+' || *p == '-') ++p;
    for (; p < stop; ++p) exponent = std::min<int64_t>(exponent * 10 + (*p - '0'), 1000000000);
    if (neg) exponent = -exponent;
  }
  return lead + exponent;
}

void Parser::parse_float(Json& out, const char* start, const char* stop) {
  double d = 0;
  const auto result = std::from_chars(start, stop, d);
  if (result.ec == std::errc::result_out_of_range) {
    // from_chars leaves d alone when the value rounds to infinity or to zero;
    // Python's strtod gives +-inf or +-0.0. Overflow needs a magnitude of at
    // least 1e308 and underflow at most 1e-323, so the leading digit's decimal
    // exponent tells them apart.
    const bool overflow = leading_decimal_exponent(start, stop) > 0;
    d = overflow ? std::numeric_limits<double>::infinity() : 0.0;
    if (*start == '-') d = -d;
  } else if (result.ec != std::errc() || result.ptr != stop) {
    fail(start, "invalid number");
  }
  JsonAccess::value(out) = d;
}

}  // namespace

Json Json::parse(std::string_view text) { return Parser(text).parse_document(); }

namespace detail {

bool JsonCursor::skip_to_token() noexcept {
  while (pos_ < text_.size() && is_ws(text_[pos_])) ++pos_;
  return pos_ < text_.size();
}

bool JsonCursor::consume(char c) noexcept {
  if (!skip_to_token() || text_[pos_] != c) return false;
  ++pos_;
  return true;
}

bool JsonCursor::read_string(std::string& out) {
  try {
    pos_ += Parser(text_.substr(pos_)).parse_prefix_string(out);
    return true;
  } catch (const Corrupt&) {
    return false;
  }
}

bool JsonCursor::read_value(Json& out) {
  try {
    pos_ += Parser(text_.substr(pos_)).parse_prefix_value(out);
    return true;
  } catch (const Corrupt&) {
    return false;
  }
}

bool JsonCursor::skip_value(std::string_view& span) noexcept {
  if (!skip_to_token()) return false;
  const size_t begin = pos_;
  int depth = 0;
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c == '"') {
      for (++pos_; pos_ < text_.size() && text_[pos_] != '"'; ++pos_) {
        if (text_[pos_] == '\\') ++pos_;
      }
      if (pos_ >= text_.size()) return false;  // unterminated
      ++pos_;
    } else if (c == '{' || c == '[') {
      ++depth;
      ++pos_;
    } else if (c == '}' || c == ']') {
      if (depth == 0) break;
      --depth;
      ++pos_;
    } else if (c == ',' && depth == 0) {
      break;
    } else {
      ++pos_;
    }
    if (depth == 0 && (c == '"' || c == '}' || c == ']')) break;
  }
  size_t end = pos_;
  while (end > begin && is_ws(text_[end - 1])) --end;
  span = text_.substr(begin, end - begin);
  return depth == 0 && end > begin;
}

bool JsonCursor::at_end() noexcept { return !skip_to_token(); }

}  // namespace detail

}  // namespace quilt
