// read_parquet: the footer, a plan of work over the column chunks, the Table at the end. See
// reader.h for how the work is split.

#include "formats/parquet/reader.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>

#include "core/unique_fd.h"
#include "quilt/errors.h"
#include "quilt/parquet.h"
#include "quilt/thread_pool.h"

namespace quilt {
namespace {

using parquet::ChunkJob;
using parquet::ColumnPlan;
using parquet::FileMetaData;
using parquet::Input;
using parquet::OutputBuffer;
using parquet::Scratch;
using parquet::Workspace;
using parquet::Footer;

constexpr size_t kFooterTail = 8;  // footer length (4) + magic (4)
constexpr uint64_t kMaxRowsPerByte = uint64_t{1} << 20;

// A whole file in memory: ranges are views, nothing is copied.
class BufferInput : public Input {
 public:
  explicit BufferInput(const Buffer& bytes) : bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  std::span<const uint8_t> read(uint64_t offset, size_t size, Scratch&) const override {
    return bytes_.bytes().subspan(offset, size);
  }

 private:
  const Buffer& bytes_;
};

// A file read with pread into the caller's scratch, which is reused from chunk to chunk (a
// first-touch mapping of the whole file would fault every page in, slowly, on this machine).
class FileInput : public Input {
 public:
  FileInput(const std::string& path) : path_(path), fd_(UniqueFd::open(path, O_RDONLY)) {
    struct stat st;
    if (fstat(fd_.get(), &st) != 0) throw_io_error("cannot stat", path, errno);
    if (!S_ISREG(st.st_mode)) throw IoError("cannot read '" + path + "': not a regular file");
    size_ = static_cast<uint64_t>(st.st_size);
  }
  uint64_t size() const override { return size_; }
  std::span<const uint8_t> read(uint64_t offset, size_t size, Scratch& scratch) const override {
    uint8_t* out = scratch.reserve(size);
    size_t done = 0;
    while (done < size) {
      ssize_t n = pread(fd_.get(), out + done, size - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_io_error("cannot read", path_, errno);
      if (n == 0) throw Corrupt(path_ + ": the file ended early (it shrank while being read)");
      done += static_cast<size_t>(n);
    }
    return {out, size};
  }

 private:
  std::string path_;
  UniqueFd fd_;
  uint64_t size_ = 0;
};

// A file behind the caller's read_at (an S3 object, say), read into the caller's scratch.
class SourceInput : public Input {
 public:
  explicit SourceInput(const ParquetByteSource& source) : source_(source) {
    if (!source_.read_at) throw InvalidArgument(source_.name + ": the byte source has no read_at");
  }
  uint64_t size() const override { return source_.size; }
  std::span<const uint8_t> read(uint64_t offset, size_t size, Scratch& scratch) const override {
    uint8_t* out = scratch.reserve(size);
    source_.read_at(offset, {out, size});
    return {out, size};
  }

