#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/crc64nvme.h"
#include "core/sha256.h"
#include "core/sha256_chunked.h"
#include "core/sha256_lanes.h"
#include "quilt/errors.h"
#include "quilt/hasher.h"
#include "quilt/thread_pool.h"

namespace quilt {
namespace {

using detail::Sha256;
using detail::Sha256Digest;

// Part buffers (8 MiB or more each) outlive their stream: kept here for the
// next StreamHasher, as first touching fresh memory costs more than hashing
// it on the machines we run on (about 0.23 GB/s: 35 ms per part). At most
// kCachedPartBuffers are kept.
constexpr size_t kCachedPartBuffers = 6;

struct PartBufferCache {
  std::mutex mu;
  std::vector<std::vector<uint8_t>> free;  // guarded by mu
};

PartBufferCache& part_buffer_cache() {
  static PartBufferCache* cache = new PartBufferCache;  // never destroyed: no exit-time order issue
  return *cache;
}

// Parts of one stream hashed on a pool while the caller keeps feeding bytes.
//
// Parts wait in our own queue, and each is announced to the pool by a task
// that takes whichever part is next. finish() takes queued parts itself, so it
// waits only for parts being hashed at that moment, never for pool tasks
// still queued: a StreamHasher fed from inside a pool task cannot deadlock
// even when every worker does the same. The state is shared with the tasks,
// so a task dequeued after the stream is gone finds nothing to do.
class ParallelParts {
 public:
  ParallelParts(ThreadPool& pool, size_t limit)
      : pool_(pool), limit_(limit), state_(std::make_shared<State>()) {}
  ~ParallelParts() {
    std::lock_guard lock(state_->mu);
    state_->pending.clear();
    PartBufferCache& cache = part_buffer_cache();
    std::lock_guard cache_lock(cache.mu);
    while (!state_->free.empty() && cache.free.size() < kCachedPartBuffers) {
      cache.free.push_back(std::move(state_->free.back()));
      state_->free.pop_back();
    }
  }
  ParallelParts(const ParallelParts&) = delete;
  ParallelParts& operator=(const ParallelParts&) = delete;

  /// Return an empty buffer for the next part, with room for `capacity` bytes.
  std::vector<uint8_t> take_buffer(size_t capacity) {
    std::vector<uint8_t> buffer;
    {
      std::lock_guard lock(state_->mu);
      if (!state_->free.empty()) {
        buffer = std::move(state_->free.back());
        state_->free.pop_back();
      }
    }
    if (buffer.capacity() == 0) {
      PartBufferCache& cache = part_buffer_cache();
      std::lock_guard lock(cache.mu);
      if (!cache.free.empty()) {
        buffer = std::move(cache.free.back());
        cache.free.pop_back();
      }
    }
    buffer.clear();
    buffer.reserve(capacity);
    return buffer;
  }

  /// Queue `bytes` as part number `index` for the pool; when `limit` parts are
  /// queued or being hashed already, hash it here instead (memory stays bounded
  /// and the caller does useful work rather than wait).
  void submit(size_t index, std::vector<uint8_t> bytes) {
    bool queued = false;
    {
      std::lock_guard lock(state_->mu);
      if (state_->error) std::rethrow_exception(state_->error);
      if (state_->pending.size() + state_->running < limit_) {
        state_->pending.push_back(Part{index, std::move(bytes)});
        queued = true;
      }
    }
    if (queued) {
      pool_.submit([state = state_] { run_next(*state); });
      return;
    }
    Sha256Digest digest = detail::sha256(bytes);
    std::lock_guard lock(state_->mu);
    state_->put(index, digest);
    state_->free.push_back(std::move(bytes));
  }

  /// Record a part hashed by the caller itself.
  void store(size_t index, const Sha256Digest& digest) {
    std::lock_guard lock(state_->mu);
    state_->put(index, digest);
  }

  /// Hash the parts still queued, wait for those being hashed, and return the
  /// digests in part order. Rethrows the first failure.
  std::vector<Sha256Digest> finish() {
    while (run_next(*state_)) {
    }
    std::unique_lock lock(state_->mu);
    state_->idle.wait(lock, [this] { return state_->running == 0; });
    if (state_->error) std::rethrow_exception(state_->error);
    return std::move(state_->digests);
  }

