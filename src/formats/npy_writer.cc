// NPY writer: the header exactly as numpy 1.24's numpy.lib.format writes it.
#include <cstring>

#include "quilt/errors.h"
#include "quilt/ndarray.h"

namespace quilt {

namespace {

constexpr size_t kArrayAlign = 64;
constexpr size_t kMagicLen = 8;  // "\x93NUMPY" + major + minor
// numpy pads the header so the growth axis can reach this many digits in place.
constexpr size_t kGrowthAxisMaxDigits = 21;

// Python's repr of a tuple of ints: (), (3,), (3, 4).
std::string shape_repr(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1) s += ",";
  return s + ")";
}

std::string header_dict(const NDArray& a) {
  const bool fortran = a.order() == Order::kFortran;
  std::string h = "{'descr': '" + dtype_descr(a.dtype()) +
                  "', 'fortran_order': " + (fortran ? "True" : "False") +
                  ", 'shape': " + shape_repr(a.shape()) + ", }";
  if (!a.shape().empty()) {
    const int64_t axis = fortran ? a.shape().back() : a.shape().front();
    h.append(kGrowthAxisMaxDigits - std::to_string(axis).size(), ' ');
  }
  return h;
}

// Return magic + length + header + padding + '\n', or "" when `version` cannot
// hold the header length (numpy then tries the next version).
std::string wrap_header(const std::string& header, int version) {
  const size_t len_size = version == 1 ? 2 : 4;
  const size_t hlen = header.size() + 1;
  const size_t padlen = kArrayAlign - ((kMagicLen + len_size + hlen) % kArrayAlign);
  const uint64_t total = hlen + padlen;
  if (version == 1 && total > 0xFFFF) return "";
  std::string out = "\x93NUMPY";
  out += static_cast<char>(version);
  out += '\0';
  for (size_t i = 0; i < len_size; ++i) out += static_cast<char>((total >> (8 * i)) & 0xFF);
  out += header;
  out.append(padlen, ' ');
  out += '\n';
  return out;
}

}  // namespace

void write_npy(const NDArray& array, const ByteSink& sink, const NpyWriteOptions& options) {
  if (options.version < 0 || options.version > 3) {
    throw InvalidArgument("NPY format version must be 1, 2 or 3, not " +
                          std::to_string(options.version));
  }
  const std::string header = header_dict(array);
  std::string prefix;
  if (options.version == 0) {
    prefix = wrap_header(header, 1);
    if (prefix.empty()) prefix = wrap_header(header, 2);
  } else {
    prefix = wrap_header(header, options.version);
    if (prefix.empty()) {
      throw InvalidArgument("NPY header of " + std::to_string(header.size()) +
                            " bytes is too long for format version 1.0");
    }
  }
  sink({reinterpret_cast<const uint8_t*>(prefix.data()), prefix.size()});
  if (array.nbytes() > 0) sink(array.data().bytes());
}

}  // namespace quilt
