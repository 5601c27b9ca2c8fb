// Package::filter and Package::map: new packages from the entries of one.
#include <algorithm>

#include "core/utf8.h"
#include "quilt/errors.h"
#include "quilt/logical_key.h"
#include "quilt/package.h"

namespace quilt {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

bool entry_less(const ManifestEntry& a, const ManifestEntry& b) {
  return walk_order_less(a.logical_key, b.logical_key);
}

// Keep the meta of directories that still hold an entry: a directory-meta
// line for a directory without entries could collide with a file key ("a/"
// and "a"), which quilt3 refuses to load. REQUIRES: entries in walk order.
void keep_live_directories(Manifest& manifest) {
  const auto& entries = manifest.entries;
  std::erase_if(manifest.directories, [&](const DirectoryMeta& dir) {
    auto it = std::lower_bound(entries.begin(), entries.end(), dir.logical_key,
                               [](const ManifestEntry& e, const std::string& key) {
                                 return walk_order_less(e.logical_key, key);
                               });
    return it == entries.end() || !starts_with(it->logical_key, dir.logical_key);
  });
}

// A mapped entry must be as complete as the one it came from.
void check_mapped_entry(const ManifestEntry& entry, const std::string& from) {
  validate_logical_key(entry.logical_key);
  if (entry.hash.value.empty() || entry.physical_key.empty()) {
    throw InvalidArgument("map: the entry made from '" + escape_for_message(from) +
                          "' has no hash or no physical key");
  }
}

// REQUIRES: sorted in walk order. Throws InvalidArgument for a key given twice
// or a key that is both a file and a directory ("a" and "a/b").
void check_unique_keys(const std::vector<ManifestEntry>& entries) {
  for (size_t i = 1; i < entries.size(); ++i) {
    const std::string& prev = entries[i - 1].logical_key;
    const std::string& key = entries[i].logical_key;
    if (prev == key) {
      throw InvalidArgument("map: two entries have the logical key '" + escape_for_message(key) +
                            "'");
    }
    // In walk order everything below "a/" comes right after a file "a".
    if (key.size() > prev.size() && starts_with(key, prev) && key[prev.size()] == '/') {
      throw InvalidArgument("map: '" + escape_for_message(prev) + "' is a file and '" +
                            escape_for_message(key) + "' would be below it");
    }
  }
}

}  // namespace

Package Package::filter(const std::function<bool(const ManifestEntry&)>& keep) const {
  Manifest manifest;
  manifest.meta = meta();
  for (const ManifestEntry& entry : entries()) {
    if (keep(entry)) manifest.entries.push_back(entry);
  }
  manifest.directories = directories();
  keep_live_directories(manifest);
  return Package(std::move(manifest));
}

Package Package::map(const std::function<ManifestEntry(const ManifestEntry&)>& fn) const {
  Manifest manifest;
  manifest.meta = meta();
  manifest.entries.reserve(entries().size());
  for (const ManifestEntry& entry : entries()) {
    manifest.entries.push_back(fn(entry));
    check_mapped_entry(manifest.entries.back(), entry.logical_key);
  }
  if (!std::is_sorted(manifest.entries.begin(), manifest.entries.end(), entry_less)) {
    std::stable_sort(manifest.entries.begin(), manifest.entries.end(), entry_less);
  }
  check_unique_keys(manifest.entries);
  manifest.directories = directories();
  keep_live_directories(manifest);
  return Package(std::move(manifest));
}

}  // namespace quilt
