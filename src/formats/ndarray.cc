#include "quilt/ndarray.h"

#include <cstring>

#include "quilt/errors.h"

namespace quilt {

size_t dtype_size(DType dtype) noexcept {
  switch (dtype) {
    case DType::kBool:
    case DType::kInt8:
    case DType::kUInt8:
      return 1;
    case DType::kInt16:
    case DType::kUInt16:
    case DType::kFloat16:
      return 2;
    case DType::kInt32:
    case DType::kUInt32:
    case DType::kFloat32:
      return 4;
    case DType::kInt64:
    case DType::kUInt64:
    case DType::kFloat64:
    case DType::kComplex64:
      return 8;
    case DType::kComplex128:
      return 16;
  }
  return 1;
}

std::string_view dtype_name(DType dtype) noexcept {
  static constexpr std::string_view kNames[] = {
      "bool",   "int8",   "int16",   "int32",   "int64",   "uint8",     "uint16",
      "uint32", "uint64", "float16", "float32", "float64", "complex64", "complex128"};
  return kNames[static_cast<int>(dtype)];
}

std::string dtype_descr(DType dtype) {
  const std::string size = std::to_string(dtype_size(dtype));
  switch (dtype) {
    case DType::kBool:
      return "|b1";
    case DType::kInt8:
      return "|i1";
    case DType::kUInt8:
      return "|u1";
    case DType::kInt16:
    case DType::kInt32:
    case DType::kInt64:
      return "<i" + size;
    case DType::kUInt16:
    case DType::kUInt32:
    case DType::kUInt64:
      return "<u" + size;
    case DType::kFloat16:
    case DType::kFloat32:
    case DType::kFloat64:
      return "<f" + size;
    case DType::kComplex64:
    case DType::kComplex128:
      return "<c" + size;
  }
  return "";
}

NDArray::NDArray() = default;

NDArray NDArray::make(DType dtype, std::vector<int64_t> shape, Buffer data, Order order) {
  const size_t item = dtype_size(dtype);
  uint64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0) throw InvalidArgument("NDArray: negative dimension " + std::to_string(d));
    if (d != 0 && count > UINT64_MAX / static_cast<uint64_t>(d) / item) {
      throw InvalidArgument("NDArray: shape overflows");
    }
    count *= static_cast<uint64_t>(d);
  }
  if (count * item != data.size()) {
    throw InvalidArgument("NDArray: " + std::to_string(count) + " " +
                          std::string(dtype_name(dtype)) + " elements need " +
                          std::to_string(count * item) + " bytes, buffer has " +
                          std::to_string(data.size()));
  }
  const size_t align = item > 8 ? 8 : item;
  if (reinterpret_cast<uintptr_t>(data.data()) % align != 0) {
    throw InvalidArgument("NDArray: buffer is not aligned to " + std::to_string(align) + " bytes");
  }
  NDArray a;
  a.dtype_ = dtype;
  a.shape_ = std::move(shape);
  a.order_ = order;
  a.data_ = std::move(data);
  return a;
}

int64_t NDArray::size() const noexcept {
  int64_t n = 1;
  for (int64_t d : shape_) n *= d;
  return n;
}

void NDArray::check_element_size(size_t size) const {
  if (size != dtype_size(dtype_)) {
    throw InvalidArgument("NDArray of " + std::string(dtype_name(dtype_)) + " cannot be read as " +
                          std::to_string(size) + "-byte elements");
  }
}

bool NDArray::equals(const NDArray& other) const noexcept {
  return dtype_ == other.dtype_ && shape_ == other.shape_ && order_ == other.order_ &&
         data_.size() == other.data_.size() &&
         (data_.size() == 0 || std::memcmp(data_.data(), other.data_.data(), data_.size()) == 0);
}

}  // namespace quilt
