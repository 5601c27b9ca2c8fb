// NPY reader: magic, version, a header that is a Python dict literal, then data.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

#include "quilt/errors.h"
#include "quilt/ndarray.h"

namespace quilt {

namespace {

constexpr std::string_view kMagic = "\x93NUMPY";

[[noreturn]] void corrupt(std::string_view source, const std::string& problem) {
  throw Corrupt("NPY " + std::string(source) + ": " + problem);
}

// The parsed header dict. Only the three keys numpy writes are allowed.
struct Header {
  std::optional<std::string> descr;
  std::optional<bool> fortran_order;
  std::optional<std::vector<int64_t>> shape;
};

// A parser for the subset of Python literals numpy headers use.
class LiteralParser {
 public:
  LiteralParser(std::string_view text, std::string_view source) : s_(text), source_(source) {}

  Header parse_dict() {
    Header h;
    skip_space();
    expect('{', "header is not a dict");
    for (;;) {
      skip_space();
      if (peek() == '}') break;
      std::string key = parse_string();
      skip_space();
      expect(':', "expected ':' after key '" + key + "'");
      parse_entry(key, h);
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') fail("expected ',' or '}' in header dict");
    }
    ++pos_;
    skip_space();
    if (pos_ != s_.size()) fail("text after the header dict");
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const {
    corrupt(source_, problem + " (at byte " + std::to_string(pos_) + " of header)");
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t')) ++pos_;
  }
  void expect(char c, const std::string& problem) {
    if (peek() != c) fail(problem);
    ++pos_;
  }

  void parse_entry(const std::string& key, Header& h) {
    skip_space();
    if (key == "descr") {
      if (peek() == '[') fail("unsupported descr: structured dtypes are not supported");
      h.descr = parse_string();
    } else if (key == "fortran_order") {
      h.fortran_order = parse_bool();
    } else if (key == "shape") {
      h.shape = parse_tuple();
    } else {
      fail("unexpected key '" + key + "' in header");
    }
  }

  std::string parse_string() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a string");
    const size_t end = s_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string out(s_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return out;
  }

  bool parse_bool() {
    if (s_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (s_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    fail("fortran_order is not True or False");
  }

  int64_t parse_int() {
    const size_t start = pos_;
    int64_t v = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      if (v > (INT64_MAX - 9) / 10) fail("dimension too large");
      v = v * 10 + (s_[pos_++] - '0');
    }
    if (pos_ == start) fail("shape holds something other than a non-negative integer");
    if (peek() == 'L') ++pos_;  // Python 2 long
    return v;
  }

  std::vector<int64_t> parse_tuple() {
    expect('(', "shape is not a tuple");
    std::vector<int64_t> dims;
    for (;;) {
      skip_space();
      if (peek() == ')') break;
      dims.push_back(parse_int());
      skip_space();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != ')') {
        fail("expected ',' or ')' in shape");
      }
    }
    ++pos_;
    return dims;
  }

