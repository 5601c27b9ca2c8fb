// The Parquet file writer: "PAR1", then for each row group the column chunks
// in column order, then the footer (FileMetaData, compact protocol), its
// length and "PAR1". With a pool, column chunks are encoded in parallel, into
// buffers their writers keep for the whole file, and each chunk goes to the
// sink, front to back, as soon as it and those before it are done, while
// later chunks are encoded (encode_pipelined). Nothing is read back. Memory
// beyond the table is about one row group of encoded pages.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/unique_fd.h"
#include "formats/parquet/column_writer.h"
#include "formats/parquet/metadata.h"
#include "formats/parquet/writer_pandas_metadata.h"
#include "formats/parquet/writer_version.h"
#include "quilt/errors.h"
#include "quilt/parquet.h"
#include "quilt/thread_pool.h"

namespace quilt {
namespace {

constexpr uint8_t kMagic[4] = {'P', 'A', 'R', '1'};

parquet::Codec codec_of(ParquetCompression compression) {
  switch (compression) {
    case ParquetCompression::kNone:
      return parquet::Codec::kUncompressed;
    case ParquetCompression::kSnappy:
      return parquet::Codec::kSnappy;
    case ParquetCompression::kGzip:
      return parquet::Codec::kGzip;
    case ParquetCompression::kZstd:
      return parquet::Codec::kZstd;
  }
  throw InvalidArgument("unknown Parquet compression " +
                        std::to_string(static_cast<int>(compression)));
}

parquet::Encoding encoding_of(ParquetEncoding e) {
  switch (e) {
    case ParquetEncoding::kPlain:
      return parquet::Encoding::kPlain;
    case ParquetEncoding::kDeltaBinaryPacked:
      return parquet::Encoding::kDeltaBinaryPacked;
    case ParquetEncoding::kDeltaLengthByteArray:
      return parquet::Encoding::kDeltaLengthByteArray;
    case ParquetEncoding::kDeltaByteArray:
      return parquet::Encoding::kDeltaByteArray;
    case ParquetEncoding::kByteStreamSplit:
      return parquet::Encoding::kByteStreamSplit;
  }
  throw InvalidArgument("unknown Parquet encoding " + std::to_string(static_cast<int>(e)));
}

void check_encoding(const char *what, ParquetEncoding e,
                    std::initializer_list<ParquetEncoding> allowed) {
  for (ParquetEncoding a : allowed) {
    if (e == a) return;
  }
  static const char *const kNames[] = {"PLAIN", "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY",
                                       "DELTA_BYTE_ARRAY", "BYTE_STREAM_SPLIT"};
  const auto i = static_cast<size_t>(e);
  throw InvalidArgument(std::string("Parquet ") + what + " cannot be " +
                        (i < 5 ? kNames[i] : std::to_string(i).c_str()) +
                        " (not an encoding the writer writes for those columns)");
}

void check_options(const ParquetWriteOptions &options) {
  if (options.data_page_version != 1 && options.data_page_version != 2) {
    throw InvalidArgument("Parquet data_page_version must be 1 or 2, not " +
                          std::to_string(options.data_page_version));
  }
  using E = ParquetEncoding;
  check_encoding("integer_encoding", options.integer_encoding,
                 {E::kPlain, E::kDeltaBinaryPacked});
  check_encoding("float_encoding", options.float_encoding, {E::kPlain, E::kByteStreamSplit});
  check_encoding("string_encoding", options.string_encoding,
                 {E::kPlain, E::kDeltaLengthByteArray, E::kDeltaByteArray});
  if (options.row_group_size <= 0) {
    throw InvalidArgument("Parquet row_group_size must be positive, not " +
                          std::to_string(options.row_group_size));
  }
  if (options.data_page_size <= 0) {
    throw InvalidArgument("Parquet data_page_size must be positive, not " +
                          std::to_string(options.data_page_size));
  }
  if (options.dictionary_page_size_limit < 0) {
    throw InvalidArgument("Parquet dictionary_page_size_limit must not be negative, not " +
                          std::to_string(options.dictionary_page_size_limit));
  }
}

// Parquet resolves columns by name (path_in_schema): two columns of one name
// would make a file readers disagree on.
void check_names(const Table &table) {
  std::unordered_set<std::string_view> seen;
  for (const Column &column : table.columns()) {
    if (!seen.insert(column.name()).second) {
      throw InvalidArgument("column '" + column.name() +
                            "' appears twice; Parquet column names must be unique");
    }
  }
}

std::vector<parquet::KeyValue> key_values(const Table &table) {
  std::vector<parquet::KeyValue> out;
  bool has_pandas = false;
  for (const auto &[key, value] : table.metadata()) {
    out.push_back({key, value});
    has_pandas = has_pandas || key == "pandas";
  }
  if (!has_pandas) out.push_back({"pandas", parquet::pandas_metadata_json(table)});
  return out;
}

void emit(const ByteSink &sink, std::span<const uint8_t> bytes, int64_t &offset) {
  if (bytes.empty()) return;
  sink(bytes);
  offset += static_cast<int64_t>(bytes.size());
}

void emit(const ByteSink &sink, const parquet::BlockList &blocks, int64_t &offset) {
  blocks.for_each([&](std::span<const uint8_t> bytes) { emit(sink, bytes, offset); });
}

// What a pipelined write shares with its helper tasks. Held by shared_ptr: a
// helper may start only after the write is over, and must then find nothing
// to do rather than a dangling reference.
struct Pipeline {
  std::mutex mu;
  std::condition_variable cv;
  int64_t columns = 0;
  int64_t total = 0;          // tasks: one per (row group, column), in file order
  int64_t next = 0;           // the next task to claim; guarded by mu
  int64_t emitted = 0;        // chunks given to the sink; guarded by mu
  std::vector<uint8_t> done;  // per task; guarded by mu
  int running = 0;            // tasks helpers are running; guarded by mu
  bool stop = false;          // guarded by mu
  std::exception_ptr error;   // the first failure; guarded by mu
  const std::function<void(int64_t)> *encode = nullptr;  // used only while a task is claimed

