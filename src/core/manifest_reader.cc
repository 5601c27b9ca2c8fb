#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <cstdlib>
#include <exception>
#include <latch>
#include <string>
#include <vector>

#include "core/json_internal.h"
#include "core/utf8.h"
#include "quilt/errors.h"
#include "quilt/logical_key.h"
#include "quilt/manifest.h"
#include "quilt/thread_pool.h"

namespace quilt {
namespace {

constexpr size_t kBlockSize = 8 << 20;       // bytes read from a file at a time
constexpr size_t kLinesPerSlice = 2048;      // lines parsed by one task

struct Line {
  std::string_view text;
  uint64_t number;  // 1-based
};

// What one task found besides the entries it parsed in place.
struct Slice {
  std::vector<DirectoryMeta> directories;
  std::exception_ptr error;
};

// The fields of an entry line before validation.
struct RawEntry {
  std::string logical_key;
  std::string physical_key;
  Json size;
  std::string hash_type;
  std::string hash_value;
  Json meta;                    // the general path's meta
  std::string_view meta_text;   // the fast path's meta, as it stands in the line
  bool has_meta_text = false;
};

bool read_physical_keys(detail::JsonCursor& c, std::string& first) {
  if (!c.consume('[') || !c.read_string(first)) return false;
  std::string other;  // quilt3 uses the first physical key only
  while (c.consume(',')) {
    if (!c.read_string(other)) return false;
  }
  return c.consume(']');
}

bool read_hash(detail::JsonCursor& c, RawEntry& raw) {
  if (!c.consume('{')) return false;
  std::string key;
  unsigned seen = 0;
  do {
    if (!c.read_string(key) || !c.consume(':')) return false;
    unsigned bit = key == "type" ? 1 : key == "value" ? 2 : 0;
    if (bit == 0 || (seen & bit)) return false;
    seen |= bit;
    if (!c.read_string(bit == 1 ? raw.hash_type : raw.hash_value)) return false;
  } while (c.consume(','));
  return seen == 3 && c.consume('}');
}

// Read an entry line of the shape quilt3 writes without building a Json tree
// for the whole record. Return false for anything else (directory lines,
// duplicate or unknown keys, other types, bad JSON): the general path decides.
bool parse_entry_fast(std::string_view text, RawEntry& raw) {
  detail::JsonCursor c(text);
  if (!c.consume('{')) return false;
  std::string key;
  unsigned seen = 0;
  do {
    if (!c.read_string(key) || !c.consume(':')) return false;
    unsigned bit = 0;
    bool ok = false;
    if (key == "logical_key") {
      bit = 1, ok = c.read_string(raw.logical_key);
    } else if (key == "physical_keys") {
      bit = 2, ok = read_physical_keys(c, raw.physical_key);
    } else if (key == "size") {
      bit = 4, ok = c.read_value(raw.size);
    } else if (key == "hash") {
      bit = 8, ok = read_hash(c, raw);
    } else if (key == "meta") {
      bit = 16, ok = c.skip_value(raw.meta_text), raw.has_meta_text = true;
    }
    if (!ok || (seen & bit)) return false;
    seen |= bit;
  } while (c.consume(','));
  return seen == 31 && c.consume('}') && c.at_end();
}

class LineParser {
 public:
  LineParser(const ManifestReadOptions& options, size_t max_record_size)
      : source_(options.source_name), max_record_size_(max_record_size) {}

  [[noreturn]] void fail(uint64_t line, const std::string& problem) const {
    std::string where = source_.empty() ? "manifest" : "manifest '" + source_ + "'";
    throw Corrupt(where + " line " + std::to_string(line) + ": " + problem);
  }

  Json parse_json(const Line& line) const {
    check_length(line);
    if (line.text.find_first_not_of(" \t\r") == std::string_view::npos) {
      fail(line.number, "empty line");
    }
    try {
      Json value = Json::parse(line.text);
      if (!value.is_object()) fail(line.number, "a record must be a JSON object");
      return value;
    } catch (const Corrupt& e) {
      if (std::string_view(e.what()).starts_with("manifest")) throw;
      fail(line.number, e.what());
    }
  }

  Json parse_meta(const Line& line) const {
    Json meta = parse_json(line);
    meta.erase("top_hash");  // obsolete since quilt3 PR #130; never part of the hash
    return meta;
  }

