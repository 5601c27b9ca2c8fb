#include "storage/content_store.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "core/sha256.h"
#include "core/unique_fd.h"
#include "quilt/errors.h"
#include "quilt/thread_pool.h"

namespace quilt {
namespace {

constexpr size_t kCopyChunk = size_t{1} << 20;
constexpr size_t kWriteBuffer = size_t{256} << 10;

[[noreturn]] void throw_bad_hash(const Hash& hash) {
  throw InvalidArgument("invalid " + std::string(hash_type_name(hash.type)) + " hash value '" +
                        hash.value + "'");
}

int base64_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Decode standard padded base64 of exactly `bytes` bytes; nullopt otherwise.
std::optional<std::vector<uint8_t>> decode_base64(std::string_view text, size_t bytes) {
  if (text.size() != (bytes + 2) / 3 * 4) return std::nullopt;
  size_t pad = bytes % 3 == 0 ? 0 : 3 - bytes % 3;
  std::vector<uint8_t> out;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < text.size() - pad; ++i) {
    int digit = base64_digit(text[i]);
    if (digit < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(digit);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  // Padding must be '=' and the leftover bits zero, so each value has one spelling.
  if (text.substr(text.size() - pad) != std::string_view("==", pad)) return std::nullopt;
  if ((acc & ((1u << bits) - 1)) != 0 || out.size() != bytes) return std::nullopt;
  return out;
}

// The object name of `hash`: its value as lowercase hex.
std::string object_hex(const Hash& hash) {
  if (hash.type == HashType::kSha256) {
    std::string hex = hash.value;
    if (hex.size() != 64) throw_bad_hash(hash);
    for (char& c : hex) {
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) throw_bad_hash(hash);
    }
    return hex;
  }
  size_t bytes = hash.type == HashType::kCrc64Nvme ? 8 : 32;
  std::optional<std::vector<uint8_t>> raw = decode_base64(hash.value, bytes);
  if (!raw) throw_bad_hash(hash);
  return detail::to_hex(*raw);
}

std::string describe(const Hash& hash) {
  return std::string(hash_type_name(hash.type)) + " " + hash.value;
}

std::string home_dir() {
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/') return home;
  if (const struct passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr) {
    return pw->pw_dir;
  }
  throw IoError("cannot find the home directory: HOME is not set");
}

bool is_regular_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

std::string default_data_dir() {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  std::string base = xdg != nullptr && xdg[0] == '/' ? xdg : home_dir() + "/.local/share";
  return base + "/quiltcpp";
}

ContentStore::ContentStore(std::string data_dir) {
  if (data_dir.empty()) throw InvalidArgument("empty data directory for the object store");
  while (data_dir.size() > 1 && data_dir.back() == '/') data_dir.pop_back();
  objects_dir_ = (data_dir == "/" ? "" : data_dir) + "/objects";
}

std::string ContentStore::path_for(const Hash& hash) const {
  std::string hex = object_hex(hash);
  return objects_dir_ + "/" + std::string(hash_type_name(hash.type)) + "/" + hex.substr(0, 2) +
         "/" + hex.substr(2);
}

std::optional<std::string> ContentStore::path_of(const Hash& hash) const {
  std::string path = path_for(hash);
  if (!is_regular_file(path)) return std::nullopt;
  return path;
}

std::string ContentStore::store(TempFile& tmp, const Hash& hash, uint64_t size,
                                bool sync) const {
  std::string path = path_for(hash);
  // Another writer stored the same bytes first: keep its file, drop ours.
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<uint64_t>(st.st_size) == size) {
    return path;
  }
  // Read-only, as git's loose objects: an install that hard-links an object
  // must not let an edit of the installed file change the store.
  if (::fchmod(tmp.fd(), 0444) != 0) throw_io_error("cannot change mode of", tmp.path(), errno);
  tmp.commit(path, sync);
  return path;
}

std::string ContentStore::put_file(const std::string& src, const Hash& expected, ThreadPool& pool) {
  std::string dest = path_for(expected);
  if (is_regular_file(dest)) return dest;
  UniqueFd in = UniqueFd::open(src, O_RDONLY);
  struct stat st;
  if (::fstat(in.get(), &st) != 0) throw_io_error("cannot stat", src, errno);
  if (S_ISDIR(st.st_mode)) throw_io_error("cannot store", src, EISDIR);
  std::optional<uint64_t> size;
  if (S_ISREG(st.st_mode)) size = static_cast<uint64_t>(st.st_size);
  ::posix_fadvise(in.get(), 0, 0, POSIX_FADV_SEQUENTIAL);

  // In objects/ rather than beside dest: a refused file must not leave even
  // an empty fan-out directory behind.
  TempFile tmp = TempFile::create_in(objects_dir_);
  StreamHasher hasher(expected.type, size, &pool);
  std::vector<uint8_t> buffer(kCopyChunk);
  for (;;) {
    ssize_t n = ::read(in.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_io_error("cannot read", src, errno);
    if (n == 0) break;
    std::span<const uint8_t> bytes(buffer.data(), static_cast<size_t>(n));
    hasher.update(bytes);
    tmp.write_all(bytes);
  }
  if (size && hasher.size() != *size) {
    throw IoError("file '" + src + "' changed size while being stored");
  }
  Hash actual = hasher.finish();
  if (object_hex(actual) != object_hex(expected)) {
    throw Corrupt("hash mismatch for '" + src + "': expected " + describe(expected) + ", got " +
                  describe(actual));
  }
  return store(tmp, expected, hasher.size(), /*sync=*/true);
}

std::unique_ptr<ContentWriter> ContentStore::put_stream(const ContentWriteOptions& options) const {
  return std::make_unique<ContentWriter>(ContentWriter::Token(), *this, options);
}

void ContentStore::remove(const Hash& hash) {
  std::string path = path_for(hash);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return;
    throw_io_error("cannot remove", path, errno);
  }
  fsync_directory(parent_directory(path));
}

ContentWriter::ContentWriter(Token, const ContentStore& store, const ContentWriteOptions& options)
    : store_(store),
      tmp_(TempFile::create_in(store.objects_dir())),
      hasher_(options.type, options.expected_size, options.pool),
      sync_(options.sync) {}

void ContentWriter::write(std::span<const uint8_t> bytes) {
  if (committed_) throw Error("write to a committed object writer");
  hasher_.update(bytes);
  if (buffer_.size() + bytes.size() <= kWriteBuffer) {
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
    return;
  }
  flush();
  if (bytes.size() >= kWriteBuffer) {
    tmp_.write_all(bytes);
  } else {
    buffer_.assign(bytes.begin(), bytes.end());
  }
}

void ContentWriter::flush() {
  if (buffer_.empty()) return;
  tmp_.write_all(buffer_);
  buffer_.clear();
}

ContentObject ContentWriter::commit_object() {
  if (committed_) throw Error("commit of an object writer twice");
  flush();
  uint64_t size = hasher_.size();
  Hash hash = hasher_.finish();
  std::string path = store_.store(tmp_, hash, size, sync_);
  committed_ = true;
  return ContentObject{.hash = std::move(hash), .size = size, .path = std::move(path)};
}

ObjectInfo ContentWriter::commit() {
  ContentObject object = commit_object();
  std::string key = object.path.substr(store_.objects_dir().size() + 1);
  return ObjectInfo{.key = std::move(key), .size = object.size, .version_id = std::nullopt};
}

}  // namespace quilt
