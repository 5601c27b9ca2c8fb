#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace quilt {

/// A fixed set of worker threads running submitted tasks in FIFO order.
/// Thread-safe: submit() and parallel_for() may be called from any thread,
/// including from inside a task running on this pool.
/// Tasks given to submit() must not throw (wrap them and store a
/// std::exception_ptr instead); a task that throws terminates the program.
/// The destructor finishes queued tasks, then joins.
class ThreadPool {
 public:
  /// Start `threads` workers (0: one per hardware thread).
  explicit ThreadPool(size_t threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t size() const noexcept { return workers_.size(); }
  void submit(std::function<void()> task);

  /// Run fn(i) for i in [0, n) on the pool and the calling thread; return when
  /// all are done. The first exception thrown by any fn is rethrown here;
  /// after a failure, indices not yet started are skipped.
  ///
  /// The calling thread claims indices itself, so this never waits on a queued
  /// task: calling parallel_for from inside a pool task (nesting) cannot
  /// deadlock, and with every worker busy the caller simply does all the work.
  void parallel_for(size_t n, const std::function<void(size_t)>& fn);

 private:
  void run_worker();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace quilt
