// PackageBuilder::set for in-memory objects: serialize, hash and store in one
// pass (DESIGN.md "Serialization"), so the entry is complete when set returns.

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "core/utf8.h"
#include "package/location.h"
#include "quilt/errors.h"
#include "quilt/hasher.h"
#include "quilt/logical_key.h"
#include "quilt/package_builder.h"
#include "storage/content_store.h"
#include "storage/temp_file.h"

namespace quilt {
namespace {

constexpr size_t kWriteBuffer = size_t{256} << 10;

struct Stored {
  std::string path;
  uint64_t size = 0;
  Hash hash;
};

// The local path options.location names (a path or a file:// URL).
std::string location_path(const std::string& location) {
  if (!detail::has_url_scheme(location)) return absolute_path(detail::expand_user(location));
  PhysicalKey key = PhysicalKey::from_url(location);
  if (!key.is_local()) {
    throw InvalidArgument("cannot serialize to " + location +
                          ": only local locations are supported yet");
  }
  return key.local_path();
}

bool exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 || errno != ENOENT;
}

// Directories a write to `dest` creates, so a failed set can remove them again:
// the missing ancestors of dest's directory, deepest first.
class CreatedDirs {
 public:
  explicit CreatedDirs(const std::string& dest) {
    for (std::string dir = parent_directory(dest); dir != "/" && dir != "." && !exists(dir);
         dir = parent_directory(dir)) {
      missing_.push_back(dir);
    }
  }
  void keep() noexcept { missing_.clear(); }
  ~CreatedDirs() {
    for (const std::string& dir : missing_) ::rmdir(dir.c_str());  // deepest first
  }

 private:
  std::vector<std::string> missing_;
};

// Serialized bytes are hashed where they lie, on the thread that emits them,
// never on the pool: a pool hasher gathers them into 8 MiB part buffers first,
// which copies every byte and touches fresh memory (slow on the machines we
// run on), while the pool's threads are busy serializing anyway. Measured by
// bench/run_table_bench.sh: parquet set() went from 2.8x to 1.8-1.9x a plain
// write plus SHA-256, and its peak memory from 66 to 39 MB.
constexpr ThreadPool* kHashInline = nullptr;

// A sink into a temp file beside `dest` that hashes what passes; commit()
// renames it into place. Destroyed uncommitted, it leaves nothing behind.
class LocationWriter {
 public:
  explicit LocationWriter(const std::string& dest)
      : dest_(dest),
        tmp_(TempFile::create_beside(dest)),
        hasher_(HashType::kSha2256Chunked, std::nullopt, kHashInline) {
    buffer_.reserve(kWriteBuffer);
  }

  void write(std::span<const uint8_t> bytes) {
    hasher_.update(bytes);
    if (buffer_.size() + bytes.size() > kWriteBuffer) flush();
    if (bytes.size() >= kWriteBuffer) {
      tmp_.write_all(bytes);
    } else {
      buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
    }
  }

  Stored commit() {
    flush();
    uint64_t size = hasher_.size();
    Hash hash = hasher_.finish();
    tmp_.commit(dest_);
    return {dest_, size, std::move(hash)};
  }

 private:
  void flush() {
    if (buffer_.empty()) return;
    tmp_.write_all(buffer_);
    buffer_.clear();
  }

  std::string dest_;
  TempFile tmp_;
  StreamHasher hasher_;
  std::vector<uint8_t> buffer_;
};

Stored write_to_location(const Format& format, const Object& object, const Json& meta,
                         const std::string& dest, ThreadPool* pool) {
  struct stat st;
  if (::stat(dest.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    throw InvalidArgument("cannot serialize to " + dest + ": it is a directory");
  }
  CreatedDirs dirs(dest);
  LocationWriter writer(dest);
  format.write(
      object, meta, [&](std::span<const uint8_t> b) { writer.write(b); }, pool);
  Stored stored = writer.commit();
  dirs.keep();
  return stored;
}

Stored write_to_store(const Format& format, const Object& object, const Json& meta,
                      const std::string& data_dir, ThreadPool* pool) {
  // The physical key is a file:// URL, so a relative data dir is made absolute first.
  ContentStore store(data_dir.empty() ? default_data_dir() : absolute_path(data_dir));
  std::unique_ptr<ContentWriter> writer = store.put_stream(ContentWriteOptions{
      .type = HashType::kSha2256Chunked,
      .expected_size = std::nullopt,
      .pool = kHashInline,
      .sync = false});
  format.write(
      object, meta, [&](std::span<const uint8_t> b) { writer->write(b); }, pool);
  ContentObject stored = writer->commit_object();
  return {std::move(stored.path), stored.size, std::move(stored.hash)};
}

}  // namespace

PackageBuilder& PackageBuilder::set_object(std::string_view logical_key, const Object& object,
                                           const SetObjectOptions& options) {
  validate_logical_key(logical_key);
  check_file_key_free(logical_key);
  const FormatRegistry& registry =
      options.registry != nullptr ? *options.registry : FormatRegistry::builtin();
  std::string location = options.location.empty() ? "" : location_path(options.location);
  FormatChoice choice = registry.for_object(
      kind_of(object),
      {.format = options.format, .logical_key = std::string(logical_key), .location = location});
  // Options are checked (and the meta made) before a byte is written.
  Json meta = choice.format->make_meta(
      {.ext = choice.ext, .options = options.format_options, .pool = options.pool});
  Stored stored = location.empty()
                      ? write_to_store(*choice.format, object, meta, options.data_dir, options.pool)
                      : write_to_location(*choice.format, object, meta, location, options.pool);
  if (options.meta) meta.set("user_meta", *options.meta);

  Pending pending;
  pending.entry.logical_key = std::string(logical_key);
  pending.entry.physical_key = PhysicalKey::from_local_path(stored.path);
  pending.entry.size = stored.size;
  pending.entry.hash = std::move(stored.hash);
  pending.entry.meta = meta;
  entries_.insert_or_assign(pending.entry.logical_key, std::move(pending));
  return *this;
}

}  // namespace quilt
