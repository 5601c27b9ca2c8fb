#include "package/dir_walker.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <memory>

#include "core/utf8.h"
#include "package/location.h"
#include "package/quiltignore.h"
#include "quilt/errors.h"
#include "quilt/physical_key.h"

namespace quilt::detail {
namespace {

struct DirCloser {
  void operator()(DIR* dir) const noexcept { ::closedir(dir); }
};
using DirHandle = std::unique_ptr<DIR, DirCloser>;

struct FreeDeleter {
  void operator()(char* p) const noexcept { std::free(p); }
};

enum class Kind { kFile, kDir, kSkip };

std::string join(const std::string& root, std::string_view relative) {
  std::string out = root;
  if (out.empty() || out.back() != '/') out.push_back('/');
  out.append(relative);
  return out;
}

Kind kind_of_mode(mode_t mode) {
  if (S_ISREG(mode)) return Kind::kFile;
  if (S_ISDIR(mode)) return Kind::kDir;
  return Kind::kSkip;
}

// Classify a symbolic link by its target: only links to regular files count.
// Dangling and looping links are skipped as quilt3's is_file() skips them.
Kind kind_of_link(const std::string& full) {
  struct stat st;
  if (::stat(full.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR || errno == ENAMETOOLONG) {
      return Kind::kSkip;
    }
    throw_io_error("cannot stat", full, errno);
  }
  return S_ISREG(st.st_mode) ? Kind::kFile : Kind::kSkip;
}

std::string real_path(const std::string& full) {
  std::unique_ptr<char, FreeDeleter> resolved(::realpath(full.c_str(), nullptr));
  if (!resolved) throw_io_error("cannot resolve", full, errno);
  return resolved.get();
}

class Walker {
 public:
  Walker(const std::string& root, const WalkOptions& options) : root_(root), options_(options) {}

  std::vector<WalkedFile> run() {
    std::vector<std::string> pending{""};
    while (!pending.empty()) {
      std::string dir = std::move(pending.back());
      pending.pop_back();
      list(dir, pending);
    }
    std::sort(files_.begin(), files_.end(),
              [](const WalkedFile& a, const WalkedFile& b) { return a.relative < b.relative; });
    return std::move(files_);
  }

 private:
  void list(const std::string& dir, std::vector<std::string>& pending) {
    std::string full_dir = dir.empty() ? root_ : join(root_, dir);
    DirHandle handle(::opendir(full_dir.c_str()));
    if (!handle) {
      // A subdirectory removed while we walk is no longer part of the tree.
      if (!dir.empty() && errno == ENOENT) return;
      throw_io_error("cannot open directory", full_dir, errno);
    }
    while (true) {
      errno = 0;
      const dirent* entry = ::readdir(handle.get());
      if (entry == nullptr) {
        if (errno != 0) throw_io_error("cannot read directory", full_dir, errno);
        return;
      }
      std::string_view name = entry->d_name;
      if (name == "." || name == "..") continue;
      std::string relative = dir.empty() ? std::string(name) : dir + "/" + std::string(name);
      visit(std::move(relative), entry->d_type, pending);
    }
  }

  void visit(std::string relative, unsigned char d_type, std::vector<std::string>& pending) {
    std::string full = join(root_, relative);
    Kind kind = Kind::kSkip;
    bool is_link = d_type == DT_LNK;
    if (d_type == DT_REG) kind = Kind::kFile;
    if (d_type == DT_DIR) kind = Kind::kDir;
    if (d_type == DT_UNKNOWN) {
      struct stat st;
      if (::lstat(full.c_str(), &st) != 0) {
        if (errno == ENOENT) return;  // removed while we walk
        throw_io_error("cannot stat", full, errno);
      }
      is_link = S_ISLNK(st.st_mode);
      kind = kind_of_mode(st.st_mode);
    }
    if (is_link) kind = kind_of_link(full);
    const IgnoreRules* ignore = options_.ignore;
    if (kind == Kind::kDir) {
      if (ignore == nullptr || !ignore->ignores_dir(relative)) pending.push_back(relative);
      return;
    }
    if (kind != Kind::kFile) return;
    if (ignore != nullptr && ignore->ignores_file(relative)) return;
    if (!options_.allow_non_utf8 && !is_valid_utf8(relative)) {
      throw InvalidArgument(
          "file name is not valid UTF-8: '" + escape_for_message(full) +
          "' (a logical key must be UTF-8; rename it or list it in .quiltignore)");
    }
    files_.push_back({std::move(relative), is_link ? real_path(full) : std::move(full)});
  }

  const std::string& root_;
  const WalkOptions& options_;
  std::vector<WalkedFile> files_;
};

}  // namespace

std::string real_directory(const std::string& dir) {
  if (dir.empty()) throw InvalidArgument("set_dir: empty directory");
  std::string path = expand_user(dir);
  if (has_url_scheme(dir)) {
    PhysicalKey key = PhysicalKey::from_url(dir);
    if (!key.is_local()) {
      throw InvalidArgument("set_dir: only local directories are supported yet ('" +
                            escape_for_message(dir) + "')");
    }
    path = key.local_path();
  }
  std::unique_ptr<char, FreeDeleter> resolved(::realpath(path.c_str(), nullptr));
  if (!resolved) throw_io_error("cannot read directory", path, errno);
  struct stat st;
  if (::stat(resolved.get(), &st) != 0) throw_io_error("cannot read directory", path, errno);
  if (!S_ISDIR(st.st_mode)) {
    throw InvalidArgument("set_dir: '" + escape_for_message(path) +
                          "' is not a directory; use set to add a file");
  }
  return resolved.get();
}

std::vector<WalkedFile> walk_directory(const std::string& root, const WalkOptions& options) {
  return Walker(root, options).run();
}

}  // namespace quilt::detail