 private:
  struct Part {
    size_t index;
    std::vector<uint8_t> bytes;
  };

  struct State {
    void put(size_t index, const Sha256Digest& digest) {
      if (digests.size() <= index) digests.resize(index + 1);
      digests[index] = digest;
    }

    std::mutex mu;
    std::condition_variable idle;
    std::deque<Part> pending;                // guarded by mu
    size_t running = 0;                      // guarded by mu
    std::vector<Sha256Digest> digests;       // guarded by mu
    std::vector<std::vector<uint8_t>> free;  // guarded by mu: buffers to reuse
    std::exception_ptr error;                // guarded by mu
  };

  // Hash the next queued parts, two at once when there are two (Sha256Lanes
  // interleaves them on this core); return whether there were any.
  static bool run_next(State& state) noexcept {
    std::array<Part, 2> parts;
    size_t count = 0;
    {
      std::lock_guard lock(state.mu);
      while (count < parts.size() && !state.pending.empty()) {
        parts[count++] = std::move(state.pending.front());
        state.pending.pop_front();
      }
      if (count == 0) return false;
      state.running += count;
    }
    std::vector<Sha256Digest> digests;
    std::exception_ptr error;
    try {
      std::array<std::span<const uint8_t>, 2> pieces = {parts[0].bytes, parts[1].bytes};
      detail::Sha256Lanes sha(count);
      sha.update(std::span(pieces).first(count));
      digests = sha.finish();
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard lock(state.mu);
      for (size_t i = 0; i < digests.size(); ++i) state.put(parts[i].index, digests[i]);
      if (error && !state.error) state.error = error;
      for (size_t i = 0; i < count; ++i) state.free.push_back(std::move(parts[i].bytes));
      state.running -= count;
    }
    state.idle.notify_all();
    return true;
  }

  ThreadPool& pool_;
  const size_t limit_;
  std::shared_ptr<State> state_;
};

}  // namespace

struct StreamHasher::Impl {
  Impl(HashType hash_type, std::optional<uint64_t> expected, ThreadPool* pool)
      : type(hash_type),
        pool(pool),
        expected_size(expected),
        part_size(chunked_part_size(expected.value_or(0))) {
    if (type == HashType::kSha256) whole.emplace();
    if (type != HashType::kSha2256Chunked) return;
    if (pool != nullptr) {
      parallel.emplace(*pool, std::max<size_t>(2, 2 * pool->size()));
    } else {
      part_sha.emplace();
    }
  }

  void update(std::span<const uint8_t> bytes);
  void update_chunked(std::span<const uint8_t> bytes);
  void hash_whole_parts(std::span<const uint8_t>& bytes);
  size_t part_capacity(size_t first_piece) const;
  void end_part();
  Hash finish();
  std::string finish_chunked();

