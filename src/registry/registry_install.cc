// Registry::install: copy a revision's files into a directory. Every file is
// first written into a staging directory inside dest while its hash is
// checked; only when all of them match are they renamed into place, so a
// failed install leaves dest as it was. Nothing is written outside dest: keys
// are validated, and no existing symbolic link below dest is followed.

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <vector>

#include "core/unique_fd.h"
#include "quilt/errors.h"
#include "quilt/logical_key.h"
#include "quilt/physical_key.h"
#include "quilt/package_builder.h"
#include "quilt/registry.h"
#include "quilt/thread_pool.h"
#include "registry/registry_impl.h"
#include "registry/transfer_window.h"
#include "registry/verified_copy.h"
#include "storage/s3/clients.h"
#include "storage/temp_file.h"

namespace quilt {
namespace {

// Copy the entry's bytes into the new file `staged`, checking size and hash.
void stage_entry(const ManifestEntry& entry, const std::string& staged) {
  UniqueFd out = UniqueFd::open(staged, O_WRONLY | O_CREAT | O_EXCL, 0644);
  copy_verified(entry, [&](std::span<const uint8_t> bytes) { write_all(out.get(), bytes, staged); });
}

// Create the directories between `dest` and `target`, refusing to pass
// through an existing symbolic link (which could lead outside dest).
void make_parents(const std::string& dest, std::string_view key) {
  std::string path = dest;
  size_t start = 0;
  while (true) {
    size_t slash = key.find('/', start);
    if (slash == std::string_view::npos) return;
    path += "/";
    path.append(key.substr(start, slash - start));
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
      if (S_ISLNK(st.st_mode)) {
        throw InvalidArgument("refusing to install '" + std::string(key) + "' through the symbolic link " + path);
      }
      if (!S_ISDIR(st.st_mode)) throw IoError("cannot install '" + std::string(key) + "': " + path + " is not a directory");
    } else if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
      throw_io_error("cannot create directory", path, errno);
    }
    start = slash + 1;
  }
}

// A directory inside dest that holds staged files; removed with what is left in it.
class StagingDir {
 public:
  explicit StagingDir(const std::string& dest) {
    std::string pattern = dest + "/.quiltcpp-install-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw_io_error("cannot create a staging directory in", dest, errno);
    path_ = pattern;
  }
  ~StagingDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(size_t index) const { return path_ + "/" + std::to_string(index); }

 private:
  std::string path_;
};

std::span<const ManifestEntry> select(const Package& package, const std::string& path) {
  if (path.empty()) return package.entries();
  std::string key = path;
  while (!key.empty() && key.back() == '/') key.pop_back();
  if (const ManifestEntry* entry = package.find(key)) return {entry, 1};
  std::span<const ManifestEntry> under = package.under(key);
  if (under.empty()) throw NotFound("no entry or directory '" + path + "' in the package");
  return under;
}

