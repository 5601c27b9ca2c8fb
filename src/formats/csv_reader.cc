// CSV reader: splits the text into fields column by column (unquoting as it
// goes), then picks each column's type from all its values, as pandas'
// read_csv does, and builds the Table.
#include <sys/stat.h>

#include <algorithm>
#include <optional>
#include <thread>
#include <cstring>

#include "core/mapped_file.h"
#include "core/unique_fd.h"
#include "core/utf8.h"
#include "formats/csv_fields.h"
#include "quilt/csv.h"
#include "quilt/errors.h"
#include "quilt/thread_pool.h"

namespace quilt {

namespace {

// The raw fields of one column: unquoted text, back to back, with int32
// offsets, so a string column takes them as they are.
struct RawColumn {
  detail::ByteBuilder text;
  std::vector<int32_t> offsets{0};
};

// Splits CSV text into rows of fields. Rows end at "\n" or "\r\n"; a lone
// '\r' is data. Blank lines are skipped (as pandas does).
class Tokenizer {
 public:
  Tokenizer(std::string_view text, std::string_view source, char delimiter)
      : text_(text), source_(source), delimiter_(delimiter) {}

  // Read the next row into `fields` (cleared first). Return false at the end.
  bool next_row(std::vector<std::string>& fields) {
    fields.clear();
    while (pos_ < text_.size() && is_row_end(pos_)) skip_row_end();
    if (pos_ >= text_.size()) return false;
    row_line_ = line_;
    while (true) {
      fields.emplace_back();
      const bool row_done = read_field(fields.back());
      if (row_done) return true;
    }
  }

  // Read the next row, appending each field to its column; return the number
  // of fields seen (columns past `columns.size()` are counted, not stored).
  // Return -1 at the end of the text.
  int64_t next_row(std::vector<RawColumn>& columns) {
    while (pos_ < text_.size() && is_row_end(pos_)) skip_row_end();
    if (pos_ >= text_.size()) return -1;
    row_line_ = line_;
    int64_t n = 0;
    detail::ByteBuilder scratch;
    while (true) {
      bool row_done;
      if (static_cast<size_t>(n) < columns.size()) {
        RawColumn& c = columns[static_cast<size_t>(n)];
        row_done = read_field(c.text);
        if (c.text.size() > static_cast<size_t>(INT32_MAX)) {
          throw Corrupt(where() + "column " + std::to_string(n) + " holds over 2 GiB of text");
        }
        c.offsets.push_back(static_cast<int32_t>(c.text.size()));
      } else {
        row_done = read_field(scratch);
      }
      ++n;
      if (row_done) return n;
    }
  }

  // "SOURCE: line N: " for the row being read.
  std::string where() const {
    return std::string(source_) + ": line " + std::to_string(row_line_) + ": ";
  }

 private:
  bool is_row_end(size_t p) const {
    return text_[p] == '\n' || (text_[p] == '\r' && p + 1 < text_.size() && text_[p + 1] == '\n');
  }
  void skip_row_end() {
    pos_ += text_[pos_] == '\r' ? 2 : 1;
    ++line_;
  }

  // Append one field to `out` (a std::string or a ByteBuilder); return true
  // when it ended the row.
  template <class Out>
  bool read_field(Out& out) {
    if (pos_ < text_.size() && text_[pos_] == '"') return read_quoted(out);
    const size_t start = pos_;
    const char* p = text_.data() + pos_;
    const char* const end = text_.data() + text_.size();
    while (p < end) {
      const char c = *p;
      if (c == delimiter_ || c == '\n' || (c == '\r' && p + 1 < end && p[1] == '\n')) break;
      ++p;
    }
    out.append(text_.data() + start, static_cast<size_t>(p - (text_.data() + start)));
    pos_ = static_cast<size_t>(p - text_.data());
    return finish_field();
  }

  // After a field: consume the delimiter (false) or the row end (true).
  bool finish_field() {
    if (pos_ >= text_.size()) return true;
    if (text_[pos_] == delimiter_) {
      ++pos_;
      return false;
    }
    skip_row_end();
    return true;
  }

  template <class Out>
  bool read_quoted(Out& out) {
    const size_t open_line = line_;
    ++pos_;
    while (true) {
      const size_t q = text_.find('"', pos_);
      if (q == std::string_view::npos) {
        throw Corrupt(std::string(source_) + ": line " + std::to_string(open_line) +
                      ": unterminated quoted field");
      }
      const std::string_view piece = text_.substr(pos_, q - pos_);
      for (char c : piece) line_ += c == '\n';
      out.append(piece);
      pos_ = q + 1;
      if (pos_ < text_.size() && text_[pos_] == '"') {
        out.push_back('"');
        ++pos_;
        continue;
      }
      break;
    }
    if (pos_ < text_.size() && text_[pos_] != delimiter_ && !is_row_end(pos_)) {
      throw Corrupt(where() + "text after the closing quote of a field");
    }
    return finish_field();
  }

