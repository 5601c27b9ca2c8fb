#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "package/dir_walker.h"
#include "quilt/errors.h"
#include "quilt/hasher.h"
#include "quilt/package_builder.h"
#include "quilt/thread_pool.h"
#include "test_util.h"

namespace quilt {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> keys(const Package& package) {
  std::vector<std::string> out;
  for (const ManifestEntry& e : package.entries()) out.push_back(e.logical_key);
  return out;
}

class SetDirTest : public ::testing::Test {
 protected:
  Package build_dir(std::string_view prefix = "", const SetDirOptions& options = {}) {
    return PackageBuilder().set_dir(prefix, root(), options).build(pool_);
  }
  std::string root() const { return dir_.path().string(); }

  test::TempDir dir_;
  ThreadPool pool_{2};
};

TEST_F(SetDirTest, TakesEveryFileHiddenToo) {
  dir_.write("a.txt", "a");
  dir_.write(".hidden", "h");
  dir_.write("sub/.git/config", "c");
  dir_.write("sub/deep/x.bin", "x");
  fs::create_directories(dir_.path() / "empty");
  Package package = build_dir();
  EXPECT_EQ(keys(package),
            (std::vector<std::string>{".hidden", "a.txt", "sub/.git/config", "sub/deep/x.bin"}));
  const ManifestEntry* x = package.find("sub/deep/x.bin");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->physical_key.str(), "file://" + root() + "/sub/deep/x.bin");
  EXPECT_EQ(x->size, 1u);
  EXPECT_EQ(package.meta().manifest_text(),
            R"({"version": "v0", "user_meta": null, "message": null})");
}

TEST_F(SetDirTest, PrefixPutsFilesBelowAKey) {
  dir_.write("f", "1");
  dir_.write("g/h", "2");
  EXPECT_EQ(keys(build_dir("data/raw")), (std::vector<std::string>{"data/raw/f", "data/raw/g/h"}));
  EXPECT_EQ(keys(build_dir("/data/")), (std::vector<std::string>{"data/f", "data/g/h"}));
  EXPECT_EQ(keys(build_dir(".")), (std::vector<std::string>{"f", "g/h"}));
  EXPECT_THROW(build_dir("a/../b"), InvalidArgument);
}

TEST_F(SetDirTest, RootMetaIsUserMetaDirectoryMetaBelow) {
  dir_.write("f", "1");
  SetDirOptions with_meta{.meta = Json::Object{{"k", Json("v")}},
                          .update_policy = UpdatePolicy::kIncoming};
  Package root_pkg = build_dir("", with_meta);
  EXPECT_EQ(root_pkg.user_meta(), Json(Json::Object{{"k", Json("v")}}));
  Package sub = build_dir("d", with_meta);
  EXPECT_TRUE(sub.user_meta().is_null());
  EXPECT_EQ(sub.meta().find("user_meta"), nullptr);  // only a root set_dir sets it
  ASSERT_EQ(sub.directories().size(), 1u);
  EXPECT_EQ(sub.directories()[0].logical_key, "d/");
  EXPECT_EQ(sub.directories()[0].meta, Json(Json::Object{{"k", Json("v")}}));
  // set_dir again without meta clears the directory's meta, as quilt3 does.
  PackageBuilder builder;
  builder.set_dir("d", root(), with_meta).set_dir("d", root());
  EXPECT_TRUE(builder.build(pool_).directories().empty());
}

TEST_F(SetDirTest, UpdatePolicies) {
  test::TempDir other_dir;
  std::string other = other_dir.write("f", "old");
  dir_.write("f", "new");
  dir_.write("g", "g");
  PackageBuilder base;
  base.set("f", other);
  PackageBuilder incoming = base;
  incoming.set_dir("", root(), {.meta = std::nullopt, .update_policy = UpdatePolicy::kIncoming});
  PackageBuilder existing = base;
  existing.set_dir("", root(), {.meta = std::nullopt, .update_policy = UpdatePolicy::kExisting});
  Package in = incoming.build(pool_);
  Package ex = existing.build(pool_);
  EXPECT_EQ(in.find("f")->size, 3u);
  EXPECT_EQ(in.find("f")->physical_key.str(), "file://" + root() + "/f");
  EXPECT_EQ(ex.find("f")->physical_key.str(), "file://" + other);
  EXPECT_NE(ex.find("g"), nullptr);
}

TEST_F(SetDirTest, ConflictWithAFileChangesNothing) {
  std::string file = dir_.write("src/a/b", "1");
  PackageBuilder builder;
  builder.set("a", file);
  try {
    builder.set_dir("", (dir_.path() / "src").string());
    FAIL() << "no conflict reported";
  } catch (const InvalidArgument& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("'a'"), std::string::npos) << message;
    EXPECT_NE(message.find("a/b"), std::string::npos) << message;
  }
  EXPECT_EQ(builder.size(), 1u);
  EXPECT_THROW(builder.set_dir("a", (dir_.path() / "src").string()), InvalidArgument);
  EXPECT_EQ(builder.size(), 1u);
}

