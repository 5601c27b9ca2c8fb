#include "storage/local_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <vector>

#include "core/unique_fd.h"
#include "quilt/errors.h"
#include "quilt/physical_key.h"
#include "storage/temp_file.h"

namespace quilt {
namespace {

// Bytes gathered before a write(2); larger writes go straight through.
constexpr size_t kWriteBuffer = size_t{256} << 10;

[[noreturn]] void throw_bad_key(std::string_view key, std::string_view why) {
  throw InvalidArgument("invalid object key '" + std::string(key) + "': " + std::string(why));
}

// Check one `/`-separated segment of a key; `partial` allows the trailing
// part of a listing prefix, which only filters names.
void validate_segment(std::string_view key, std::string_view segment, bool partial) {
  if (partial) return;
  if (segment.empty()) throw_bad_key(key, "empty segment (leading, trailing or double '/')");
  if (segment == "." || segment == "..") throw_bad_key(key, "'.' or '..' segment");
  if (segment.starts_with(kReservedNamePrefix)) {
    throw_bad_key(key, "names starting with '" + std::string(kReservedNamePrefix) +
                           "' are reserved for quiltcpp's temp and lock files");
  }
}

// Validate a key (`is_prefix` false) or a listing prefix (true: may be empty
// and its part after the last '/' is free).
void validate_path(std::string_view key, bool is_prefix) {
  if (key.empty() && is_prefix) return;
  if (key.empty()) throw_bad_key(key, "empty key");
  if (key.find('\0') != std::string_view::npos) throw_bad_key(key, "NUL byte");
  size_t start = 0;
  for (;;) {
    size_t slash = key.find('/', start);
    bool last = slash == std::string_view::npos;
    validate_segment(key, key.substr(start, last ? key.npos : slash - start), last && is_prefix);
    if (last) return;
    start = slash + 1;
  }
}

ObjectInfo make_info(std::string key, uint64_t size) {
  ObjectInfo info;
  info.key = std::move(key);
  info.size = size;
  return info;
}

std::string not_found_message(std::string_view key, const std::string& root_url) {
  return "no object '" + std::string(key) + "' in " + root_url;
}

class LocalReader final : public Reader {
 public:
  LocalReader(UniqueFd fd, uint64_t offset, uint64_t end, std::string path)
      : fd_(std::move(fd)), pos_(offset), end_(end), path_(std::move(path)) {}

  size_t read(std::span<uint8_t> out) override {
    if (pos_ >= end_ || out.empty()) return 0;
    size_t want = static_cast<size_t>(std::min<uint64_t>(out.size(), end_ - pos_));
    for (;;) {
      ssize_t n = ::pread(fd_.get(), out.data(), want, static_cast<off_t>(pos_));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_io_error("cannot read", path_, errno);
      if (n == 0) end_ = pos_;  // the file shrank under us: end here
      pos_ += static_cast<uint64_t>(n);
      return static_cast<size_t>(n);
    }
  }

 private:
  UniqueFd fd_;
  uint64_t pos_;
  uint64_t end_;
  std::string path_;
};

class LocalWriter final : public Writer {
 public:
  LocalWriter(std::string key, std::string path, std::string root_url, WriteOptions options)
      : key_(std::move(key)),
        path_(std::move(path)),
        root_url_(std::move(root_url)),
        options_(options),
        tmp_(TempFile::create_beside(path_)) {}

