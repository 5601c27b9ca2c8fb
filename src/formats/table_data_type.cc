#include "quilt/data_type.h"
#include "quilt/errors.h"

namespace quilt {

DataType DataType::timestamp(TimeUnit unit, std::string timezone) {
  DataType t(TypeId::kTimestamp);
  t.unit_ = unit;
  t.timezone_ = std::move(timezone);
  return t;
}

DataType DataType::dictionary(DataType index, DataType value, bool ordered) {
  if (!index.is_integer()) {
    throw InvalidArgument("dictionary index type must be an integer type, not " +
                          index.to_string());
  }
  if (value.id() == TypeId::kDictionary) {
    throw InvalidArgument("dictionary value type cannot itself be a dictionary");
  }
  DataType t(TypeId::kDictionary);
  t.index_ = std::make_shared<const DataType>(std::move(index));
  t.value_ = std::make_shared<const DataType>(std::move(value));
  t.ordered_ = ordered;
  return t;
}

const DataType& DataType::index_type() const {
  if (id_ != TypeId::kDictionary) throw InvalidArgument(to_string() + " has no index type");
  return *index_;
}

const DataType& DataType::value_type() const {
  if (id_ != TypeId::kDictionary) throw InvalidArgument(to_string() + " has no value type");
  return *value_;
}

int DataType::bit_width() const noexcept {
  switch (id_) {
    case TypeId::kBool:
      return 1;
    case TypeId::kInt8:
    case TypeId::kUInt8:
      return 8;
    case TypeId::kInt16:
    case TypeId::kUInt16:
      return 16;
    case TypeId::kInt32:
    case TypeId::kUInt32:
    case TypeId::kFloat32:
    case TypeId::kDate32:
      return 32;
    case TypeId::kInt64:
    case TypeId::kUInt64:
    case TypeId::kFloat64:
    case TypeId::kTimestamp:
      return 64;
    case TypeId::kDictionary:
      return index_->bit_width();
    case TypeId::kString:
    case TypeId::kBinary:
      return 0;
  }
  return 0;
}

bool DataType::is_integer() const noexcept {
  return id_ >= TypeId::kInt8 && id_ <= TypeId::kUInt64;
}

bool DataType::is_signed_integer() const noexcept {
  return id_ >= TypeId::kInt8 && id_ <= TypeId::kInt64;
}

bool DataType::is_floating() const noexcept {
  return id_ == TypeId::kFloat32 || id_ == TypeId::kFloat64;
}

namespace {

const char* unit_name(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kSecond:
      return "s";
    case TimeUnit::kMilli:
      return "ms";
    case TimeUnit::kMicro:
      return "us";
    case TimeUnit::kNano:
      return "ns";
  }
  return "?";
}

const char* simple_name(TypeId id) {
  static const char* const kNames[] = {
      "bool",   "int8",  "int16",  "int32",  "int64",  "uint8",     "uint16", "uint32",
      "uint64", "float", "double", "string", "binary", "timestamp", "date32", "dictionary"};
  return kNames[static_cast<int>(id)];
}

}  // namespace

std::string DataType::to_string() const {
  if (id_ == TypeId::kTimestamp) {
    std::string s = std::string("timestamp[") + unit_name(unit_);
    if (!timezone_.empty()) s += ", tz=" + timezone_;
    return s + "]";
  }
  if (id_ == TypeId::kDictionary) {
    return "dictionary<values=" + value_->to_string() + ", indices=" + index_->to_string() +
           ", ordered=" + (ordered_ ? "1" : "0") + ">";
  }
  return simple_name(id_);
}

bool operator==(const DataType& a, const DataType& b) noexcept {
  if (a.id_ != b.id_) return false;
  if (a.id_ == TypeId::kTimestamp) return a.unit_ == b.unit_ && a.timezone_ == b.timezone_;
  if (a.id_ == TypeId::kDictionary) {
    return a.ordered_ == b.ordered_ && *a.index_ == *b.index_ && *a.value_ == *b.value_;
  }
  return true;
}

}  // namespace quilt
