#include "formats/parquet/thrift_compact.h"

#include <bit>
#include <cstring>

#include "quilt/errors.h"

namespace quilt::parquet {
namespace {

static_assert(std::endian::native == std::endian::little, "the codec assumes a little-endian host");

uint64_t zigzag(int64_t value) {
  return (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
}

int64_t unzigzag(uint64_t value) {
  return static_cast<int64_t>(value >> 1) ^ -static_cast<int64_t>(value & 1);
}

bool is_valid_type(uint8_t type) { return type >= 1 && type <= 12; }

}  // namespace

void CompactWriter::clear() {
  buffer_.clear();
  last_ids_.clear();
  last_id_ = 0;
}

void CompactWriter::begin_struct() {
  last_ids_.push_back(last_id_);
  last_id_ = 0;
}

void CompactWriter::end_struct() {
  buffer_.push_back(0);
  last_id_ = last_ids_.empty() ? 0 : last_ids_.back();
  if (!last_ids_.empty()) last_ids_.pop_back();
}

void CompactWriter::field_header(int16_t id, ThriftType type) {
  int delta = id - last_id_;
  if (delta > 0 && delta <= 15) {
    buffer_.push_back(static_cast<uint8_t>(delta << 4 | static_cast<uint8_t>(type)));
  } else {
    buffer_.push_back(static_cast<uint8_t>(type));
    write_varint(zigzag(id));
  }
  last_id_ = id;
}

void CompactWriter::field_bool(int16_t id, bool value) {
  field_header(id, value ? ThriftType::kBoolTrue : ThriftType::kBoolFalse);
}

void CompactWriter::field_i8(int16_t id, int8_t value) {
  field_header(id, ThriftType::kByte);
  buffer_.push_back(static_cast<uint8_t>(value));
}

void CompactWriter::field_i16(int16_t id, int16_t value) {
  field_header(id, ThriftType::kI16);
  write_varint(zigzag(value));
}

void CompactWriter::field_i32(int16_t id, int32_t value) {
  field_header(id, ThriftType::kI32);
  write_i32(value);
}

void CompactWriter::field_i64(int16_t id, int64_t value) {
  field_header(id, ThriftType::kI64);
  write_i64(value);
}

void CompactWriter::field_double(int16_t id, double value) {
  field_header(id, ThriftType::kDouble);
  write_double(value);
}

void CompactWriter::field_binary(int16_t id, std::string_view value) {
  field_header(id, ThriftType::kBinary);
  write_binary(value);
}

void CompactWriter::begin_field_struct(int16_t id) {
  field_header(id, ThriftType::kStruct);
  begin_struct();
}

void CompactWriter::field_list(int16_t id, ThriftType element, uint32_t size) {
  field_header(id, ThriftType::kList);
  write_list_header(element, size);
}

void CompactWriter::write_list_header(ThriftType element, uint32_t size) {
  auto type = static_cast<uint8_t>(element);
  if (size < 15) {
    buffer_.push_back(static_cast<uint8_t>(size << 4 | type));
  } else {
    buffer_.push_back(static_cast<uint8_t>(0xF0 | type));
    write_varint(size);
  }
}

void CompactWriter::write_bool(bool value) { buffer_.push_back(value ? 1 : 2); }
void CompactWriter::write_i32(int32_t value) { write_varint(zigzag(value)); }
void CompactWriter::write_i64(int64_t value) { write_varint(zigzag(value)); }

void CompactWriter::write_double(double value) {
  uint8_t bytes[8];
  std::memcpy(bytes, &value, 8);
  buffer_.insert(buffer_.end(), bytes, bytes + 8);
}

void CompactWriter::write_binary(std::string_view value) {
  write_varint(value.size());
  buffer_.insert(buffer_.end(), value.begin(), value.end());
}

void CompactWriter::write_varint(uint64_t value) {
  while (value >= 0x80) {
    buffer_.push_back(static_cast<uint8_t>(value | 0x80));
    value >>= 7;
  }
  buffer_.push_back(static_cast<uint8_t>(value));
}

CompactReader::CompactReader(std::span<const uint8_t> data, std::string context)
    : data_(data), context_(std::move(context)) {}

void CompactReader::fail(const std::string &message) const {
  throw Corrupt(context_ + ": " + message + " at byte " + std::to_string(pos_));
}

void CompactReader::fail_type(const FieldHeader &field, const char *owner) {
  fail(std::string(owner) + " field " + std::to_string(field.id) + " has wire type " +
       std::to_string(static_cast<int>(field.type)));
}

const uint8_t *CompactReader::take(size_t n, const char *what) {
  if (n > data_.size() - pos_) {
    fail(std::string("truncated ") + what + ": needs " + std::to_string(n) + " bytes, " +
         std::to_string(data_.size() - pos_) + " left");
  }
  const uint8_t *p = data_.data() + pos_;
  pos_ += n;
  return p;
}

void CompactReader::enter() {
  if (++depth_ > kMaxDepth) fail("nesting deeper than " + std::to_string(kMaxDepth));
}

void CompactReader::begin_struct() {
  enter();
  last_ids_.push_back(last_id_);
  last_id_ = 0;
}

void CompactReader::end_struct() {
  leave();
  last_id_ = last_ids_.empty() ? 0 : last_ids_.back();
  if (!last_ids_.empty()) last_ids_.pop_back();
}

std::optional<FieldHeader> CompactReader::next_field() {
  uint8_t byte = *take(1, "field header");
  if (byte == 0) return std::nullopt;
  uint8_t type = byte & 0x0F;
  if (!is_valid_type(type)) fail("unknown wire type " + std::to_string(type) + " in field header");
  FieldHeader field;
  int delta = byte >> 4;
  field.id = delta == 0 ? read_i16() : static_cast<int16_t>(last_id_ + delta);
  last_id_ = field.id;
  field.type = static_cast<ThriftType>(type);
  if (field.type == ThriftType::kBoolFalse) field.type = ThriftType::kBoolTrue;
  field.bool_value = type == static_cast<uint8_t>(ThriftType::kBoolTrue);
  return field;
}

uint64_t CompactReader::read_varint(const char *what) {
  uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t byte = *take(1, what);
    value |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  fail(std::string("varint longer than 10 bytes in ") + what);
}

bool CompactReader::read_bool() { return *take(1, "bool") == 1; }
int8_t CompactReader::read_i8() { return static_cast<int8_t>(*take(1, "byte")); }

int16_t CompactReader::read_i16() {
  int64_t value = unzigzag(read_varint("i16"));
  if (value < INT16_MIN || value > INT16_MAX) fail("i16 out of range");
  return static_cast<int16_t>(value);
}

int32_t CompactReader::read_i32() {
  int64_t value = unzigzag(read_varint("i32"));
  if (value < INT32_MIN || value > INT32_MAX) fail("i32 out of range");
  return static_cast<int32_t>(value);
}

int64_t CompactReader::read_i64() { return unzigzag(read_varint("i64")); }

double CompactReader::read_double() {
  double value;
  std::memcpy(&value, take(8, "double"), 8);
  return value;
}

std::span<const uint8_t> CompactReader::read_binary() {
  uint64_t size = read_varint("binary length");
  if (size > data_.size() - pos_) {
    fail("binary of " + std::to_string(size) + " bytes runs past the end (" +
         std::to_string(data_.size() - pos_) + " left)");
  }
  return {take(static_cast<size_t>(size), "binary"), static_cast<size_t>(size)};
}

std::string CompactReader::read_string() {
  std::span<const uint8_t> bytes = read_binary();
  return {reinterpret_cast<const char *>(bytes.data()), bytes.size()};
}

ListHeader CompactReader::read_list_header() {
  uint8_t byte = *take(1, "list header");
  ListHeader header;
  uint8_t type = byte & 0x0F;
  if (!is_valid_type(type)) fail("unknown list element type " + std::to_string(type));
  header.element = static_cast<ThriftType>(type);
  uint64_t size = byte >> 4;
  if (size == 15) size = read_varint("list size");
  // Every element takes at least one byte, so a larger count is a lie.
  if (size > data_.size() - pos_) {
    fail("list of " + std::to_string(size) + " elements runs past the end (" +
         std::to_string(data_.size() - pos_) + " bytes left)");
  }
  header.size = static_cast<uint32_t>(size);
  return header;
}

void CompactReader::skip(const FieldHeader &field) {
  if (field.type != ThriftType::kBoolTrue) skip(field.type);
}

void CompactReader::skip(ThriftType type) {
  switch (type) {
    case ThriftType::kStop:
      fail("stop type where a value was expected");
    case ThriftType::kBoolTrue:
    case ThriftType::kBoolFalse:
    case ThriftType::kByte:
      take(1, "byte");
      return;
    case ThriftType::kI16:
    case ThriftType::kI32:
    case ThriftType::kI64:
      read_varint("integer");
      return;
    case ThriftType::kDouble:
      take(8, "double");
      return;
    case ThriftType::kBinary:
      read_binary();
      return;
    case ThriftType::kList:
    case ThriftType::kSet:
      return skip_list();
    case ThriftType::kMap:
      return skip_map();
    case ThriftType::kStruct:
      begin_struct();
      while (std::optional<FieldHeader> field = next_field()) skip(*field);
      end_struct();
      return;
  }
  fail("unknown wire type " + std::to_string(static_cast<int>(type)));
}

void CompactReader::skip_list() {
  ListHeader header = read_list_header();
  enter();
  for (uint32_t i = 0; i < header.size; ++i) skip(header.element);
  leave();
}

void CompactReader::skip_map() {
  uint64_t size = read_varint("map size");
  if (size == 0) return;
  if (size > data_.size() - pos_)
    fail("map of " + std::to_string(size) + " entries runs past the end");
  uint8_t types = *take(1, "map types");
  auto key = static_cast<uint8_t>(types >> 4), value = static_cast<uint8_t>(types & 0x0F);
  if (!is_valid_type(key) || !is_valid_type(value)) fail("unknown map key or value type");
  enter();
  for (uint64_t i = 0; i < size; ++i) {
    skip(static_cast<ThriftType>(key));
    skip(static_cast<ThriftType>(value));
  }
  leave();
}

}  // namespace quilt::parquet
