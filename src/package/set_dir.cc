// PackageBuilder::set_dir: every regular file below a local directory.
//
// What quilt3 does, and so what we do (see dir_walker.h and quiltignore.h):
//   - the directory is resolved to its real path first (quilt3's fix_url
//     calls Path.resolve()), and each file's physical key is its real path
//     (quilt3's PhysicalKey.from_path calls os.path.realpath). For a regular
//     file that is <real dir>/<relative path>; for a symbolic link to a file
//     it is the real path of the link's target, not the link's own path. The
//     logical key is always the link's own relative path. Physical keys are
//     not part of the top hash, only of the manifest bytes;
//   - links to directories are not descended; dangling and looping links are
//     skipped (they are not regular files);
//   - at the root, the package user_meta is set to options.meta, or to null
//     when none is given (quilt3's root.set_meta(meta) runs unconditionally);
//     below it, the directory's meta is set likewise: options.meta, or none
//     (quilt3 sets the subpackage's user_meta to None, which writes no line);
//   - nothing changes when any file is refused (the walk and every check run
//     before the first entry is set).

#include <memory>

#include "package/dir_walker.h"
#include "package/quiltignore.h"
#include "quilt/errors.h"
#include "quilt/logical_key.h"
#include "quilt/package_builder.h"

namespace quilt {
namespace {

// The key below which set_dir puts files: "" for the root ("", ".", "/", "./").
std::string prefix_key(std::string_view prefix) {
  while (!prefix.empty() && prefix.front() == '/') prefix.remove_prefix(1);
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  if (prefix.empty() || prefix == ".") return {};
  validate_logical_key(prefix);
  return std::string(prefix);
}


}  // namespace

PackageBuilder& PackageBuilder::set_dir(std::string_view prefix, const std::string& dir,
                                        const SetDirOptions& options) {
  std::string root_key = prefix_key(prefix);
  std::string root = detail::real_directory(dir);
  std::optional<detail::IgnoreRules> ignore = detail::IgnoreRules::load(root);
  std::vector<detail::WalkedFile> files = detail::walk_directory(
      root, {.ignore = ignore ? &*ignore : nullptr, .allow_non_utf8 = false});

  check_dir_key_free(root_key);
  std::vector<Pending> incoming;
  incoming.reserve(files.size());
  for (detail::WalkedFile& file : files) {
    std::string key = root_key.empty() ? std::move(file.relative) : root_key + "/" + file.relative;
    validate_logical_key(key);
    if (options.update_policy == UpdatePolicy::kExisting && contains(key)) continue;
    check_file_key_free(key);
    Pending pending;
    pending.entry.logical_key = std::move(key);
    pending.entry.physical_key = PhysicalKey::from_local_path(file.path);
    pending.needs_hash = true;
    incoming.push_back(std::move(pending));
  }

  Json meta = options.meta.value_or(Json());
  if (root_key.empty()) {
    meta_.set("user_meta", std::move(meta));
  } else if (meta.is_null()) {
    directories_.erase(root_key + "/");
  } else {
    directories_.insert_or_assign(root_key + "/", std::move(meta));
  }
  for (Pending& pending : incoming) {
    std::string key = pending.entry.logical_key;
    entries_.insert_or_assign(std::move(key), std::move(pending));
  }
  return *this;
}

}  // namespace quilt
