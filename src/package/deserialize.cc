// deserialize(entry): read an entry's bytes, verifying its hash as they are
// read, and decode them with the format its meta (or extension) names.

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <vector>

#include "core/unique_fd.h"
#include "core/utf8.h"
#include "quilt/errors.h"
#include "quilt/hasher.h"
#include "quilt/package.h"
#include "storage/s3/clients.h"

namespace quilt {
namespace {

constexpr size_t kReadChunk = size_t{8} << 20;  // one chunked-hash part at the smallest size

std::string describe(const Hash& hash) {
  return std::string(hash_type_name(hash.type)) + " " + hash.value;
}

std::string in_quotes(std::string_view s) {
  std::string out(1, '\'');
  out += escape_for_message(s);
  out += '\'';
  return out;
}

bool same_hash(const Hash& a, const Hash& b) {
  if (a.type != b.type) return false;
  if (a.type != HashType::kSha256) return a.value == b.value;
  // Hex digits may be spelled in either case.
  return std::equal(a.value.begin(), a.value.end(), b.value.begin(), b.value.end(),
                    [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

// Read the whole file with pread (no first-touch mmap), hashing each chunk
// as it lands, and throw Corrupt when size or hash differ from the entry.
Buffer read_verified(const ManifestEntry& entry, const std::string& path, ThreadPool* pool) {
  UniqueFd fd = UniqueFd::open(path, O_RDONLY);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) throw_io_error("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode)) throw_io_error("cannot read", path, EISDIR);
  std::string key = in_quotes(entry.logical_key);
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size != entry.size) {
    throw Corrupt("size mismatch for " + key + " ('" + path + "'): expected " +
                  std::to_string(entry.size) + " bytes, the file has " + std::to_string(size));
  }
  std::vector<uint8_t> bytes(size);
  StreamHasher hasher(entry.hash.type, size, pool);
  for (uint64_t done = 0; done < size;) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(kReadChunk, size - done));
    ssize_t n = ::pread(fd.get(), bytes.data() + done, want, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_io_error("cannot read", path, errno);
    if (n == 0) throw IoError("file '" + path + "' shrank while being read");
    hasher.update({bytes.data() + done, static_cast<size_t>(n)});
    done += static_cast<uint64_t>(n);
  }
  Hash actual = hasher.finish();
  if (!same_hash(actual, entry.hash)) {
    throw Corrupt("hash mismatch for " + key + " ('" + path + "'): expected " +
                  describe(entry.hash) + ", got " + describe(actual));
  }
  return Buffer::from_vector(std::move(bytes));
}

// Fetch an S3 object (the version its key names), hashing as it arrives.
Buffer read_verified_s3(const ManifestEntry& entry, ThreadPool* pool) {
  const PhysicalKey& key = entry.physical_key;
  std::string name = in_quotes(entry.logical_key);
  std::vector<uint8_t> bytes;
  bytes.reserve(static_cast<size_t>(entry.size));
  StreamHasher hasher(entry.hash.type, entry.size, pool);
  s3::GetOptions options;
  options.version_id = key.version_id();
  s3::BodySink sink = [&](std::span<const uint8_t> piece) {
    if (bytes.size() + piece.size() > entry.size) {
      throw Corrupt("size mismatch for " + name + " (" + key.str() + "): more than the " +
                    std::to_string(entry.size) + " bytes the entry records");
    }
    bytes.insert(bytes.end(), piece.begin(), piece.end());
    hasher.update(piece);
  };
  s3::client_for_bucket(key.bucket())->get_object(key.bucket(), key.s3_key(), options, sink);
  if (bytes.size() != entry.size) {
    throw Corrupt("size mismatch for " + name + " (" + key.str() + "): expected " +
                  std::to_string(entry.size) + " bytes, the object has " +
                  std::to_string(bytes.size()));
  }
  Hash actual = hasher.finish();
  if (!same_hash(actual, entry.hash)) {
    throw Corrupt("hash mismatch for " + name + " (" + key.str() + "): expected " +
                  describe(entry.hash) + ", got " + describe(actual));
  }
  return Buffer::from_vector(std::move(bytes));
}

}  // namespace

Object deserialize(const ManifestEntry& entry, const DeserializeOptions& options) {
  const FormatRegistry& registry =
      options.registry != nullptr ? *options.registry : FormatRegistry::builtin();
  const bool remote = entry.physical_key.is_s3();
  if (!remote && !entry.physical_key.is_local()) {
    throw InvalidArgument("cannot deserialize " + in_quotes(entry.logical_key) + " from " +
                          entry.physical_key.str() + ": only file:// and s3:// entries are read");
  }
  std::string path = remote ? entry.physical_key.s3_key() : entry.physical_key.local_path();
  // Objects in the content store have no extension; the logical key's stands
  // in.
  std::string ext = extension_of(path);
  if (ext.empty()) ext = extension_of(entry.logical_key);
  Json meta = entry.meta.value();
  // The format is chosen before any byte is read, so an unknown one fails fast.
  const Format& format = registry.for_meta(meta, ext);
  Buffer bytes = remote ? read_verified_s3(entry, options.pool)
                        : read_verified(entry, path, options.pool);
  return format.read(bytes, meta, ext, entry.logical_key, options.pool);
}

}  // namespace quilt
