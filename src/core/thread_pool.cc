#include "quilt/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>

namespace quilt {
namespace {

// What one parallel_for shares between the caller and its helper tasks. It is
// owned by shared_ptr because a helper may be dequeued after the loop is over;
// such a helper claims no index and never touches `fn`.
struct ForLoop {
  ForLoop(size_t count, const std::function<void(size_t)>& body) : n(count), fn(&body) {}

  const size_t n;
  const std::function<void(size_t)>* fn;
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::condition_variable cv;
  std::exception_ptr error;  // guarded by mu: the first failure
};

void record_failure(ForLoop& loop, std::exception_ptr error) {
  std::lock_guard lock(loop.mu);
  if (!loop.error) loop.error = std::move(error);
  loop.failed.store(true, std::memory_order_release);
}

// Claim and run indices until none are left; then count them as done.
void drain(ForLoop& loop) {
  size_t finished = 0;
  for (;;) {
    size_t i = loop.next.fetch_add(1, std::memory_order_relaxed);
    if (i >= loop.n) break;
    ++finished;
    if (loop.failed.load(std::memory_order_acquire)) continue;
    try {
      (*loop.fn)(i);
    } catch (...) {
      record_failure(loop, std::current_exception());
    }
  }
  if (finished == 0) return;
  if (loop.done.fetch_add(finished, std::memory_order_acq_rel) + finished == loop.n) {
    std::lock_guard lock(loop.mu);  // so the waiter cannot miss the notification
    loop.cv.notify_all();
  }
}

}  // namespace

ThreadPool::ThreadPool(size_t threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  workers_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { run_worker(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::submit(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void ThreadPool::run_worker() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to finish
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

void ThreadPool::parallel_for(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (n == 1) {
    fn(0);
    return;
  }
  auto loop = std::make_shared<ForLoop>(n, fn);
  size_t helpers = std::min(n - 1, workers_.size());
  for (size_t h = 0; h < helpers; ++h) submit([loop] { drain(*loop); });
  drain(*loop);
  // Every index is claimed by now; wait for those still running elsewhere.
  // They are running, not queued, so this wait always ends.
  if (loop->done.load(std::memory_order_acquire) != n) {
    std::unique_lock lock(loop->mu);
    loop->cv.wait(lock, [&] { return loop->done.load(std::memory_order_acquire) == n; });
  }
  std::exception_ptr error;
  {
    std::lock_guard lock(loop->mu);
    error = loop->error;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace quilt
