// Progress callbacks from C++ worker threads into Python. Transfers report
// each file as it completes, from many threads; taking the GIL for each would
// stall them behind the interpreter, so reports are merged and handed to
// Python at most every 100 ms (the caller draws the final state itself).

#include <atomic>
#include <chrono>
#include <memory>

#include "python/common.h"

namespace quilt::python {
namespace {

constexpr int64_t kIntervalNs = 100'000'000;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Throttle {
  std::shared_ptr<const void> callback;  // a py::object, dropped with the GIL held
  std::atomic<uint64_t> files{0};
  std::atomic<uint64_t> bytes{0};
  std::atomic<int64_t> last{0};

  // Reports are increments (files and bytes just finished), from many threads; Python gets
  // the running totals.
  void report(uint64_t f, uint64_t b) {
    files.fetch_add(f, std::memory_order_relaxed);
    bytes.fetch_add(b, std::memory_order_relaxed);
    int64_t now = now_ns();
    int64_t before = last.load(std::memory_order_relaxed);
    if (now - before < kIntervalNs) return;
    // One thread wins the interval; the others go back to work at once.
    if (!last.compare_exchange_strong(before, now, std::memory_order_relaxed)) return;
    py::gil_scoped_acquire gil;
    try {
      const auto& fn = *static_cast<const py::object*>(callback.get());
      fn(files.load(std::memory_order_relaxed), bytes.load(std::memory_order_relaxed));
    } catch (py::error_already_set& e) {
      // A failing progress display must not fail the transfer it displays.
      e.discard_as_unraisable("quiltcpp progress callback");
    }
  }
};

}  // namespace

ProgressFn py_progress(const py::object& callback) {
  if (callback.is_none()) return nullptr;
  auto throttle = std::make_shared<Throttle>();
  throttle->callback = py_owner(callback);
  return [throttle](uint64_t files, uint64_t bytes) { throttle->report(files, bytes); };
}

}  // namespace quilt::python
