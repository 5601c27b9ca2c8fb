#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "quilt/data_type.h"

namespace quilt {

/// A read-only byte range plus the handle that keeps it alive. The owner is
/// either caller memory (a numpy array, an mmap: any shared_ptr) or a vector the
/// buffer made itself. Copies share the owner; the bytes are released when the
/// last copy dies. Immutable; thread-safe.
class Buffer {
 public:
  Buffer() = default;
  /// View `size` bytes at `data`, kept alive by `owner` (may be null when the
  /// caller guarantees the lifetime itself).
  Buffer(const void* data, size_t size, std::shared_ptr<const void> owner)
      : data_(static_cast<const uint8_t*>(data)), size_(size), owner_(std::move(owner)) {}

  /// Take ownership of `values` (moved, not copied) and view its bytes.
  template <class T>
  static Buffer from_vector(std::vector<T> values) {
    static_assert(std::is_trivially_copyable_v<T> && !std::is_same_v<T, bool>);
    auto owned = std::make_shared<const std::vector<T>>(std::move(values));
    return Buffer(owned->data(), owned->size() * sizeof(T), owned);
  }

  const uint8_t* data() const noexcept { return data_; }
  size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::span<const uint8_t> bytes() const noexcept { return {data_, size_}; }
  const std::shared_ptr<const void>& owner() const noexcept { return owner_; }
  /// Return bytes [offset, offset + size) sharing the owner. Throws InvalidArgument
  /// when the range is outside the buffer.
  Buffer slice(size_t offset, size_t size) const;

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::shared_ptr<const void> owner_;
};

/// C++ value types that map to one fixed-width numeric column type.
template <class T>
concept NumericValue = std::same_as<T, int8_t> || std::same_as<T, int16_t> ||
    std::same_as<T, int32_t> || std::same_as<T, int64_t> || std::same_as<T, uint8_t> ||
    std::same_as<T, uint16_t> || std::same_as<T, uint32_t> || std::same_as<T, uint64_t> ||
    std::same_as<T, float> || std::same_as<T, double>;

/// Return the column type for a numeric C++ type (int64_t -> int64, double -> float64).
template <NumericValue T>
DataType data_type_of();

struct ColumnBuffers;

/// Options of Column::equals and Table::equals.
struct EqualOptions {
  /// Treat NaN as equal to NaN in float columns.
  bool nans_equal = false;
  /// Compare Table key-value metadata too.
  bool check_metadata = false;
};

/// One named column in Arrow's memory layout. Buffers:
///  - validity: a bitmap, LSB first, 1 = valid; empty when there are no nulls.
///  - values: fixed-width values (bit-packed LSB first for bool; int64 for
///    timestamp; int32 for date32; the indices for a dictionary column), or the
///    int32 offsets (length + 1 of them, from offset()) for string/binary.
///  - data: the bytes of string/binary values.
/// Slot i of the column is slot offset() + i of the buffers (so slices are
/// zero-copy; a serializer must honour offset()). A dictionary column also holds
/// its dictionary, a column of the value type.
/// Immutable once built; copies share the buffers; thread-safe.
class Column {
 public:
  /// Build from explicit buffers (the general form; zero-copy). Cheap checks
  /// only (buffer sizes, alignment, first/last offsets, dictionary presence);
  /// call validate_full() for the rest. A kSecond timestamp is converted to
  /// kMilli (a copy). Throws InvalidArgument naming the column.
  static Column make(std::string name, DataType type, int64_t length, ColumnBuffers buffers);

  /// View `length` fixed-width values at `values` (and an optional validity
  /// bitmap) without copying; `owner` keeps the memory alive as long as any
  /// copy of the column (or of a Table holding it) lives.
  static Column view(std::string name, DataType type, int64_t length, const void* values,
                     const uint8_t* validity, std::shared_ptr<const void> owner);
  /// View string/binary values: `length + 1` int32 offsets and `data_size` bytes.
  static Column view_strings(std::string name, DataType type, int64_t length,
                             const int32_t* offsets, const uint8_t* data, size_t data_size,
                             const uint8_t* validity, std::shared_ptr<const void> owner);