// Whether `target` is already a regular file with the entry's bytes (an
// install run again after an interruption keeps those instead of fetching
// them again). Never follows a symbolic link.
bool already_installed(const ManifestEntry& entry, const std::string& target) {
  struct stat st {};
  if (::lstat(target.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  if (static_cast<uint64_t>(st.st_size) != entry.size) return false;
  ManifestEntry local = entry;
  local.physical_key = PhysicalKey::from_local_path(target);
  try {
    copy_verified(local, [](std::span<const uint8_t>) {});
    return true;
  } catch (const Corrupt&) {
    return false;
  }
}

// One download of install_small(): the staged file, written and verified as bytes arrive.
struct Download {
  UniqueFd out;
  std::string staged;
  EntryVerifier verifier;
  Download(const ManifestEntry& entry, std::string path)
      : out(UniqueFd::open(path, O_WRONLY | O_CREAT | O_EXCL, 0644)),
        staged(std::move(path)),
        verifier(entry, entry.physical_key.str()) {}
};

// Stage the entries at `indices` (small S3 objects) through their clients' transfer engines:
// the calling thread starts downloads (at most a TransferWindow's worth at once), each written
// into its staged file and verified on the engine's thread as its bytes arrive. Failures go
// into errors[i]; returns when every download has ended.
void install_small(const std::vector<size_t>& indices, std::span<const ManifestEntry> entries,
                   const std::string& dest, const StagingDir& staging,
                   std::vector<std::exception_ptr>& errors, std::vector<char>& present,
                   const ProgressFn& on_progress) {
  std::atomic<bool> failed{false};
  // Held here, not by the callbacks: a client (and its engine) must not be destroyed on its
  // own engine's thread.
  std::map<std::string, std::shared_ptr<s3::Client>> clients;
  TransferWindow window;
  for (size_t i : indices) {
    if (failed) break;  // the install fails: start nothing more
    const ManifestEntry& entry = entries[i];
    std::shared_ptr<Download> download;
    try {
      validate_logical_key(entry.logical_key);
      if (already_installed(entry, dest + "/" + entry.logical_key)) {
        present[i] = 1;
        if (on_progress) on_progress(1, entry.size);
        continue;
      }
      std::shared_ptr<s3::Client>& client = clients[entry.physical_key.bucket()];
      if (!client) client = s3::client_for_bucket(entry.physical_key.bucket());
      window.begin(entry.size);
      try {
        download = std::make_shared<Download>(entry, staging.file(i));
      } catch (...) {
        window.end(entry.size);
        throw;
      }
    } catch (...) {
      errors[i] = std::current_exception();
      failed = true;
      break;
    }
    const PhysicalKey& key = entry.physical_key;
    s3::GetOptions get;
    get.version_id = key.version_id();
    s3::BodySink sink = [download](std::span<const uint8_t> bytes) {
      download->verifier.update(bytes);
      write_all(download->out.get(), bytes, download->staged);
    };
    clients.at(key.bucket())
        ->get_object_async(key.bucket(), key.s3_key(), get, std::move(sink),
                           [&, i, download](s3::AsyncResult<s3::ObjectMeta> result) {
                             const ManifestEntry& done = entries[i];
                             std::exception_ptr error = result.error;
                             download->out.reset();  // closed before it is renamed
                             if (!error) {
                               try {
                                 download->verifier.finish();
                               } catch (...) {
                                 error = std::current_exception();
                               }
                             }
                             if (error) {
                               errors[i] = error;
                               failed = true;
                             } else if (on_progress) {
                               on_progress(1, done.size);
                             }
                             window.end(done.size);
                           });
  }
  window.wait_all();
}

void sync_filesystem(const std::string& dest) {
  UniqueFd fd = UniqueFd::open(dest, O_RDONLY | O_DIRECTORY);
  if (::syncfs(fd.get()) != 0) throw_io_error("cannot sync the file system of", dest, errno);
}

}  // namespace

Package Registry::install(const PackageName& name, std::string_view hash_or_prefix,
                          const InstallOptions& options, ThreadPool& pool) {
  Package package = browse(name, hash_or_prefix);
  std::span<const ManifestEntry> entries = select(package, options.path);
  std::string dest = absolute_path(options.dest.empty() ? "." : options.dest);
  std::filesystem::create_directories(dest);
  StagingDir staging(dest);
  std::vector<std::exception_ptr> errors(entries.size());
  std::vector<char> present(entries.size(), 0);
  // Small S3 objects go through the transfer engine, many at once on one thread; the rest
  // (local files, large objects in ranged reads) take the path below.
  std::vector<size_t> small;
  std::vector<size_t> rest;
  for (size_t i = 0; i < entries.size(); ++i) {
    bool engine = entries[i].physical_key.is_s3() && entries[i].size <= kEngineMaxObject;
    (engine ? small : rest).push_back(i);
  }
  install_small(small, entries, dest, staging, errors, present, options.on_progress);
  // The install fails anyway: start no more downloads.
  if (std::any_of(errors.begin(), errors.end(), [](const std::exception_ptr& e) { return e; })) {
    rest.clear();
  }
  // Downloads wait on the network: many at once, on threads of their own.
  bool remote = std::any_of(rest.begin(), rest.end(),
                            [&](size_t i) { return entries[i].physical_key.is_s3(); });
  std::unique_ptr<ThreadPool> transfers;
  if (remote) transfers = std::make_unique<ThreadPool>(16);
  (remote ? *transfers : pool).parallel_for(rest.size(), [&](size_t n) {
    size_t i = rest[n];
    try {
      validate_logical_key(entries[i].logical_key);
      if (already_installed(entries[i], dest + "/" + entries[i].logical_key)) {
        present[i] = 1;
      } else {
        stage_entry(entries[i], staging.file(i));
      }
      if (options.on_progress) options.on_progress(1, entries[i].size);
    } catch (...) {
      errors[i] = std::current_exception();
    }
  });
  for (const std::exception_ptr& error : errors) {
    if (error) std::rethrow_exception(error);  // the first by walk order
  }
  // Data first on disk, then the names: a crash leaves whole files or none.
  sync_filesystem(dest);
  for (size_t i = 0; i < entries.size(); ++i) {
    if (present[i]) continue;
    const std::string& key = entries[i].logical_key;
    make_parents(dest, key);
    std::string target = dest + "/" + key;
    if (::rename(staging.file(i).c_str(), target.c_str()) != 0) {
      throw_io_error("cannot install '" + key + "' as", target, errno);
    }
  }
  sync_filesystem(dest);
  return package;
}

}  // namespace quilt
