#pragma once

// The table a `head` or `schema` command names: a local file, an s3:// object, or a package
// entry (docs/cli.md, "head and schema"), and the reads those commands make of it.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "quilt/formats.h"
#include "quilt/json.h"
#include "quilt/parquet.h"
#include "quilt/physical_key.h"
#include "quilt/table.h"

namespace quilt::cli {

/// What the command line said about the table.
struct TableRefArgs {
  std::string ref;       ///< A path, file:// or s3:// URL, USER/PKG[@HASH] or a Quilt URI.
  std::string path;      ///< --path: the logical key inside the package.
  std::string registry;  ///< --registry.
};

enum class TableFormat { kParquet, kCsv };

/// A table's bytes and how to read them. Holds the S3 reader it opened (when any). Not
/// thread-safe (one command uses it).
class TableSource {
 public:
  /// Resolve `args`: a package entry when --path is given or the ref is a Quilt URI, else an
  /// s3:// or file:// URL, else a local path. The format comes from the entry's meta
  /// (format.name, then target) or the extension (.parquet, .csv, .tsv, .ssv). Throws
  /// InvalidArgument naming the key or path for what is not a table, for a directory key or
  /// a missing --path; NotFound for a missing package, revision or logical key.
  static TableSource open(const TableRefArgs& args);

  TableSource(TableSource&&) noexcept;
  TableSource& operator=(TableSource&&) noexcept;
  ~TableSource();

  TableFormat format() const { return format_; }
  /// The name errors and output use: the path, the URL, or "USER/PKG@HASH8:KEY".
  const std::string& name() const { return name_; }

  /// Read the footer. REQUIRES: format() == kParquet. Throws as read_parquet_info does.
  ParquetFileInfo parquet_info();
  /// Read the row groups `groups`, only the `columns` named (std::nullopt: all).
  /// REQUIRES: format() == kParquet. Throws as read_parquet does.
  Table read_parquet_row_groups(const std::vector<int>& groups,
                                std::optional<std::vector<std::string>> columns);
  /// Read and parse the whole CSV (or TSV, SSV) file, honouring the entry's meta (fieldsep,
  /// header options) as quilt3 wrote it. REQUIRES: format() == kCsv.
  Table read_csv_table();

  struct S3Reader;

 private:
  TableSource() = default;

  TableFormat format_ = TableFormat::kParquet;
  std::string name_;
  std::string local_path_;            // a local file, or empty
  std::optional<PhysicalKey> s3_;     // an S3 object, or none
  std::optional<uint64_t> size_;      // the size the package entry records
  const Format* csv_format_ = nullptr;
  Json meta_ = Json::object();
  std::string ext_;
  std::unique_ptr<S3Reader> s3_reader_;
  std::unique_ptr<ParquetByteSource> byte_source_;
};

}  // namespace quilt::cli
