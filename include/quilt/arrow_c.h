#pragma once

// Import and export of quilt::Table through the Arrow C Data Interface
// (https://arrow.apache.org/docs/format/CDataInterface.html), so a Table can be
// handed to or taken from any Arrow implementation (pyarrow, arrow-rs, DuckDB,
// GDAL, nanoarrow...) without copying its buffers. docs/formats.md has the type
// mapping and the ownership rules.

#include <cstdint>
#include <string>

#include "quilt/table.h"

// The two structs exactly as the specification defines them. The guard lets
// this header coexist with any other that declares them (arrow/c/abi.h,
// nanoarrow.h): every copy is identical by the specification's rule.
#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

extern "C" {

struct ArrowSchema {
  // Array type description
  const char* format;
  const char* name;
  const char* metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema** children;
  struct ArrowSchema* dictionary;

  // Release callback
  void (*release)(struct ArrowSchema*);
  // Opaque producer-specific data
  void* private_data;
};

struct ArrowArray {
  // Array data description
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void** buffers;
  struct ArrowArray** children;
  struct ArrowArray* dictionary;

  // Release callback
  void (*release)(struct ArrowArray*);
  // Opaque producer-specific data
  void* private_data;
};

}  // extern "C"

#endif  // ARROW_C_DATA_INTERFACE

namespace quilt {

/// Options of import_arrow_table and import_arrow_column.
struct ArrowImportOptions {
  /// Run Table::validate_full on the result (offsets monotonic, UTF-8,
  /// dictionary indices in range, null counts): one pass over the data, no
  /// copy. Turn off only for a producer you trust, since a Table is read
  /// without bounds checks afterwards.
  bool validate_full = true;
};

/// Import a record batch: a struct-typed ("+s") schema and array whose
/// children are the columns (the schema's metadata becomes the Table's).
///
/// Ownership: both structs are moved, as the specification asks of a consumer
/// (their `release` is null on return, whether this succeeds or throws). The
/// schema is released before returning. The array is not copied: every column
/// views the producer's buffers, and the producer's release callback runs
/// exactly once, when the last Column or Table (or slice) sharing them dies,
/// on whichever thread drops it.
///
/// Copies happen only where Table cannot hold the producer's layout: a "tss:"
/// (seconds) timestamp becomes milliseconds (Table has no seconds unit), and
/// large utf8/binary ("U"/"Z", 64-bit offsets) get 32-bit offsets (the data
/// bytes stay shared). A struct with null rows, a column type Table lacks
/// (nested, union, decimal, float16, view, date64, time, duration,
/// interval...), a wrong n_buffers, a null buffer where the layout needs one
/// or a released struct throws InvalidArgument naming the field and its
/// format string. Field metadata, extension type names and the nullable flag
/// are not kept (every Table column is nullable).
Table import_arrow_table(ArrowSchema* schema, ArrowArray* array,
                         const ArrowImportOptions& options = {});

/// Import one array of a non-nested type as a Column named after the schema;
/// otherwise as import_arrow_table.
Column import_arrow_column(ArrowSchema* schema, ArrowArray* array,
                           const ArrowImportOptions& options = {});

/// Export `table` as a struct-typed schema and array (one child per column,
/// the Table's metadata on the struct schema), writing into `schema` and
/// `array`, whose storage the consumer provides, as the specification has it.
///
/// Zero-copy: the array's buffers are the columns' own buffers (offsets and
/// slices included), kept alive until the consumer calls `array->release`
/// (after which the Table may be long gone). Each child has its own release
/// callback, so a consumer may move children out and release them separately.
/// Every release frees what it owns, releases the children it still holds and
/// sets its `release` to null. Thread-safe; does not throw but for bad_alloc.
void export_arrow_table(const Table& table, ArrowSchema* schema, ArrowArray* array);

/// Export one column as a schema and array of its own type, as
/// export_arrow_table does for each child.
void export_arrow_column(const Column& column, ArrowSchema* schema, ArrowArray* array);

/// Return the Arrow C format string of a column type ("l", "tsu:UTC", the
/// index type's format for a dictionary).
std::string arrow_format(const DataType& type);

}  // namespace quilt