  const HashType type;
  ThreadPool* const pool;
  const std::optional<uint64_t> expected_size;
  const uint64_t part_size;  // of sha2-256-chunked
  uint64_t total = 0;
  bool finished = false;
  std::optional<Sha256> whole;  // SHA256
  uint64_t crc = 0;             // CRC64NVME
  // sha2-256-chunked: the current part, hashed as it comes (no pool) or
  // gathered in a buffer for the pool; and the parts already done.
  uint64_t part_fill = 0;
  size_t parts_done = 0;
  std::optional<Sha256> part_sha;
  std::vector<Sha256Digest> digests;  // without a pool
  std::optional<ParallelParts> parallel;
  std::vector<uint8_t> buffer;
};

void StreamHasher::Impl::update(std::span<const uint8_t> bytes) {
  if (finished) throw Error("StreamHasher::update called after finish()");
  total += bytes.size();
  switch (type) {
    case HashType::kSha256:
      whole->update(bytes);
      break;
    case HashType::kCrc64Nvme:
      crc = crc64nvme(bytes, crc);
      break;
    case HashType::kSha2256Chunked:
      update_chunked(bytes);
      break;
  }
}

void StreamHasher::Impl::update_chunked(std::span<const uint8_t> bytes) {
  if (part_fill == 0 && bytes.size() >= part_size) hash_whole_parts(bytes);
  while (!bytes.empty()) {
    size_t take = static_cast<size_t>(std::min<uint64_t>(part_size - part_fill, bytes.size()));
    if (parallel) {
      if (buffer.capacity() == 0) buffer = parallel->take_buffer(part_capacity(take));
      buffer.insert(buffer.end(), bytes.begin(), bytes.begin() + take);
    } else {
      part_sha->update(bytes.first(take));
    }
    part_fill += take;
    bytes = bytes.subspan(take);
    if (part_fill == part_size) end_part();
  }
}

// Whole parts at the front of `bytes` (the current part being empty): hash
// them where they lie, on the pool (the caller taking part) when there is
// one, rather than copy them; and drop them from `bytes`.
void StreamHasher::Impl::hash_whole_parts(std::span<const uint8_t>& bytes) {
  size_t whole = static_cast<size_t>(bytes.size() / part_size * part_size);
  std::vector<Sha256Digest> done = detail::hash_parts(bytes.first(whole), part_size, pool);
  for (const Sha256Digest& digest : done) {
    if (parallel) {
      parallel->store(parts_done, digest);
    } else {
      digests.push_back(digest);
    }
    ++parts_done;
  }
  bytes = bytes.subspan(whole);
}

// Room to reserve for the part being started: a whole part, or what is left
// of the expected size when that is less (the last part, small streams).
size_t StreamHasher::Impl::part_capacity(size_t first_piece) const {
  uint64_t capacity = part_size;
  if (expected_size) {
    uint64_t start = parts_done * part_size;
    uint64_t left = *expected_size > start ? *expected_size - start : 0;
    capacity = std::clamp<uint64_t>(left, first_piece, part_size);
  }
  return static_cast<size_t>(capacity);
}

void StreamHasher::Impl::end_part() {
  if (parallel) {
    parallel->submit(parts_done, std::move(buffer));
    buffer = {};
  } else {
    digests.push_back(part_sha->finish());
  }
  ++parts_done;
  part_fill = 0;
}

std::string StreamHasher::Impl::finish_chunked() {
  if (part_fill > 0) {
    if (parallel) {
      // The last part: hash it here rather than wait for the pool.
      parallel->store(parts_done, detail::sha256(buffer));
      buffer = {};
    } else {
      digests.push_back(part_sha->finish());
    }
    ++parts_done;
  }
  if (parallel) digests = parallel->finish();
  if (!expected_size && part_size != chunked_part_size(total)) {
    throw InvalidArgument("stream of " + std::to_string(total) + " bytes is too large for " +
                          "sha2-256-chunked without its size known in advance (more than " +
                          std::to_string(detail::kChunkedMaxParts) +
                          " parts of 8 MiB): hash it again with the size given");
  }
  return detail::chunked_value(digests);
}

Hash StreamHasher::Impl::finish() {
  if (finished) throw Error("StreamHasher::finish called twice");
  finished = true;
  if (expected_size && *expected_size != total) {
    throw InvalidArgument("stream size " + std::to_string(total) +
                          " differs from the expected size " + std::to_string(*expected_size));
  }
  switch (type) {
    case HashType::kSha256:
      return Hash{type, detail::to_hex(whole->finish())};
    case HashType::kCrc64Nvme:
      return Hash{type, detail::crc64nvme_base64(crc)};
    case HashType::kSha2256Chunked:
      return Hash{type, finish_chunked()};
  }
  throw Error("unknown hash type");
}

StreamHasher::StreamHasher(HashType type, std::optional<uint64_t> expected_size, ThreadPool* pool)
    : impl_(std::make_unique<Impl>(type, expected_size, pool)) {}

StreamHasher::~StreamHasher() = default;
StreamHasher::StreamHasher(StreamHasher&&) noexcept = default;
StreamHasher& StreamHasher::operator=(StreamHasher&&) noexcept = default;

void StreamHasher::update(std::span<const uint8_t> bytes) {
  if (!impl_) throw Error("StreamHasher used after being moved from");
  impl_->update(bytes);
}

Hash StreamHasher::finish() {
  if (!impl_) throw Error("StreamHasher used after being moved from");
  return impl_->finish();
}

uint64_t StreamHasher::size() const noexcept { return impl_ ? impl_->total : 0; }

}  // namespace quilt
