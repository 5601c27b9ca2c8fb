#include <algorithm>
#include <string>

#include "core/utf8.h"
#include "quilt/errors.h"
#include "quilt/logical_key.h"
#include "quilt/manifest.h"

namespace quilt {
namespace {

template <typename T>
bool key_less(const T& a, const T& b) noexcept {
  return walk_order_less(a.logical_key, b.logical_key);
}

// True when `child` lies below the file key `parent` ("a" and "a/b").
bool is_below(std::string_view parent, std::string_view child) noexcept {
  return child.size() > parent.size() && child.starts_with(parent) && child[parent.size()] == '/';
}

}  // namespace

void normalize_manifest(Manifest& manifest) {
  auto& entries = manifest.entries;
  // Manifests written by quilt3 are already in walk order: check before sorting.
  if (!std::is_sorted(entries.begin(), entries.end(), key_less<ManifestEntry>)) {
    std::stable_sort(entries.begin(), entries.end(), key_less<ManifestEntry>);
  }
  for (size_t i = 1; i < entries.size(); ++i) {
    const std::string& prev = entries[i - 1].logical_key;
    const std::string& key = entries[i].logical_key;
    if (prev == key) {
      throw Corrupt("duplicate logical key '" + escape_for_message(key) + "' in manifest");
    }
    // In walk order everything below "a/" comes right after a file "a".
    if (is_below(prev, key)) {
      throw Corrupt("logical key '" + escape_for_message(prev) +
                    "' is both a file and a directory in manifest");
    }
  }
  auto& dirs = manifest.directories;
  if (!std::is_sorted(dirs.begin(), dirs.end(), key_less<DirectoryMeta>)) {
    std::stable_sort(dirs.begin(), dirs.end(), key_less<DirectoryMeta>);
  }
  for (size_t i = 1; i < dirs.size(); ++i) {
    if (dirs[i - 1].logical_key == dirs[i].logical_key) {
      throw Corrupt("duplicate directory key '" + escape_for_message(dirs[i].logical_key) +
                    "' in manifest");
    }
  }
}

void write_manifest(const Manifest& manifest, std::string& out) {
  manifest.meta.dump_manifest(out);
  out.push_back('\n');
  for (const DirectoryMeta& dir : manifest.directories) {
    if (dir.meta.empty()) continue;
    out += "{\"logical_key\": ";
    Json(dir.logical_key).dump_manifest(out);
    out += ", \"meta\": ";
    dir.meta.dump_manifest(out);
    out += "}\n";
  }
  for (const ManifestEntry& entry : manifest.entries) {
    out += "{\"logical_key\": ";
    Json(entry.logical_key).dump_manifest(out);
    out += ", \"physical_keys\": [";
    Json(entry.physical_key.str()).dump_manifest(out);
    out += "], \"size\": ";
    out += std::to_string(entry.size);
    out += ", \"hash\": {\"type\": \"";
    out += hash_type_name(entry.hash.type);
    out += "\", \"value\": ";
    Json(entry.hash.value).dump_manifest(out);
    out += "}, \"meta\": ";
    entry.meta.dump_manifest(out);
    out += "}\n";
  }
}

}  // namespace quilt
