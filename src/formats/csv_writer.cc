// CSV writer: the bytes pandas 1.5's DataFrame.to_csv(index=False) writes for
// the same data (Python's csv module, QUOTE_MINIMAL), made fast. Rows are
// formatted in chunks into reused buffers (fresh pages are slow on the machines
// we measure on), chunks on a thread pool when the table is large, and the
// buffers go to the sink in order, in pieces of at most 1 MiB.
#include <algorithm>
#include <array>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "formats/csv_internal.h"
#include "formats/table_internal.h"
#include "quilt/csv.h"
#include "quilt/errors.h"
#include "quilt/thread_pool.h"

namespace quilt {

namespace {

using detail::get_bit;

constexpr int64_t kChunkRows = 16384;
constexpr size_t kPieceBytes = size_t{1} << 20;
constexpr int64_t kSecondsPerDay = 86400;

inline int64_t floor_div(int64_t a, int64_t b) noexcept {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// The last date a column formatted: consecutive timestamps mostly share a day.
struct DateCache {
  int64_t day = INT64_MIN;
  char text[24];
  size_t size = 0;
};

// A growable output area, reused from chunk to chunk. It grows (and touches
// new pages) only when a chunk is larger than any before it.
class Out {
 public:
  explicit Out(size_t date_caches) : caches_(date_caches) {}

  char* reserve(size_t n) {
    if (size_ + n > buf_.size()) buf_.resize(std::max(buf_.size() * 2, size_ + n + 4096));
    return buf_.data() + size_;
  }
  void set_end(char* end) { size_ = static_cast<size_t>(end - buf_.data()); }
  void append(const char* p, size_t n) {
    if (n == 0) return;  // p may be null (an empty column's data buffer)
    std::memcpy(reserve(n), p, n);
    size_ += n;
  }
  void push(char c) { *reserve(1) = c, ++size_; }
  char* at(size_t pos) { return buf_.data() + pos; }
  size_t size() const { return size_; }
  const char* data() const { return buf_.data(); }
  void clear() { size_ = 0; }
  DateCache& cache(size_t i) { return caches_[i]; }

 private:
  std::string buf_;
  size_t size_ = 0;
  std::vector<DateCache> caches_;
};

// Which bytes force a field into quotes: the delimiter, '"', '\r', '\n' and
// every byte of the line terminator (Python's csv module quotes those).
class Quoting {
 public:
  explicit Quoting(const CsvWriteOptions& options) {
    special_.fill(false);
    special_[static_cast<uint8_t>(options.delimiter)] = true;
    special_['"'] = special_['\r'] = special_['\n'] = true;
    for (char c : options.line_terminator) special_[static_cast<uint8_t>(c)] = true;
    // Numbers, bools and timestamps are made of these bytes; when none is
    // special, only strings need a look.
    for (char c : std::string_view("0123456789+-.:eE TrueFalsinf")) {
      if (special_[static_cast<uint8_t>(c)]) check_all_ = true;
    }
  }
  bool needs_quotes(std::string_view s) const {
    for (char c : s) {
      if (special_[static_cast<uint8_t>(c)]) return true;
    }
    return false;
  }
  bool check_all() const { return check_all_; }

  // Write `s` quoted, quotes doubled.
  static void write_quoted(Out& out, std::string_view s) {
    char* p = out.reserve(s.size() * 2 + 2);
    *p++ = '"';
    for (char c : s) {
      *p++ = c;
      if (c == '"') *p++ = '"';
    }
    *p++ = '"';
    out.set_end(p);
  }
  void write_field(Out& out, std::string_view s) const {
    if (needs_quotes(s)) {
      write_quoted(out, s);
    } else {
      out.append(s.data(), s.size());
    }
  }

 private:
  std::array<bool, 256> special_;
  bool check_all_ = false;
};

// How one timestamp column prints. pandas prints a naive column with one
// layout for all rows: dates alone when every value is a midnight, else the
// time with 0, 3, 6 or 9 fraction digits, as many as the finest value needs.
// A zoned column is printed value by value (str(Timestamp)): 9 digits when
// the nanoseconds are not zero, else 6 when the microseconds are not, else
// none; then the UTC offset.
struct TimestampLayout {
  int64_t per_second = 1000000000;
  int64_t ns_per_unit = 1;
  bool zoned = false;
  bool date_only = false;
  int digits = 0;              // naive columns
  int64_t offset_seconds = 0;  // zoned columns: added before printing
  std::string suffix;          // zoned columns: "+00:00"
};

// Parse a fixed-offset zone name ("+05:30", "-0800"). Return false otherwise.
bool parse_fixed_offset(std::string_view tz, int64_t& seconds) {
  if (tz.size() != 6 && tz.size() != 5) return false;
  if (tz[0] != '+' && tz[0] != '-') return false;
  const size_t m = tz.size() == 6 ? 4 : 3;
  if (tz.size() == 6 && tz[3] != ':') return false;
  for (size_t i : {size_t{1}, size_t{2}, m, m + 1}) {
    if (tz[i] < '0' || tz[i] > '9') return false;
  }
  const int64_t h = (tz[1] - '0') * 10 + (tz[2] - '0');
  const int64_t mm = (tz[m] - '0') * 10 + (tz[m + 1] - '0');
  if (h > 23 || mm > 59) return false;
  seconds = (tz[0] == '-' ? -1 : 1) * (h * 3600 + mm * 60);
  return true;
}

TimestampLayout timestamp_layout(const Column& column) {
  TimestampLayout t;
  switch (column.type().unit()) {
    case TimeUnit::kSecond:
    case TimeUnit::kMilli:
      t.per_second = 1000;
      break;
    case TimeUnit::kMicro:
      t.per_second = 1000000;
      break;
    case TimeUnit::kNano:
      t.per_second = 1000000000;
      break;
  }
  t.ns_per_unit = 1000000000 / t.per_second;
  const std::string& tz = column.type().timezone();
  if (!tz.empty()) {
    t.zoned = true;
    // Without a time zone database (libstdc++ 12 has no std::chrono::tzdb),
    // only fixed offsets can be honoured; any named zone prints as UTC.
    if (parse_fixed_offset(tz, t.offset_seconds)) {
      t.suffix = tz.size() == 6 ? tz : tz.substr(0, 3) + ":" + tz.substr(3);
    } else {
      t.suffix = "+00:00";
    }
    return t;
  }
  const std::span<const int64_t> v = column.values<int64_t>();
  const uint8_t* validity = column.null_count() > 0 ? column.validity_buffer().data() : nullptr;
  auto is_valid = [&](size_t i) {
    return validity == nullptr || get_bit(validity, column.offset() + static_cast<int64_t>(i));
  };
  const int64_t per_day = t.per_second * kSecondsPerDay;
  bool all_midnight = true;
  unsigned scales = 0;  // bit 0: some value has milliseconds; 1: micro; 2: nano
  for (size_t i = 0; i < v.size(); ++i) {
    if (!is_valid(i)) continue;
    int64_t in_day = v[i] % per_day;
    if (in_day == 0) continue;
    if (in_day < 0) in_day += per_day;
    all_midnight = false;
    const int64_t ns = (in_day % t.per_second) * t.ns_per_unit;
    scales |= (ns != 0 ? 1u : 0u) | (ns % 1000000 != 0 ? 2u : 0u) | (ns % 1000 != 0 ? 4u : 0u);
  }
  t.date_only = all_midnight;
  t.digits = (scales & 4) != 0 ? 9 : (scales & 2) != 0 ? 6 : (scales & 1) != 0 ? 3 : 0;
  return t;
}

constexpr char kTwoDigits[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

char* write_2(char* p, int64_t v) {
  std::memcpy(p, kTwoDigits + 2 * v, 2);
  return p + 2;
}

// Write YYYY-MM-DD for `days` since the epoch (years outside 0..9999 print
// with their own width and sign; pandas cannot hold those).
char* write_date(char* p, int64_t days, DateCache& cache) {
  if (cache.day != days) {
    const detail::CivilDate d = detail::civil_from_days(days);
    char* q = cache.text;
    if (d.year >= 0 && d.year <= 9999) {
      q = write_2(q, d.year / 100);
      q = write_2(q, d.year % 100);
    } else {
      q = std::to_chars(q, q + 12, d.year).ptr;
    }
    *q++ = '-';
    q = write_2(q, d.month);
    *q++ = '-';
    q = write_2(q, d.day);
    cache.day = days;
    cache.size = static_cast<size_t>(q - cache.text);
  }
  std::memcpy(p, cache.text, cache.size);
  return p + cache.size;
}

// Write `value` (ns below a second) with `digits` digits (3, 6 or 9).
char* write_fraction(char* p, int64_t ns, int digits) {
  *p++ = '.';
  for (int d = digits; d < 9; d += 3) ns /= 1000;
  for (int i = digits - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + ns % 10);
    ns /= 10;
  }
  return p + digits;
}

enum class Kind { kBool, kInt, kUInt, kFloat32, kFloat64, kString, kTimestamp, kDate, kDictionary };

// Prints the cells of one column. Immutable after construction, so chunks
// on several threads share it; the per-thread state (date caches) is in Out.
class FieldWriter {
 public:
  FieldWriter(const Column& column, const Quoting& quoting, const std::string& null_field,
              size_t& caches)
      : quoting_(quoting), null_field_(null_field), length_(column.length()) {
    if (column.null_count() > 0) validity_ = column.validity_buffer().data();
    offset_ = column.offset();
    const DataType& type = column.type();
    switch (type.id()) {
      case TypeId::kBool:
        kind_ = Kind::kBool;
        values_ = column.values_buffer().data();
        break;
      case TypeId::kInt8:
      case TypeId::kInt16:
      case TypeId::kInt32:
      case TypeId::kInt64:
      case TypeId::kUInt8:
      case TypeId::kUInt16:
      case TypeId::kUInt32:
      case TypeId::kUInt64:
        kind_ = type.is_signed_integer() ? Kind::kInt : Kind::kUInt;
        width_ = type.bit_width() / 8;
        values_ = column.values_buffer().data() + offset_ * width_;
        break;
      case TypeId::kFloat32:
      case TypeId::kFloat64:
        kind_ = type.id() == TypeId::kFloat32 ? Kind::kFloat32 : Kind::kFloat64;
        width_ = type.bit_width() / 8;
        values_ = column.values_buffer().data() + offset_ * width_;
        break;
      case TypeId::kString:
      case TypeId::kBinary:
        kind_ = Kind::kString;
        offsets_ = column.offsets().data();
        data_ = reinterpret_cast<const char*>(column.data_buffer().data());
        break;
      case TypeId::kTimestamp:
        kind_ = Kind::kTimestamp;
        values_ = column.values_buffer().data() + offset_ * 8;
        ts_ = timestamp_layout(column);
        cache_ = caches++;
        break;
      case TypeId::kDate32:
        kind_ = Kind::kDate;
        values_ = column.values_buffer().data() + offset_ * 4;
        cache_ = caches++;
        break;
      case TypeId::kDictionary:
        kind_ = Kind::kDictionary;
        width_ = type.index_type().bit_width() / 8;
        unsigned_index_ = !type.index_type().is_signed_integer();
        values_ = column.values_buffer().data() + offset_ * width_;
        dictionary_ =
            std::make_unique<FieldWriter>(column.dictionary(), quoting, null_field, caches);
        break;
    }
  }

  // Write cell `i`: the null text, or the value (quoted when it must be).
  void write_cell(Out& out, int64_t i) const {
    if (validity_ != nullptr && !get_bit(validity_, offset_ + i)) {
      out.append(null_field_.data(), null_field_.size());
      return;
    }
    if (kind_ == Kind::kString) {
      const std::string_view s(data_ + offsets_[i],
                               static_cast<size_t>(offsets_[i + 1] - offsets_[i]));
      quoting_.write_field(out, s);
      return;
    }
    if (kind_ == Kind::kDictionary) {
      const uint64_t u = unsigned_index_ ? unsigned_at(i) : 0;
      const int64_t code = unsigned_index_ ? (u > INT64_MAX ? -1 : static_cast<int64_t>(u))
                                           : signed_at(i);
      if (code < 0 || code >= dictionary_->length_) {
        out.append(null_field_.data(), null_field_.size());
      } else {
        dictionary_->write_cell(out, code);
      }
      return;
    }
    // pandas holds NaN as its null, so NaN prints as the null text.
    if ((kind_ == Kind::kFloat64 && std::isnan(reinterpret_cast<const double*>(values_)[i])) ||
        (kind_ == Kind::kFloat32 && std::isnan(reinterpret_cast<const float*>(values_)[i]))) {
      out.append(null_field_.data(), null_field_.size());
      return;
    }
    const size_t start = out.size();
    write_plain(out, i);
    if (quoting_.check_all()) quote_in_place(out, start);
  }

 private:
  int64_t signed_at(int64_t i) const {
    switch (width_) {
      case 1:
        return reinterpret_cast<const int8_t*>(values_)[i];
      case 2:
        return reinterpret_cast<const int16_t*>(values_)[i];
      case 4:
        return reinterpret_cast<const int32_t*>(values_)[i];
      default:
        return reinterpret_cast<const int64_t*>(values_)[i];
    }
  }
  uint64_t unsigned_at(int64_t i) const {
    switch (width_) {
      case 1:
        return values_[i];
      case 2:
        return reinterpret_cast<const uint16_t*>(values_)[i];
      case 4:
        return reinterpret_cast<const uint32_t*>(values_)[i];
      default:
        return reinterpret_cast<const uint64_t*>(values_)[i];
    }
  }

  // Write a value whose text never needs quotes under the usual delimiters.
  void write_plain(Out& out, int64_t i) const {
    char* p = out.reserve(64);
    switch (kind_) {
      case Kind::kBool:
        if (get_bit(values_, offset_ + i)) {
          std::memcpy(p, "True", 4), p += 4;
        } else {
          std::memcpy(p, "False", 5), p += 5;
        }
        break;
      case Kind::kInt:
        p = std::to_chars(p, p + 24, signed_at(i)).ptr;
        break;
      case Kind::kUInt:
        p = std::to_chars(p, p + 24, unsigned_at(i)).ptr;
        break;
      case Kind::kFloat32:
        p = write_float(p, reinterpret_cast<const float*>(values_)[i]);
        break;
      case Kind::kFloat64:
        p = write_float(p, reinterpret_cast<const double*>(values_)[i]);
        break;
      case Kind::kTimestamp:
        p = write_timestamp(p, reinterpret_cast<const int64_t*>(values_)[i], out.cache(cache_));
        break;
      case Kind::kDate:
        p = write_date(p, reinterpret_cast<const int32_t*>(values_)[i], out.cache(cache_));
        break;
      case Kind::kString:
      case Kind::kDictionary:
        break;  // handled by write_cell
    }
    out.set_end(p);
  }

  template <class T>
  static char* write_float(char* p, T v) {
    if (std::isinf(v)) {
      if (v < 0) *p++ = '-';
      std::memcpy(p, "inf", 3);
      return p + 3;
    }
    return detail::write_python_float(p, v);
  }

  char* write_timestamp(char* p, int64_t v, DateCache& cache) const {
    // Constant divisors (one branch per unit) compile to multiplications.
    int64_t secs;
    switch (ts_.per_second) {
      case 1000000000:
        secs = floor_div(v, 1000000000);
        break;
      case 1000000:
        secs = floor_div(v, 1000000);
        break;
      default:
        secs = floor_div(v, 1000);
        break;
    }
    const int64_t ns = (v - secs * ts_.per_second) * ts_.ns_per_unit;
    secs += ts_.offset_seconds;
    const int64_t days = floor_div(secs, kSecondsPerDay);
    const int64_t sod = secs - days * kSecondsPerDay;
    p = write_date(p, days, cache);
    if (ts_.date_only) return p;
    *p++ = ' ';
    p = write_2(p, sod / 3600);
    *p++ = ':';
    p = write_2(p, sod / 60 % 60);
    *p++ = ':';
    p = write_2(p, sod % 60);
    if (!ts_.zoned) {
      return ts_.digits > 0 ? write_fraction(p, ns, ts_.digits) : p;
    }
    if (ns % 1000 != 0) {
      p = write_fraction(p, ns, 9);
    } else if (ns != 0) {
      p = write_fraction(p, ns, 6);
    }
    std::memcpy(p, ts_.suffix.data(), ts_.suffix.size());
    return p + ts_.suffix.size();
  }

  // Quote the text written since `start` if it holds a special byte (only
  // with delimiters such as '.' or ':' that numbers and timestamps contain).
  void quote_in_place(Out& out, size_t start) const {
    const std::string text(out.at(start), out.size() - start);
    if (!quoting_.needs_quotes(text)) return;
    out.set_end(out.at(start));
    Quoting::write_quoted(out, text);
  }

  const Quoting& quoting_;
  const std::string& null_field_;
  int64_t length_;
  Kind kind_ = Kind::kBool;
  int width_ = 0;
  bool unsigned_index_ = false;
  int64_t offset_ = 0;
  const uint8_t* validity_ = nullptr;
  const uint8_t* values_ = nullptr;
  const int32_t* offsets_ = nullptr;
  const char* data_ = nullptr;
  TimestampLayout ts_;
  size_t cache_ = 0;
  std::unique_ptr<FieldWriter> dictionary_;
};

// Formats rows of a table; shared by the threads that format chunks.
class RowWriter {
 public:
  RowWriter(const Table& table, const CsvWriteOptions& options)
      : table_(table), options_(options), quoting_(options) {
    if (quoting_.needs_quotes(options.null_value)) {
      Out out(0);
      Quoting::write_quoted(out, options.null_value);
      null_field_.assign(out.data(), out.size());
    } else {
      null_field_ = options.null_value;
    }
    fields_.reserve(table.columns().size());
    for (const Column& c : table.columns()) {
      fields_.push_back(std::make_unique<FieldWriter>(c, quoting_, null_field_, caches_));
    }
  }

  Out make_out() const { return Out(caches_); }

  void write_header(Out& out) const {
    for (size_t c = 0; c < fields_.size(); ++c) {
      if (c > 0) out.push(options_.delimiter);
      quoting_.write_field(out, table_.column(static_cast<int>(c)).name());
    }
    end_row(out, 0);
  }

  // Append rows [begin, end) to `out`.
  void write_rows(Out& out, int64_t begin, int64_t end) const {
    const char delimiter = options_.delimiter;
    for (int64_t r = begin; r < end; ++r) {
      const size_t row_start = out.size();
      fields_[0]->write_cell(out, r);
      for (size_t c = 1; c < fields_.size(); ++c) {
        out.push(delimiter);
        fields_[c]->write_cell(out, r);
      }
      end_row(out, row_start);
    }
  }

 private:
  // Python's csv module writes a row that is one empty field as `""`, so that
  // it does not read back as a blank line.
  void end_row(Out& out, size_t row_start) const {
    if (out.size() == row_start && fields_.size() == 1) out.append("\"\"", 2);
    out.append(options_.line_terminator.data(), options_.line_terminator.size());
  }

  const Table& table_;
  const CsvWriteOptions& options_;
  Quoting quoting_;
  std::string null_field_;
  size_t caches_ = 0;
  std::vector<std::unique_ptr<FieldWriter>> fields_;
};

void emit(const ByteSink& sink, const Out& out) {
  const auto* p = reinterpret_cast<const uint8_t*>(out.data());
  for (size_t at = 0; at < out.size(); at += kPieceBytes) {
    sink(std::span<const uint8_t>(p + at, std::min(kPieceBytes, out.size() - at)));
  }
}

// One chunk of rows in flight on the pool.
struct Slot {
  explicit Slot(Out o) : out(std::move(o)) {}
  Out out;
  bool done = false;
  std::exception_ptr error;
};

// Format chunks on `threads` workers while this thread passes finished chunks
// to the sink in order; each worker's buffer is reused for every chunk it gets.
void write_parallel(const RowWriter& rows, int64_t num_rows, size_t threads, const ByteSink& sink) {
  const int64_t chunks = (num_rows + kChunkRows - 1) / kChunkRows;
  const size_t num_slots = threads * 2;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::unique_ptr<Slot>> slots;
  for (size_t i = 0; i < num_slots; ++i) slots.push_back(std::make_unique<Slot>(rows.make_out()));
  // Declared after the slots: the pool joins (finishing queued tasks) before
  // the slots they write go away, also when the sink throws.
  ThreadPool pool(threads);
  auto start = [&](int64_t chunk) {
    Slot& slot = *slots[static_cast<size_t>(chunk) % num_slots];
    pool.submit([&rows, &slot, &mu, &cv, chunk, num_rows] {
      std::exception_ptr error;
      try {
        slot.out.clear();
        rows.write_rows(slot.out, chunk * kChunkRows, std::min(num_rows, (chunk + 1) * kChunkRows));
      } catch (...) {
        error = std::current_exception();
      }
      std::lock_guard lock(mu);
      slot.error = error;
      slot.done = true;
      cv.notify_all();
    });
  };
  for (int64_t c = 0; c < std::min<int64_t>(chunks, static_cast<int64_t>(num_slots)); ++c) start(c);
  for (int64_t c = 0; c < chunks; ++c) {
    Slot& slot = *slots[static_cast<size_t>(c) % num_slots];
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return slot.done; });
      slot.done = false;
    }
    if (slot.error) std::rethrow_exception(slot.error);
    emit(sink, slot.out);
    if (c + static_cast<int64_t>(num_slots) < chunks) start(c + static_cast<int64_t>(num_slots));
  }
}

