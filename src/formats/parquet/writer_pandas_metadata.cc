#include "formats/parquet/writer_pandas_metadata.h"

#include <utility>

#include "formats/parquet/writer_version.h"
#include "quilt/json.h"

namespace quilt::parquet {
namespace {

// The name numpy and pandas give a fixed-width dtype.
const char *numeric_name(TypeId id) {
  switch (id) {
    case TypeId::kBool:
      return "bool";
    case TypeId::kInt8:
      return "int8";
    case TypeId::kInt16:
      return "int16";
    case TypeId::kInt32:
      return "int32";
    case TypeId::kInt64:
      return "int64";
    case TypeId::kUInt8:
      return "uint8";
    case TypeId::kUInt16:
      return "uint16";
    case TypeId::kUInt32:
      return "uint32";
    case TypeId::kUInt64:
      return "uint64";
    case TypeId::kFloat32:
      return "float32";
    case TypeId::kFloat64:
      return "float64";
    default:
      return "object";
  }
}

struct PandasType {
  std::string pandas_type;
  std::string numpy_type;
  Json metadata;  // null unless the type has parameters
};

PandasType pandas_type_of(const Column &column) {
  const DataType &type = column.type();
  switch (type.id()) {
    case TypeId::kString:
      return {"unicode", "object", nullptr};
    case TypeId::kBinary:
      return {"bytes", "object", nullptr};
    case TypeId::kDate32:
      // pandas holds dates as datetime.date objects.
      return {"date", "object", nullptr};
    case TypeId::kTimestamp:
      // pandas 1.5 holds every datetime64 in nanoseconds; pyarrow converts.
      if (type.timezone().empty()) return {"datetime", "datetime64[ns]", nullptr};
      return {"datetimetz", "datetime64[ns]", Json::Object{{"timezone", Json(type.timezone())}}};
    case TypeId::kDictionary: {
      Json::Object metadata{{"num_categories", Json(column.dictionary().length())},
                            {"ordered", Json(type.ordered())}};
      // numpy_type of a categorical is the dtype of its codes.
      return {"categorical", numeric_name(type.index_type().id()), Json(std::move(metadata))};
    }
    case TypeId::kBool:
      // A bool column with nulls is an object column in pandas.
      return {"bool", column.null_count() > 0 ? "object" : "bool", nullptr};
    default:
      return {numeric_name(type.id()), numeric_name(type.id()), nullptr};
  }
}

}  // namespace

std::string pandas_metadata_json(const Table &table) {
  Json::Array columns;
  for (const Column &column : table.columns()) {
    PandasType t = pandas_type_of(column);
    columns.emplace_back(Json::Object{{"name", Json(column.name())},
                                      {"field_name", Json(column.name())},
                                      {"pandas_type", Json(std::move(t.pandas_type))},
                                      {"numpy_type", Json(std::move(t.numpy_type))},
                                      {"metadata", std::move(t.metadata)}});
  }
  Json::Object range{{"kind", Json("range")},
                     {"name", Json(nullptr)},
                     {"start", Json(0)},
                     {"stop", Json(table.num_rows())},
                     {"step", Json(1)}};
  Json::Object column_index{{"name", Json(nullptr)},
                            {"field_name", Json(nullptr)},
                            {"pandas_type", Json("unicode")},
                            {"numpy_type", Json("object")},
                            {"metadata", Json(Json::Object{{"encoding", Json("UTF-8")}})}};
  Json document(Json::Object{
      {"index_columns", Json(Json::Array{Json(std::move(range))})},
      {"column_indexes", Json(Json::Array{Json(std::move(column_index))})},
      {"columns", Json(std::move(columns))},
      {"creator", Json(Json::Object{{"library", Json("quiltcpp")}, {"version", Json(kQuiltVersion)}})},
      {"pandas_version", Json(kPandasVersion)}});
  std::string out;
  document.dump_manifest(out);
  return out;
}

}  // namespace quilt::parquet