  // Whether the next task may be claimed: there is one, and its column's
  // writer is free (the column's chunk of the row group before has gone to
  // the sink).
  bool can_claim() const { return !stop && next < total && next < emitted + columns; }

  // Run task `task` (claimed under `lock`), then mark it done.
  void run(int64_t task, std::unique_lock<std::mutex> &lock) {
    lock.unlock();
    std::exception_ptr failure;
    try {
      (*encode)(task);
    } catch (...) {
      failure = std::current_exception();
    }
    lock.lock();
    if (failure) {
      if (!error) error = failure;
      stop = true;
    }
    done[static_cast<size_t>(task)] = 1;
    cv.notify_all();
  }
};

void run_helper(const std::shared_ptr<Pipeline> &p) {
  std::unique_lock lock(p->mu);
  for (;;) {
    if (p->stop || p->next >= p->total) return;
    if (!p->can_claim()) {
      p->cv.wait(lock);
      continue;
    }
    const int64_t task = p->next++;
    ++p->running;
    p->run(task, lock);
    --p->running;
    p->cv.notify_all();
  }
}

// Run encode(task) for task = group * columns + column, over `groups` row
// groups, on the pool and the calling thread, and emit(task) for each in
// order on the calling thread as soon as it is encoded. There is no barrier
// per row group: a column's next chunk is encoded as soon as its writer's
// chunk has gone to the sink, so the sink overlaps encoding and short columns
// do not leave threads idle, while at most one chunk per column (about a row
// group) is in flight. The calling thread encodes too and runs the sink (which
// hashes as it writes), so one pool thread fewer than the pool has helps: a
// helper per pool thread oversubscribes the cores (bench/README.md).
void encode_pipelined(ThreadPool &pool, int64_t groups, size_t columns,
                      const std::function<void(int64_t)> &encode,
                      const std::function<void(int64_t)> &emit) {
  auto p = std::make_shared<Pipeline>();
  p->columns = static_cast<int64_t>(columns);
  p->total = groups * p->columns;
  p->done.assign(static_cast<size_t>(p->total), 0);
  p->encode = &encode;
  const size_t helpers = std::max<size_t>(1, pool.size() - 1);
  for (size_t h = 0; h < helpers; ++h) pool.submit([p] { run_helper(p); });

  std::unique_lock lock(p->mu);
  while (p->emitted < p->total && !p->error) {
    if (p->done[static_cast<size_t>(p->emitted)]) {
      const int64_t task = p->emitted;
      lock.unlock();
      std::exception_ptr failure;
      try {
        emit(task);
      } catch (...) {
        failure = std::current_exception();
      }
      lock.lock();
      if (failure && !p->error) p->error = failure;
      ++p->emitted;
      p->cv.notify_all();
    } else if (p->can_claim()) {
      p->run(p->next++, lock);
    } else {
      p->cv.wait(lock);
    }
  }
  // Helpers still running a task use the writers: wait for them.
  p->stop = true;
  p->cv.notify_all();
  p->cv.wait(lock, [&] { return p->running == 0; });
  if (p->error) std::rethrow_exception(p->error);
}

}  // namespace

std::optional<ParquetCompression> parse_parquet_compression(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "snappy") return ParquetCompression::kSnappy;
  if (lower == "zstd") return ParquetCompression::kZstd;
  if (lower == "gzip") return ParquetCompression::kGzip;
  if (lower == "none" || lower == "uncompressed") return ParquetCompression::kNone;
  return std::nullopt;
}