 private:
  const ParquetByteSource& source_;
};

uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace

namespace parquet {

Footer read_footer(const Input& in, const std::string& source) {
  uint64_t size = in.size();
  if (size < 4 + kFooterTail) {
    throw Corrupt(source + ": " + std::to_string(size) +
                  " bytes is too short for a Parquet file (magic, footer length, magic: 12)");
  }
  Scratch scratch;
  std::span<const uint8_t> head = in.read(0, 4, scratch);
  if (std::memcmp(head.data(), "PAR1", 4) != 0) {
    throw Corrupt(source + ": not a Parquet file (it does not start with the magic 'PAR1')");
  }
  std::span<const uint8_t> tail = in.read(size - kFooterTail, kFooterTail, scratch);
  if (std::memcmp(tail.data() + 4, "PARE", 4) == 0) {
    throw InvalidArgument(source + ": encrypted Parquet files are not supported");
  }
  if (std::memcmp(tail.data() + 4, "PAR1", 4) != 0) {
    throw Corrupt(source + ": it does not end with the magic 'PAR1' (truncated?)");
  }
  uint32_t length = load_u32(tail.data());
  if (length > size - 4 - kFooterTail) {
    throw Corrupt(source + ": the footer length " + std::to_string(length) +
                  " runs past the start of the file (" + std::to_string(size) + " bytes)");
  }
  uint64_t start = size - kFooterTail - length;
  std::span<const uint8_t> footer = in.read(start, length, scratch);
  return {parquet::read_file_metadata(footer, "footer of " + source), start};
}

std::unique_ptr<Input> open_file_input(const std::string& path) {
  return std::make_unique<FileInput>(path);
}

std::unique_ptr<Input> make_source_input(const ParquetByteSource& source) {
  return std::make_unique<SourceInput>(source);
}

}  // namespace parquet

namespace {

// The column chunks of the file, checked against the footer and the file's size.
struct Chunk {
  parquet::Codec codec = parquet::Codec::kUncompressed;
  uint64_t offset = 0;
  uint64_t size = 0;
};

struct Plan {
  std::vector<ColumnPlan> columns;
  std::vector<std::vector<Chunk>> chunks;  // [row group][column]
  std::vector<int64_t> first_rows;         // per row group read
  std::vector<int> row_groups;             // the file's index of each row group read
  int64_t num_rows = 0;
};

Chunk check_chunk(const parquet::ColumnChunk& c, const ColumnPlan& column, int64_t rows,
                  uint64_t data_end, const std::string& where) {
  if (c.file_path)
    throw InvalidArgument(where + ": a column chunk in another file is not supported");
  if (!c.meta_data) throw Corrupt(where + ": the column chunk has no metadata");
  const parquet::ColumnMetaData& m = *c.meta_data;
  if (m.type != column.physical) {
    throw Corrupt(where + ": the chunk's physical type " +
                  std::to_string(static_cast<int>(m.type)) + " differs from the schema's " +
                  std::to_string(static_cast<int>(column.physical)));
  }
  if (!parquet::reader_supports_codec(static_cast<int32_t>(m.codec))) {
    throw InvalidArgument(where + ": compression codec #" +
                          std::to_string(static_cast<int>(m.codec)) + " is not supported");
  }
  if (m.num_values != rows) {
    throw Corrupt(where + ": the column chunk holds " + std::to_string(m.num_values) +
                  " values, its row group " + std::to_string(rows) + " rows");
  }
  int64_t start = m.data_page_offset;
  if (m.dictionary_page_offset && *m.dictionary_page_offset > 0 &&
      *m.dictionary_page_offset < start) {
    start = *m.dictionary_page_offset;
  }
  if (start < 4 || m.total_compressed_size < 0 || static_cast<uint64_t>(start) > data_end ||
      static_cast<uint64_t>(m.total_compressed_size) > data_end - static_cast<uint64_t>(start)) {
    throw Corrupt(where + ": the column chunk at " + std::to_string(start) + " of " +
                  std::to_string(m.total_compressed_size) +
                  " bytes is not within the file's data (which ends at " +
                  std::to_string(data_end) + ")");
  }
  return {m.codec, static_cast<uint64_t>(start), static_cast<uint64_t>(m.total_compressed_size)};
}

Plan make_plan(const FileMetaData& m, const std::string& source, uint64_t data_end,
               const ParquetReadOptions& options) {
  std::string pandas;
  for (const parquet::KeyValue& kv : m.key_value_metadata) {
    if (kv.key == "pandas" && kv.value) pandas = *kv.value;
  }
  Plan plan;
  size_t leaves = 0;
  plan.columns = parquet::plan_columns(m, pandas, source,
                                       options.columns ? &*options.columns : nullptr, &leaves);
  // Every row group's counts are checked (the footer is read whole anyway); only the chosen
  // row groups' chosen chunks are checked against the file and read.
  int64_t total_rows = 0;
  for (size_t g = 0; g < m.row_groups.size(); ++g) {
    const parquet::RowGroup& rg = m.row_groups[g];
    std::string where = source + ": row group " + std::to_string(g);
    if (rg.num_rows < 0) throw Corrupt(where + ": negative row count");
    if (rg.columns.size() != leaves) {
      throw Corrupt(where + ": " + std::to_string(rg.columns.size()) +
                    " column chunks for a schema of " + std::to_string(leaves) + " columns");
    }
    if (rg.num_rows > std::numeric_limits<int64_t>::max() - total_rows) {
      throw Corrupt(where + ": the row counts overflow");
    }
    total_rows += rg.num_rows;
  }
  std::vector<size_t> groups;
  if (options.row_groups) {
    for (int g : *options.row_groups) {
      if (g < 0 || static_cast<size_t>(g) >= m.row_groups.size()) {
        throw InvalidArgument(source + ": no row group " + std::to_string(g) + " (the file has " +
                              std::to_string(m.row_groups.size()) + ")");
      }
      groups.push_back(static_cast<size_t>(g));
    }
  } else {
    for (size_t g = 0; g < m.row_groups.size(); ++g) groups.push_back(g);
  }
  for (size_t g : groups) {
    const parquet::RowGroup& rg = m.row_groups[g];
    plan.row_groups.push_back(static_cast<int>(g));
    plan.first_rows.push_back(plan.num_rows);
    plan.num_rows += rg.num_rows;
    std::vector<Chunk>& chunks = plan.chunks.emplace_back();
    for (const ColumnPlan& column : plan.columns) {
      std::string at = parquet::column_context(source, column.name) + ", row group " +
                       std::to_string(g);
      chunks.push_back(check_chunk(rg.columns[column.leaf], column, rg.num_rows, data_end, at));
    }
  }
  // A table without columns has its rows in the footer only: the writer (as pyarrow) has no
  // column chunk to put them in.
  const bool columnless = leaves == 0 && m.row_groups.empty();
  if (columnless) plan.num_rows = m.num_rows;
  // After the chunks' checks, which name the column whose count disagrees with its row group.
  if (!columnless && total_rows != m.num_rows) {
    throw Corrupt(source + ": the footer gives " + std::to_string(m.num_rows) +
                  " rows, its row groups hold " + std::to_string(total_rows));
  }
  // Run-length levels let a few bytes stand for many rows, but not for more than a million rows
  // per byte of file: a row count past that is a lie we would otherwise allocate for.
  if (static_cast<uint64_t>(plan.num_rows) > (data_end + 1) * kMaxRowsPerByte) {
    throw Corrupt(source + ": the footer gives " + std::to_string(plan.num_rows) +
                  " rows, more than " + std::to_string(data_end) + " bytes of data can hold");
  }
  return plan;
}

// Workspaces handed to tasks, one per task running at a time, kept for the whole read.
class WorkspacePool {
 public:
  std::unique_ptr<Workspace> take() {
    std::lock_guard lock(mu_);
    if (free_.empty()) return std::make_unique<Workspace>();
    std::unique_ptr<Workspace> w = std::move(free_.back());
    free_.pop_back();
    return w;
  }
  void give(std::unique_ptr<Workspace> w) {
    std::lock_guard lock(mu_);
    free_.push_back(std::move(w));
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<Workspace>> free_;  // guarded by mu_
};

// The output of one fixed-width column, written by its chunks in parallel.
struct FixedColumn {
  OutputBuffer values;
  OutputBuffer validity;
  std::atomic<int64_t> nulls{0};
  std::once_flag allocated;
};

class Reader {
 public:
  Reader(const Input& in, std::string source, const ParquetReadOptions& options)
      : in_(in), source_(std::move(source)), options_(options) {}

