#include "storage/file_lock.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "quilt/errors.h"
#include "test_util.h"

namespace quilt::test {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// A child process that takes the lock, reports through a pipe, and holds it
// until told to go (or, with `crash`, exits without releasing anything).
class LockHolder {
 public:
  LockHolder(const std::string& path, bool crash = false) {
    int to_child[2];
    int to_parent[2];
    if (::pipe(to_child) != 0 || ::pipe(to_parent) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
      ::close(to_child[1]);
      ::close(to_parent[0]);
      FileLock lock = FileLock::acquire(path);
      char c = 'L';
      if (::write(to_parent[1], &c, 1) != 1) ::_exit(2);
      if (crash) ::_exit(3);
      if (::read(to_child[0], &c, 1) < 0) ::_exit(4);
      lock.release();
      ::_exit(0);
    }
    ::close(to_child[0]);
    ::close(to_parent[1]);
    go_ = to_child[1];
    char c = 0;
    if (::read(to_parent[0], &c, 1) != 1 || c != 'L') throw std::runtime_error("child failed");
    ::close(to_parent[0]);
  }
  ~LockHolder() { finish(); }

  /// Tell the child to release the lock and exit; return its exit code.
  int finish() {
    if (pid_ <= 0) return exit_code_;
    ::close(go_);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = 0;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return exit_code_;
  }

  /// Release the lock from another thread after `delay`.
  std::thread finish_after(milliseconds delay) {
    return std::thread([this, delay] {
      std::this_thread::sleep_for(delay);
      finish();
    });
  }

 private:
  pid_t pid_ = 0;
  int go_ = -1;
  int exit_code_ = -1;
};

class FileLockTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string path_ = (dir_.path() / "locks" / ".quiltcpp-lock-latest").string();
};

TEST_F(FileLockTest, CreatesTheLockFileAndItsDirectory) {
  FileLock lock = FileLock::acquire(path_);
  EXPECT_TRUE(lock.is_held());
  EXPECT_EQ(lock.path(), path_);
  EXPECT_TRUE(fs::is_regular_file(path_));
  lock.release();
  EXPECT_FALSE(lock.is_held());
  EXPECT_TRUE(fs::exists(path_));  // lock files stay
}

TEST_F(FileLockTest, ExcludesOtherThreadsOfThisProcess) {
  FileLock held = FileLock::acquire(path_);
  std::optional<FileLock> other;
  std::thread([&] { other = FileLock::try_acquire(path_); }).join();
  EXPECT_FALSE(other.has_value());
  // Even the same thread: each FileLock is its own open file description.
  EXPECT_FALSE(FileLock::try_acquire(path_).has_value());
  held.release();
  std::thread([&] { other = FileLock::try_acquire(path_); }).join();
  EXPECT_TRUE(other.has_value());
}

TEST_F(FileLockTest, BlocksAThreadUntilReleased) {
  std::optional<FileLock> held = FileLock::acquire(path_);
  std::atomic<bool> got{false};
  auto start = Clock::now();
  std::thread waiter([&] {
    FileLock lock = FileLock::acquire(path_);
    got = true;
  });
  std::this_thread::sleep_for(milliseconds(150));
  EXPECT_FALSE(got.load());
  held.reset();
  waiter.join();
  EXPECT_TRUE(got.load());
  EXPECT_GE(Clock::now() - start, milliseconds(150));
}

TEST_F(FileLockTest, SerializesManyThreads) {
  constexpr int kThreads = 6;
  constexpr int kRounds = 40;
  int inside = 0;  // guarded by the file lock alone
  int total = 0;
  std::atomic<int> overlaps{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      for (int r = 0; r < kRounds; ++r) {
        FileLock lock = FileLock::acquire(path_);
        if (++inside != 1) ++overlaps;
        ++total;
        std::this_thread::yield();
        --inside;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(total, kThreads * kRounds);
}

TEST_F(FileLockTest, ExcludesOtherProcesses) {
  LockHolder child(path_);
  EXPECT_FALSE(FileLock::try_acquire(path_).has_value());
  EXPECT_EQ(child.finish(), 0);
  EXPECT_TRUE(FileLock::try_acquire(path_).has_value());
}

TEST_F(FileLockTest, TimesOutWithConflictNamingThePath) {
  LockHolder child(path_);
  auto start = Clock::now();
  try {
    FileLock::acquire(path_, milliseconds(200));
    FAIL() << "no Conflict";
  } catch (const Conflict& e) {
    EXPECT_NE(std::string(e.what()).find("another process holds the lock on '" + path_ + "'"),
              std::string::npos)
        << e.what();
  }
  auto waited = Clock::now() - start;
  EXPECT_GE(waited, milliseconds(200));
  EXPECT_LT(waited, milliseconds(2000));
  EXPECT_THROW(FileLock::acquire(path_, milliseconds(0)), Conflict);
}

TEST_F(FileLockTest, WaitsForAnotherProcessToRelease) {
  LockHolder child(path_);
  auto start = Clock::now();
  std::thread releaser = child.finish_after(milliseconds(150));
  FileLock lock = FileLock::acquire(path_, milliseconds(5000));
  EXPECT_TRUE(lock.is_held());
  EXPECT_GE(Clock::now() - start, milliseconds(140));
  releaser.join();
}

TEST_F(FileLockTest, BlockingAcquireWaitsForAnotherProcess) {
  LockHolder child(path_);
  std::thread releaser = child.finish_after(milliseconds(100));
  FileLock lock = FileLock::acquire(path_);
  EXPECT_TRUE(lock.is_held());
  releaser.join();
}

TEST_F(FileLockTest, CrashedHolderReleasesTheLock) {
  LockHolder child(path_, /*crash=*/true);
  EXPECT_EQ(child.finish(), 3);
  EXPECT_TRUE(FileLock::try_acquire(path_).has_value());
}

TEST_F(FileLockTest, MoveKeepsTheLock) {
  FileLock a = FileLock::acquire(path_);
  FileLock b = std::move(a);
  EXPECT_FALSE(a.is_held());
  EXPECT_TRUE(b.is_held());
  EXPECT_FALSE(FileLock::try_acquire(path_).has_value());
}

TEST_F(FileLockTest, UnopenableLockFileIsAnIoError) {
  dir_.write("file", "x");
  EXPECT_THROW(FileLock::acquire((dir_.path() / "file" / "lock").string()), IoError);
}

TEST(FileLockPath, IsHiddenBesideTheGuardedFile) {
  EXPECT_EQ(FileLock::lock_path_for("/r/.quilt/named_packages/u/p/latest"),
            "/r/.quilt/named_packages/u/p/.quiltcpp-lock-latest");
  EXPECT_EQ(FileLock::lock_path_for("latest"), ".quiltcpp-lock-latest");
}

}  // namespace
}  // namespace quilt::test