  std::string_view text_;
  std::string_view source_;
  char delimiter_;
  size_t pos_ = 0;
  size_t line_ = 1;
  size_t row_line_ = 1;
};

// pandas' default na_values.
const std::vector<std::string>& default_null_values() {
  static const std::vector<std::string> kValues = {
      "",        "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
      "1.#QNAN", "<NA>", "N/A",      "NA",  "NULL",    "NaN",      "n/a",  "nan",  "null"};
  return kValues;
}

constexpr int64_t kSampleRows = 1024;
// Fewer rows than this are typed on the calling thread alone.
constexpr int64_t kParallelRows = 65536;

// Reserve room for the whole text from what the first rows hold, so the
// columns rarely grow (each growth copies and touches fresh pages).
void reserve_like_sample(std::vector<RawColumn>& columns, std::string_view text, int64_t rows) {
  const size_t lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 2;
  // Twice the estimate: later fields may be longer (counters grow), and
  // capacity never written costs address space only.
  const double scale = 2.0 * static_cast<double>(lines) / static_cast<double>(rows);
  for (RawColumn& c : columns) {
    c.text.reserve(static_cast<size_t>(static_cast<double>(c.text.size()) * scale) + 4096);
    c.offsets.reserve(lines);
  }
}

void check_utf8(std::string_view text, std::string_view source) {
  const size_t bad = find_invalid_utf8(text);
  if (bad == std::string_view::npos) return;
  const size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + bad, '\n'));
  throw Corrupt(std::string(source) + ": line " + std::to_string(line) + ": invalid UTF-8");
}

}  // namespace

Table read_csv(const Buffer& bytes, std::string_view source, const CsvReadOptions& options) {
  const char d = options.delimiter;
  if (d == '"' || d == '\n' || d == '\r') {
    throw InvalidArgument("CSV delimiter cannot be a quote or a line break");
  }
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  check_utf8(text, source);

  Tokenizer tokens(text, source, d);
  std::vector<std::string> first;
  if (!tokens.next_row(first)) return Table();
  std::vector<std::string> names;
  std::vector<RawColumn> columns(first.size());
  int64_t rows = 0;
  if (options.header) {
    names = std::move(first);
  } else {
    // Without a header, the first row is data and sets the number of columns.
    for (size_t i = 0; i < first.size(); ++i) {
      names.push_back(std::to_string(i));
      columns[i].text.append(first[i]);
      columns[i].offsets.push_back(static_cast<int32_t>(columns[i].text.size()));
    }
    rows = 1;
  }
  while (true) {
    const int64_t n = tokens.next_row(columns);
    if (n < 0) break;
    if (n != static_cast<int64_t>(columns.size())) {
      throw Corrupt(tokens.where() + "expected " + std::to_string(columns.size()) +
                    " fields, saw " + std::to_string(n));
    }
    ++rows;
    if (rows == kSampleRows) reserve_like_sample(columns, text, rows);
  }

  detail::NullSet nulls(options.null_values ? *options.null_values : default_null_values());
  // Columns are typed independently: on a pool when there is enough work.
  std::vector<std::optional<Column>> built(columns.size());
  auto build = [&](size_t i) {
    detail::FieldColumn fields{std::move(names[i]), std::move(columns[i].text),
                               std::move(columns[i].offsets)};
    built[i] = options.infer_types ? detail::build_inferred(std::move(fields), nulls)
                                   : detail::build_strings(std::move(fields), nulls);
  };
  const size_t threads =
      options.threads != 0 ? options.threads : std::thread::hardware_concurrency();
  if (threads > 1 && columns.size() > 1 && rows >= kParallelRows) {
    ThreadPool pool(std::min(threads, columns.size()) - 1);
    pool.parallel_for(columns.size(), build);
  } else {
    for (size_t i = 0; i < columns.size(); ++i) build(i);
  }
  std::vector<Column> result;
  result.reserve(columns.size());
  for (std::optional<Column>& c : built) result.push_back(std::move(*c));
  return Table::make(std::move(result), {}, rows);
}

Table read_csv_file(const std::string& path, const CsvReadOptions& options) {
  UniqueFd fd = UniqueFd::open(path, O_RDONLY);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_io_error("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode)) throw IoError("cannot read '" + path + "': not a regular file");
  // The text is read once, front to back, and no column points into it: a
  // populated mapping of the page cache avoids copying it into fresh memory.
  auto mapped = std::make_shared<MappedFile>(
      MappedFile::map(fd.get(), 0, static_cast<size_t>(st.st_size), path,
                      MappedFile::Options{.populate = true, .sequential = true}));
  return read_csv(Buffer(mapped->bytes().data(), mapped->size(), mapped), path, options);
}

}  // namespace quilt