  // Parse one record after the first: an entry into `entry` (return true) or
  // a directory-meta line into `directories` (return false).
  bool parse_record(const Line& line, ManifestEntry& entry,
                    std::vector<DirectoryMeta>& directories) const {
    check_length(line);
    RawEntry raw;
    if (parse_entry_fast(line.text, raw)) {
      finish_entry(line, raw, entry);
      return true;
    }
    raw = RawEntry{};
    Json record = parse_json(line);
    Json* key = record.find("logical_key");
    if (key == nullptr || !key->is_string()) fail(line.number, "missing string 'logical_key'");
    Json* physical = record.find("physical_keys");
    bool is_dir = physical == nullptr || physical->is_null() ||
                  (physical->is_array() && physical->empty());
    if (is_dir) {
      directories.push_back(parse_directory(line, std::move(key->as_string()), record));
      return false;
    }
    if (!physical->is_array() || !physical->as_array()[0].is_string()) {
      fail(line.number, "'physical_keys' must be a list of URL strings");
    }
    raw.logical_key = std::move(key->as_string());
    raw.physical_key = std::move(physical->as_array()[0].as_string());
    if (Json* size = record.find("size")) raw.size = std::move(*size);
    if (Json* meta = record.find("meta")) raw.meta = std::move(*meta);
    Json* hash = record.find("hash");
    if (hash == nullptr || !hash->is_object()) fail(line.number, "missing 'hash' object");
    const Json* type = hash->find("type");
    const Json* value = hash->find("value");
    if (type == nullptr || !type->is_string() || value == nullptr || !value->is_string()) {
      fail(line.number, "'hash' needs string 'type' and 'value'");
    }
    if (hash->size() != 2) fail(line.number, "'hash' has keys other than 'type' and 'value'");
    raw.hash_type = type->as_string();
    raw.hash_value = value->as_string();
    finish_entry(line, raw, entry);
    return true;
  }

 private:
  void check_length(const Line& line) const {
    if (line.text.size() > max_record_size_) {
      fail(line.number, "record of " + std::to_string(line.text.size()) +
                            " bytes exceeds the limit of " + std::to_string(max_record_size_) +
                            " bytes (QUILT_MANIFEST_MAX_RECORD_SIZE)");
    }
  }

  DirectoryMeta parse_directory(const Line& line, std::string key, Json& record) const {
    try {
      validate_directory_key(key);
    } catch (const InvalidArgument& e) {
      fail(line.number, e.what());
    }
    Json* meta = record.find("meta");
    if (meta == nullptr || !meta->is_object()) {
      fail(line.number, "directory '" + escape_for_message(key) + "' has no 'meta' object");
    }
    return DirectoryMeta{std::move(key), std::move(*meta)};
  }

  // Validate the fields of an entry line and move them into `entry`.
  void finish_entry(const Line& line, RawEntry& raw, ManifestEntry& entry) const {
    std::string problem = logical_key_problem(raw.logical_key);
    if (!problem.empty()) {
      fail(line.number, "invalid logical key '" + escape_for_message(raw.logical_key) + "': " + problem);
    }
    entry.logical_key = std::move(raw.logical_key);
    try {
      entry.physical_key = PhysicalKey::from_url(std::move(raw.physical_key));
      entry.hash = Hash{parse_hash_type(raw.hash_type), std::move(raw.hash_value)};
    } catch (const InvalidArgument& e) {
      fail(line.number, e.what());
    }
    entry.size = parse_size(line, raw.size);
    if (raw.has_meta_text) {
      entry.meta = meta_from_text(line, raw.meta_text);
      return;
    }
    // quilt3 treats a missing or null entry meta as {}.
    if (!raw.meta.is_null()) {
      if (!raw.meta.is_object()) fail(line.number, "'meta' must be an object");
      entry.meta = CompactJson(raw.meta);
    }
  }

  CompactJson meta_from_text(const Line& line, std::string_view text) const {
    if (text == "null") return CompactJson();
    if (text.front() != '{') fail(line.number, "'meta' must be an object");
    try {
      return CompactJson::from_json_text(text);
    } catch (const Corrupt& e) {
      fail(line.number, std::string("'meta': ") + e.what());
    }
  }

  uint64_t parse_size(const Line& line, const Json& size) const {
    if (size.kind() == Json::Kind::kInt && size.as_int() >= 0) {
      return static_cast<uint64_t>(size.as_int());
    }
    if (!size.is_integer()) fail(line.number, "missing integer 'size'");
    std::string text = size.integer_text();
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
      fail(line.number, "'size' " + text + " is not a byte count");
    }
    return value;
  }