  using Writer::write;
  void write(std::span<const uint8_t> bytes) override {
    if (tmp_.is_committed()) throw Error("write after commit of '" + key_ + "'");
    size_ += bytes.size();
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

  ObjectInfo commit() override {
    flush();
    if (!options_.if_absent) {
      tmp_.commit(path_, options_.sync);
    } else {
      try {
        tmp_.commit_if_absent(path_);
      } catch (const Conflict&) {
        throw Conflict("object '" + key_ + "' already exists in " + root_url_);
      }
    }
    return make_info(key_, size_);
  }

 private:
  void flush() {
    if (buffer_.empty()) return;
    tmp_.write_all(buffer_);
    buffer_.clear();
  }

  std::string key_;
  std::string path_;
  std::string root_url_;
  WriteOptions options_;
  TempFile tmp_;
  std::vector<uint8_t> buffer_;
  uint64_t size_ = 0;
};

// One entry of a directory, named as it sorts among keys: a directory's
// name gets its trailing '/', so `a.txt` < `a/` < `a0` as in key byte order.
struct DirEntry {
  std::string name;
  bool is_dir = false;
};

// Return the visible entries of `dir` sorted by key byte order; none when it
// does not exist. Symbolic links count as what they point to, except that
// links to directories are skipped (no cycles, no escaping the root).
std::vector<DirEntry> read_sorted(const std::string& dir) {
  std::vector<DirEntry> entries;
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return entries;
    throw_io_error("cannot list", dir, errno);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> closer(handle, ::closedir);
  while (struct dirent* e = ::readdir(handle)) {
    std::string_view name = e->d_name;
    if (name == "." || name == ".." || name.starts_with(kReservedNamePrefix)) continue;
    unsigned char type = e->d_type;
    if (type == DT_LNK || type == DT_UNKNOWN) {
      struct stat st;
      int flags = type == DT_LNK ? 0 : AT_SYMLINK_NOFOLLOW;
      if (::fstatat(::dirfd(handle), e->d_name, &st, flags) != 0) continue;  // gone or dangling
      bool dir_target = S_ISDIR(st.st_mode);
      if (type == DT_LNK && dir_target) continue;
      type = dir_target ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
    }
    if (type == DT_DIR) entries.push_back({std::string(name) + "/", true});
    if (type == DT_REG) entries.push_back({std::string(name), false});
  }
  std::sort(entries.begin(), entries.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  return entries;
}

// Whether the directory `dir` holds a visible object at any depth.
bool has_object(const std::string& dir) {
  for (const DirEntry& e : read_sorted(dir)) {
    if (!e.is_dir || has_object(dir + "/" + e.name)) return true;
  }
  return false;
}

// One page of a listing, in key byte order, walked depth-first from the
// directory of the prefix. Items are keys and (with a delimiter) common
// prefixes; an item at or before the page token is skipped, and a directory
// whose every key sorts before the token is not entered.
class Lister {
 public:
  Lister(const std::string& root, std::string_view prefix, const ListOptions& options)
      : root_(root),
        prefix_(prefix),
        token_(options.page_token),
        delimiter_(options.delimiter),
        max_keys_(options.max_keys == 0 ? 1000 : options.max_keys) {}

  ListPage run() {
    walk(std::string(prefix_.substr(0, prefix_.rfind('/') + 1)));
    return std::move(page_);
  }

 private:
  void walk(const std::string& rel_dir) {
    for (const DirEntry& e : read_sorted(root_ + "/" + rel_dir)) {
      if (done_) return;
      std::string item = rel_dir + e.name;
      if (e.is_dir) {
        visit_dir(item);
      } else if (item.starts_with(prefix_)) {
        visit_file(item);
      }
    }
  }

  // The common prefix `item` rolls up into, or "" when none.
  std::string common_prefix(const std::string& item) const {
    if (delimiter_ == 0 || item.size() <= prefix_.size()) return {};
    size_t at = item.find(delimiter_, prefix_.size());
    return at == std::string::npos ? std::string() : item.substr(0, at + 1);
  }

  void visit_dir(const std::string& item) {
    if (!item.starts_with(prefix_) && !prefix_.starts_with(item)) return;
    std::string group = common_prefix(item);
    if (!group.empty()) {
      // Every key below rolls up into `group`: one item, if any key exists.
      if (is_new_group(group) && has_object(root_ + "/" + item)) emit_prefix(group);
      return;
    }
    if (!token_.empty() && item < token_ && !token_.starts_with(item)) return;
    walk(item);
  }

  void visit_file(const std::string& key) {
    std::string group = common_prefix(key);
    if (!group.empty()) {
      if (is_new_group(group)) emit_prefix(group);
      return;
    }
    if (key <= token_) return;
    struct stat st;
    // A file removed since the directory was read is simply not listed.
    if (::stat((root_ + "/" + key).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
    if (!make_room(key)) return;
    page_.objects.push_back(make_info(key, static_cast<uint64_t>(st.st_size)));
  }

  bool is_new_group(const std::string& group) const {
    return group > token_ && group != last_group_;
  }

  void emit_prefix(const std::string& group) {
    last_group_ = group;
    if (make_room(group)) page_.common_prefixes.push_back(group);
  }

  // Count one more item; when the page is full, end it with a token instead.
  bool make_room(const std::string& item) {
    if (count_ == max_keys_) {
      page_.next_token = last_item_;
      done_ = true;
      return false;
    }
    ++count_;
    last_item_ = item;
    return true;
  }

  const std::string& root_;
  std::string_view prefix_;
  std::string_view token_;
  char delimiter_;
  size_t max_keys_;
  ListPage page_;
  size_t count_ = 0;
  bool done_ = false;
  std::string last_item_;
  std::string last_group_;
};

// Copy `size` bytes from `in` to `out` in the kernel (reflinked where the
// file system can), falling back to read and write.
void copy_bytes(int in, int out, uint64_t size, const std::string& from, const std::string& to) {
  uint64_t done = 0;
  bool in_kernel = true;
  std::vector<uint8_t> buffer;
  while (done < size) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(size - done, size_t{1} << 30));
    if (in_kernel) {
      ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, want, 0);
      if (n > 0) {
        done += static_cast<uint64_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) break;  // the source shrank
      if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
        throw_io_error("cannot copy '" + from + "' to", to, errno);
      }
      in_kernel = false;
      buffer.resize(size_t{1} << 20);
    }
    ssize_t n = ::read(in, buffer.data(), std::min(want, buffer.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_io_error("cannot read", from, errno);
    if (n == 0) break;
    write_all(out, {buffer.data(), static_cast<size_t>(n)}, to);
    done += static_cast<uint64_t>(n);
  }
}

}  // namespace

void validate_store_key(std::string_view key) { validate_path(key, false); }

void validate_store_prefix(std::string_view prefix) { validate_path(prefix, true); }

LocalStore::LocalStore(std::string root) {
  if (root.empty()) throw InvalidArgument("empty local store root");
  root_ = std::filesystem::absolute(root).lexically_normal().string();
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string LocalStore::path_of(std::string_view key) const {
  validate_path(key, false);
  return (root_ == "/" ? root_ : root_ + "/") + std::string(key);
}

std::string LocalStore::root_url() const { return PhysicalKey::from_local_path(root_).str(); }

std::optional<ObjectInfo> LocalStore::head(std::string_view key) {
  std::string path = path_of(key);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw_io_error("cannot stat", path, errno);
  }
  if (!S_ISREG(st.st_mode)) return std::nullopt;
  return make_info(std::string(key), static_cast<uint64_t>(st.st_size));
}

std::unique_ptr<Reader> LocalStore::open_read(std::string_view key, ByteRange range) {
  std::string path = path_of(key);
  // O_NONBLOCK: a FIFO planted in the tree must not hang us; it is no object.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
    throw NotFound(not_found_message(key, root_url()));
  }
  if (fd < 0) throw_io_error("cannot open", path, errno);
  UniqueFd owned(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) throw_io_error("cannot stat", path, errno);
  if (!S_ISREG(st.st_mode)) throw NotFound(not_found_message(key, root_url()));
  uint64_t size = static_cast<uint64_t>(st.st_size);
  uint64_t begin = std::min(range.offset, size);
  uint64_t end = range.length ? begin + std::min(*range.length, size - begin) : size;
  ::posix_fadvise(fd, static_cast<off_t>(begin), static_cast<off_t>(end - begin),
                  POSIX_FADV_SEQUENTIAL);
  return std::make_unique<LocalReader>(std::move(owned), begin, end, std::move(path));
}

void LocalStore::sync() {
  std::error_code ec;
  if (!std::filesystem::exists(root_, ec)) return;  // nothing written yet
  UniqueFd fd = UniqueFd::open(root_, O_RDONLY | O_DIRECTORY);
  if (::syncfs(fd.get()) != 0) throw_io_error("cannot sync the file system of", root_, errno);
}

std::unique_ptr<Writer> LocalStore::open_write(std::string_view key, WriteOptions options) {
  std::string path = path_of(key);
  return std::make_unique<LocalWriter>(std::string(key), std::move(path), root_url(), options);
}

ListPage LocalStore::list(std::string_view prefix, const ListOptions& options) {
  validate_path(prefix, true);
  return Lister(root_, prefix, options).run();
}

void LocalStore::remove(std::string_view key) {
  std::string path = path_of(key);
  if (::unlink(path.c_str()) != 0) {
    // Missing, or a "directory" of other keys, which no object key names.
    if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR) return;
    throw_io_error("cannot remove", path, errno);
  }
  // Prune directories the removal emptied, as S3 has no empty "directories".
  // A writer racing us recreates its directory (TempFile retries on ENOENT).
  std::string dir = parent_directory(path);
  while (dir.size() > root_.size() && ::rmdir(dir.c_str()) == 0) dir = parent_directory(dir);
  try {
    fsync_directory(dir);
  } catch (const IoError& e) {
    // A concurrent remove() pruned it: the unlink is as durable as that was.
    if (e.error_number() != ENOENT) throw;
  }
}

ObjectInfo LocalStore::copy(std::string_view from, std::string_view to) {
  std::string from_path = path_of(from);
  std::string to_path = path_of(to);
  int fd = ::open(from_path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
    throw NotFound(not_found_message(from, root_url()));
  }
  if (fd < 0) throw_io_error("cannot open", from_path, errno);
  UniqueFd in(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) throw_io_error("cannot stat", from_path, errno);
  if (!S_ISREG(st.st_mode)) throw NotFound(not_found_message(from, root_url()));
  TempFile tmp = TempFile::create_beside(to_path);
  copy_bytes(in.get(), tmp.fd(), static_cast<uint64_t>(st.st_size), from_path, to_path);
  off_t size = ::lseek(tmp.fd(), 0, SEEK_CUR);
  tmp.commit(to_path);
  return make_info(std::string(to), static_cast<uint64_t>(size));
}

}  // namespace quilt
