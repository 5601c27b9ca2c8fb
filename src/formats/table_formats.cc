// The table formats: parquet (quilt3's default for DataFrames) and csv (csv,
// tsv, ssv), with the options quilt3 records in the entry's meta.

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "formats/builtin_formats.h"
#include "quilt/csv.h"
#include "quilt/errors.h"
#include "quilt/parquet.h"

namespace quilt::detail {
namespace {

[[noreturn]] void bad_option(std::string_view format, std::string_view option,
                             const std::string& why) {
  throw InvalidArgument(in_quotes(format) + " format option " + in_quotes(option) + ": " + why);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// ---------------------------------------------------------------- parquet

ParquetCompression compression_of(const Json& value) {
  if (value.is_null()) return ParquetCompression::kNone;  // pyarrow's compression=None
  if (!value.is_string()) bad_option("parquet", "compression", "expected a codec name");
  std::optional<ParquetCompression> c = parse_parquet_compression(value.as_string());
  if (!c) {
    bad_option("parquet", "compression",
               "unknown codec " + in_quotes(value.as_string()) + " (snappy, zstd, gzip or none)");
  }
  return *c;
}

class ParquetFormat final : public Format {
 public:
  std::string_view name() const noexcept override { return "parquet"; }
  std::vector<std::string_view> extensions() const override { return {"parquet"}; }
  bool handles(ObjectKind kind) const noexcept override { return kind == ObjectKind::kTable; }

  // quilt3: {"compression": "snappy"} updated by the user's options.
  Json make_meta(const SerializeContext& context) const override {
    Json additions = Json::object();
    additions.set("compression", Json("snappy"));
    if (!context.options.is_null()) {
      if (!context.options.is_object()) {
        throw InvalidArgument("'parquet' format options must be a JSON object");
      }
      for (const auto& [key, value] : context.options.as_object()) {
        if (key != "compression") {
          bad_option("parquet", key, "unknown option (the parquet format takes 'compression')");
        }
        compression_of(value);
        additions.set(key, value);
      }
    }
    return format_meta(name(), std::move(additions));
  }

  void write(const Object& object, const Json& meta, const ByteSink& sink,
             ThreadPool* pool) const override {
    ParquetWriteOptions options;
    options.pool = pool;
    if (const Json* c = meta.find("format")->find("compression"))
      options.compression = compression_of(*c);
    write_parquet(std::get<Table>(object), sink, options);
  }

  Object read(const Buffer& bytes, const Json&, std::string_view, std::string_view source,
              ThreadPool* pool) const override {
    return read_parquet(bytes, source, {.pool = pool});
  }
};

// -------------------------------------------------------------------- csv

constexpr std::string_view kCsvOptions[] = {
    "doublequote",          "encoding", "escapechar", "fieldsep",  "header_names", "index_names",
    "index_names_are_keys", "linesep",  "na_values",  "quotechar", "quoting",      "skip_spaces",
    "use_header",           "use_index"};

Json default_na_values() {
  Json::Array values;
  for (const char* v : {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
                        "1.#IND", "1.#QNAN", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null"}) {
    values.emplace_back(v);
  }
  return Json(std::move(values));
}

std::string_view separator_for(std::string_view ext) {
  if (ext == "csv") return ",";
  if (ext == "tsv") return "\t";
  if (ext == "ssv") return ";";
  return {};
}

// The csv options that decide how bytes are written and read.
struct CsvSettings {
  char delimiter = ',';
  bool header = true;
  std::optional<std::vector<std::string>> header_names;
  std::vector<std::string> na_values;
  std::string linesep = "\n";
};

std::vector<std::string> string_list(const Json& value, std::string_view option) {
  if (!value.is_array()) bad_option("csv", option, "expected a list of strings");
  std::vector<std::string> out;
  for (const Json& v : value.as_array()) {
    if (!v.is_string()) bad_option("csv", option, "expected a list of strings");
    out.push_back(v.as_string());
  }
  return out;
}

bool flag(const Json& value, std::string_view option) {
  if (!value.is_bool()) bad_option("csv", option, "expected true or false");
  return value.as_bool();
}

// Read the options recorded under format.opts. `writing` refuses values our
// writer cannot honour; a reader takes what decides parsing and ignores the
// rest (quilt3 ignores unknown options in meta too).
CsvSettings csv_settings(const Json& opts, std::string_view ext, bool writing) {
  CsvSettings s;
  std::string_view sep = separator_for(ext);
  if (!sep.empty()) s.delimiter = sep[0];
  s.na_values = string_list(default_na_values(), "na_values");
  if (!opts.is_object()) return s;
  for (const auto& [key, value] : opts.as_object()) {
    if (key == "fieldsep") {
      if (!value.is_string() || value.as_string().size() != 1) {
        bad_option("csv", key, "expected one (ASCII) character");
      }
      s.delimiter = value.as_string()[0];
    } else if (key == "use_header") {
      s.header = flag(value, key);
    } else if (key == "header_names") {
      if (!value.is_null()) s.header_names = string_list(value, key);
    } else if (key == "na_values") {
      s.na_values = string_list(value, key);
      if (writing && s.na_values.empty()) bad_option("csv", key, "needs at least one value");
    } else if (key == "linesep") {
      if (!value.is_string() || value.as_string().empty()) bad_option("csv", key, "expected text");
      s.linesep = value.as_string();
    } else if (key == "encoding") {
      std::string e = value.is_string() ? lower(value.as_string()) : "";
      if (e != "utf-8" && e != "utf8") bad_option("csv", key, "only utf-8 is supported");
    } else if (!writing) {
      continue;
    } else if (key == "use_index" || key == "index_names_are_keys") {
      if (flag(value, key)) bad_option("csv", key, "a Table has no index");
    } else if (key == "index_names") {
      if (!value.is_null()) bad_option("csv", key, "a Table has no index");
    } else if (key == "doublequote") {
      if (!flag(value, key)) bad_option("csv", key, "only true is supported");
    } else if (key == "skip_spaces") {
      if (flag(value, key)) bad_option("csv", key, "only false is supported");
    } else if (key == "quotechar") {
      if (!value.is_string() || value.as_string() != "\"") bad_option("csv", key, "only '\"'");
    } else if (key == "escapechar") {
      if (!value.is_null()) bad_option("csv", key, "only null is supported");
    } else if (key == "quoting") {
      if (!value.is_string() || lower(value.as_string()) != "minimal") {
        bad_option("csv", key, "only 'minimal' is supported");
      }
    }
  }
  return s;
}

Table rename_columns(const Table& table, const std::vector<std::string>& names,
                     std::string_view source) {
  if (static_cast<int>(names.size()) != table.num_columns()) {
    throw InvalidArgument("csv option 'header_names' has " + std::to_string(names.size()) +
                          " names for the " + std::to_string(table.num_columns()) + " columns of " +
                          std::string(source));
  }
  std::vector<Column> columns;
  for (int i = 0; i < table.num_columns(); ++i) columns.push_back(table.column(i).rename(names[i]));
  return Table::make(std::move(columns), table.metadata(), table.num_rows());
}

class CsvFormat final : public Format {
 public:
  std::string_view name() const noexcept override { return "csv"; }
  std::vector<std::string_view> extensions() const override { return {"csv", "tsv", "ssv"}; }
  bool handles(ObjectKind kind) const noexcept override { return kind == ObjectKind::kTable; }

  // quilt3: the defaults in its order, "linesep", the extension's "fieldsep"
  // unless the user gave one, then the user's options (replacing in place).
  Json make_meta(const SerializeContext& context) const override {
    const Json& user = context.options;
    if (!user.is_null() && !user.is_object()) {
      throw InvalidArgument("'csv' format options must be a JSON object");
    }
    Json opts = Json::object();
    opts.set("encoding", Json("utf-8"));
    opts.set("index_names_are_keys", Json(false));
    opts.set("na_values", default_na_values());
    opts.set("use_header", Json(true));
    opts.set("use_index", Json(false));
    opts.set("linesep", Json("\n"));
    std::string_view sep = separator_for(context.ext);
    if (!sep.empty() && (user.is_null() || user.find("fieldsep") == nullptr)) {
      opts.set("fieldsep", Json(sep));
    }
    if (user.is_object()) {
      for (const auto& [key, value] : user.as_object()) {
        if (std::find(std::begin(kCsvOptions), std::end(kCsvOptions), key) ==
            std::end(kCsvOptions)) {
          bad_option("csv", key, "unknown option");
        }
        opts.set(key, value);
      }
    }
    csv_settings(opts, context.ext,
                 true);  // refuse what write() could not honour, up front
    Json additions = Json::object();
    additions.set("opts", std::move(opts));
    return format_meta(name(), std::move(additions));
  }

  void write(const Object& object, const Json& meta, const ByteSink& sink,
             ThreadPool*) const override {
    CsvSettings s = csv_settings(*meta.find("format")->find("opts"), {}, true);
    const Table* table = &std::get<Table>(object);
    Table renamed;
    if (s.header && s.header_names) {
      renamed = rename_columns(*table, *s.header_names, "the table");
      table = &renamed;
    }
    CsvWriteOptions options;
    options.delimiter = s.delimiter;
    options.header = s.header;
    options.null_value = s.na_values.front();
    options.line_terminator = s.linesep;
    write_csv(*table, sink, options);
  }

  Object read(const Buffer& bytes, const Json& meta, std::string_view ext, std::string_view source,
              ThreadPool*) const override {
    const Json* format = meta.find("format");
    const Json* opts = format != nullptr ? format->find("opts") : nullptr;
    CsvSettings s = csv_settings(opts != nullptr ? *opts : Json(), ext, false);
    CsvReadOptions options;
    options.delimiter = s.delimiter;
    options.header = s.header;
    options.null_values = s.na_values;
    Table table = read_csv(bytes, source, options);
    if (s.header_names) table = rename_columns(table, *s.header_names, in_quotes(source));
    return table;
  }
};

}  // namespace

std::shared_ptr<const Format> make_csv_format() { return std::make_shared<CsvFormat>(); }
std::shared_ptr<const Format> make_parquet_format() { return std::make_shared<ParquetFormat>(); }

}  // namespace quilt::detail
