#include "quilt/hasher.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "quilt/errors.h"
#include "quilt/thread_pool.h"

namespace quilt {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr HashType kAllTypes[] = {HashType::kSha2256Chunked, HashType::kSha256,
                                  HashType::kCrc64Nvme};

std::vector<uint8_t> random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> out(n);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v = rng();
    std::memcpy(out.data() + i, &v, 8);
  }
  for (; i < n; ++i) out[i] = static_cast<uint8_t>(rng());
  return out;
}

// Feed `data` to `hasher` in random pieces: empty ones, single bytes, and
// pieces bigger than a part.
void feed_in_pieces(StreamHasher& hasher, std::span<const uint8_t> data, uint64_t seed) {
  std::mt19937_64 rng(seed);
  size_t at = 0;
  while (at < data.size()) {
    size_t piece;
    switch (rng() % 4) {
      case 0:
        piece = rng() % 3;
        break;
      case 1:
        piece = rng() % 5000;
        break;
      case 2:
        piece = rng() % (2 * kMiB);
        break;
      default:
        piece = rng() % (10 * kMiB);
        break;
    }
    piece = std::min(piece, data.size() - at);
    hasher.update(data.subspan(at, piece));
    at += piece;
  }
}

// "prefix" followed by n. (Not `"prefix" + std::to_string(n)`: GCC 12 warns
// about that with a false -Wrestrict.)
std::string numbered(std::string prefix, uint64_t n) {
  prefix += std::to_string(n);
  return prefix;
}

template <typename Fn>
void run_with_deadline(Fn fn, int seconds = 120) {
  auto done = std::async(std::launch::async, fn);
  if (done.wait_for(std::chrono::seconds(seconds)) != std::future_status::ready) {
    std::fprintf(stderr, "deadlock: still running after %d s\n", seconds);
    std::abort();
  }
  done.get();
}

TEST(StreamHasher, RandomPiecesEqualHashBytes) {
  ThreadPool pool(2);
  std::vector<uint8_t> data = random_bytes(2 * 8 * kMiB + 12345, 1);
  for (HashType type : kAllTypes) {
    Hash expected = hash_bytes(data, type);
    for (bool with_pool : {false, true}) {
      for (bool sized : {false, true}) {
        StreamHasher hasher(type, sized ? std::optional<uint64_t>(data.size()) : std::nullopt,
                            with_pool ? &pool : nullptr);
        feed_in_pieces(hasher, data, 7 + with_pool + 2 * sized);
        EXPECT_EQ(hasher.size(), data.size());
        EXPECT_EQ(hasher.finish(), expected)
            << hash_type_name(type) << " pool=" << with_pool << " sized=" << sized;
      }
    }
  }
}

TEST(StreamHasher, SmallAndEmptyStreams) {
  ThreadPool pool(2);
  for (size_t n : {0u, 1u, 100u}) {
    std::vector<uint8_t> data = random_bytes(n, n);
    for (HashType type : kAllTypes) {
      StreamHasher hasher(type, n, &pool);
      hasher.update(data);
      EXPECT_EQ(hasher.finish(), hash_bytes(data, type)) << hash_type_name(type) << " n=" << n;
    }
  }
  StreamHasher empty(HashType::kSha2256Chunked);
  EXPECT_EQ(empty.finish().value, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

TEST(StreamHasher, ExactPartBoundaries) {
  ThreadPool pool(2);
  for (uint64_t n : {8 * kMiB - 1, 8 * kMiB, 8 * kMiB + 1, 16 * kMiB}) {
    std::vector<uint8_t> data = random_bytes(n, n);
    StreamHasher hasher(HashType::kSha2256Chunked, std::nullopt, &pool);
    hasher.update(data);
    EXPECT_EQ(hasher.finish(), hash_bytes(data)) << "n=" << n;
  }
}

TEST(StreamHasher, LargeUpdatesHashWholePartsInPlace) {
  ThreadPool pool(2);
  std::vector<uint8_t> data = random_bytes(5 * 8 * kMiB + 5, 21);
  std::span<const uint8_t> all(data);
  Hash expected = hash_bytes(data);
  for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
    for (size_t head : {size_t{0}, size_t{1}, size_t{8 * kMiB}}) {
      // `head` bytes first, then one update with several whole parts (aligned
      // to a part when head is 0 or 8 MiB, not when it is 1), then the rest.
      StreamHasher hasher(HashType::kSha2256Chunked, data.size(), p);
      hasher.update(all.first(head));
      hasher.update(all.subspan(head, 3 * 8 * kMiB + 3));
      hasher.update(all.subspan(head + 3 * 8 * kMiB + 3));
      EXPECT_EQ(hasher.finish(), expected) << "pool=" << (p != nullptr) << " head=" << head;
    }
  }
}

TEST(StreamHasher, ExpectedSizeMismatchThrows) {
  ThreadPool pool(2);
  std::vector<uint8_t> data = random_bytes(9 * kMiB, 2);
  for (HashType type : kAllTypes) {
    StreamHasher fewer(type, data.size() + 1, &pool);
    fewer.update(data);
    EXPECT_THROW(fewer.finish(), InvalidArgument) << hash_type_name(type);
    StreamHasher more(type, data.size() - 1, &pool);
    more.update(data);
    try {
      more.finish();
      ADD_FAILURE() << "no error for " << hash_type_name(type);
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(std::to_string(data.size())), std::string::npos)
          << e.what();
    }
  }
}

