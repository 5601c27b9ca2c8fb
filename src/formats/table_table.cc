#include "quilt/table.h"

#include "core/utf8.h"
#include "formats/table_internal.h"
#include "quilt/errors.h"

namespace quilt {

struct Table::Data {
  std::vector<Column> columns;
  KeyValueMetadata metadata;
  int64_t num_rows = 0;
};

Table::Table() : data_(std::make_shared<const Data>()) {}

Table Table::make(std::vector<Column> columns, KeyValueMetadata metadata, int64_t num_rows) {
  auto d = std::make_shared<Data>();
  d->num_rows = columns.empty() ? num_rows : columns.front().length();
  if (d->num_rows < 0) throw InvalidArgument("a table cannot have a negative number of rows");
  for (const Column& c : columns) {
    if (c.length() != d->num_rows) {
      throw InvalidArgument(
          detail::column_error(c.name(), "has " + std::to_string(c.length()) + " rows; column '" +
                                             escape_for_message(columns.front().name()) + "' has " +
                                             std::to_string(d->num_rows)));
    }
  }
  d->columns = std::move(columns);
  d->metadata = std::move(metadata);
  return Table(std::move(d));
}

int64_t Table::num_rows() const noexcept { return data_->num_rows; }
int Table::num_columns() const noexcept { return static_cast<int>(data_->columns.size()); }
const std::vector<Column>& Table::columns() const noexcept { return data_->columns; }

const Column& Table::column(int i) const {
  if (i < 0 || i >= num_columns()) {
    throw InvalidArgument("column index " + std::to_string(i) + " is outside a table of " +
                          std::to_string(num_columns()) + " columns");
  }
  return data_->columns[static_cast<size_t>(i)];
}

const Column* Table::find_column(std::string_view name) const noexcept {
  for (const Column& c : data_->columns) {
    if (c.name() == name) return &c;
  }
  return nullptr;
}

std::vector<Field> Table::schema() const {
  std::vector<Field> fields;
  fields.reserve(data_->columns.size());
  for (const Column& c : data_->columns) fields.push_back({c.name(), c.type(), true});
  return fields;
}

const KeyValueMetadata& Table::metadata() const noexcept { return data_->metadata; }

std::optional<std::string> Table::metadata_value(std::string_view key) const {
  for (const auto& [k, v] : data_->metadata) {
    if (k == key) return v;
  }
  return std::nullopt;
}

Table Table::with_metadata(KeyValueMetadata metadata) const {
  return make(data_->columns, std::move(metadata), data_->num_rows);
}

Table Table::slice(int64_t offset, int64_t length) const {
  if (offset < 0 || length < 0 || offset > num_rows() || length > num_rows() - offset) {
    throw InvalidArgument("table slice [" + std::to_string(offset) + ", +" +
                          std::to_string(length) + ") is outside " + std::to_string(num_rows()) +
                          " rows");
  }
  std::vector<Column> columns;
  columns.reserve(data_->columns.size());
  for (const Column& c : data_->columns) columns.push_back(c.slice(offset, length));
  return make(std::move(columns), data_->metadata, length);
}

void Table::validate_full() const {
  for (const Column& c : data_->columns) c.validate_full();
}

bool Table::equals(const Table& other, const EqualOptions& options) const {
  if (num_rows() != other.num_rows() || num_columns() != other.num_columns()) return false;
  if (options.check_metadata && metadata() != other.metadata()) return false;
  for (int i = 0; i < num_columns(); ++i) {
    if (!column(i).equals(other.column(i), options)) return false;
  }
  return true;
}

}  // namespace quilt
