#include "parquet_oracle.h"

#include <filesystem>
#include <stdexcept>

#include "test_util.h"

namespace quilt::test {

std::string oracle_dir() { return std::string(QUILT_SOURCE_DIR) + "/tools/parquet-oracle"; }

namespace {

void require_installed() {
  if (!std::filesystem::exists(oracle_dir() + "/node_modules/@duckdb/node-api")) {
    throw std::runtime_error("the Parquet oracle is not installed: run scripts/oracle-setup (" +
                             oracle_dir() + ")");
  }
}

std::string node_path() {
  for (const char* p : {"/usr/bin/node", "/usr/local/bin/node"}) {
    if (std::filesystem::exists(p)) return p;
  }
  throw std::runtime_error("node not found in /usr/bin or /usr/local/bin");
}

}  // namespace

std::string OracleReport::problems() const {
  std::string out;
  if (summary.is_object()) {
    const Json* list = summary.find("problems");
    if (list != nullptr && list->is_array()) {
      for (const Json& p : list->as_array()) if (p.is_string()) {
        out += p.as_string();
      } else {
        p.dump_canonical(out);
      }
      out += "\n";
    }
  }
  if (exit_code != 0 && out.empty()) out = "exit " + std::to_string(exit_code) + ": " + err;
  return out;
}

OracleReport check_parquet(const std::string& path, bool cross) {
  require_installed();
  std::vector<std::string> argv = {node_path(), oracle_dir() + "/pqcheck.mjs", path};
  if (cross) argv.push_back("--cross");
  RunResult r = run_program(argv);
  OracleReport report;
  report.exit_code = r.exit_code;
  report.err = r.err;
  if (!r.out.empty()) report.summary = Json::parse(r.out);
  return report;
}

Json duckdb_sql(const std::string& sql) {
  require_installed();
  RunResult r = run_program({node_path(), oracle_dir() + "/duckdb_sql.mjs", "-"}, sql);
  if (r.exit_code != 0) throw std::runtime_error("DuckDB failed: " + r.err);
  Json doc = Json::parse(r.out);
  return *doc.find("rows");
}

}  // namespace quilt::test