  const std::string& source_;
  size_t max_record_size_;
};

size_t resolve_max_record_size(const ManifestReadOptions& options) {
  if (options.max_record_size != 0) return options.max_record_size;
  const char* env = std::getenv("QUILT_MANIFEST_MAX_RECORD_SIZE");
  if (env == nullptr || *env == '\0') return kDefaultMaxRecordSize;
  size_t value = 0;
  std::string_view text(env);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value == 0) {
    throw InvalidArgument("QUILT_MANIFEST_MAX_RECORD_SIZE must be a positive integer, got '" +
                          std::string(text) + "'");
  }
  return value;
}

// Accumulates parsed lines into a Manifest; the first line is the package meta.
class ManifestBuilder {
 public:
  explicit ManifestBuilder(const ManifestReadOptions& options)
      : options_(options), parser_(options, resolve_max_record_size(options)) {}
  ManifestBuilder(const ManifestBuilder&) = delete;
  ManifestBuilder& operator=(const ManifestBuilder&) = delete;
  ~ManifestBuilder() {
    if (pending_) pending_->wait();  // tasks still point into this object
  }

  size_t max_record_size() const { return resolve_max_record_size(options_); }

  // Parse complete lines (without their '\n').
  void add_lines(std::vector<Line>& lines) {
    start(lines);
    wait();
  }

  // Start parsing `lines` on the pool and return at once (without a pool,
  // parse them now). `lines` and the bytes they view must stay untouched
  // until wait(). REQUIRES: no parse under way.
  void start(std::vector<Line>& lines) {
    size_t begin = 0;
    if (!seen_meta_ && !lines.empty()) {
      manifest_.meta = parser_.parse_meta(lines[0]);
      seen_meta_ = true;
      begin = 1;
    }
    size_t count = lines.size() - begin;
    size_t slices = (count + kLinesPerSlice - 1) / kLinesPerSlice;
    parsed_.assign(slices, Slice{});
    // Entries are parsed straight into their final place; a directory line
    // leaves an empty slot (no entry has an empty key) that append() removes.
    // Nothing resizes the vector while tasks write into it: that happens
    // only here, after the previous wait().
    auto& entries = manifest_.entries;
    ManifestEntry* slots = nullptr;
    entries.resize(entries.size() + count);
    slots = entries.data() + (entries.size() - count);
    auto parse_slice = [this, &lines, begin, slots](size_t s) {
      size_t from = begin + s * kLinesPerSlice;
      size_t to = std::min(lines.size(), from + kLinesPerSlice);
      try {
        for (size_t i = from; i < to; ++i) {
          parser_.parse_record(lines[i], slots[i - begin], parsed_[s].directories);
        }
      } catch (...) {
        parsed_[s].error = std::current_exception();
      }
    };
    if (options_.pool == nullptr || slices < 2) {
      for (size_t s = 0; s < slices; ++s) parse_slice(s);
      return;
    }
    pending_ = std::make_unique<std::latch>(static_cast<std::ptrdiff_t>(slices));
    for (size_t s = 0; s < slices; ++s) {
      options_.pool->submit([this, parse_slice, s] {
        parse_slice(s);
        pending_->count_down();
      });
    }
  }

  // Wait for the parse start() began and take in its results.
  void wait() {
    if (pending_) {
      pending_->wait();
      pending_.reset();
    }
    append(parsed_);
  }

  // Reserve room for about `entries` entries, so that appending never moves them.
  void reserve(size_t entries) { manifest_.entries.reserve(entries); }

  Manifest finish(uint64_t line_count) {
    if (!seen_meta_) {
      parser_.fail(line_count + 1, "the manifest is empty (no package meta line)");
    }
    normalize_manifest(manifest_);
    return std::move(manifest_);
  }

 private:
  void append(std::vector<Slice>& parsed) {
    // The earliest failing line wins, whichever task failed first.
    for (Slice& slice : parsed) {
      if (slice.error) std::rethrow_exception(slice.error);
    }
    bool has_gaps = false;
    for (Slice& slice : parsed) {
      has_gaps = has_gaps || !slice.directories.empty();
      std::move(slice.directories.begin(), slice.directories.end(),
                std::back_inserter(manifest_.directories));
    }
    if (has_gaps) {
      auto& entries = manifest_.entries;
      entries.erase(std::remove_if(entries.begin() + first_unchecked_, entries.end(),
                                   [](const ManifestEntry& e) { return e.logical_key.empty(); }),
                    entries.end());
    }
    first_unchecked_ = manifest_.entries.size();
  }

  const ManifestReadOptions& options_;
  LineParser parser_;
  Manifest manifest_;
  std::vector<Slice> parsed_;         // results of the parse under way
  std::unique_ptr<std::latch> pending_;  // counts its unfinished slices
  size_t first_unchecked_ = 0;  // entries before this index have no empty slots
  bool seen_meta_ = false;
};

