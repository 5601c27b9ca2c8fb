#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace quilt {

/// The logical type of a Table column, as Arrow names them.
enum class TypeId {
  kBool,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kUInt8,
  kUInt16,
  kUInt32,
  kUInt64,
  kFloat32,
  kFloat64,
  kString,     // UTF-8, int32 offsets
  kBinary,     // bytes, int32 offsets
  kTimestamp,  // int64 since the Unix epoch in `unit`
  kDate32,     // int32 days since the Unix epoch
  kDictionary  // integer indices into a dictionary column (pandas categorical)
};

/// The unit of a timestamp. kSecond is accepted when building a column and
/// converted to kMilli (Parquet has no seconds unit); a built column never has it.
enum class TimeUnit { kSecond, kMilli, kMicro, kNano };

/// A column type: an id plus the parameters some ids carry (timestamp unit and
/// time zone; dictionary index type, value type and `ordered` flag).
/// An immutable value, cheap to copy; thread-safe.
class DataType {
 public:
  /// Construct kBool.
  DataType() = default;

  static DataType boolean() { return DataType(TypeId::kBool); }
  static DataType int8() { return DataType(TypeId::kInt8); }
  static DataType int16() { return DataType(TypeId::kInt16); }
  static DataType int32() { return DataType(TypeId::kInt32); }
  static DataType int64() { return DataType(TypeId::kInt64); }
  static DataType uint8() { return DataType(TypeId::kUInt8); }
  static DataType uint16() { return DataType(TypeId::kUInt16); }
  static DataType uint32() { return DataType(TypeId::kUInt32); }
  static DataType uint64() { return DataType(TypeId::kUInt64); }
  static DataType float32() { return DataType(TypeId::kFloat32); }
  static DataType float64() { return DataType(TypeId::kFloat64); }
  static DataType string() { return DataType(TypeId::kString); }
  static DataType binary() { return DataType(TypeId::kBinary); }
  static DataType date32() { return DataType(TypeId::kDate32); }
  /// A timestamp; an empty `timezone` means a naive (zone-less) timestamp.
  static DataType timestamp(TimeUnit unit, std::string timezone = "");
  /// A dictionary type. Throws InvalidArgument unless `index` is an integer
  /// type and `value` is not itself a dictionary.
  static DataType dictionary(DataType index, DataType value, bool ordered = false);

  TypeId id() const noexcept { return id_; }
  /// The timestamp unit (kMilli for other types).
  TimeUnit unit() const noexcept { return unit_; }
  /// The timestamp time zone; empty when naive.
  const std::string& timezone() const noexcept { return timezone_; }
  /// The dictionary index type. Requires id() == kDictionary.
  const DataType& index_type() const;
  /// The dictionary value type. Requires id() == kDictionary.
  const DataType& value_type() const;
  bool ordered() const noexcept { return ordered_; }

  /// Return the width in bits of one value in the values buffer: 1 for bool,
  /// 8..64 for fixed-width types and dictionary indices, 0 for string/binary.
  int bit_width() const noexcept;
  bool is_integer() const noexcept;
  bool is_signed_integer() const noexcept;
  bool is_floating() const noexcept;
  /// String or binary: values live in offsets + data buffers.
  bool is_binary_like() const noexcept { return id_ == TypeId::kString || id_ == TypeId::kBinary; }

  /// Return Arrow's spelling: "int64", "timestamp[ns, tz=UTC]",
  /// "dictionary<values=string, indices=int8, ordered=0>".
  std::string to_string() const;

  friend bool operator==(const DataType& a, const DataType& b) noexcept;

 private:
  explicit DataType(TypeId id) : id_(id) {}

  TypeId id_ = TypeId::kBool;
  TimeUnit unit_ = TimeUnit::kMilli;
  bool ordered_ = false;
  std::string timezone_;
  std::shared_ptr<const DataType> index_;
  std::shared_ptr<const DataType> value_;
};

}  // namespace quilt