std::optional<ParquetEncoding> parse_parquet_encoding(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "plain") return ParquetEncoding::kPlain;
  if (lower == "delta_binary_packed") return ParquetEncoding::kDeltaBinaryPacked;
  if (lower == "delta_length_byte_array") return ParquetEncoding::kDeltaLengthByteArray;
  if (lower == "delta_byte_array") return ParquetEncoding::kDeltaByteArray;
  if (lower == "byte_stream_split") return ParquetEncoding::kByteStreamSplit;
  return std::nullopt;
}

std::string_view parquet_compression_name(ParquetCompression compression) {
  switch (compression) {
    case ParquetCompression::kNone:
      return "none";
    case ParquetCompression::kSnappy:
      return "snappy";
    case ParquetCompression::kGzip:
      return "gzip";
    case ParquetCompression::kZstd:
      return "zstd";
  }
  return "unknown";
}

void write_parquet(const Table &table, const ByteSink &sink, const ParquetWriteOptions &options) {
  using namespace parquet;
  check_options(options);
  check_names(table);

  FileMetaData footer;
  footer.version = 2;
  footer.num_rows = table.num_rows();
  footer.created_by = kCreatedBy;
  footer.key_value_metadata = key_values(table);
  SchemaElement root;
  root.name = "schema";
  root.num_children = table.num_columns();
  footer.schema.push_back(root);

  const ColumnWriterOptions column_options{
      .codec = codec_of(options.compression),
      .compression_level = options.compression_level,
      .data_page_size = options.data_page_size,
      .use_dictionary = options.use_dictionary,
      .dictionary_page_size_limit = options.dictionary_page_size_limit,
      .write_statistics = options.write_statistics,
      .data_page_version = options.data_page_version,
      .integer_encoding = encoding_of(options.integer_encoding),
      .float_encoding = encoding_of(options.float_encoding),
      .string_encoding = encoding_of(options.string_encoding),
  };
  std::vector<std::unique_ptr<ColumnWriter>> writers;
  for (const Column &column : table.columns()) {
    footer.schema.push_back(column_schema_element(column));
    footer.column_orders.push_back(ColumnOrder::kTypeDefined);
    writers.push_back(make_column_writer(column, column_options));
  }

  int64_t offset = 0;
  emit(sink, kMagic, offset);
  // A table without columns holds its rows in no row group: there is no
  // column chunk to put them in. Readers take num_rows from the footer. A
  // table without rows gets one empty row group when a categorical has
  // categories, since its dictionary page is the only place they can live.
  const int64_t rows = writers.empty() ? 0 : table.num_rows();
  const bool keep_categories =
      rows == 0 && std::any_of(table.columns().begin(), table.columns().end(),
                               [](const Column &c) {
                                 return c.type().id() == TypeId::kDictionary &&
                                        c.dictionary().length() > 0;
                               });
  const int64_t groups = rows == 0 ? (keep_categories && !writers.empty() ? 1 : 0)
                                   : (rows - 1) / options.row_group_size + 1;
  const auto columns = static_cast<int64_t>(writers.size());
  RowGroup group;
  int64_t compressed = 0;
  // Task t is column t % columns of row group t / columns, in file order.
  auto emit_chunk = [&](int64_t task) {
    const int64_t index = task / columns;
    const auto c = static_cast<size_t>(task % columns);
    if (c == 0) {
      const int64_t begin = index * options.row_group_size;
      group = RowGroup();
      group.num_rows = std::min(rows, begin + options.row_group_size) - begin;
      group.file_offset = offset;
      group.ordinal = static_cast<int16_t>(footer.row_groups.size());
      compressed = 0;
    }
    const ColumnWriter &writer = *writers[c];
    const int64_t start = offset;
    emit(sink, writer.dictionary_page(), offset);
    emit(sink, writer.data_pages(), offset);
    ColumnMetaData meta = writer.metadata();
    meta.data_page_offset += start;
    if (meta.dictionary_page_offset) *meta.dictionary_page_offset += start;
    group.total_byte_size += meta.total_uncompressed_size;
    compressed += meta.total_compressed_size;
    group.columns.push_back({.file_path = std::nullopt, .file_offset = start, .meta_data = meta});
    if (c + 1 == writers.size()) {
      group.total_compressed_size = compressed;
      footer.row_groups.push_back(std::move(group));
    }
  };
  auto encode = [&](int64_t task) {
    const int64_t begin = task / columns * options.row_group_size;
    writers[static_cast<size_t>(task % columns)]->write_chunk(
        begin, std::min(rows, begin + options.row_group_size));
  };
  if (options.pool != nullptr && columns > 0 && rows > 0) {
    encode_pipelined(*options.pool, groups, writers.size(), encode, emit_chunk);
  } else {
    for (int64_t task = 0; task < groups * columns; ++task) {
      encode(task);
      emit_chunk(task);
    }
  }
  if (footer.row_groups.size() > 32767) {
    // RowGroup.ordinal is an i16; past it, leave ordinals out (they are optional).
    for (RowGroup &group : footer.row_groups) group.ordinal.reset();
  }

  CompactWriter writer;
  write_file_metadata(writer, footer);
  emit(sink, writer.bytes(), offset);
  const auto length = static_cast<uint32_t>(writer.bytes().size());
  uint8_t tail[8];
  std::memcpy(tail, &length, 4);
  std::memcpy(tail + 4, kMagic, 4);
  emit(sink, tail, offset);
}

void write_parquet_file(const Table &table, const std::string &path,
                        const ParquetWriteOptions &options) {
  UniqueFd fd = UniqueFd::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  auto sink = [&](std::span<const uint8_t> bytes) {
    const uint8_t *p = bytes.data();
    size_t left = bytes.size();
    while (left > 0) {
      ssize_t n = ::write(fd.get(), p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_io_error("cannot write", path, errno);
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
  };
  try {
    write_parquet(table, sink, options);
  } catch (...) {
    // Leave no half-written file that looks like a Parquet file to a glob.
    ::unlink(path.c_str());
    throw;
  }
  if (::close(fd.release()) != 0) throw_io_error("cannot close", path, errno);
}

}  // namespace quilt
