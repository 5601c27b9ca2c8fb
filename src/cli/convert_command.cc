// `quiltcpp convert IN OUT`: tables between csv, tsv, ssv and parquet, and a
// one-column numeric table to and from a 1-d npy array, by extension.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "cli/command.h"
#include "core/utf8.h"
#include "quilt/csv.h"
#include "quilt/errors.h"
#include "quilt/formats.h"
#include "quilt/ndarray.h"
#include "quilt/parquet.h"
#include "quilt/thread_pool.h"
#include "storage/temp_file.h"

namespace quilt::cli {
namespace {

/// The column name an npy array gets as a table (DESIGN: docs/formats.md).
constexpr std::string_view kNpyColumnName = "values";

struct ConvertArgs {
  std::string in;
  std::string out;
  std::string compression;     // empty: the writer's default (snappy)
  int64_t row_group_size = 0;  // 0: the writer's default
  int page_version = 0;        // 0: the writer's default (1)
  std::vector<std::string> encodings;  // each applies to the columns it can encode
};

std::string in_quotes(std::string_view s) {
  std::string out(1, '\'');
  out += escape_for_message(s);
  out += '\'';
  return out;
}

enum class Kind { kCsv, kParquet, kNpy };

struct FileFormat {
  Kind kind = Kind::kCsv;
  char delimiter = ',';
};

FileFormat format_of(const std::string& path) {
  std::string ext = extension_of(path);
  if (ext == "csv") return {Kind::kCsv, ','};
  if (ext == "tsv") return {Kind::kCsv, '\t'};
  if (ext == "ssv") return {Kind::kCsv, ';'};
  if (ext == "parquet") return {Kind::kParquet, 0};
  if (ext == "npy") return {Kind::kNpy, 0};
  throw InvalidArgument("cannot convert " + in_quotes(path) + ": unknown extension " +
                        in_quotes(ext.empty() ? "(none)" : "." + ext) +
                        " (known: .csv, .tsv, .ssv, .parquet, .npy)");
}

// A table of one column named kNpyColumnName from a 1-d numeric array.
Table table_from_npy(const NDArray& array, const std::string& path) {
  if (array.ndim() != 1) {
    throw InvalidArgument("cannot convert " + in_quotes(path) + " to a table: it has " +
                          std::to_string(array.ndim()) + " dimensions, only 1-d arrays convert");
  }
  DataType type;
  switch (array.dtype()) {
    case DType::kBool: {
      std::vector<bool> values;
      for (uint8_t v : array.values<uint8_t>()) values.push_back(v != 0);
      return Table::make({Column::from_bools(std::string(kNpyColumnName), values)});
    }
    case DType::kInt8:
      type = DataType::int8();
      break;
    case DType::kInt16:
      type = DataType::int16();
      break;
    case DType::kInt32:
      type = DataType::int32();
      break;
    case DType::kInt64:
      type = DataType::int64();
      break;
    case DType::kUInt8:
      type = DataType::uint8();
      break;
    case DType::kUInt16:
      type = DataType::uint16();
      break;
    case DType::kUInt32:
      type = DataType::uint32();
      break;
    case DType::kUInt64:
      type = DataType::uint64();
      break;
    case DType::kFloat32:
      type = DataType::float32();
      break;
    case DType::kFloat64:
      type = DataType::float64();
      break;
    default:
      throw InvalidArgument("cannot convert " + in_quotes(path) + " to a table: dtype " +
                            std::string(dtype_name(array.dtype())) + " has no column type");
  }
  // Zero-copy: the column views the array's buffer.
  ColumnBuffers buffers;
  buffers.values = array.data();
  return Table::make({Column::make(std::string(kNpyColumnName), type, array.size(), buffers)});
}

DType dtype_of(const DataType& type) {
  switch (type.id()) {
    case TypeId::kInt8:
      return DType::kInt8;
    case TypeId::kInt16:
      return DType::kInt16;
    case TypeId::kInt32:
      return DType::kInt32;
    case TypeId::kInt64:
      return DType::kInt64;
    case TypeId::kUInt8:
      return DType::kUInt8;
    case TypeId::kUInt16:
      return DType::kUInt16;
    case TypeId::kUInt32:
      return DType::kUInt32;
    case TypeId::kUInt64:
      return DType::kUInt64;
    case TypeId::kFloat32:
      return DType::kFloat32;
    case TypeId::kFloat64:
      return DType::kFloat64;
    default:
      return DType::kBool;
  }
}

// A 1-d array from a table of one numeric (or bool) column without nulls.
NDArray npy_from_table(const Table& table, const std::string& in) {
  if (table.num_columns() != 1) {
    throw InvalidArgument("cannot convert " + in_quotes(in) + " to npy: it has " +
                          std::to_string(table.num_columns()) +
                          " columns, npy holds one numeric column");
  }
  const Column& column = table.column(0);
  const DataType& type = column.type();
  if (!type.is_integer() && !type.is_floating() && type.id() != TypeId::kBool) {
    throw InvalidArgument("cannot convert column " + in_quotes(column.name()) + " of " +
                          in_quotes(in) + " to npy: its type " + type.to_string() +
                          " is not numeric");
  }
  if (column.null_count() > 0) {
    int64_t row = 0;
    while (column.is_valid(row)) ++row;
    throw InvalidArgument("cannot convert column " + in_quotes(column.name()) + " of " +
                          in_quotes(in) + " to npy: row " + std::to_string(row + 1) + " is null");
  }
  int64_t n = column.length();
  if (type.id() == TypeId::kBool) {
    std::vector<uint8_t> values(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) values[static_cast<size_t>(i)] = column.bool_at(i) ? 1 : 0;
    return NDArray::from_vector(DType::kBool, std::move(values), {n});
  }
  DType dtype = dtype_of(type);
  Buffer values =
      column.values_buffer().slice(static_cast<size_t>(column.offset()) * dtype_size(dtype),
                                   static_cast<size_t>(n) * dtype_size(dtype));
  return NDArray::make(dtype, {n}, values);
}

Table read_table(const std::string& path, const FileFormat& format, ThreadPool& pool) {
  switch (format.kind) {
    case Kind::kCsv: {
      CsvReadOptions options;
      options.delimiter = format.delimiter;
      return read_csv_file(path, options);
    }
    case Kind::kParquet:
      return read_parquet_file(path, {.pool = &pool});
    case Kind::kNpy:
      return table_from_npy(read_npy_file(path), path);
  }
  return Table();
}

// The Parquet writer options from the command line; --compression and
// --row-group-size are refused for other outputs rather than ignored.
ParquetWriteOptions parquet_options(const ConvertArgs& args, const FileFormat& out) {
  ParquetWriteOptions options;
  if (out.kind != Kind::kParquet) {
    if (!args.compression.empty() || args.row_group_size != 0 || args.page_version != 0 ||
        !args.encodings.empty()) {
      throw InvalidArgument(
          "--compression, --row-group-size, --page-version and --encoding apply to parquet "
          "output only");
    }
    return options;
  }
  if (args.page_version != 0) options.data_page_version = args.page_version;
  for (const std::string& name : args.encodings) {
    std::optional<ParquetEncoding> e = parse_parquet_encoding(name);
    if (e == ParquetEncoding::kDeltaBinaryPacked) {
      options.integer_encoding = *e;
    } else if (e == ParquetEncoding::kDeltaLengthByteArray ||
               e == ParquetEncoding::kDeltaByteArray) {
      options.string_encoding = *e;
    } else if (e == ParquetEncoding::kByteStreamSplit) {
      options.float_encoding = *e;
    } else {
      throw InvalidArgument("unknown encoding " + in_quotes(name) +
                            " (delta_binary_packed for integers, delta_length_byte_array or "
                            "delta_byte_array for strings, byte_stream_split for floats)");
    }
  }
  if (!args.compression.empty()) {
    std::optional<ParquetCompression> compression = parse_parquet_compression(args.compression);
    if (!compression) {
      throw InvalidArgument("unknown compression " + in_quotes(args.compression) +
                            " (snappy, zstd, gzip or none)");
    }
    options.compression = *compression;
  }
  if (args.row_group_size > 0) options.row_group_size = args.row_group_size;
  return options;
}

int run_convert(const ConvertArgs& args) {
  FileFormat in = format_of(args.in);
  FileFormat out = format_of(args.out);
  ParquetWriteOptions parquet = parquet_options(args, out);
  ThreadPool pool;
  parquet.pool = &pool;

  NDArray array;
  Table table;
  if (in.kind == Kind::kNpy && out.kind == Kind::kNpy) {
    array = read_npy_file(args.in);
  } else {
    table = read_table(args.in, in, pool);
    if (out.kind == Kind::kNpy) array = npy_from_table(table, args.in);
  }
  // Written beside OUT and renamed into place: a failed conversion leaves OUT as it was.
  TempFile tmp = TempFile::create_beside(args.out);
  ByteSink sink = [&tmp](std::span<const uint8_t> bytes) { tmp.write_all(bytes); };
  switch (out.kind) {
    case Kind::kCsv: {
      CsvWriteOptions options;
      options.delimiter = out.delimiter;
      write_csv(table, sink, options);
      break;
    }
    case Kind::kParquet:
      write_parquet(table, sink, parquet);
      break;
    case Kind::kNpy:
      write_npy(array, sink);
      break;
  }
  tmp.commit(args.out);
  return 0;
}

}  // namespace

void add_convert_command(CLI::App& app, std::shared_ptr<CommandRunner> run) {
  auto args = std::make_shared<ConvertArgs>();
  CLI::App* cmd = app.add_subcommand(
      "convert",
      "Convert a table between csv, tsv, ssv and parquet, or one numeric column to and from a "
      "1-d npy array, by the files' extensions");
  cmd->add_option("in", args->in, "Input file (.csv, .tsv, .ssv, .parquet, .npy)")->required();
  cmd->add_option("out", args->out, "Output file, replaced atomically")->required();
  cmd->add_option("--compression", args->compression,
                  "Parquet output compression: snappy (default), zstd, gzip or none");
  cmd->add_option("--row-group-size", args->row_group_size,
                  "Parquet output rows per row group (default 1048576)")
      ->check(CLI::Range(int64_t{1}, std::numeric_limits<int64_t>::max()));
  cmd->add_option("--page-version", args->page_version,
                  "Parquet output data page version: 1 (default) or 2")
      ->check(CLI::IsMember({1, 2}));
  cmd->add_option("--encoding", args->encodings,
                  "Parquet output encoding, repeatable: delta_binary_packed (integers), "
                  "delta_length_byte_array or delta_byte_array (strings), byte_stream_split "
                  "(floats); default plain and dictionary");
  cmd->callback([run, args] { *run = [args] { return run_convert(*args); }; });
}

}  // namespace quilt::cli