// Split `text` into complete lines starting at line number `first`; return
// the bytes consumed (up to and including the last '\n').
size_t split_lines(std::string_view text, uint64_t first, std::vector<Line>& lines) {
  size_t pos = 0;
  while (true) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) return pos;
    lines.push_back(Line{text.substr(pos, nl - pos), first++});
    pos = nl + 1;
  }
}

}  // namespace

Manifest read_manifest(std::string_view text, const ManifestReadOptions& options) {
  ManifestBuilder builder(options);
  std::vector<Line> lines;
  size_t used = split_lines(text, 1, lines);
  builder.reserve(lines.size());
  if (used < text.size()) {
    // A last record without its '\n' is accepted, as jsonlines readers do.
    lines.push_back(Line{text.substr(used), lines.size() + 1});
  }
  uint64_t count = lines.size();
  builder.add_lines(lines);
  return builder.finish(count);
}

namespace {

struct FdCloser {
  int fd;
  ~FdCloser() { ::close(fd); }
};

// A read buffer that is never zero-filled: `data[0, size)` holds unread bytes.
class BlockBuffer {
 public:
  explicit BlockBuffer(size_t capacity)
      : data_(std::make_unique_for_overwrite<char[]>(capacity)), capacity_(capacity) {}

  std::string_view view() const { return {data_.get(), size_}; }

  // Read once into the free space (growing it when full); return 0 at EOF.
  size_t fill(int fd, const std::string& path) {
    if (size_ == capacity_) grow();
    while (true) {
      ssize_t n = ::read(fd, data_.get() + size_, capacity_ - size_);
      if (n >= 0) {
        size_ += static_cast<size_t>(n);
        return static_cast<size_t>(n);
      }
      if (errno != EINTR) throw_io_error("cannot read manifest", path, errno);
    }
  }

  void reset() { size_ = 0; }
  void truncate(size_t size) { size_ = size; }
  void append(std::string_view bytes) {
    while (capacity_ - size_ < bytes.size()) grow();
    std::memcpy(data_.get() + size_, bytes.data(), bytes.size());
    size_ += bytes.size();
  }

 private:
  void grow() {
    auto bigger = std::make_unique_for_overwrite<char[]>(capacity_ * 2);
    std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    capacity_ *= 2;
  }

  std::unique_ptr<char[]> data_;
  size_t capacity_;
  size_t size_ = 0;
};

}  // namespace

Manifest read_manifest_file(const std::string& path, ManifestReadOptions options) {
  if (options.source_name.empty()) options.source_name = path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_io_error("cannot open manifest", path, errno);
  FdCloser closer{fd};
  struct stat st {};
  uint64_t file_size = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : 0;
  // Two buffers: this thread reads the next block into one while the pool
  // parses the lines of the other. They outlive the builder, whose
  // destructor waits for a parse still under way when an error unwinds.
  BlockBuffer buffers[2] = {BlockBuffer(kBlockSize), BlockBuffer(kBlockSize)};
  std::vector<Line> lines[2];
  ManifestBuilder builder(options);
  size_t limit = builder.max_record_size();
  uint64_t next_line = 1;
  bool eof = false;
  for (int cur = 0; !eof; cur ^= 1) {
    BlockBuffer& buffer = buffers[cur];
    eof = buffer.fill(fd, path) == 0;
    std::string_view text = buffer.view();
    lines[cur].clear();
    size_t used = split_lines(text, next_line, lines[cur]);
    if (eof && used < text.size()) {
      lines[cur].push_back(Line{text.substr(used), next_line + lines[cur].size()});
      used = text.size();
    }
    // A partial line longer than the limit will fail anyway: say so now
    // instead of buffering a runaway record.
    if (!eof && lines[cur].empty() && text.size() - used > limit + 1) {
      LineParser(options, limit).parse_json(Line{text.substr(used), next_line});
    }
    if (next_line == 1 && lines[cur].size() > 1 && file_size > used) {
      // Estimate the entry count from the first block, with some slack.
      builder.reserve(static_cast<size_t>(file_size / (used / lines[cur].size()) * 11 / 10));
    }
    next_line += lines[cur].size();
    builder.wait();  // the other buffer is free from here on
    BlockBuffer& other = buffers[cur ^ 1];
    other.reset();
    other.append(text.substr(used));  // the partial line continues there
    buffer.truncate(used);
    builder.start(lines[cur]);
    if (lines[cur].empty() && !eof) {
      builder.wait();  // a block without a complete line: keep reading into `other`
    }
  }
  builder.wait();
  return builder.finish(next_line - 1);
}

}  // namespace quilt