TEST_F(SetDirTest, SymlinksToFilesFollowedToDirectoriesNot) {
  std::string target = dir_.write("real/data.csv", "1,2");
  fs::create_directory(dir_.path() / "pkg");
  fs::create_symlink(target, dir_.path() / "pkg" / "link.csv");
  fs::create_directory_symlink(dir_.path() / "real", dir_.path() / "pkg" / "dirlink");
  fs::create_symlink(dir_.path() / "pkg" / "gone", dir_.path() / "pkg" / "dangling");
  fs::create_symlink("loop", dir_.path() / "pkg" / "loop");
  fs::create_directory_symlink("..", dir_.path() / "pkg" / "up");  // a cycle if followed
  Package package = PackageBuilder().set_dir("", (dir_.path() / "pkg").string()).build(pool_);
  EXPECT_EQ(keys(package), (std::vector<std::string>{"link.csv"}));
  // The physical key is the real path of the link's target, as quilt3's
  // PhysicalKey.from_path (os.path.realpath) gives it.
  EXPECT_EQ(package.find("link.csv")->physical_key.str(), "file://" + target);
  EXPECT_EQ(package.find("link.csv")->size, 3u);
}

TEST_F(SetDirTest, DirectoryGivenThroughALinkIsResolved) {
  dir_.write("real/f", "1");
  fs::create_directory_symlink(dir_.path() / "real", dir_.path() / "alias");
  Package package = PackageBuilder().set_dir("", (dir_.path() / "alias").string()).build(pool_);
  EXPECT_EQ(package.find("f")->physical_key.str(), "file://" + root() + "/real/f");
}

TEST_F(SetDirTest, RefusesNamesThatAreNotUtf8) {
  dir_.write("ok.txt", "1");
  dir_.write("bad-\xFF-name.txt", "2");
  try {
    build_dir();
    FAIL() << "accepted a name that is not UTF-8";
  } catch (const InvalidArgument& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("bad-\\xff-name.txt"), std::string::npos) << message;
    EXPECT_NE(message.find(root()), std::string::npos) << message;
  }
  // An ignored file may have any name.
  dir_.write(".quiltignore", "bad-*\n");
  EXPECT_EQ(keys(build_dir()), (std::vector<std::string>{".quiltignore", "ok.txt"}));
}

TEST_F(SetDirTest, QuiltignoreRules) {
  dir_.write(".quiltignore",
             "# comment\n"
             "\n"
             "*.log\n"
             "build/\n"
             "a/*.tmp\n"
             "/top-only\n");
  for (const char* file :
       {"keep.txt", "x.log", "logs/deep/y.log", "build/out.o", "src/build/o", "build.txt",
        "a/z.tmp", "a/b/z.tmp", "b/z.tmp", "top-only", "sub/top-only", "# comment"}) {
    dir_.write(file, file);
  }
  EXPECT_EQ(keys(build_dir()), (std::vector<std::string>{"# comment", ".quiltignore", "b/z.tmp",
                                                         "build.txt", "keep.txt", "sub/top-only"}));
}

TEST_F(SetDirTest, QuiltignoreBelowTheRootIsAnOrdinaryFile) {
  dir_.write("sub/.quiltignore", "*\n");
  dir_.write("sub/f", "1");
  EXPECT_EQ(keys(build_dir()), (std::vector<std::string>{"sub/.quiltignore", "sub/f"}));
}

TEST_F(SetDirTest, MissingOrFileDirectoryIsRefused) {
  std::string file = dir_.write("f", "1");
  EXPECT_THROW(PackageBuilder().set_dir("", file), InvalidArgument);
  std::string missing = root() + "/missing";
  try {
    PackageBuilder().set_dir("", missing);
    FAIL() << "accepted a missing directory";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
  }
  EXPECT_THROW(PackageBuilder().set_dir("", "s3://bucket/prefix/"), InvalidArgument);
}

TEST_F(SetDirTest, UnreadableSubdirectoryIsAnError) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads every directory";
  dir_.write("locked/f", "1");
  fs::permissions(dir_.path() / "locked", fs::perms::none);
  EXPECT_THROW(build_dir(), IoError);
}

TEST_F(SetDirTest, WalkerReportsRawNamesWhenAllowed) {
  dir_.write("n\xFF", "1");
  auto files = detail::walk_directory(root(), {.ignore = nullptr, .allow_non_utf8 = true});
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].relative, "n\xFF");
  EXPECT_EQ(files[0].path, root() + "/n\xFF");
}

}  // namespace
}  // namespace quilt
