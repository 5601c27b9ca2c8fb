#include "quilt/thread_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <latch>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace quilt {
namespace {

// Run `fn` and abort the whole test binary if it has not returned within
// `seconds`: a deadlock must fail loudly, not hang the suite.
template <typename Fn>
void run_with_deadline(Fn fn, int seconds = 60) {
  auto done = std::async(std::launch::async, fn);
  if (done.wait_for(std::chrono::seconds(seconds)) != std::future_status::ready) {
    std::fprintf(stderr, "deadlock: still running after %d s\n", seconds);
    std::abort();
  }
  done.get();
}

TEST(ThreadPool, ZeroMeansOnePerHardwareThread) {
  ThreadPool pool;
  EXPECT_EQ(pool.size(), std::max(1u, std::thread::hardware_concurrency()));
  ThreadPool three(3);
  EXPECT_EQ(three.size(), 3u);
}

TEST(ThreadPool, DestructorFinishesQueuedTasks) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(2);
    for (int i = 0; i < 200; ++i) pool.submit([&ran] { ran.fetch_add(1); });
  }
  EXPECT_EQ(ran.load(), 200);
}

TEST(ThreadPool, ParallelForRunsEveryIndexOnce) {
  ThreadPool pool(3);
  for (size_t n : {0u, 1u, 2u, 7u, 10000u}) {
    std::vector<std::atomic<int>> hits(n);
    pool.parallel_for(n, [&](size_t i) { hits[i].fetch_add(1); });
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
  }
}

TEST(ThreadPool, ParallelForUsesSeveralThreads) {
  ThreadPool pool(2);
  std::mutex mu;
  std::vector<std::thread::id> seen;
  // Every index waits until three threads have arrived, so the loop can only
  // finish when two workers and the caller all take part.
  std::latch all_here(3);
  pool.parallel_for(3, [&](size_t) {
    all_here.arrive_and_wait();
    std::lock_guard lock(mu);
    seen.push_back(std::this_thread::get_id());
  });
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()) - seen.begin(), 3);
}

TEST(ThreadPool, CallerFinishesWhenWorkersAreBusy) {
  ThreadPool pool(1);
  std::latch release(1);
  pool.submit([&release] { release.wait(); });  // the only worker is now stuck
  run_with_deadline([&] {
    std::atomic<int> sum{0};
    pool.parallel_for(100, [&](size_t i) { sum.fetch_add(static_cast<int>(i)); });
    EXPECT_EQ(sum.load(), 4950);
  });
  release.count_down();
}

TEST(ThreadPool, NestedParallelForDoesNotDeadlock) {
  ThreadPool pool(2);
  run_with_deadline([&] {
    std::atomic<int> leaves{0};
    pool.parallel_for(16, [&](size_t) {
      pool.parallel_for(
          8, [&](size_t) { pool.parallel_for(4, [&](size_t) { leaves.fetch_add(1); }); });
    });
    EXPECT_EQ(leaves.load(), 16 * 8 * 4);
  });
}

TEST(ThreadPool, NestedFromSubmittedTasksDoesNotDeadlock) {
  ThreadPool pool(2);
  run_with_deadline([&] {
    std::atomic<int> leaves{0};
    std::latch done(4);
    for (int t = 0; t < 4; ++t) {
      pool.submit([&] {
        pool.parallel_for(50, [&](size_t) { leaves.fetch_add(1); });
        done.count_down();
      });
    }
    done.wait();
    EXPECT_EQ(leaves.load(), 200);
  });
}

TEST(ThreadPool, ExceptionPropagatesToCaller) {
  ThreadPool pool(2);
  try {
    pool.parallel_for(1000, [](size_t i) {
      if (i == 537) throw std::runtime_error("index 537 failed");
    });
    FAIL() << "parallel_for did not rethrow";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "index 537 failed");
  }
  // The pool is still usable afterwards.
  std::atomic<int> ran{0};
  pool.parallel_for(10, [&](size_t) { ran.fetch_add(1); });
  EXPECT_EQ(ran.load(), 10);
}

TEST(ThreadPool, OneOfManyExceptionsIsRethrown) {
  ThreadPool pool(2);
  EXPECT_THROW(pool.parallel_for(100, [](size_t i) { throw std::out_of_range(std::to_string(i)); }),
               std::out_of_range);
}

TEST(ThreadPool, ExceptionFromNestedLoopReachesOuterCaller) {
  ThreadPool pool(2);
  run_with_deadline([&] {
    EXPECT_THROW(pool.parallel_for(8,
                                   [&](size_t outer) {
                                     pool.parallel_for(8, [&](size_t inner) {
                                       if (outer == 5 && inner == 3) {
                                         throw std::logic_error("inner failure");
                                       }
                                     });
                                   }),
                 std::logic_error);
  });
}

TEST(ThreadPool, SingleIndexRunsOnCaller) {
  ThreadPool pool(2);
  std::thread::id ran_on;
  pool.parallel_for(1, [&](size_t) { ran_on = std::this_thread::get_id(); });
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

}  // namespace
}  // namespace quilt
