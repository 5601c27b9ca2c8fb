// `quiltcpp head REF [-n N]` and `quiltcpp schema REF`: look into a table (a Parquet or CSV
// file, an s3:// object or a package entry) without loading more of it than needed. For Parquet,
// head reads the footer and then only the row groups that hold the first N rows.

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/table_source.h"
#include "cli/table_text.h"
#include "quilt/errors.h"
#include "quilt/json.h"

namespace quilt::cli {
namespace {

struct HeadArgs {
  TableRefArgs ref;
  int64_t rows = 10;
  bool json = false;
};

struct SchemaArgs {
  TableRefArgs ref;
  bool json = false;
};

void write_out(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

// The first `n` rows, and the table's row count. Parquet: only the leading row groups that hold
// them are read.
std::pair<Table, int64_t> first_rows(TableSource& source, int64_t n) {
  if (source.format() == TableFormat::kCsv) {
    Table all = source.read_csv_table();
    return {all.slice(0, std::min(n, all.num_rows())), all.num_rows()};
  }
  ParquetFileInfo info = source.parquet_info();
  std::vector<int> groups;
  int64_t covered = 0;
  for (size_t g = 0; g < info.row_groups.size() && covered < n; ++g) {
    groups.push_back(static_cast<int>(g));
    covered += info.row_groups[g].num_rows;
  }
  if (groups.empty() && !info.row_groups.empty()) groups.push_back(0);  // -n 0: the types only
  // Columns the reader cannot decode (nested ones, say) are left out, with a note, so the
  // others can still be seen.
  std::optional<std::vector<std::string>> columns;
  for (const ParquetColumnInfo& c : info.columns) {
    if (c.type) continue;
    if (!columns) {
      columns.emplace();
      for (const ParquetColumnInfo& k : info.columns) {
        if (k.type) columns->push_back(k.name);
      }
    }
    std::fprintf(stderr, "quiltcpp: note: column '%s' left out: %s\n", c.name.c_str(),
                 c.unsupported.c_str());
  }
  Table table = source.read_parquet_row_groups(groups, std::move(columns));
  return {table.slice(0, std::min(n, table.num_rows())), info.num_rows};
}

int run_head(const HeadArgs& args) {
  if (args.rows < 0) {
    throw InvalidArgument("-n must be 0 or more, not " + std::to_string(args.rows));
  }
  TableSource source = TableSource::open(args.ref);
  auto [table, total] = first_rows(source, args.rows);
  if (args.json) {
    for (int64_t r = 0; r < table.num_rows(); ++r) print_json(row_json(table, r));
    return 0;
  }
  write_out(format_table_text(table, total));
  return 0;
}

Json column_json(const std::string& name, const std::string& type, bool nullable) {
  Json out = Json::object();
  out.set("name", Json(name));
  out.set("type", Json(type));
  out.set("nullable", Json(nullable));
  return out;
}

// The schema of a CSV file: the types read_csv infers over the whole file.
int csv_schema(TableSource& source, bool json) {
  Table table = source.read_csv_table();
  if (json) {
    Json out = Json::object();
    out.set("name", Json(source.name()));
    out.set("format", Json("csv"));
    Json::Array columns;
    for (const Field& f : table.schema()) {
      columns.push_back(column_json(f.name, f.type.to_string(), f.nullable));
    }
    out.set("columns", Json(std::move(columns)));
    out.set("num_rows", Json(table.num_rows()));
    print_json(out);
    return 0;
  }
  std::printf("%s: csv, %s rows, %d columns\n", source.name().c_str(),
              with_thousands(table.num_rows()).c_str(), table.num_columns());
  std::printf("columns:\n");
  for (const Field& f : table.schema()) {
    std::printf("  %-24s %-32s %s\n", f.name.c_str(), f.type.to_string().c_str(),
                f.nullable ? "nullable" : "required");
  }
  return 0;
}

Json parquet_json(const std::string& name, const ParquetFileInfo& info) {
  Json out = Json::object();
  out.set("name", Json(name));
  out.set("format", Json("parquet"));
  Json::Array columns;
  for (const ParquetColumnInfo& c : info.columns) {
    Json column = column_json(c.name, c.type ? c.type->to_string() : "", c.nullable);
    if (!c.type) column.set("type", Json());
    column.set("physical_type", Json(c.physical_type));
    column.set("logical_type", c.logical_type.empty() ? Json() : Json(c.logical_type));
    if (!c.type) column.set("unsupported", Json(c.unsupported));
    columns.push_back(std::move(column));
  }
  out.set("columns", Json(std::move(columns)));
  out.set("num_rows", Json(info.num_rows));
  Json::Array groups;
  for (const ParquetRowGroupInfo& g : info.row_groups) {
    Json group = Json::object();
    group.set("num_rows", Json(g.num_rows));
    group.set("compressed_bytes", Json(g.compressed_bytes));
    group.set("uncompressed_bytes", Json(g.uncompressed_bytes));
    Json::Array codecs;
    for (const std::string& codec : g.codecs) codecs.push_back(Json(codec));
    group.set("codecs", Json(std::move(codecs)));
    group.set("first_byte", Json(g.first_byte));
    group.set("end_byte", Json(g.end_byte));
    groups.push_back(std::move(group));
  }
  out.set("row_groups", Json(std::move(groups)));
  out.set("created_by", info.created_by ? Json(*info.created_by) : Json());
  Json::Array keys;
  for (const std::string& key : info.metadata_keys) keys.push_back(Json(key));
  out.set("metadata_keys", Json(std::move(keys)));
  out.set("format_version", Json(int64_t{info.format_version}));
  out.set("file_size", Json(info.file_size));
  return out;
}

void print_parquet_schema(const std::string& name, const ParquetFileInfo& info) {
  std::printf("%s: parquet, %s rows, %zu columns, %zu row groups, %s bytes\n", name.c_str(),
              with_thousands(info.num_rows).c_str(), info.columns.size(), info.row_groups.size(),
              with_thousands(static_cast<int64_t>(info.file_size)).c_str());
  if (info.created_by) std::printf("created by: %s\n", info.created_by->c_str());
  if (!info.metadata_keys.empty()) {
    std::string keys;
    for (const std::string& k : info.metadata_keys) keys += (keys.empty() ? "" : ", ") + k;
    std::printf("metadata keys: %s\n", keys.c_str());
  }
  std::printf("columns:\n");
  for (const ParquetColumnInfo& c : info.columns) {
    std::string type = c.type ? c.type->to_string() : "(unsupported)";
    std::string parquet = c.physical_type + (c.logical_type.empty() ? "" : " " + c.logical_type);
    std::printf("  %-24s %-32s %-8s %s\n", c.name.c_str(), type.c_str(),
                c.nullable ? "nullable" : "required", parquet.c_str());
  }
  std::printf("row groups:\n");
  for (size_t g = 0; g < info.row_groups.size(); ++g) {
    const ParquetRowGroupInfo& rg = info.row_groups[g];
    std::string codecs;
    for (const std::string& c : rg.codecs) codecs += (codecs.empty() ? "" : ",") + c;
    std::printf("  %-4zu %14s rows %16s bytes compressed %16s uncompressed  %s\n", g,
                with_thousands(rg.num_rows).c_str(), with_thousands(rg.compressed_bytes).c_str(),
                with_thousands(rg.uncompressed_bytes).c_str(), codecs.c_str());
  }
}

int run_schema(const SchemaArgs& args) {
  TableSource source = TableSource::open(args.ref);
  if (source.format() == TableFormat::kCsv) return csv_schema(source, args.json);
  ParquetFileInfo info = source.parquet_info();
  if (args.json) {
    print_json(parquet_json(source.name(), info));
  } else {
    print_parquet_schema(source.name(), info);
  }
  return 0;
}

void add_ref_options(CLI::App* command, TableRefArgs& ref) {
  command
      ->add_option("ref", ref.ref,
                   "A .parquet/.csv/.tsv/.ssv path or s3:// URL; USER/PKG[@HASH] with --path; or a "
                   "Quilt URI with &path=KEY")
      ->required();
  command->add_option("--path", ref.path, "The logical key of the table inside the package");
  command->add_option("--registry", ref.registry, "Registry directory or URL (default: local)");
}

}  // namespace

void add_head_schema_commands(CLI::App& app, std::shared_ptr<CommandRunner> run) {
  auto head = std::make_shared<HeadArgs>();
  CLI::App* h = app.add_subcommand("head", "Print the first rows of a table");
  add_ref_options(h, head->ref);
  h->add_option("-n,--rows", head->rows, "How many rows (default 10)");
  h->add_flag("--json", head->json, "Print the rows as JSON lines");
  h->callback([run, head] { *run = [head] { return run_head(*head); }; });

  auto schema = std::make_shared<SchemaArgs>();
  CLI::App* s = app.add_subcommand("schema", "Print a table's columns, row count and row groups");
  add_ref_options(s, schema->ref);
  s->add_flag("--json", schema->json, "Print the schema as one JSON object");
  s->callback([run, schema] { *run = [schema] { return run_schema(*schema); }; });
}

}  // namespace quilt::cli