TEST(StreamHasher, UnknownSizeUsesEightMiBParts) {
  // Below 80 GiB the part size does not depend on the total, so a stream of
  // unknown size hashes as the same bytes of known size do.
  std::vector<uint8_t> data = random_bytes(3 * 8 * kMiB + 5, 3);
  ThreadPool pool(2);
  StreamHasher hasher(HashType::kSha2256Chunked, std::nullopt, &pool);
  feed_in_pieces(hasher, data, 4);
  EXPECT_EQ(hasher.finish(), hash_bytes(data, HashType::kSha2256Chunked, &pool));
}

TEST(StreamHasher, FinishTwiceAndUpdateAfterFinishThrow) {
  StreamHasher hasher(HashType::kSha256);
  hasher.update(std::string_view("abc"));
  EXPECT_EQ(hasher.finish().value,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_THROW(hasher.finish(), Error);
  EXPECT_THROW(hasher.update(std::string_view("d")), Error);
}

TEST(StreamHasher, MovedHasherKeepsItsState) {
  ThreadPool pool(2);
  std::vector<uint8_t> data = random_bytes(10 * kMiB, 5);
  StreamHasher first(HashType::kSha2256Chunked, data.size(), &pool);
  first.update(std::span<const uint8_t>(data).first(9 * kMiB));
  StreamHasher second = std::move(first);
  second.update(std::span<const uint8_t>(data).subspan(9 * kMiB));
  EXPECT_EQ(second.finish(), hash_bytes(data));
}

TEST(StreamHasher, AbandonedWithPartsInFlightIsSafe) {
  ThreadPool pool(2);
  std::vector<uint8_t> data = random_bytes(40 * kMiB, 6);
  for (int i = 0; i < 3; ++i) {
    StreamHasher hasher(HashType::kSha2256Chunked, std::nullopt, &pool);
    hasher.update(data);
  }  // destroyed without finish(); queued parts must not touch freed memory
  pool.parallel_for(4, [](size_t) {});
}

TEST(StreamHasher, FedFromInsidePoolTasksDoesNotDeadlock) {
  ThreadPool pool(2);
  std::vector<uint8_t> data = random_bytes(48 * kMiB, 7);
  Hash expected = hash_bytes(data);
  run_with_deadline([&] {
    std::vector<Hash> results(6);
    pool.parallel_for(results.size(), [&](size_t i) {
      StreamHasher hasher(HashType::kSha2256Chunked, std::nullopt, &pool);
      feed_in_pieces(hasher, data, i);
      results[i] = hasher.finish();
    });
    for (const Hash& h : results) EXPECT_EQ(h, expected);
  });
}

class HashFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "quilt_hasher_test_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::permissions(dir_, fs::perms::owner_all, ignored);
    fs::remove_all(dir_, ignored);
  }

  std::string write_file(const std::string& name, std::span<const uint8_t> bytes) {
    std::string path = (dir_ / name).string();
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    EXPECT_TRUE(out.good()) << path;
    return path;
  }

  fs::path dir_;
  ThreadPool pool_{2};
};

TEST_F(HashFileTest, SizesAroundPartBoundaries) {
  // With one worker a thread hashes up to 4 parts together, the short last
  // part among them; with two, groups are smaller.
  ThreadPool one(1);
  for (uint64_t n : {uint64_t{0}, uint64_t{1}, 8 * kMiB - 1, 8 * kMiB, 8 * kMiB + 1, 17 * kMiB,
                     4 * 8 * kMiB + 100}) {
    std::vector<uint8_t> data = random_bytes(n, n + 11);
    std::string path = write_file(numbered("f", n), data);
    for (HashType type : kAllTypes) {
      Hash expected = hash_bytes(data, type);
      FileHash result = hash_file(path, type, pool_);
      EXPECT_EQ(result.path, path);
      EXPECT_EQ(result.size, n);
      EXPECT_EQ(result.hash, expected) << hash_type_name(type) << " n=" << n;
      EXPECT_EQ(hash_file(path, type, one).hash, expected) << hash_type_name(type) << " n=" << n;
    }
  }
}

