#include "quilt/logical_key.h"
#include "quilt/package.h"

namespace quilt {

// A merge of the two entry lists, both in walk order, so every list of the
// result is in walk order too. Entries are compared by what the top hash sees
// of their bytes (hash and size); physical keys and meta are not compared.
// Two hashes of different types differ even when the bytes might not.
PackageDiff Package::diff(const Package& other) const {
  std::span<const ManifestEntry> old_entries = entries();
  std::span<const ManifestEntry> new_entries = other.entries();
  PackageDiff result;
  size_t i = 0;
  size_t j = 0;
  while (i < old_entries.size() || j < new_entries.size()) {
    int order = i == old_entries.size() ? 1
                : j == new_entries.size()
                    ? -1
                    : compare_walk_order(old_entries[i].logical_key, new_entries[j].logical_key);
    if (order < 0) {
      result.deleted.push_back(old_entries[i++].logical_key);
    } else if (order > 0) {
      result.added.push_back(new_entries[j++].logical_key);
    } else {
      const ManifestEntry& a = old_entries[i++];
      const ManifestEntry& b = new_entries[j++];
      if (a.hash != b.hash || a.size != b.size) result.modified.push_back(a.logical_key);
    }
  }
  return result;
}

}  // namespace quilt