void check_options(const CsvWriteOptions& options) {
  const char d = options.delimiter;
  if (d == '"' || d == '\n' || d == '\r') {
    throw InvalidArgument("CSV delimiter cannot be a quote or a line break");
  }
  if (options.line_terminator.empty()) {
    throw InvalidArgument("CSV line terminator cannot be empty");
  }
  if (options.line_terminator.find_first_of(std::string_view("\"\0", 2)) != std::string::npos ||
      options.line_terminator.find(d) != std::string::npos) {
    throw InvalidArgument("CSV line terminator cannot hold a quote or the delimiter");
  }
}

}  // namespace

void write_csv(const Table& table, const ByteSink& sink, const CsvWriteOptions& options) {
  check_options(options);
  if (table.num_columns() == 0) {
    // As pandas: every row, the header included, is an empty line.
    std::string lines;
    for (int64_t r = options.header ? -1 : 0; r < table.num_rows(); ++r) {
      lines += options.line_terminator;
    }
    sink(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(lines.data()), lines.size()));
    return;
  }
  const RowWriter rows(table, options);
  const int64_t num_rows = table.num_rows();
  size_t threads = options.threads != 0 ? options.threads : std::thread::hardware_concurrency();
  Out out = rows.make_out();
  if (options.header) rows.write_header(out);
  if (threads <= 1 || num_rows <= 2 * kChunkRows) {
    for (int64_t begin = 0; begin < num_rows; begin += kChunkRows) {
      rows.write_rows(out, begin, std::min(num_rows, begin + kChunkRows));
      emit(sink, out);
      out.clear();
    }
    if (out.size() > 0) emit(sink, out);
    return;
  }
  emit(sink, out);
  write_parallel(rows, num_rows, threads, sink);
}

}  // namespace quilt
