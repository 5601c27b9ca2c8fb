#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quilt/package.h"
#include "quilt/package_name.h"

namespace quilt {

class ObjectStore;
class ThreadPool;

/// One revision of a named package: `.quilt/named_packages/USER/PKG/<timestamp>`.
struct PackageVersion {
  int64_t timestamp = 0;  ///< Unix seconds.
  std::string top_hash;
};

/// How a hash prefix resolved.
struct ResolvedHash {
  enum class Status : uint8_t { kFound, kNone, kAmbiguous };
  Status status = Status::kNone;
  std::string top_hash;                 ///< When kFound.
  std::vector<std::string> candidates;  ///< When kAmbiguous.
};

/// Called from worker threads as work is done, with increments: the files and
/// bytes finished since that thread's last report. Must be thread-safe and quick.
using ProgressFn = std::function<void(uint64_t files, uint64_t bytes)>;

struct PushOptions {
  /// The revision this package was read from ("" when built from nothing):
  /// push fails with Conflict if `latest` is no longer it, unless `force`.
  std::optional<std::string> parent;
  bool force = false;
  /// Skip writing a revision when the top hash equals `latest`.
  bool dedupe = false;
  /// Copy entries' data into the registry (push); false records the
  /// manifest only, physical keys staying where they are (build).
  bool copy_data = true;
  /// Where copied entries' data goes (quilt3's `dest`). Empty: `<registry>/USER/PKG/<logical
  /// key>`. Otherwise a prefix each entry's logical key is appended to (after a '/'):
  /// `s3://BUCKET[/PREFIX]` (any bucket the credentials reach) or, for a local registry only, a
  /// directory path or `file://` URL. Ignored when dest_fn is set.
  std::string dest;
  /// The URL (or local path) of one copied entry's object; overrides `dest`. Called once per
  /// copied entry, in order, on the calling thread, before any data moves.
  std::function<std::string(const ManifestEntry&)> dest_fn;
  /// quilt3's `selector_fn`: true copies the entry's data to its dest, false keeps its physical
  /// key (refused for a local key bound for an S3 registry). Unset: copy every entry except
  /// those already in the bucket their data would go to. Called once per entry, in order, on
  /// the calling thread, before any data moves.
  std::function<bool(const ManifestEntry&)> selector;
  /// Told of each file copied (optional).
  ProgressFn on_progress;
};

struct PushResult {
  Package package;        ///< As written (physical keys into the registry after a push).
  bool skipped = false;   ///< dedupe found the same top hash at `latest`.
};

struct InstallOptions {
  std::string dest;           ///< Directory to write into.
  std::string path;           ///< Logical key or directory to install; "" for all.
  /// Told of each file checked and staged (optional).
  ProgressFn on_progress;
};

/// A registry: a directory or an S3 bucket, in quilt3's registry layout.
/// Thread-safe for concurrent readers. Writers of one package name are
/// serialized by a lock around `latest` on disk; in S3 (no lock) `latest` is
/// checked before and after it is written, and a writer that lost the race
/// gets a Conflict.
class Registry {
 public:
  /// Open a registry at a path, a `file://` URL (created on first write) or
  /// `s3://BUCKET[/PREFIX]`. Throws InvalidArgument for other schemes.
  static std::unique_ptr<Registry> open(std::string_view url);
  /// A registry over `store` (open() is the usual way; tests wrap stores).
  explicit Registry(std::unique_ptr<ObjectStore> store);
  ~Registry();

  /// The registry root as a URL (`file:///...`).
  std::string url() const;

  /// Names of every package, sorted.
  std::vector<std::string> list_packages();
  /// Revisions of a package, oldest first. Throws NotFound for an unknown package.
  std::vector<PackageVersion> list_versions(const PackageName& name);
  /// The top hash `latest` points at. Throws NotFound (no such package) or
  /// Corrupt (a `latest` that is not a top hash).
  std::string latest(const PackageName& name);
  /// Resolve a full top hash or a unique prefix of 6 or more hex digits
  /// among the manifests of the registry.
  ResolvedHash resolve_prefix(std::string_view prefix);
  /// Return the top hash `hash_or_prefix` names for `name` (latest when empty).
  /// Throws NotFound or InvalidArgument (ambiguous, too short) naming it.
  std::string resolve(const PackageName& name, std::string_view hash_or_prefix = {});

  /// Load a revision (latest by default). Throws NotFound for a missing
  /// manifest or Corrupt for one whose content does not hash to its name.
  Package browse(const PackageName& name, std::string_view hash_or_prefix = {});

  /// Write `package` as a new revision of `name`: copy its data into
  /// `<root>/USER/PKG/<logical key>` or where `options.dest`/`dest_fn` say, for
  /// the entries `options.selector` picks (unless copy_data is false), then the
  /// manifest, then the timestamp pointer and `latest`, each atomically. A bad
  /// dest, or one entry sent where another goes, is an InvalidArgument before
  /// anything is written; an exception from a user function propagates as is.
  PushResult push(const PackageName& name, const Package& package, const PushOptions& options,
                  ThreadPool& pool);

  /// Before `set_dir("", dir)`, build and push(name, ..., options) of an S3 registry (what
  /// `push --dir` does): upload the files of `dir` that a push sends as one streamed
  /// PutObject each (larger than 8 MiB, up to the multipart threshold) to where that push will
  /// put them, hashing each as it is sent, so that each is read once rather than hashed first
  /// and read again. The hashes are kept for build(), which then reads none of these files,
  /// and push() finds each object in place as long as its file was not written to since.
  /// Does nothing for a local registry, with copy_data false or a dest_fn. A file that fails
  /// to upload here is left to push(), which reports its error. Bad names or dests throw as
  /// set_dir and push would, before anything is uploaded.
  void upload_ahead(const PackageName& name, const std::string& dir, const PushOptions& options);

  /// Copy a revision's files (or the sub-tree `options.path`) into
  /// `options.dest`, verifying every hash; nothing is written outside dest.
  /// Returns the package installed.
  Package install(const PackageName& name, std::string_view hash_or_prefix,
                  const InstallOptions& options, ThreadPool& pool);

  /// Delete a package (every pointer; manifests stay, as quilt3 keeps them).
  void delete_package(const PackageName& name);
  /// Delete the pointers to one revision; `latest` moves to the newest left.
  void delete_version(const PackageName& name, std::string_view hash_or_prefix);
  /// Make `latest` point at an earlier revision (a new timestamp pointer too).
  void rollback(const PackageName& name, std::string_view hash_or_prefix);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The local registry quilt3 uses: `default_local_registry` from quilt3's
/// config.yml (`${XDG_DATA_HOME:-~/.local/share}/Quilt/config.yml`) when set,
/// else `${XDG_DATA_HOME:-~/.local/share}/Quilt/packages`.
std::string default_local_registry();

/// The registry a command uses when it names none: `QUILTCPP_REGISTRY` when
/// set, else default_local_registry().
std::string default_registry();

}  // namespace quilt
