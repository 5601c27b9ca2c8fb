#include "storage/temp_file.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "quilt/errors.h"
#include "test_util.h"

namespace quilt::test {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

class TempFileTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::string dest_ = (dir_.path() / "dest").string();
};

TEST_F(TempFileTest, CommitReplacesTheDestination) {
  dir_.write("dest", "old contents, longer");
  TempFile tmp = TempFile::create_beside(dest_);
  EXPECT_EQ(fs::path(tmp.path()).parent_path(), dir_.path());
  EXPECT_TRUE(fs::path(tmp.path()).filename().string().starts_with(".quiltcpp-tmp-"));
  tmp.write_all("new");
  EXPECT_EQ(read_file(dest_), "old contents, longer");
  tmp.commit(dest_);
  EXPECT_TRUE(tmp.is_committed());
  EXPECT_EQ(read_file(dest_), "new");
  EXPECT_EQ(names_in(dir_.path()), std::vector<std::string>{"dest"});
}

TEST_F(TempFileTest, DestructorUnlinksWhenNeverCommitted) {
  {
    TempFile tmp = TempFile::create_beside(dest_);
    tmp.write_all("discarded");
    EXPECT_TRUE(fs::exists(tmp.path()));
  }
  EXPECT_TRUE(names_in(dir_.path()).empty());
  EXPECT_FALSE(fs::exists(dest_));
}

TEST_F(TempFileTest, MoveTransfersTheFile) {
  TempFile a = TempFile::create_beside(dest_);
  std::string path = a.path();
  TempFile b = std::move(a);
  EXPECT_EQ(b.path(), path);
  EXPECT_TRUE(a.path().empty());
  TempFile c = TempFile::create_beside(dest_);
  std::string c_path = c.path();
  c = std::move(b);  // c's own file is discarded
  EXPECT_FALSE(fs::exists(c_path));
  c.write_all("moved");
  c.commit(dest_);
  EXPECT_EQ(read_file(dest_), "moved");
}

TEST_F(TempFileTest, CreatesMissingParentDirectories) {
  std::string deep = (dir_.path() / "a" / "b" / "c" / "file").string();
  TempFile tmp = TempFile::create_beside(deep);
  tmp.write_all("deep");
  tmp.commit(deep);
  EXPECT_EQ(read_file(deep), "deep");
}

TEST_F(TempFileTest, CreateInThenCommitIntoAnotherDirectory) {
  std::string elsewhere = (dir_.path() / "x" / "y" / "obj").string();
  TempFile tmp = TempFile::create_in((dir_.path() / "staging").string());
  tmp.write_all("staged");
  tmp.commit(elsewhere);
  EXPECT_EQ(read_file(elsewhere), "staged");
  EXPECT_TRUE(names_in(dir_.path() / "staging").empty());
}

TEST_F(TempFileTest, CrashBeforeCommitLeavesTheDestinationUntouched) {
  dir_.write("dest", "committed before");
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    TempFile tmp = TempFile::create_beside(dest_);
    tmp.write_all(std::string(1 << 20, 'x'));
    ::_exit(7);  // as a crash: no destructor, no commit
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 7);
  EXPECT_EQ(read_file(dest_), "committed before");
  // The crashed writer leaves only a hidden temp file.
  for (const std::string& name : names_in(dir_.path())) {
    EXPECT_TRUE(name == "dest" || name.starts_with(".quiltcpp-tmp-")) << name;
  }
}

TEST_F(TempFileTest, CommitIfAbsentCreates) {
  TempFile tmp = TempFile::create_beside(dest_);
  tmp.write_all("first");
  tmp.commit_if_absent(dest_);
  EXPECT_EQ(read_file(dest_), "first");
  EXPECT_EQ(names_in(dir_.path()), std::vector<std::string>{"dest"});
}

TEST_F(TempFileTest, CommitIfAbsentConflictsWhenPresent) {
  dir_.write("dest", "present");
  {
    TempFile tmp = TempFile::create_beside(dest_);
    tmp.write_all("second");
    try {
      tmp.commit_if_absent(dest_);
      FAIL() << "no Conflict";
    } catch (const Conflict& e) {
      EXPECT_NE(std::string(e.what()).find(dest_), std::string::npos) << e.what();
    }
    EXPECT_FALSE(tmp.is_committed());
  }
  EXPECT_EQ(read_file(dest_), "present");
  EXPECT_EQ(names_in(dir_.path()), std::vector<std::string>{"dest"});
}

TEST_F(TempFileTest, ConcurrentCommitIfAbsentHasOneWinner) {
  constexpr int kThreads = 8;
  std::atomic<int> wins{0};
  std::atomic<int> conflicts{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      TempFile tmp = TempFile::create_beside(dest_);
      tmp.write_all(std::to_string(i));
      try {
        tmp.commit_if_absent(dest_);
        ++wins;
      } catch (const Conflict&) {
        ++conflicts;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
  EXPECT_EQ(names_in(dir_.path()), std::vector<std::string>{"dest"});
}

TEST_F(TempFileTest, CommitTwiceOrWriteAfterCommitThrows) {
  TempFile tmp = TempFile::create_beside(dest_);
  tmp.commit(dest_);
  EXPECT_THROW(tmp.commit(dest_), Error);
  EXPECT_THROW(tmp.write_all("late"), Error);
  EXPECT_TRUE(fs::exists(dest_));
}

TEST_F(TempFileTest, FailuresNameThePath) {
  dir_.write("file", "a file, not a directory");
  std::string under_file = (dir_.path() / "file" / "sub" / "dest").string();
  try {
    TempFile::create_beside(under_file);
    FAIL() << "no throw";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find((dir_.path() / "file").string()), std::string::npos)
        << e.what();
    EXPECT_NE(e.error_number(), 0);
  }
  fs::create_directory(dir_.path() / "dir");
  TempFile tmp = TempFile::create_beside(dest_);
  std::string onto_dir = (dir_.path() / "dir").string();
  EXPECT_THROW(tmp.commit(onto_dir), IoError);
}

TEST(CreateDirectories, RacingCreatorsAllSucceed) {
  TempDir dir;
  std::string deep = (dir.path() / "a" / "b" / "c" / "d").string();
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      try {
        create_directories(deep);
      } catch (...) {
        ++errors;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_TRUE(fs::is_directory(deep));
}

TEST(ParentDirectory, SplitsPaths) {
  EXPECT_EQ(parent_directory("/a/b"), "/a");
  EXPECT_EQ(parent_directory("/a"), "/");
  EXPECT_EQ(parent_directory("a"), ".");
  EXPECT_EQ(parent_directory("a/b/c"), "a/b");
}

}  // namespace
}  // namespace quilt::test
