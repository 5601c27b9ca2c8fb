#pragma once

// A codec for Apache Thrift's compact protocol, which Parquet uses for its
// footer and page headers. We write our own rather than generate code with the
// Thrift compiler: Parquet needs a handful of structs, a generated
// parquet.thrift would bring a runtime library and thousands of lines we do not
// use, and the decoder must treat every byte as hostile. This one bounds-checks
// every read, limits nesting, skips fields it does not know (of any type, as
// Thrift's own readers do), and throws quilt::Corrupt naming what it was
// reading and where.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace quilt::parquet {

/// A compact-protocol wire type. Booleans in a field header carry their value
/// in the type (kBoolTrue, kBoolFalse); in a list they are one byte each,
/// written with kBoolTrue.
enum class ThriftType : uint8_t {
  kStop = 0,
  kBoolTrue = 1,
  kBoolFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

/// Writes compact-protocol structs into a byte buffer that is reused from
/// message to message. Usage: begin_struct(); field_i32(1, v);
/// begin_field_struct(2); ...; end_struct(); end_struct(). Not thread-safe.
class CompactWriter {
 public:
  /// Start a struct that is a list element or the top-level message (no field
  /// header).
  void begin_struct();
  /// Write the stop field that ends the innermost struct.
  void end_struct();

  void field_bool(int16_t id, bool value);
  void field_i8(int16_t id, int8_t value);
  void field_i16(int16_t id, int16_t value);
  void field_i32(int16_t id, int32_t value);
  void field_i64(int16_t id, int64_t value);
  void field_double(int16_t id, double value);
  void field_binary(int16_t id, std::string_view value);
  /// Write a struct field header and begin the struct; end it with
  /// end_struct().
  void begin_field_struct(int16_t id);
  /// Write a list field header; then write `size` elements of `element` type.
  void field_list(int16_t id, ThriftType element, uint32_t size);

  /// List elements (and the values the field_* calls write after their header).
  void write_list_header(ThriftType element, uint32_t size);
  void write_bool(bool value);
  void write_i32(int32_t value);
  void write_i64(int64_t value);
  void write_double(double value);
  void write_binary(std::string_view value);
  void write_varint(uint64_t value);

  /// Return the bytes written so far.
  std::span<const uint8_t> bytes() const { return buffer_; }
  /// Forget the bytes written, keeping the buffer's capacity.
  void clear();

 private:
  void field_header(int16_t id, ThriftType type);

  std::vector<uint8_t> buffer_;
  std::vector<int16_t> last_ids_;
  int16_t last_id_ = 0;
};

/// A field header read by CompactReader. For booleans `type` is kBoolTrue and
/// `bool_value` holds the value.
struct FieldHeader {
  int16_t id = 0;
  ThriftType type = ThriftType::kStop;
  bool bool_value = false;
};

/// A list (or set) header.
struct ListHeader {
  ThriftType element = ThriftType::kStop;
  uint32_t size = 0;
};

/// Reads compact-protocol structs from a byte span it does not own.
/// Every read checks bounds; nesting deeper than kMaxDepth is refused. Throws
/// Corrupt whose message begins with the `context` given (say "footer of
/// data.parquet"), names the value being read and the byte offset. Not
/// thread-safe.
class CompactReader {
 public:
  static constexpr int kMaxDepth = 64;

  CompactReader(std::span<const uint8_t> data, std::string context);

  /// Enter a struct (list element or top level); pairs with end_struct().
  void begin_struct();
  void end_struct();
  /// Return the next field's header, or std::nullopt at the struct's stop
  /// field.
  std::optional<FieldHeader> next_field();

  bool read_bool();
  int8_t read_i8();
  int16_t read_i16();
  int32_t read_i32();
  int64_t read_i64();
  double read_double();
  /// Return a view of the binary value's bytes inside the input.
  std::span<const uint8_t> read_binary();
  std::string read_string();
  /// Read a list or set header; refuses sizes that cannot fit in the bytes
  /// left.
  ListHeader read_list_header();
  uint64_t read_varint(const char *what);

  /// Skip a value of `type`, whatever it holds (nested structs, lists, maps).
  void skip(ThriftType type);
  /// Skip the value of the field whose header was just read.
  void skip(const FieldHeader &field);

  /// Throw Corrupt for `field` of struct `owner` having an unexpected wire
  /// type.
  [[noreturn]] void fail_type(const FieldHeader &field, const char *owner);
  /// Throw Corrupt with `message`, prefixed by the context and followed by the
  /// offset.
  [[noreturn]] void fail(const std::string &message) const;

  /// Return the number of bytes consumed.
  size_t position() const { return pos_; }
  const std::string &context() const { return context_; }

 private:
  const uint8_t *take(size_t n, const char *what);
  void enter();
  void leave() { --depth_; }
  void skip_list();
  void skip_map();

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  std::string context_;
  std::vector<int16_t> last_ids_;
  int16_t last_id_ = 0;
  int depth_ = 0;
};

}  // namespace quilt::parquet