  /// Build a numeric column, taking ownership of `values` (no copy).
  template <NumericValue T>
  static Column from_values(std::string name, std::vector<T> values);
  /// Build a nullable numeric column; std::nullopt is a null.
  template <NumericValue T>
  static Column from_optional(std::string name, const std::vector<std::optional<T>>& values);
  static Column from_bools(std::string name, const std::vector<bool>& values);
  static Column from_optional_bools(std::string name,
                                    const std::vector<std::optional<bool>>& values);
  /// Build a UTF-8 string column. Throws InvalidArgument on ill-formed UTF-8.
  static Column from_strings(std::string name, const std::vector<std::string>& values);
  static Column from_optional_strings(std::string name,
                                      const std::vector<std::optional<std::string>>& values);
  /// Build a binary column (any bytes).
  static Column from_binary(std::string name, const std::vector<std::string>& values);
  /// Build a timestamp column; kSecond values are converted to milliseconds.
  static Column from_timestamps(std::string name, std::vector<int64_t> values, TimeUnit unit,
                                std::string timezone = "");
  static Column from_optional_timestamps(std::string name,
                                         const std::vector<std::optional<int64_t>>& values,
                                         TimeUnit unit, std::string timezone = "");
  /// Build a date32 column (days since 1970-01-01).
  static Column from_dates(std::string name, std::vector<int32_t> days);
  /// Build a categorical: int32 `codes` into `categories` (a string column);
  /// a negative code is a null, as in pandas. Throws InvalidArgument when a code
  /// is out of range.
  static Column from_dictionary(std::string name, const std::vector<int32_t>& codes,
                                const std::vector<std::string>& categories, bool ordered = false);

  const std::string& name() const noexcept;
  const DataType& type() const noexcept;
  int64_t length() const noexcept;
  int64_t null_count() const noexcept;
  /// The first slot of the buffers that belongs to this column.
  int64_t offset() const noexcept;
  const Buffer& validity_buffer() const noexcept;
  const Buffer& values_buffer() const noexcept;
  const Buffer& data_buffer() const noexcept;
  /// The dictionary of a dictionary column. Throws InvalidArgument otherwise.
  const Column& dictionary() const;

  bool is_valid(int64_t i) const noexcept;
  bool is_null(int64_t i) const noexcept { return !is_valid(i); }
  /// Return the fixed-width values of this column (already offset). T must have
  /// the width and kind of the type (int64_t for timestamps, int32_t for date32,
  /// the index type for dictionaries). Null slots hold unspecified values.
  /// Throws InvalidArgument on a mismatch.
  template <NumericValue T>
  std::span<const T> values() const;
  /// Return value i of a bool column.
  bool bool_at(int64_t i) const;
  /// Return the length() + 1 offsets of a string/binary column (already offset;
  /// they index data_buffer() and need not start at 0).
  std::span<const int32_t> offsets() const;
  /// Return value i of a string/binary column (empty for a null).
  std::string_view string_at(int64_t i) const;

  /// Return rows [offset, offset + length) without copying. Throws
  /// InvalidArgument when the range is outside the column.
  Column slice(int64_t offset, int64_t length) const;
  /// Return the same data under another name.
  Column rename(std::string name) const;
  /// Check everything make() does not: offsets monotonic and within data, UTF-8
  /// of strings, dictionary indices in range, null count. Throws InvalidArgument.
  void validate_full() const;
  /// Return whether names, types, lengths, nulls and values are equal
  /// (dictionaries compare by the values the indices select).
  bool equals(const Column& other, const EqualOptions& options = {}) const;

  struct Data;

 private:
  explicit Column(std::shared_ptr<const Data> data) : data_(std::move(data)) {}
  std::shared_ptr<const Data> data_;
};

/// The buffers given to Column::make.
struct ColumnBuffers {
  Buffer validity;
  Buffer values;
  Buffer data;
  /// Slot of the buffers where the column starts.
  int64_t offset = 0;
  /// The number of nulls, or -1 to count them from the bitmap.
  int64_t null_count = -1;
  /// Required for, and only for, a dictionary type.
  std::shared_ptr<const Column> dictionary;
};

/// A field of a table's schema.
struct Field {
  std::string name;
  DataType type;
  bool nullable = true;
};

/// Ordered key-value metadata (e.g. "pandas" -> its JSON). Order is kept as given.
using KeyValueMetadata = std::vector<std::pair<std::string, std::string>>;

/// Columns of equal length plus key-value metadata. Immutable; copies share
/// the columns; thread-safe.
class Table {
 public:
  /// An empty table: no columns, no rows.
  Table();
  /// Throws InvalidArgument when column lengths differ (naming the column).
  /// `num_rows` is needed only for a table without columns.
  static Table make(std::vector<Column> columns, KeyValueMetadata metadata = {},
                    int64_t num_rows = 0);

  int64_t num_rows() const noexcept;
  int num_columns() const noexcept;
  const std::vector<Column>& columns() const noexcept;
  const Column& column(int i) const;
  /// Return the first column named `name`, or nullptr.
  const Column* find_column(std::string_view name) const noexcept;
  std::vector<Field> schema() const;
  const KeyValueMetadata& metadata() const noexcept;
  /// Return the value for `key`, or std::nullopt.
  std::optional<std::string> metadata_value(std::string_view key) const;
  Table with_metadata(KeyValueMetadata metadata) const;

  /// Return rows [offset, offset + length) without copying.
  Table slice(int64_t offset, int64_t length) const;
  void validate_full() const;
  bool equals(const Table& other, const EqualOptions& options = {}) const;

 private:
  struct Data;
  explicit Table(std::shared_ptr<const Data> data) : data_(std::move(data)) {}
  std::shared_ptr<const Data> data_;
};

}  // namespace quilt
