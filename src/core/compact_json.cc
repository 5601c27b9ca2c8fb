#include "quilt/compact_json.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>
#include <vector>

#include "core/json_internal.h"
#include "quilt/errors.h"

namespace quilt {
namespace {

// Rewrites the compact text our encoder wrote into the canonical form without
// building a tree: the text is known to be well formed and normalized
// (numbers already print as Python prints them, strings carry only the
// escapes both forms share), so only separators, key order and non-ASCII
// characters change. Anything it does not expect makes it give up (return
// false) and the caller parses instead: keys with escapes, whose order must
// be decided on decoded text, are the common case of that.
class CanonicalTranscoder {
 public:
  CanonicalTranscoder(std::string_view text, std::string& out) : text_(text), out_(out) {}

  bool run() { return value() && pos_ == text_.size(); }

 private:
  struct Member {
    std::string_view key;  // raw bytes between the quotes
    size_t value_begin;
    size_t value_end;
  };

  bool value() {
    if (pos_ >= text_.size()) return false;
    switch (text_[pos_]) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return string();
      default:
        return scalar();
    }
  }

  bool object() {
    ++pos_;
    std::vector<Member> members;
    if (peek() == '}') {
      ++pos_;
      out_ += "{}";
      return true;
    }
    for (;;) {
      size_t key_begin = pos_;
      if (!skip_string() ) return false;
      std::string_view key = text_.substr(key_begin + 1, pos_ - key_begin - 2);
      if (key.find('\\') != std::string_view::npos || !expect(": ")) return false;
      size_t value_begin = pos_;
      if (!skip_value()) return false;
      members.push_back({key, value_begin, pos_});
      if (peek() == '}') break;
      if (!expect(", ")) return false;
    }
    ++pos_;
    std::sort(members.begin(), members.end(),
              [](const Member& a, const Member& b) { return a.key < b.key; });
    size_t end = pos_;
    out_.push_back('{');
    for (size_t i = 0; i < members.size(); ++i) {
      if (i != 0) out_.push_back(',');
      detail::append_canonical_string(out_, members[i].key);
      out_.push_back(':');
      pos_ = members[i].value_begin;
      if (!value() || pos_ != members[i].value_end) return false;
    }
    out_.push_back('}');
    pos_ = end;
    return true;
  }

  bool array() {
    ++pos_;
    out_.push_back('[');
    if (peek() != ']') {
      for (;;) {
        if (!value()) return false;
        if (peek() == ']') break;
        if (!expect(", ")) return false;
        out_.push_back(',');
      }
    }
    ++pos_;
    out_.push_back(']');
    return true;
  }

  // Copy a string, escaping what the canonical form escapes and the compact
  // form does not: non-ASCII characters and DEL.
  bool string() {
    size_t begin = pos_;
    if (!skip_string()) return false;
    std::string_view body = text_.substr(begin + 1, pos_ - begin - 2);
    bool plain = std::all_of(body.begin(), body.end(), [](char c) {
      return static_cast<unsigned char>(c) < 0x7F;
    });
    if (plain) {
      out_.append(text_.substr(begin, pos_ - begin));  // escapes are the same in both forms
      return true;
    }
    // Mixed: decode the escapes we wrote and re-encode the whole string.
    Json decoded;
    try {
      decoded = Json::parse(text_.substr(begin, pos_ - begin));
    } catch (const Error&) {
      return false;
    }
    detail::append_canonical_string(out_, decoded.as_string());
    return true;
  }

  bool scalar() {
    size_t begin = pos_;
    while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '}' &&
           text_[pos_] != ']') {
      ++pos_;
    }
    if (pos_ == begin) return false;
    out_.append(text_.substr(begin, pos_ - begin));
    return true;
  }

  // Advance past a string starting at pos_ (which must be '"').
  bool skip_string() {
    if (peek() != '"') return false;
    for (++pos_; pos_ < text_.size(); ++pos_) {
      char c = text_[pos_];
      if (c == '\\') {
        ++pos_;
      } else if (c == '"') {
        ++pos_;
        return true;
      }
    }
    return false;
  }

  bool skip_value() {
    int depth = 0;
    do {
      char c = peek();
      if (c == '"') {
        if (!skip_string()) return false;
        continue;
      }
      if (c == '\0') return false;
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') --depth;
      if (depth < 0) return false;
      ++pos_;
      if (depth == 0 && c != '{' && c != '[' && c != '}' && c != ']') {
        // A scalar: run to its end.
        while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '}' &&
               text_[pos_] != ']') {
          ++pos_;
        }
      }
    } while (depth > 0);
    return true;
  }

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  bool expect(std::string_view s) {
    if (text_.substr(pos_, s.size()) != s) return false;
    pos_ += s.size();
    return true;
  }

  std::string_view text_;
  std::string& out_;
  size_t pos_ = 0;
};

// True when the text may hold NaN or Infinity outside a string: the only
// values quilt3 refuses to write. A false positive merely costs a parse.
bool may_hold_non_finite(std::string_view text) noexcept {
  return text.find("NaN") != std::string_view::npos ||
         text.find("Infinity") != std::string_view::npos;
}

