#include "storage/local_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "quilt/errors.h"
#include "quilt/object_store.h"
#include "storage/file_lock.h"
#include "storage/store_conformance.h"
#include "storage/temp_file.h"
#include "test_util.h"

namespace quilt::test {

/// A LocalStore in a fresh temp dir; its root does not exist until the first write.
struct LocalStoreFactory {
  TempDir dir;
  std::unique_ptr<ObjectStore> make() { return open_store((dir.path() / "store").string()); }
};

using LocalFactories = ::testing::Types<LocalStoreFactory>;
INSTANTIATE_TYPED_TEST_SUITE_P(Local, StoreConformance, LocalFactories);

namespace {

namespace fs = std::filesystem;

std::vector<std::string> files_below(const fs::path& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    out.push_back(fs::relative(e.path(), dir).string() + (e.is_directory() ? "/" : ""));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> keys_of(ObjectStore& store, std::string_view prefix = "") {
  std::vector<std::string> keys;
  for (const ObjectInfo& info : store.list_all(prefix)) keys.push_back(info.key);
  return keys;
}

class LocalStoreTest : public ::testing::Test {
 protected:
  TempDir dir_;
  fs::path root_ = dir_.path() / "root";
  LocalStore store_{root_.string()};
};

TEST_F(LocalStoreTest, KeysAreFilesUnderTheRoot) {
  EXPECT_EQ(store_.path_of("a/b.txt"), (root_ / "a" / "b.txt").string());
  store_.put("a/b.txt", "bytes");
  EXPECT_EQ(read_file((root_ / "a" / "b.txt").string()), "bytes");
  EXPECT_EQ(store_.root_url(), "file://" + root_.string());
  EXPECT_EQ(files_below(root_), (std::vector<std::string>{"a/", "a/b.txt"}));
}

TEST_F(LocalStoreTest, RootIsCreatedOnFirstWriteOnly) {
  EXPECT_EQ(store_.head("x"), std::nullopt);
  EXPECT_TRUE(store_.list("").objects.empty());
  store_.remove("x");
  EXPECT_FALSE(fs::exists(root_));
  store_.put("x", "1");
  EXPECT_TRUE(fs::is_directory(root_));
}

TEST_F(LocalStoreTest, RemovePrunesEmptyDirectoriesUpToTheRoot) {
  store_.put("a/b/c/d", "1");
  store_.put("a/x", "2");
  store_.remove("a/b/c/d");
  EXPECT_EQ(files_below(root_), (std::vector<std::string>{"a/", "a/x"}));
  store_.remove("a/x");
  EXPECT_TRUE(fs::is_directory(root_));
  EXPECT_TRUE(files_below(root_).empty());
}

TEST_F(LocalStoreTest, TempAndLockFilesAreNeverListed) {
  store_.put("pkg/latest", "abc");
  FileLock lock = FileLock::acquire(FileLock::lock_path_for(store_.path_of("pkg/latest")));
  TempFile pending = TempFile::create_beside(store_.path_of("pkg/latest"));
  pending.write_all("half written");
  dir_.write("root/.quiltcpp-tmp-stale/inside", "crashed writer's directory");
  dir_.write("root/only-temp/.quiltcpp-tmp-0123", "stale temp file");
  EXPECT_EQ(keys_of(store_), std::vector<std::string>{"pkg/latest"});
  ListPage top = store_.list("", list_options('/'));
  EXPECT_EQ(top.common_prefixes, std::vector<std::string>{"pkg/"});
}

TEST_F(LocalStoreTest, ReservedNamesAreRefused) {
  EXPECT_THROW(store_.put(".quiltcpp-tmp-1", "x"), InvalidArgument);
  EXPECT_THROW(store_.put("a/.quiltcpp-lock-b", "x"), InvalidArgument);
  EXPECT_THROW(store_.head("a/.quiltcpp-x/b"), InvalidArgument);
  EXPECT_NO_THROW(store_.put(".quilt/packages/x", "hidden names are fine"));
  EXPECT_EQ(keys_of(store_), std::vector<std::string>{".quilt/packages/x"});
}

TEST_F(LocalStoreTest, NulInKeyIsRefused) {
  EXPECT_THROW(store_.put(std::string("a\0b", 3), "x"), InvalidArgument);
}

TEST_F(LocalStoreTest, DirectoryIsNotAnObject) {
  store_.put("d/f", "x");
  EXPECT_EQ(store_.head("d"), std::nullopt);
  EXPECT_THROW(store_.open_read("d"), NotFound);
  EXPECT_THROW(store_.copy("d", "e"), NotFound);
  EXPECT_THROW(store_.put("d/f/g", "x"), IoError);  // f is a file: no directory can go there
}

TEST_F(LocalStoreTest, FifoIsNotAnObjectAndDoesNotBlock) {
  store_.put("f/real", "x");
  ASSERT_EQ(::mkfifo(store_.path_of("f/pipe").c_str(), 0600), 0);
  EXPECT_EQ(store_.head("f/pipe"), std::nullopt);
  EXPECT_THROW(store_.open_read("f/pipe"), NotFound);
  EXPECT_THROW(store_.copy("f/pipe", "g"), NotFound);
  EXPECT_EQ(keys_of(store_), std::vector<std::string>{"f/real"});
}

TEST_F(LocalStoreTest, SymlinkedFilesAreObjectsButLinkedDirectoriesAreNotWalked) {
  store_.put("real/f", "via link");
  fs::create_directories(root_ / "links");
  fs::create_symlink(root_ / "real" / "f", root_ / "links" / "file");
  fs::create_symlink(dir_.path(), root_ / "links" / "outside");
  EXPECT_EQ(keys_of(store_), (std::vector<std::string>{"links/file", "real/f"}));
  EXPECT_EQ(store_.get("links/file"), "via link");
}

TEST_F(LocalStoreTest, CommittedFileIsFsyncedAndHasUmaskMode) {
  mode_t old = ::umask(022);
  store_.put("m", "x");
  ::umask(old);
  struct stat st;
  ASSERT_EQ(::stat(store_.path_of("m").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(LocalStoreTest, WriterCrashBeforeCommitLeavesOldValue) {
  store_.put("k", "old");
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::unique_ptr<Writer> w = store_.open_write("k");
    w->write(std::string(100000, 'n'));
    ::_exit(0);  // no destructor runs: as a crash
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(store_.get("k"), "old");
  EXPECT_EQ(keys_of(store_), std::vector<std::string>{"k"});
}

TEST_F(LocalStoreTest, ManyKeysPaginateInOrder) {
  std::vector<std::string> keys;
  for (int i = 0; i < 40; ++i)
    keys.push_back("k/" + std::to_string(i % 7) + "/" + std::to_string(i));
  for (const std::string& k : keys) store_.put(k, k);
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> paged;
  std::string token;
  do {
    ListOptions options = list_options(0, 3);
    options.page_token = token;
    ListPage page = store_.list("k/", options);
    for (const ObjectInfo& o : page.objects) paged.push_back(o.key);
    token = page.next_token;
  } while (!token.empty());
  EXPECT_EQ(paged, keys);
}

TEST(OpenStore, OpensPathsAndFileUrls) {
  TempDir dir;
  fs::path root = dir.path() / "with space";
  std::unique_ptr<ObjectStore> by_path = open_store(root.string());
  by_path->put("a", "1");
  std::string url = by_path->root_url();
  EXPECT_NE(url.find("with%20space"), std::string::npos) << url;
  std::unique_ptr<ObjectStore> by_url = open_store(url);
  EXPECT_EQ(by_url->get("a"), "1");
  EXPECT_EQ(by_url->root_url(), url);
  std::unique_ptr<ObjectStore> trailing = open_store(root.string() + "/");
  EXPECT_EQ(trailing->root_url(), url);
}

TEST(OpenStore, RelativePathBecomesAbsolute) {
  std::unique_ptr<ObjectStore> store = open_store("relative/dir");
  EXPECT_EQ(store->root_url(), "file://" + (fs::current_path() / "relative" / "dir").string());
}

TEST(OpenStore, RefusesOtherSchemesAndBadS3Urls) {
  EXPECT_THROW(open_store("s3://"), InvalidArgument);
  EXPECT_THROW(open_store("s3://b/prefix"), InvalidArgument);  // bucket name too short
  EXPECT_THROW(open_store("s3://bucket/pre?x=1"), InvalidArgument);
  EXPECT_THROW(open_store("s3://bucket/a//b"), InvalidArgument);
  EXPECT_THROW(open_store("https://example.com/x"), InvalidArgument);
  EXPECT_THROW(open_store("file://host/x"), InvalidArgument);
  EXPECT_THROW(open_store(""), InvalidArgument);
}

}  // namespace
}  // namespace quilt::test
