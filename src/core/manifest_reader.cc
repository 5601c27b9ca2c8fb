#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

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

// Lines parsed by one task, in order.
struct Slice {
  std::vector<ManifestEntry> entries;
  std::vector<DirectoryMeta> directories;
  std::exception_ptr error;
};

class LineParser {
 public:
  LineParser(const ManifestReadOptions& options, size_t max_record_size)
      : source_(options.source_name), max_record_size_(max_record_size) {}

  [[noreturn]] void fail(uint64_t line, const std::string& problem) const {
    std::string where = source_.empty() ? "manifest" : "manifest '" + source_ + "'";
    throw Corrupt(where + " line " + std::to_string(line) + ": " + problem);
  }

  Json parse_json(const Line& line) const {
    if (line.text.size() > max_record_size_) {
      fail(line.number, "record of " + std::to_string(line.text.size()) +
                            " bytes exceeds the limit of " + std::to_string(max_record_size_) +
                            " bytes (QUILT_MANIFEST_MAX_RECORD_SIZE)");
    }
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

  void parse_record(const Line& line, Slice& out) const {
    Json record = parse_json(line);
    Json* key = record.find("logical_key");
    if (key == nullptr || !key->is_string()) fail(line.number, "missing string 'logical_key'");
    Json* physical = record.find("physical_keys");
    bool is_dir = physical == nullptr || physical->is_null() ||
                  (physical->is_array() && physical->empty());
    if (is_dir) {
      out.directories.push_back(parse_directory(line, std::move(key->as_string()), record));
    } else {
      out.entries.push_back(parse_entry(line, std::move(key->as_string()), record, *physical));
    }
  }

 private:
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

  ManifestEntry parse_entry(const Line& line, std::string key, Json& record,
                            Json& physical) const {
    std::string problem = logical_key_problem(key);
    if (!problem.empty()) {
      fail(line.number, "invalid logical key '" + escape_for_message(key) + "': " + problem);
    }
    ManifestEntry entry;
    entry.logical_key = std::move(key);
    if (!physical.is_array() || !physical.as_array()[0].is_string()) {
      fail(line.number, "'physical_keys' must be a list of URL strings");
    }
    try {
      entry.physical_key = PhysicalKey::from_url(physical.as_array()[0].as_string());
    } catch (const InvalidArgument& e) {
      fail(line.number, e.what());
    }
    entry.size = parse_size(line, record.find("size"));
    entry.hash = parse_hash(line, record.find("hash"));
    Json* meta = record.find("meta");
    // quilt3 treats a missing or null entry meta as {}.
    if (meta != nullptr && !meta->is_null()) {
      if (!meta->is_object()) fail(line.number, "'meta' must be an object");
      entry.meta = std::move(*meta);
    }
    return entry;
  }

  uint64_t parse_size(const Line& line, const Json* size) const {
    if (size == nullptr || !size->is_integer()) fail(line.number, "missing integer 'size'");
    std::string text = size->integer_text();
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
      fail(line.number, "'size' " + text + " is not a byte count");
    }
    return value;
  }

  Hash parse_hash(const Line& line, const Json* hash) const {
    if (hash == nullptr || !hash->is_object()) fail(line.number, "missing 'hash' object");
    const Json* type = hash->find("type");
    const Json* value = hash->find("value");
    if (type == nullptr || !type->is_string() || value == nullptr || !value->is_string()) {
      fail(line.number, "'hash' needs string 'type' and 'value'");
    }
    if (hash->size() != 2) fail(line.number, "'hash' has keys other than 'type' and 'value'");
    try {
      return Hash{parse_hash_type(type->as_string()), value->as_string()};
    } catch (const InvalidArgument& e) {
      fail(line.number, e.what());
    }
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

  size_t max_record_size() const { return resolve_max_record_size(options_); }

  // Parse complete lines (without their '\n').
  void add_lines(std::vector<Line>& lines) {
    size_t begin = 0;
    if (!seen_meta_ && !lines.empty()) {
      manifest_.meta = parser_.parse_meta(lines[0]);
      seen_meta_ = true;
      begin = 1;
    }
    size_t count = lines.size() - begin;
    size_t slices = (count + kLinesPerSlice - 1) / kLinesPerSlice;
    std::vector<Slice> parsed(slices);
    auto parse_slice = [&](size_t s) {
      size_t from = begin + s * kLinesPerSlice;
      size_t to = std::min(lines.size(), from + kLinesPerSlice);
      parsed[s].entries.reserve(to - from);
      try {
        for (size_t i = from; i < to; ++i) parser_.parse_record(lines[i], parsed[s]);
      } catch (...) {
        parsed[s].error = std::current_exception();
      }
    };
    if (options_.pool != nullptr && slices > 1) {
      options_.pool->parallel_for(slices, parse_slice);
    } else {
      for (size_t s = 0; s < slices; ++s) parse_slice(s);
    }
    append(parsed);
  }

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
    for (Slice& slice : parsed) {
      if (manifest_.entries.empty()) {
        manifest_.entries = std::move(slice.entries);
      } else {
        std::move(slice.entries.begin(), slice.entries.end(),
                  std::back_inserter(manifest_.entries));
      }
      std::move(slice.directories.begin(), slice.directories.end(),
                std::back_inserter(manifest_.directories));
    }
  }

  const ManifestReadOptions& options_;
  LineParser parser_;
  Manifest manifest_;
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
  if (used < text.size()) {
    // A last record without its '\n' is accepted, as jsonlines readers do.
    lines.push_back(Line{text.substr(used), lines.size() + 1});
  }
  uint64_t count = lines.size();
  builder.add_lines(lines);
  return builder.finish(count);
}

namespace {

// Read up to `want` bytes at the end of `buffer`; return the count (0 at EOF).
size_t read_some(int fd, const std::string& path, std::string& buffer, size_t want) {
  size_t old = buffer.size();
  buffer.resize(old + want);
  while (true) {
    ssize_t n = ::read(fd, buffer.data() + old, want);
    if (n >= 0) {
      buffer.resize(old + static_cast<size_t>(n));
      return static_cast<size_t>(n);
    }
    if (errno != EINTR) throw_io_error("cannot read manifest", path, errno);
  }
}

struct FdCloser {
  int fd;
  ~FdCloser() { ::close(fd); }
};

}  // namespace

Manifest read_manifest_file(const std::string& path, ManifestReadOptions options) {
  if (options.source_name.empty()) options.source_name = path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_io_error("cannot open manifest", path, errno);
  FdCloser closer{fd};
  ManifestBuilder builder(options);
  size_t limit = builder.max_record_size();
  std::string buffer;
  std::vector<Line> lines;
  uint64_t next_line = 1;
  bool eof = false;
  while (!eof) {
    eof = read_some(fd, path, buffer, kBlockSize) == 0;
    lines.clear();
    size_t used = split_lines(buffer, next_line, lines);
    if (eof && used < buffer.size()) {
      lines.push_back(Line{std::string_view(buffer).substr(used), next_line + lines.size()});
      used = buffer.size();
    }
    // A partial line longer than the limit will fail anyway: say so now
    // instead of buffering a runaway record.
    if (!eof && lines.empty() && buffer.size() - used > limit + 1) {
      Line partial{std::string_view(buffer).substr(used), next_line};
      LineParser(options, limit).parse_json(partial);
    }
    next_line += lines.size();
    builder.add_lines(lines);
    buffer.erase(0, used);
  }
  return builder.finish(next_line - 1);
}

}  // namespace quilt