  std::string_view s_;
  std::string_view source_;
  size_t pos_ = 0;
};

struct Descr {
  DType dtype;
  bool big_endian;
};

Descr parse_descr(const std::string& descr, std::string_view source) {
  std::string_view d = descr;
  bool big = false;
  if (!d.empty() && (d[0] == '<' || d[0] == '>' || d[0] == '|' || d[0] == '=')) {
    big = d[0] == '>';
    d.remove_prefix(1);
  }
  static constexpr struct {
    std::string_view code;
    DType dtype;
  } kCodes[] = {{"b1", DType::kBool},    {"?", DType::kBool},       {"i1", DType::kInt8},
                {"i2", DType::kInt16},   {"i4", DType::kInt32},     {"i8", DType::kInt64},
                {"u1", DType::kUInt8},   {"u2", DType::kUInt16},    {"u4", DType::kUInt32},
                {"u8", DType::kUInt64},  {"f2", DType::kFloat16},   {"f4", DType::kFloat32},
                {"f8", DType::kFloat64}, {"c8", DType::kComplex64}, {"c16", DType::kComplex128}};
  for (const auto& c : kCodes) {
    if (c.code == d) return {c.dtype, big && dtype_size(c.dtype) > 1};
  }
  corrupt(source, "unknown descr '" + descr + "'");
}

// A little-endian copy of big-endian elements: each scalar (each half of a
// complex) is reversed.
Buffer swap_bytes(std::span<const uint8_t> in, DType dtype) {
  const bool complex = dtype == DType::kComplex64 || dtype == DType::kComplex128;
  const size_t w = complex ? dtype_size(dtype) / 2 : dtype_size(dtype);
  std::vector<uint64_t> storage((in.size() + 7) / 8);
  auto* out = reinterpret_cast<uint8_t*>(storage.data());
  for (size_t i = 0; i < in.size(); i += w) {
    for (size_t j = 0; j < w; ++j) out[i + j] = in[i + w - 1 - j];
  }
  auto owned = std::make_shared<const std::vector<uint64_t>>(std::move(storage));
  return Buffer(owned->data(), in.size(), owned);
}

// Return the header text and the offset where data starts.
std::pair<std::string_view, size_t> read_prefix(std::span<const uint8_t> b,
                                                std::string_view source) {
  const auto* chars = reinterpret_cast<const char*>(b.data());
  if (b.size() < kMagic.size() + 2) corrupt(source, "truncated before the header length");
  if (std::string_view(chars, kMagic.size()) != kMagic) corrupt(source, "bad magic (not NPY)");
  const int major = b[6];
  const int minor = b[7];
  if (major < 1 || major > 3 || minor != 0) {
    corrupt(source,
            "unsupported format version " + std::to_string(major) + "." + std::to_string(minor));
  }
  const size_t len_size = major == 1 ? 2 : 4;
  if (b.size() < 8 + len_size) corrupt(source, "truncated before the header length");
  uint64_t hlen = 0;
  for (size_t i = 0; i < len_size; ++i) hlen |= static_cast<uint64_t>(b[8 + i]) << (8 * i);
  const size_t start = 8 + len_size;
  if (hlen > b.size() - start) {
    corrupt(source, "truncated: header of " + std::to_string(hlen) + " bytes, file has " +
                        std::to_string(b.size() - start) + " after the prefix");
  }
  return {std::string_view(chars + start, hlen), start + hlen};
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

}  // namespace

NDArray read_npy(const Buffer& bytes, std::string_view source) {
  auto [text, data_start] = read_prefix(bytes.bytes(), source);
  Header h = LiteralParser(text, source).parse_dict();
  if (!h.descr || !h.fortran_order || !h.shape) {
    corrupt(source, "header lacks one of 'descr', 'fortran_order', 'shape'");
  }
  const Descr d = parse_descr(*h.descr, source);
  const size_t item = dtype_size(d.dtype);
  uint64_t count = 1;
  for (int64_t dim : *h.shape) {
    if (dim != 0 && count > UINT64_MAX / static_cast<uint64_t>(dim) / item) {
      corrupt(source, "shape " + shape_text(*h.shape) + " overflows");
    }
    count *= static_cast<uint64_t>(dim);
  }
  const uint64_t have = bytes.size() - data_start;
  if (count * item != have) {
    corrupt(source, "shape " + shape_text(*h.shape) + " of " + *h.descr + " needs " +
                        std::to_string(count * item) + " data bytes, found " +
                        std::to_string(have));
  }
  Buffer data = bytes.slice(data_start, have);
  const size_t align = item > 8 ? 8 : item;
  if (d.big_endian) {
    data = swap_bytes(data.bytes(), d.dtype);
  } else if (reinterpret_cast<uintptr_t>(data.data()) % align != 0) {
    std::vector<uint64_t> storage((have + 7) / 8);
    if (have > 0) std::memcpy(storage.data(), data.data(), have);
    auto owned = std::make_shared<const std::vector<uint64_t>>(std::move(storage));
    data = Buffer(owned->data(), have, owned);
  }
  const Order order = *h.fortran_order ? Order::kFortran : Order::kC;
  return NDArray::make(d.dtype, std::move(*h.shape), std::move(data), order);
}

NDArray read_npy_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw_io_error("cannot open", path, errno);
  const std::streamsize size = in.tellg();
  in.seekg(0);
  std::vector<uint64_t> storage((static_cast<size_t>(size) + 7) / 8);
  if (size > 0 && !in.read(reinterpret_cast<char*>(storage.data()), size)) {
    throw_io_error("cannot read", path, errno);
  }
  auto owned = std::make_shared<const std::vector<uint64_t>>(std::move(storage));
  return read_npy(Buffer(owned->data(), static_cast<size_t>(size), owned), path);
}

}  // namespace quilt
