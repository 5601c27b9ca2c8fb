#pragma once

// The independent Parquet readers of tools/parquet-oracle (DuckDB, parquet-wasm,
// hyparquet; installed by scripts/oracle-setup) driven from tests.

#include <string>

#include "quilt/json.h"

namespace quilt::test {

/// What pqcheck.mjs said about a file.
struct OracleReport {
  int exit_code = -1;  // 0: no problem; 1: problems listed; 2: DuckDB cannot read it
  Json summary;        // pqcheck's JSON document (null when it printed none)
  std::string err;     // its stderr
  /// The problems list joined one per line (empty when there are none).
  std::string problems() const;
};

/// Run `node pqcheck.mjs path [--cross]`. Throws std::runtime_error when node
/// or the oracle's npm packages are missing (scripts/test installs them).
OracleReport check_parquet(const std::string& path, bool cross = true);

/// Run SQL statements in DuckDB (`;`-separated) and return the rows of the
/// last one as a JSON array of objects (DuckDB's JSON rendering: BIGINT as
/// strings). Throws std::runtime_error with DuckDB's message on failure.
Json duckdb_sql(const std::string& sql);

/// The oracle's directory (tools/parquet-oracle in the source tree).
std::string oracle_dir();

}  // namespace quilt::test