  Table read() {
    Footer footer = read_footer(in_, source_);
    plan_ = make_plan(footer.metadata, source_, footer.data_end, options_);
    prefault_ = should_prefault();
    size_t n_columns = plan_.columns.size();
    fixed_ = std::make_unique<FixedColumn[]>(n_columns);
    results_.resize(n_columns);
    std::vector<Task> tasks = make_tasks();
    auto run = [&](size_t i) { run_task(tasks[i]); };
    if (options_.pool != nullptr) {
      options_.pool->parallel_for(tasks.size(), run);
    } else {
      for (size_t i = 0; i < tasks.size(); ++i) run(i);
    }
    std::vector<Column> columns;
    columns.reserve(n_columns);
    for (size_t c = 0; c < n_columns; ++c) {
      columns.push_back(plan_.columns[c].is_variable() ? std::move(*results_[c]) : finish_fixed(c));
    }
    KeyValueMetadata metadata;
    for (const parquet::KeyValue& kv : footer.metadata.key_value_metadata) {
      metadata.emplace_back(kv.key, kv.value.value_or(""));
    }
    return Table::make(std::move(columns), std::move(metadata), plan_.num_rows);
  }

 private:
  struct Task {
    size_t column;
    int row_group;  // -1: every row group of a string, binary or categorical column
  };