TEST_F(HashFileTest, MatchesQuilt3VectorOnDisk) {
  std::vector<uint8_t> data(8 * kMiB + 1);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i % 251);
  std::string path = write_file("pattern", data);
  EXPECT_EQ(hash_file(path, HashType::kSha2256Chunked, pool_).hash.value,
            "OmHzEEK1X/fcxCt/TNolpgxlag/1Ex0mKs05HJHI8vk=");
}

TEST_F(HashFileTest, ManyMixedFilesMatchSequentialResults) {
  std::mt19937_64 rng(99);
  std::vector<std::string> paths;
  for (int i = 0; i < 60; ++i) {
    size_t n = i % 20 == 7 ? 9 * kMiB + rng() % (12 * kMiB) : rng() % (300 << 10);
    paths.push_back(write_file(numbered("m", i), random_bytes(n, 1000 + i)));
  }
  for (HashType type : kAllTypes) {
    std::vector<FileHash> together = hash_files(paths, type, pool_);
    ASSERT_EQ(together.size(), paths.size());
    ThreadPool one(1);
    for (size_t i = 0; i < paths.size(); ++i) {
      FileHash alone = hash_file(paths[i], type, one);
      EXPECT_EQ(together[i].path, paths[i]);
      EXPECT_EQ(together[i].size, alone.size);
      EXPECT_EQ(together[i].hash, alone.hash) << paths[i];
    }
  }
  EXPECT_TRUE(hash_files({}, HashType::kSha2256Chunked, pool_).empty());
}

TEST_F(HashFileTest, MissingFileNamesThePath) {
  std::string path = (dir_ / "no such file").string();
  try {
    hash_file(path, HashType::kSha2256Chunked, pool_);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_EQ(e.error_number(), ENOENT);
  }
}

TEST_F(HashFileTest, DirectoryIsAnIoError) {
  try {
    hash_file(dir_.string(), HashType::kSha2256Chunked, pool_);
    FAIL() << "no error";
  } catch (const IoError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find(dir_.string()), std::string::npos) << message;
    EXPECT_NE(message.find("s a directory"), std::string::npos) << message;
    EXPECT_EQ(e.error_number(), EISDIR);
  }
}

// Return 0 when hash_file refuses `path` with an IoError naming it and EACCES.
int expect_permission_denied(const std::string& path) {
  try {
    ThreadPool pool(1);
    hash_file(path, HashType::kSha2256Chunked, pool);
  } catch (const IoError& e) {
    bool named = std::string(e.what()).find(path) != std::string::npos;
    return named && e.error_number() == EACCES ? 0 : 1;
  } catch (...) {
    return 2;
  }
  return 3;
}

TEST_F(HashFileTest, UnreadableFileIsAnIoError) {
  std::string path = write_file("secret", random_bytes(100, 1));
  ASSERT_EQ(::chmod(path.c_str(), 0), 0);
  if (::geteuid() != 0) {
    EXPECT_EQ(expect_permission_denied(path), 0);
    return;
  }
  // Root reads anything: check as the unprivileged user in a child process.
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(77);
    ::_exit(expect_permission_denied(path));
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) {
    GTEST_SKIP() << "running as root without the right to drop to uid 65534; "
                 << "the permission case is not checked here";
  }
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: wrong error, 2: not IoError, 3: no error";
}

TEST_F(HashFileTest, HashFilesRethrowsFirstFailureInPathOrder) {
  std::vector<std::string> paths;
  for (int i = 0; i < 8; ++i) {
    paths.push_back(write_file(numbered("ok", i), random_bytes(1000 * i, i)));
  }
  std::string first_missing = (dir_ / "missing-a").string();
  paths.insert(paths.begin() + 3, first_missing);
  paths.push_back(dir_.string());  // a directory, later in the list
  try {
    hash_files(paths, HashType::kSha2256Chunked, pool_);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(first_missing), std::string::npos) << e.what();
  }
}

TEST_F(HashFileTest, FifoIsReadToTheEnd) {
  std::string path = (dir_ / "fifo").string();
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  std::vector<uint8_t> data = random_bytes(3 * kMiB + 7, 12);
  std::thread writer([&] {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    size_t at = 0;
    while (at < data.size()) {
      ssize_t n = ::write(fd, data.data() + at, data.size() - at);
      if (n <= 0) break;
      at += static_cast<size_t>(n);
    }
    ::close(fd);
  });
  FileHash result = hash_file(path, HashType::kSha2256Chunked, pool_);
  writer.join();
  EXPECT_EQ(result.size, data.size());
  EXPECT_EQ(result.hash, hash_bytes(data));
}

}  // namespace
}  // namespace quilt
