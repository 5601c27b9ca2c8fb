// Package::verify: compare a directory with the entries of a package.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>

#include "package/dir_walker.h"
#include "quilt/errors.h"
#include "quilt/hasher.h"
#include "quilt/logical_key.h"
#include "quilt/package.h"
#include "quilt/thread_pool.h"

namespace quilt {
namespace {

enum class Outcome : uint8_t { kSame, kMissing, kModified };

std::string join(const std::string& dir, std::string_view key) {
  std::string path = dir;
  if (path.empty() || path.back() != '/') path.push_back('/');
  path.append(key);
  return path;
}

// Compare one file with its entry: a size that differs decides without
// reading; otherwise hash with the entry's own hash type.
Outcome check_entry(const std::string& path, const ManifestEntry& entry, ThreadPool& pool) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Outcome::kMissing;
    throw_io_error("cannot stat", path, errno);
  }
  if (!S_ISREG(st.st_mode)) return Outcome::kMissing;
  if (static_cast<uint64_t>(st.st_size) != entry.size) return Outcome::kModified;
  FileHash actual = hash_file(path, entry.hash.type, pool);
  return actual.size == entry.size && actual.hash == entry.hash ? Outcome::kSame
                                                                : Outcome::kModified;
}

}  // namespace

// Entries are checked by path (dir/<key>, links followed); extra files are
// the regular files the walker finds (every one: no .quiltignore, any name,
// links to files followed, links to directories not) that no entry names.
VerifyResult Package::verify(const std::string& dir, ThreadPool& pool) const {
  // Walk first: a directory that cannot be listed fails before any hashing.
  std::vector<detail::WalkedFile> files =
      detail::walk_directory(dir, {.ignore = nullptr, .allow_non_utf8 = true});
  std::span<const ManifestEntry> all = entries();
  std::vector<Outcome> outcomes(all.size());
  pool.parallel_for(all.size(), [&](size_t i) {
    outcomes[i] = check_entry(join(dir, all[i].logical_key), all[i], pool);
  });
  VerifyResult result;
  for (size_t i = 0; i < all.size(); ++i) {
    if (outcomes[i] == Outcome::kMissing) result.missing.push_back(all[i].logical_key);
    if (outcomes[i] == Outcome::kModified) result.modified.push_back(all[i].logical_key);
  }
  for (detail::WalkedFile& file : files) {
    if (find(file.relative) == nullptr) result.extra.push_back(std::move(file.relative));
  }
  // Report extras in walk order, as the other lists are.
  std::sort(result.extra.begin(), result.extra.end(), walk_order_less);
  return result;
}

}  // namespace quilt