// Checks, without building anything, that JSON text is exactly what our
// compact encoder would write for its value: separators ", " and ": ", no
// other whitespace, numbers printed as Python prints them, strings with
// raw UTF-8 and only the short escapes, no duplicate keys. Anything it is not
// sure about answers false; the caller then parses and re-encodes.
class CompactChecker {
 public:
  explicit CompactChecker(std::string_view text) : text_(text) {}

  bool run() { return value(0) && pos_ == text_.size(); }

 private:
  static constexpr int kMaxDepth = 64;  // deeper values take the parsing path

  bool value(int depth) {
    switch (peek()) {
      case '{':
        return depth < kMaxDepth && object(depth);
      case '[':
        return depth < kMaxDepth && array(depth);
      case '"':
        return string();
      case 't':
        return word("true");
      case 'f':
        return word("false");
      case 'n':
        return word("null");
      case 'N':
        return word("NaN");
      case 'I':
        return word("Infinity");
      default:
        return number();
    }
  }

  bool object(int depth) {
    ++pos_;
    if (peek() == '}') return ++pos_, true;
    std::string_view keys[16];
    size_t count = 0;
    for (;;) {
      size_t begin = pos_;
      if (!string()) return false;
      std::string_view key = text_.substr(begin, pos_ - begin);
      if (count == 16 || key.find('\\') != std::string_view::npos) return false;
      for (size_t i = 0; i < count; ++i) {
        if (keys[i] == key) return false;  // a duplicate: Python keeps the last value
      }
      keys[count++] = key;
      if (!expect(": ") || !value(depth + 1)) return false;
      if (peek() == '}') return ++pos_, true;
      if (!expect(", ")) return false;
    }
  }

  bool array(int depth) {
    ++pos_;
    if (peek() == ']') return ++pos_, true;
    for (;;) {
      if (!value(depth + 1)) return false;
      if (peek() == ']') return ++pos_, true;
      if (!expect(", ")) return false;
    }
  }

  bool string() {
    if (peek() != '"') return false;
    const auto* p = reinterpret_cast<const unsigned char*>(text_.data());
    const auto* end = p + text_.size();
    for (++pos_; pos_ < text_.size();) {
      unsigned char c = p[pos_];
      if (c == '"') return ++pos_, true;
      if (c < 0x20) return false;
      if (c == '\\') {
        if (pos_ + 1 >= text_.size()) return false;
        char e = static_cast<char>(p[pos_ + 1]);
        if (std::strchr("\"\\bfnrt", e) == nullptr || e == '\0') return false;
        pos_ += 2;
      } else if (c >= 0x80) {
        char32_t cp;
        int n = detail::decode_utf8(p + pos_, end, cp, false);
        if (n == 0) return false;
        pos_ += static_cast<size_t>(n);
      } else {
        ++pos_;
      }
    }
    return false;
  }

  bool number() {
    size_t begin = pos_;
    if (peek() == '-') {
      ++pos_;
      if (peek() == 'I') return word("Infinity");
    }
    size_t digits = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    size_t n = pos_ - digits;
    if (n == 0 || (n > 1 && text_[digits] == '0')) return false;
    bool is_float = pos_ < text_.size() && (text_[pos_] == '.' || text_[pos_] == 'e');
    if (!is_float) {
      // "-0" prints as "0"; very long integers take the parsing path.
      return n <= 4000 && !(n == 1 && text_[digits] == '0' && digits != begin);
    }
    while (pos_ < text_.size() && std::strchr("0123456789.e+-", text_[pos_]) != nullptr &&
           text_[pos_] != '\0') {
      ++pos_;
    }
    std::string_view literal = text_.substr(begin, pos_ - begin);
    double d = 0;
    auto [end, ec] = std::from_chars(literal.data(), literal.data() + literal.size(), d);
    if (ec != std::errc() || end != literal.data() + literal.size()) return false;
    printed_.clear();
    append_python_float(printed_, d);
    return printed_ == literal;
  }

  bool word(std::string_view w) { return expect(w); }

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  bool expect(std::string_view s) {
    if (text_.substr(pos_, s.size()) != s) return false;
    pos_ += s.size();
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string printed_;
};

}  // namespace

CompactJson CompactJson::from_json_text(std::string_view text) {
  CompactJson out;
  if (text == "{}") return out;
  if (CompactChecker(text).run()) {
    out.text_.assign(text);
    return out;
  }
  return CompactJson(Json::parse(text));
}

CompactJson::CompactJson(const Json& value) {
  if (value.is_object() && value.empty()) return;
  value.dump_manifest(text_, /*allow_nan=*/true);
}

Json CompactJson::value() const { return text_.empty() ? Json::object() : Json::parse(text_); }

void CompactJson::dump_manifest(std::string& out) const {
  if (text_.empty()) {
    out += "{}";
  } else if (may_hold_non_finite(text_)) {
    value().dump_manifest(out);  // throws for a real NaN or Infinity
  } else {
    out += text_;
  }
}

void CompactJson::dump_canonical(std::string& out) const {
  if (text_.empty()) {
    out += "{}";
    return;
  }
  size_t mark = out.size();
  if (CanonicalTranscoder(text_, out).run()) return;
  out.resize(mark);
  value().dump_canonical(out);
}

bool operator==(const CompactJson& a, const CompactJson& b) {
  return a.text_ == b.text_ || a.value() == b.value();
}

}  // namespace quilt