  // Whole variable-width columns first: they are the longest tasks.
  std::vector<Task> make_tasks() const {
    std::vector<Task> tasks;
    for (size_t c = 0; c < plan_.columns.size(); ++c) {
      if (plan_.columns[c].is_variable()) tasks.push_back({c, -1});
    }
    for (size_t g = 0; g < plan_.chunks.size(); ++g) {
      for (size_t c = 0; c < plan_.columns.size(); ++c) {
        if (!plan_.columns[c].is_variable()) tasks.push_back({c, static_cast<int>(g)});
      }
    }
    return tasks;
  }

  // Prefault outputs only when the file could plausibly hold that many values: a lying row
  // count then costs address space, not memory.
  bool should_prefault() const {
    uint64_t bytes = 0;
    for (const ColumnPlan& c : plan_.columns) {
      bytes += static_cast<uint64_t>(plan_.num_rows) * (c.is_variable() ? 4 : 8);
    }
    return bytes <= 64 * in_.size() + (uint64_t{64} << 20);
  }

  void allocate_fixed(size_t c) {
    const ColumnPlan& column = plan_.columns[c];
    auto n = static_cast<uint64_t>(plan_.num_rows);
    int width = column.type.bit_width();
    uint64_t bytes = width == 1 ? (n + 7) / 8 : n * static_cast<uint64_t>(width / 8);
    std::string what = parquet::column_context(source_, column.name);
    fixed_[c].values = parquet::allocate_output(bytes, prefault_, what);
    if (column.optional)
      fixed_[c].validity = parquet::allocate_output((n + 7) / 8, prefault_, what);
  }

  Column finish_fixed(size_t c) {
    const ColumnPlan& column = plan_.columns[c];
    FixedColumn& f = fixed_[c];
    // A file without row groups has no tasks.
    std::call_once(f.allocated, [&] { allocate_fixed(c); });
    ColumnBuffers buffers;
    buffers.values = f.values.buffer();
    int64_t nulls = f.nulls.load();
    if (nulls > 0) buffers.validity = f.validity.buffer();
    buffers.null_count = nulls;
    return Column::make(column.name, column.type, plan_.num_rows, std::move(buffers));
  }

  ChunkJob job_for(size_t c, size_t g) const {
    const Chunk& chunk = plan_.chunks[g][c];
    ChunkJob job;
    job.plan = &plan_.columns[c];
    job.row_group = plan_.row_groups[g];
    job.first_row = plan_.first_rows[g];
    job.num_rows = g + 1 < plan_.first_rows.size() ? plan_.first_rows[g + 1] - job.first_row
                                                   : plan_.num_rows - job.first_row;
    job.codec = chunk.codec;
    job.input = &in_;
    job.offset = chunk.offset;
    job.size = chunk.size;
    job.source = &source_;
    return job;
  }

  void run_task(const Task& task) {
    size_t c = task.column;
    std::unique_ptr<Workspace> work = workspaces_.take();
    if (task.row_group < 0) {
      parquet::VariableOutput out(plan_.columns[c], plan_.num_rows, prefault_, source_);
      for (size_t g = 0; g < plan_.chunks.size(); ++g) out.decode_chunk(job_for(c, g), *work);
      results_[c] = out.finish();
    } else {
      // The column's first task allocates (and prefaults) its buffers, so columns do that in
      // parallel too.
      std::call_once(fixed_[c].allocated, [&] { allocate_fixed(c); });
      parquet::FixedOutput out{fixed_[c].values.data, fixed_[c].validity.data};
      auto g = static_cast<size_t>(task.row_group);
      int64_t nulls = parquet::decode_fixed_chunk(job_for(c, g), out, *work);
      fixed_[c].nulls += nulls;
    }
    workspaces_.give(std::move(work));
  }

  const Input& in_;
  std::string source_;
  const ParquetReadOptions& options_;
  Plan plan_;
  bool prefault_ = true;
  std::unique_ptr<FixedColumn[]> fixed_;
  std::vector<std::optional<Column>> results_;
  WorkspacePool workspaces_;
};

}  // namespace

Table read_parquet(const Buffer& bytes, std::string_view source,
                   const ParquetReadOptions& options) {
  BufferInput in(bytes);
  return Reader(in, std::string(source), options).read();
}

Table read_parquet_file(const std::string& path, const ParquetReadOptions& options) {
  FileInput in(path);
  return Reader(in, path, options).read();
}

Table read_parquet(const ParquetByteSource& source, const ParquetReadOptions& options) {
  SourceInput in(source);
  return Reader(in, source.name, options).read();
}

}  // namespace quilt
