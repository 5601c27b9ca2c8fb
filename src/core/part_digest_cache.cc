#include "core/part_digest_cache.h"

#include <time.h>

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <tuple>

namespace quilt::detail {
namespace {

constexpr size_t kMaxRemembered = 4096;

struct Cache {
  std::mutex mutex;
  std::map<std::tuple<uint64_t, uint64_t>, std::pair<FileIdentity, std::vector<Sha256Digest>>> by_file;
  std::deque<std::tuple<uint64_t, uint64_t>> order;  // oldest first
};

Cache& cache() {
  static Cache* instance = new Cache();  // never destroyed: threads may outlive statics
  return *instance;
}

}  // namespace

FileIdentity identity_of(const struct stat& st) {
  FileIdentity id;
  id.device = static_cast<uint64_t>(st.st_dev);
  id.inode = static_cast<uint64_t>(st.st_ino);
  id.size = static_cast<uint64_t>(st.st_size);
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  id.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
  return id;
}

int64_t wall_clock_ns() {
  struct timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

void remember_part_digests(const FileIdentity& id, int64_t started_ns,
                           std::vector<Sha256Digest> digests) {
  if (std::max(id.mtime_ns, id.ctime_ns) > started_ns - kRacyNs) return;
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  auto file = std::make_tuple(id.device, id.inode);
  auto [it, added] = c.by_file.insert_or_assign(file, std::make_pair(id, std::move(digests)));
  (void)it;
  if (added) c.order.push_back(file);
  while (c.order.size() > kMaxRemembered) {
    c.by_file.erase(c.order.front());
    c.order.pop_front();
  }
}

std::optional<std::vector<Sha256Digest>> recall_part_digests(const FileIdentity& id) {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  auto it = c.by_file.find(std::make_tuple(id.device, id.inode));
  if (it == c.by_file.end() || !(it->second.first == id)) return std::nullopt;
  return it->second.second;
}

}  // namespace quilt::detail
