#pragma once

#include <complex>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "quilt/table.h"

namespace quilt {

/// The element type of an NDArray, as numpy names them.
enum class DType {
  kBool,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kUInt8,
  kUInt16,
  kUInt32,
  kUInt64,
  kFloat16,  // IEEE half, kept as raw uint16_t bits
  kFloat32,
  kFloat64,
  kComplex64,  // two float32: real, imaginary
  kComplex128  // two float64
};

/// Return the size in bytes of one element.
size_t dtype_size(DType dtype) noexcept;
/// Return numpy's name: "bool", "int64", "float16", "complex128".
std::string_view dtype_name(DType dtype) noexcept;
/// Return numpy's little-endian descr: "|b1", "<i8", "|u1", "<f2", "<c16".
std::string dtype_descr(DType dtype);

/// Memory order of an N-d array: C (row-major) or Fortran (column-major).
enum class Order { kC, kFortran };

/// A typed N-d array over one Buffer (native little-endian elements). A 0-d
/// array (empty shape) holds one element. Immutable; copies share the buffer;
/// thread-safe.
class NDArray {
 public:
  /// An empty float64 array of shape (0,).
  NDArray();
  /// Build over `data` without copying. Throws InvalidArgument when a dimension
  /// is negative, the buffer size is not the element count times the element
  /// size, or the buffer is not aligned to the element size.
  static NDArray make(DType dtype, std::vector<int64_t> shape, Buffer data,
                      Order order = Order::kC);
  /// Build from a vector (moved, not copied); T must match `dtype`'s size.
  template <class T>
  static NDArray from_vector(DType dtype, std::vector<T> values, std::vector<int64_t> shape,
                             Order order = Order::kC) {
    return make(dtype, std::move(shape), Buffer::from_vector(std::move(values)), order);
  }

  DType dtype() const noexcept { return dtype_; }
  const std::vector<int64_t>& shape() const noexcept { return shape_; }
  int ndim() const noexcept { return static_cast<int>(shape_.size()); }
  Order order() const noexcept { return order_; }
  /// The number of elements (the product of the shape; 1 for a 0-d array).
  int64_t size() const noexcept;
  size_t nbytes() const noexcept { return data_.size(); }
  const Buffer& data() const noexcept { return data_; }
  /// Return the elements in memory order. Throws InvalidArgument unless
  /// sizeof(T) is the element size.
  template <class T>
  std::span<const T> values() const {
    check_element_size(sizeof(T));
    return {reinterpret_cast<const T*>(data_.data()), data_.size() / sizeof(T)};
  }
  /// Return whether dtype, shape, order and bytes are equal.
  bool equals(const NDArray& other) const noexcept;

 private:
  void check_element_size(size_t size) const;

  DType dtype_ = DType::kFloat64;
  std::vector<int64_t> shape_{0};
  Order order_ = Order::kC;
  Buffer data_;
};

/// Where serializers put bytes: called with consecutive pieces of the output,
/// in order. It may throw to abort. A quilt::Writer adapts as
/// `[&w](std::span<const uint8_t> b) { w.write(b); }`; the package layer passes
/// a sink that hashes and stores. Pieces are valid only during the call.
using ByteSink = std::function<void(std::span<const uint8_t>)>;

struct NpyWriteOptions {
  /// Format version 1, 2 or 3; 0 picks what numpy picks (1.0 unless the header
  /// needs more than 65535 bytes, then 2.0).
  int version = 0;
};

/// Write `array` in NPY format, byte for byte as numpy.save (numpy 1.24) does.
/// The data is passed to the sink without copying. Throws InvalidArgument for
/// a bad version; whatever the sink throws. Thread-safe.
void write_npy(const NDArray& array, const ByteSink& sink, const NpyWriteOptions& options = {});

/// Read NPY bytes (versions 1.0, 2.0, 3.0). The result views `bytes` (sharing
/// its owner) when the data is little-endian and aligned, else holds a
/// converted copy. `source` names the input in errors. Throws Corrupt naming
/// the source and the problem (truncated, bad magic, header not a dict,
/// unknown descr, shape/data size mismatch). Thread-safe.
NDArray read_npy(const Buffer& bytes, std::string_view source);
/// Read an NPY file. Throws IoError when it cannot be read, Corrupt as above.
NDArray read_npy_file(const std::string& path);

}  // namespace quilt
