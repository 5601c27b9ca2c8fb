// Parquet types to column types. The order of preference is the format's: the logical type when
// the file has one, else the legacy converted type, else the physical type. pandas' metadata
// then restores what Parquet cannot say: a timestamp's time zone and categoricals.

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "core/utf8.h"
#include "formats/parquet/reader.h"
#include "quilt/errors.h"
#include "quilt/json.h"

namespace quilt::parquet {
namespace {

[[noreturn]] void unsupported(const std::string& source, const std::string& column,
                              const std::string& what) {
  throw InvalidArgument(column_context(source, column) + ": " + what +
                        " is not supported by this reader");
}

std::string physical_name(PhysicalType type) {
  static const char* const kNames[] = {"BOOLEAN", "INT32",  "INT64",      "INT96",
                                       "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
  return kNames[static_cast<int>(type)];
}

std::optional<DataType> integer_type(int bits, bool is_signed) {
  switch (bits) {
    case 8:
      return is_signed ? DataType::int8() : DataType::uint8();
    case 16:
      return is_signed ? DataType::int16() : DataType::uint16();
    case 32:
      return is_signed ? DataType::int32() : DataType::uint32();
    case 64:
      return is_signed ? DataType::int64() : DataType::uint64();
  }
  return std::nullopt;
}

quilt::TimeUnit unit_of(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kMillis:
      return quilt::TimeUnit::kMilli;
    case TimeUnit::kMicros:
      return quilt::TimeUnit::kMicro;
    case TimeUnit::kNanos:
      return quilt::TimeUnit::kNano;
  }
  return quilt::TimeUnit::kMicro;
}

// The type a logical type gives, or nullopt when the element has none.
std::optional<DataType> from_logical(const SchemaElement& e, const std::string& source) {
  const LogicalType& t = e.logical_type;
  PhysicalType physical = *e.type;
  bool is_int32 = physical == PhysicalType::kInt32;
  bool is_int64 = physical == PhysicalType::kInt64;
  bool is_bytes = physical == PhysicalType::kByteArray;
  switch (t.kind) {
    case LogicalType::Kind::kNone:
      return std::nullopt;
    case LogicalType::Kind::kString:
      if (is_bytes) return DataType::string();
      break;
    case LogicalType::Kind::kDate:
      if (is_int32) return DataType::date32();
      break;
    case LogicalType::Kind::kTimestamp:
      if (is_int64) return DataType::timestamp(unit_of(t.unit), t.is_adjusted_to_utc ? "UTC" : "");
      break;
    case LogicalType::Kind::kInteger: {
      std::optional<DataType> type = integer_type(t.bit_width, t.is_signed);
      if (type && ((is_int32 && t.bit_width <= 32) || (is_int64 && t.bit_width == 64))) return type;
      break;
    }
    case LogicalType::Kind::kOther:
      // ENUM (4) and JSON (12) are UTF-8 text; any other annotation of bytes leaves bytes.
      if (is_bytes && (t.other_id == 4 || t.other_id == 12)) return DataType::string();
      if (is_bytes || physical == PhysicalType::kFixedLenByteArray) return DataType::binary();
      unsupported(source, e.name,
                  "logical type #" + std::to_string(t.other_id) + " on " + physical_name(physical));
  }
  unsupported(source, e.name, "this logical type on " + physical_name(physical));
}

// The type a converted type gives, or nullopt when it says nothing we use.
std::optional<DataType> from_converted(const SchemaElement& e, const std::string& source) {
  if (!e.converted_type) return std::nullopt;
  PhysicalType physical = *e.type;
  ConvertedType c = *e.converted_type;
  auto expect = [&](PhysicalType wanted, DataType type) -> DataType {
    if (physical != wanted) {
      unsupported(source, e.name,
                  "converted type #" + std::to_string(static_cast<int>(c)) + " on " +
                      physical_name(physical));
    }
    return type;
  };
  switch (c) {
    case ConvertedType::kUtf8:
    case ConvertedType::kEnum:
    case ConvertedType::kJson:
      return expect(PhysicalType::kByteArray, DataType::string());
    case ConvertedType::kInt8:
      return expect(PhysicalType::kInt32, DataType::int8());
    case ConvertedType::kInt16:
      return expect(PhysicalType::kInt32, DataType::int16());
    case ConvertedType::kInt32:
      return expect(PhysicalType::kInt32, DataType::int32());
    case ConvertedType::kUint8:
      return expect(PhysicalType::kInt32, DataType::uint8());
    case ConvertedType::kUint16:
      return expect(PhysicalType::kInt32, DataType::uint16());
    case ConvertedType::kUint32:
      return expect(PhysicalType::kInt32, DataType::uint32());
    case ConvertedType::kInt64:
      return expect(PhysicalType::kInt64, DataType::int64());
    case ConvertedType::kUint64:
      return expect(PhysicalType::kInt64, DataType::uint64());
    case ConvertedType::kDate:
      return expect(PhysicalType::kInt32, DataType::date32());
    // The legacy timestamp annotations mean UTC-adjusted instants (parquet-format's
    // LogicalTypes.md).
    case ConvertedType::kTimestampMillis:
      return expect(PhysicalType::kInt64, DataType::timestamp(quilt::TimeUnit::kMilli, "UTC"));
    case ConvertedType::kTimestampMicros:
      return expect(PhysicalType::kInt64, DataType::timestamp(quilt::TimeUnit::kMicro, "UTC"));
    default:
      break;
  }
  if (physical == PhysicalType::kByteArray || physical == PhysicalType::kFixedLenByteArray) {
    return DataType::binary();
  }
  unsupported(
      source, e.name,
      "converted type #" + std::to_string(static_cast<int>(c)) + " on " + physical_name(physical));
}

DataType from_physical(PhysicalType physical) {
  switch (physical) {
    case PhysicalType::kBoolean:
      return DataType::boolean();
    case PhysicalType::kInt32:
      return DataType::int32();
    case PhysicalType::kInt64:
      return DataType::int64();
    case PhysicalType::kInt96:
      return DataType::timestamp(quilt::TimeUnit::kNano);
    case PhysicalType::kFloat:
      return DataType::float32();
    case PhysicalType::kDouble:
      return DataType::float64();
    case PhysicalType::kByteArray:
    case PhysicalType::kFixedLenByteArray:
      return DataType::binary();
  }
  return DataType::binary();
}

DataType column_type(const SchemaElement& e, const std::string& source) {
  if (std::optional<DataType> t = from_logical(e, source)) return *t;
  if (std::optional<DataType> t = from_converted(e, source)) return *t;
  return from_physical(*e.type);
}

// What pandas' metadata says about one column.
struct PandasColumn {
  std::string timezone;
  bool categorical = false;
  bool ordered = false;
};

// Read pandas' JSON leniently: it only refines types, so a document we cannot use is ignored.
std::map<std::string, PandasColumn> parse_pandas(const std::string& text) {
  std::map<std::string, PandasColumn> out;
  if (text.empty()) return out;
  Json doc;
  try {
    doc = Json::parse(text);
  } catch (const Error&) {
    return out;
  }
  const Json* columns = doc.is_object() ? doc.find("columns") : nullptr;
  if (columns == nullptr || !columns->is_array()) return out;
  for (const Json& c : columns->as_array()) {
    if (!c.is_object()) continue;
    const Json* name = c.find("field_name");
    if (name == nullptr || !name->is_string()) name = c.find("name");
    const Json* type = c.find("pandas_type");
    if (name == nullptr || !name->is_string() || type == nullptr || !type->is_string()) continue;
    const Json* meta = c.find("metadata");
    PandasColumn p;
    if (type->as_string() == "datetimetz" && meta != nullptr && meta->is_object()) {
      const Json* tz = meta->find("timezone");
      if (tz != nullptr && tz->is_string()) p.timezone = tz->as_string();
    } else if (type->as_string() == "categorical") {
      p.categorical = true;
      const Json* ordered = meta != nullptr && meta->is_object() ? meta->find("ordered") : nullptr;
      p.ordered = ordered != nullptr && ordered->is_bool() && ordered->as_bool();
    }
    out[name->as_string()] = p;
  }
  return out;
}

// Return whether a categorical of `plan`'s values can come back as codes and categories:
// strings, and numbers, dates and timestamps stored in a physical type of their own width or
// (small integers) in INT32.
bool categorical_values(const ColumnPlan& plan) {
  switch (plan.type.id()) {
    case TypeId::kString:
      return plan.physical == PhysicalType::kByteArray;
    case TypeId::kInt8:
    case TypeId::kInt16:
    case TypeId::kInt32:
    case TypeId::kUInt8:
    case TypeId::kUInt16:
    case TypeId::kUInt32:
    case TypeId::kDate32:
      return plan.physical == PhysicalType::kInt32;
    case TypeId::kInt64:
    case TypeId::kUInt64:
    case TypeId::kTimestamp:
      return plan.physical == PhysicalType::kInt64;
    case TypeId::kFloat32:
      return plan.physical == PhysicalType::kFloat;
    case TypeId::kFloat64:
      return plan.physical == PhysicalType::kDouble;
    default:
      return false;
  }
}

void apply_pandas(ColumnPlan& plan, const PandasColumn& p) {
  if (!p.timezone.empty() && plan.type.id() == TypeId::kTimestamp) {
    plan.type = DataType::timestamp(plan.type.unit(), p.timezone);
  } else if (p.categorical && categorical_values(plan)) {
    // The dictionary pages hold the categories in their order, unused ones included, so the
    // codes and the categories come back as pandas had them.
    plan.categorical = true;
    plan.type = DataType::dictionary(DataType::int32(), plan.type, p.ordered);
  }
}

ColumnPlan plan_leaf(const SchemaElement& e, size_t leaf, const std::string& source) {
  if (e.num_children && *e.num_children > 0) {
    unsupported(source, e.name, "a nested column (group node)");
  }
  if (!e.type) throw Corrupt(column_context(source, e.name) + ": schema leaf without a type");
  Repetition repetition = e.repetition.value_or(Repetition::kOptional);
  if (repetition == Repetition::kRepeated) unsupported(source, e.name, "a repeated column");
  if (repetition != Repetition::kRequired && repetition != Repetition::kOptional) {
    throw Corrupt(column_context(source, e.name) + ": unknown repetition " +
                  std::to_string(static_cast<int>(repetition)));
  }
  ColumnPlan plan;
  plan.name = e.name;
  plan.leaf = leaf;
  plan.physical = *e.type;
  plan.optional = repetition == Repetition::kOptional;
  if (plan.physical == PhysicalType::kFixedLenByteArray) {
    if (!e.type_length || *e.type_length <= 0) {
      throw Corrupt(column_context(source, e.name) + ": FIXED_LEN_BYTE_ARRAY without a length");
    }
    plan.type_length = *e.type_length;
  }
  plan.type = column_type(e, source);
  return plan;
}

}  // namespace

std::string column_context(const std::string& source, const std::string& column) {
  return source + ": column '" + escape_for_message(column) + "'";
}

namespace {

// Return the index past the subtree rooted at schema[i] (depth-first order), counting its leaves
// into `leaves`. Iterative, so a deep or lying schema cannot overflow the stack.
size_t skip_subtree(const std::vector<SchemaElement>& schema, size_t i, size_t& leaves,
                    const std::string& source) {
  uint64_t pending = 1;
  while (pending > 0) {
    if (i >= schema.size()) {
      throw Corrupt(source + ": the schema's child counts run past its " +
                    std::to_string(schema.size()) + " elements");
    }
    const SchemaElement& e = schema[i++];
    --pending;
    int32_t children = e.num_children.value_or(0);
    if (children < 0) {
      throw Corrupt(source + ": schema element '" + e.name + "' has negative children");
    }
    if (children == 0) {
      ++leaves;
    } else {
      pending += static_cast<uint64_t>(children);
      if (pending > schema.size()) {
        throw Corrupt(source + ": the schema's child counts run past its " +
                      std::to_string(schema.size()) + " elements");
      }
    }
  }
  return i;
}

// Call visit(element, index, first_leaf) for each top-level column of `schema` in order, after
// checking the tree's shape; return the number of leaves of the whole schema.
template <typename Visit>
size_t for_each_top_column(const std::vector<SchemaElement>& schema, const std::string& source,
                           Visit visit) {
  if (schema.empty()) throw Corrupt(source + ": the footer has no schema");
  int32_t children = schema[0].num_children.value_or(0);
  if (children < 0 || static_cast<size_t>(children) > schema.size() - 1) {
    throw Corrupt(source + ": the schema root has " + std::to_string(children) + " children but " +
                  std::to_string(schema.size() - 1) + " elements follow");
  }
  size_t i = 1;
  size_t leaves = 0;
  for (int32_t c = 0; c < children; ++c) {
    if (i >= schema.size()) throw Corrupt(source + ": the schema ends inside the root's children");
    size_t first_leaf = leaves;
    size_t end = skip_subtree(schema, i, leaves, source);
    visit(schema[i], i, first_leaf);
    i = end;
  }
  if (i != schema.size()) {
    throw Corrupt(source + ": the schema root has " + std::to_string(children) + " children but " +
                  std::to_string(schema.size() - i) + " more elements follow them");
  }
  return leaves;
}

// The plan of a top-level column, with pandas' refinements. Throws InvalidArgument naming it
// when the reader cannot decode it.
ColumnPlan plan_top_column(const SchemaElement& e, size_t first_leaf, const std::string& source,
                           const std::map<std::string, PandasColumn>& pandas) {
  if (e.num_children.value_or(0) > 0) {
    unsupported(source, e.name, "a nested column (group node: LIST, MAP or struct)");
  }
  ColumnPlan plan = plan_leaf(e, first_leaf, source);
  auto p = pandas.find(plan.name);
  if (p != pandas.end()) apply_pandas(plan, p->second);
  return plan;
}

}  // namespace

std::vector<ColumnPlan> plan_columns(const FileMetaData& metadata, const std::string& pandas_json,
                                     const std::string& source,
                                     const std::vector<std::string>* chosen, size_t* num_leaves) {
  if (chosen != nullptr) {
    std::set<std::string_view> seen;
    for (const std::string& name : *chosen) {
      if (!seen.insert(name).second) {
        throw InvalidArgument(source + ": column '" + name + "' is chosen twice");
      }
    }
  }
  std::map<std::string, PandasColumn> pandas = parse_pandas(pandas_json);
  std::vector<ColumnPlan> plans;
  size_t leaves = for_each_top_column(
      metadata.schema, source, [&](const SchemaElement& e, size_t, size_t first_leaf) {
        if (chosen == nullptr ||
            std::find(chosen->begin(), chosen->end(), e.name) != chosen->end()) {
          plans.push_back(plan_top_column(e, first_leaf, source, pandas));
        }
      });
  if (chosen != nullptr) {
    // The caller's order.
    std::vector<ColumnPlan> ordered;
    for (const std::string& name : *chosen) {
      auto it = std::find_if(plans.begin(), plans.end(),
                             [&](const ColumnPlan& p) { return p.name == name; });
      if (it == plans.end()) {
        throw InvalidArgument(source + ": no column named '" + name + "'");
      }
      ordered.push_back(std::move(*it));
    }
    plans = std::move(ordered);
  }
  if (num_leaves != nullptr) *num_leaves = leaves;
  return plans;
}

std::vector<ColumnDescription> describe_columns(const FileMetaData& metadata,
                                                const std::string& pandas_json,
                                                const std::string& source) {
  std::map<std::string, PandasColumn> pandas = parse_pandas(pandas_json);
  std::vector<ColumnDescription> out;
  for_each_top_column(metadata.schema, source,
                      [&](const SchemaElement& e, size_t index, size_t first_leaf) {
                        ColumnDescription& d = out.emplace_back();
                        d.element = index;
                        // One column the reader cannot decode must not hide the others:
                        // describe it and go on.
                        try {
                          d.plan = plan_top_column(e, first_leaf, source, pandas);
                        } catch (const InvalidArgument& error) {
                          d.unsupported = error.what();
                        }
                      });
  return out;
}

}  // namespace quilt::parquet
