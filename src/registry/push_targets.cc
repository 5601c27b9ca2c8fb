// The entry-target decision of a push (quilt3's dest and selector_fn): which entries are copied,
// and to which object or file. Everything is decided, and every user function called, before
// any byte moves, so a bad dest or a failing function leaves the registry and the destination
// untouched.

#include "registry/push_targets.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <optional>
#include <string_view>

#include "core/utf8.h"
#include "quilt/errors.h"
#include "quilt/physical_key.h"
#include "storage/s3/client.h"

namespace quilt {
namespace {

// Where a dest (a prefix, or one entry's URL) points.
struct Location {
  bool s3 = false;
  std::string bucket;
  std::string key;  // S3: object key or key prefix ("" for a bucket's root); local: absolute path
};

bool has_url_scheme(std::string_view text, std::string_view* scheme) {
  size_t colon = text.find("://");
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view head = text.substr(0, colon);
  bool ok = std::isalpha(static_cast<unsigned char>(head[0])) &&
            std::all_of(head.begin(), head.end(), [](char c) {
              return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' ||
                     c == '.';
            });
  if (ok) *scheme = head;
  return ok;
}

// True when a '/'-separated key has an empty, '.' or '..' segment.
bool has_bad_segment(std::string_view key) {
  size_t start = 0;
  for (;;) {
    size_t slash = key.find('/', start);
    std::string_view segment =
        key.substr(start, slash == std::string_view::npos ? key.npos : slash - start);
    if (segment.empty() || segment == "." || segment == "..") return true;
    if (slash == std::string_view::npos) return false;
    start = slash + 1;
  }
}

// Parse `text`, a dest prefix (`is_prefix`) or one entry's object URL; `what` names it in errors
// ("dest 's3://...'" or "the dest of 'a.txt' ('...')").
Location parse_location(const std::string& text, const std::string& what, bool is_prefix) {
  if (text.empty()) throw InvalidArgument(what + " is empty");
  std::string_view scheme;
  Location out;
  if (has_url_scheme(text, &scheme)) {
    if (scheme != "s3" && scheme != "file") {
      throw InvalidArgument(what + " has the unsupported scheme '" + std::string(scheme) +
                            "' (s3:// URLs, file:// URLs and local paths)");
    }
    PhysicalKey key;
    try {
      key = PhysicalKey::from_url(text);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(what + " is not a valid URL: " + e.what());
    }
    if (key.is_s3()) {
      if (key.version_id()) {
        throw InvalidArgument(what + " names a versionId: a push writes new objects and records "
                                     "the versions the server gives them");
      }
      out.s3 = true;
      out.bucket = key.bucket();
      try {
        s3::validate_bucket_name(out.bucket);
      } catch (const InvalidArgument& e) {
        throw InvalidArgument(what + ": " + e.what());
      }
      out.key = key.s3_key();
      if (is_prefix) {
        while (!out.key.empty() && out.key.back() == '/') out.key.pop_back();
      } else if (out.key.empty() || out.key.back() == '/') {
        throw InvalidArgument(what + " names no object (its key is empty or ends with '/')");
      }
      if (!out.key.empty() && has_bad_segment(out.key)) {
        throw InvalidArgument(what + " has an empty, '.' or '..' segment in its key '" +
                              escape_for_message(out.key) + "'");
      }
      return out;
    }
    out.key = key.local_path();
  } else {
    out.key = text;  // a local path, relative to the working directory
  }
  if (!is_prefix && out.key.back() == '/') {
    throw InvalidArgument(what + " names a directory, not a file");
  }
  out.key = std::filesystem::absolute(out.key).lexically_normal().string();
  while (out.key.size() > 1 && out.key.back() == '/') out.key.pop_back();
  return out;
}

std::string join(const std::string& dir, const std::string& leaf, bool s3) {
  if (s3) return dir.empty() ? leaf : dir + "/" + leaf;
  return (dir == "/" ? std::string() : dir) + "/" + leaf;
}

// True when `target` is in the registry's own `.quilt/` tree, where data would be taken for
// manifests or pointers.
bool inside_layout(const PushRegistry& registry, const EntryTarget& target) {
  if (target.s3) {
    return registry.is_s3() && target.bucket == registry.bucket &&
           target.key.starts_with(registry.prefix + ".quilt/");
  }
  return !registry.is_s3() && target.key.starts_with(registry.root + "/.quilt/");
}

}  // namespace

std::vector<EntryTarget> plan_push_targets(const PushRegistry& registry, const PackageName& name,
                                           std::span<const ManifestEntry> entries,
                                           const PushOptions& options) {
  // Where entries go when no dest function names their URL.
  Location prefix;
  if (!options.dest.empty() && !options.dest_fn) {
    prefix = parse_location(options.dest, "dest '" + escape_for_message(options.dest) + "'", true);
  } else if (registry.is_s3()) {
    prefix.s3 = true;
    prefix.bucket = registry.bucket;
    prefix.key = registry.prefix + name.user + "/" + name.pkg;
  } else {
    prefix.key = registry.root + "/" + name.user + "/" + name.pkg;
  }
  if (registry.is_s3() && !prefix.s3) {
    throw InvalidArgument("dest '" + escape_for_message(options.dest) +
                          "' is local, but the package goes to the S3 registry " + registry.url +
                          ": its data would be unreachable to anyone reading the package");
  }
  auto target_of = [&](const ManifestEntry& entry) {
    Location where = prefix;
    if (options.dest_fn) {
      std::string url = options.dest_fn(entry);
      where = parse_location(url,
                             "the dest of '" + escape_for_message(entry.logical_key) + "' ('" +
                                 escape_for_message(url) + "')",
                             false);
      if (registry.is_s3() && !where.s3) {
        throw InvalidArgument("the dest of '" + escape_for_message(entry.logical_key) + "' ('" +
                              escape_for_message(url) + "') is local, but the package goes to "
                              "the S3 registry " + registry.url +
                              ": its data would be unreachable to anyone reading the package");
      }
    } else {
      where.key = join(prefix.key, entry.logical_key, prefix.s3);
    }
    EntryTarget target;
    target.copy = true;
    target.s3 = where.s3;
    target.bucket = std::move(where.bucket);
    target.key = std::move(where.key);
    return target;
  };

  std::vector<EntryTarget> targets;
  targets.reserve(entries.size());
  std::map<std::string, const std::string*> taken;  // target -> the logical key sent there
  for (const ManifestEntry& entry : entries) {
    EntryTarget target;
    if (options.selector) {
      if (options.selector(entry)) target = target_of(entry);
    } else {
      // The default: an entry already in the bucket its data would go to stays where it is.
      target = target_of(entry);
      if (target.s3 && entry.physical_key.is_s3() && entry.physical_key.bucket() == target.bucket) {
        target = EntryTarget{};
      }
    }
    if (!target.copy && registry.is_s3() && entry.physical_key.is_local()) {
      throw InvalidArgument("'" + escape_for_message(entry.logical_key) + "' would keep its local "
                            "physical key " + entry.physical_key.str() + " in a package pushed "
                            "to the S3 registry " + registry.url +
                            ", where no one else can read it: select it to be copied");
    }
    if (target.copy && inside_layout(registry, target)) {
      throw InvalidArgument("dest sends '" + escape_for_message(entry.logical_key) + "' to " +
                            escape_for_message(target.key) + ", inside the .quilt/ directory of " +
                            "registry " + registry.url + " (its manifests and pointers)");
    }
    if (target.copy) {
      std::string id = target.s3 ? "s3://" + target.bucket + "/" + target.key : target.key;
      auto [it, fresh] = taken.emplace(id, &entry.logical_key);
      if (!fresh) {
        throw InvalidArgument("dest sends both '" + escape_for_message(*it->second) + "' and '" +
                              escape_for_message(entry.logical_key) + "' to " +
                              escape_for_message(id) + ": one would overwrite the other");
      }
    }
    targets.push_back(std::move(target));
  }
  return targets;
}

}  // namespace quilt
