#pragma once

// The "pandas" key-value metadata pyarrow writes beside a DataFrame, made from
// a Table's schema, so that pandas.read_parquet restores a RangeIndex and the
// column dtypes of a file we wrote. The layout is pandas' documented one
// (doc/source/development/developer.rst, "Storing pandas DataFrame objects in
// Apache Parquet format").

#include <string>

#include "quilt/table.h"

namespace quilt::parquet {

/// The pandas version the metadata claims, the one Debian ships with us.
inline constexpr const char *kPandasVersion = "1.5.3";

/// Return the pandas JSON for `table`: a RangeIndex over its rows, one
/// unnamed string column index, and for each column its name, pandas_type
/// (int64, uint8, float64, bool, unicode, bytes, datetime, datetimetz, date,
/// categorical), numpy_type and type metadata (the time zone of a datetimetz,
/// num_categories and ordered of a categorical); creator quiltcpp.
std::string pandas_metadata_json(const Table &table);

}  // namespace quilt::parquet
