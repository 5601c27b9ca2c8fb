#include "quilt/package_builder.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "quilt/errors.h"
#include "quilt/hasher.h"
#include "quilt/thread_pool.h"
#include "test_util.h"

namespace quilt {
namespace {

using test::error_of;
using test::contains;

namespace fs = std::filesystem;

std::string chunked(const std::string& bytes) {
  return hash_bytes({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}).value;
}

class PackageBuilderTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  ThreadPool pool_{2};
};

TEST_F(PackageBuilderTest, BuildHashesLocalFiles) {
  std::string a = dir_.write("a.txt", "alpha");
  std::string b = dir_.write("sub/b.bin", std::string(1000, 'b'));
  PackageBuilder builder;
  builder.set("x/a.txt", a).set("b.bin", b, Json::Object{{"k", Json("v")}});
  Package package = builder.build(pool_);
  ASSERT_EQ(package.entries().size(), 2u);
  const ManifestEntry* ea = package.find("x/a.txt");
  ASSERT_NE(ea, nullptr);
  EXPECT_EQ(ea->size, 5u);
  EXPECT_EQ(ea->hash.type, HashType::kSha2256Chunked);
  EXPECT_EQ(ea->hash.value, chunked("alpha"));
  EXPECT_EQ(ea->physical_key.str(), "file://" + a);
  EXPECT_TRUE(ea->meta.is_empty_object());
  const ManifestEntry* eb = package.find("b.bin");
  ASSERT_NE(eb, nullptr);
  EXPECT_EQ(eb->meta.text(), R"({"user_meta": {"k": "v"}})");
  EXPECT_EQ(package.total_size(), 1005u);
}

TEST_F(PackageBuilderTest, MetaKeysInQuilt3Order) {
  std::string a = dir_.write("a", "1");
  // Without user_meta or message: message is written as null.
  EXPECT_EQ(PackageBuilder().set("a", a).build(pool_).meta().manifest_text(),
            R"({"version": "v0", "message": null})");
  // set_message before set_meta still gives version, user_meta, message.
  Package package =
      PackageBuilder().set_message("M").set_meta(Json::Object{{"x", Json(1)}}).build(pool_);
  EXPECT_EQ(package.meta().manifest_text(),
            R"({"version": "v0", "user_meta": {"x": 1}, "message": "M"})");
  // Rebuilding keeps the positions and the message of the base.
  Package again = PackageBuilder(package).set_meta(Json()).build(pool_);
  EXPECT_EQ(again.meta().manifest_text(),
            R"({"version": "v0", "user_meta": null, "message": "M"})");
  Package cleared = PackageBuilder(package).set_message(std::nullopt).build(pool_);
  EXPECT_EQ(cleared.meta().manifest_text(),
            R"({"version": "v0", "user_meta": {"x": 1}, "message": null})");
}

TEST_F(PackageBuilderTest, RelativePathsAndFileUrls) {
  std::string a = dir_.write("d/a.txt", "A");
  std::string cwd = fs::current_path().string();
  ASSERT_EQ(::chdir(dir_.path().c_str()), 0);
  PackageBuilder builder;
  builder.set("rel", "d/../d/./a.txt");
  ASSERT_EQ(::chdir(cwd.c_str()), 0);
  builder.set("url", "file://" + a);
  Package package = builder.build(pool_);
  EXPECT_EQ(package.find("rel")->physical_key.str(), "file://" + a);  // made absolute, normal
  EXPECT_EQ(package.find("url")->physical_key.str(), "file://" + a);
  EXPECT_EQ(package.find("url")->hash, package.find("rel")->hash);
}

TEST_F(PackageBuilderTest, MissingFileIsIoErrorNamingIt) {
  std::string missing = (dir_.path() / "nope.txt").string();
  std::string message = error_of<IoError>([&] { PackageBuilder().set("k", missing); });
  EXPECT_TRUE(contains(message, missing)) << message;
  message = error_of<IoError>([&] { PackageBuilder().set("k", "file://" + missing); });
  EXPECT_TRUE(contains(message, missing)) << message;
}

TEST_F(PackageBuilderTest, DirectoryIsRefusedWithAHint) {
  dir_.write("d/x", "x");
  std::string message =
      error_of<InvalidArgument>([&] { PackageBuilder().set("k", (dir_.path() / "d").string()); });
  EXPECT_TRUE(contains(message, "set_dir")) << message;
}

TEST_F(PackageBuilderTest, RefusesInvalidKeysAndUrls) {
  std::string a = dir_.write("a", "1");
  for (const char* key : {"", "/a", "a/", "a//b", "./a", "a/../b", "a/."}) {
    EXPECT_THROW(PackageBuilder().set(key, a), InvalidArgument) << key;
  }
  EXPECT_THROW(PackageBuilder().set("k", "http://example.com/x"), InvalidArgument);
  EXPECT_THROW(PackageBuilder().set("k", ""), InvalidArgument);
}

TEST_F(PackageBuilderTest, FileAndDirectoryCannotShareAKey) {
  std::string a = dir_.write("a", "1");
  PackageBuilder builder;
  builder.set("a/b", a);
  std::string message = error_of<InvalidArgument>([&] { builder.set("a", a); });
  EXPECT_TRUE(contains(message, "'a'") && contains(message, "'a/b'")) << message;
  builder.set("f", a);
  message = error_of<InvalidArgument>([&] { builder.set("f/g/h", a); });
  EXPECT_TRUE(contains(message, "'f'") && contains(message, "f/g")) << message;
  EXPECT_TRUE(builder.contains("a/b"));
  EXPECT_FALSE(builder.contains("a"));
  EXPECT_FALSE(builder.contains("f/g/h"));
}

TEST_F(PackageBuilderTest, ChangedFileBuildsWithNewBytesVanishedFileFails) {
  std::string a = dir_.write("a", "old");
  PackageBuilder builder;
  builder.set("a", a);
  dir_.write("a", "new bytes");
  const ManifestEntry* entry = nullptr;
  Package package = builder.build(pool_);
  entry = package.find("a");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->hash.value, chunked("new bytes"));
  EXPECT_EQ(entry->size, 9u);
  fs::remove(a);
  std::string message = error_of<IoError>([&] { builder.build(pool_); });
  EXPECT_TRUE(contains(message, a)) << message;
  fs::create_directory(a);  // now a directory where the file was
  message = error_of<IoError>([&] { builder.build(pool_); });
  EXPECT_TRUE(contains(message, a)) << message;
}

TEST_F(PackageBuilderTest, TopHashDoesNotDependOnInsertionOrder) {
  std::vector<std::string> names = {"b/c", "a.txt", "a/b", "z", "a/c/d"};
  std::vector<std::string> paths;
  for (const std::string& n : names)
    paths.push_back(dir_.write("f-" + std::to_string(paths.size()), n));
  PackageBuilder forward;
  PackageBuilder backward;
  for (size_t i = 0; i < names.size(); ++i) forward.set(names[i], paths[i]);
  for (size_t i = names.size(); i-- > 0;) backward.set(names[i], paths[i]);
  Package p1 = forward.build(pool_);
  Package p2 = backward.build(pool_);
  EXPECT_EQ(p1.top_hash(), p2.top_hash());
  EXPECT_EQ(p1.manifest_text(), p2.manifest_text());
  PackageBuilder changed = forward;
  changed.set("z", paths[0]);
  EXPECT_NE(changed.build(pool_).top_hash(), p1.top_hash());
}

TEST_F(PackageBuilderTest, RemoveFileOrDirectory) {
  std::string a = dir_.write("a", "1");
  PackageBuilder builder;
  builder.set("d/x", a).set("d/e/y", a).set("d.txt", a).set("k", a);
  builder.set_dir_meta("d/e", Json::Object{{"m", Json(1)}});
  builder.remove("k");
  EXPECT_FALSE(builder.contains("k"));
  builder.remove("d/");
  EXPECT_EQ(builder.size(), 1u);
  EXPECT_TRUE(builder.contains("d.txt"));  // a sibling that shares the prefix stays
  EXPECT_THROW(builder.remove("d"), NotFound);
  EXPECT_THROW(builder.remove("nothing/here"), NotFound);
  EXPECT_THROW(builder.remove("../x"), InvalidArgument);
  Package package = builder.build(pool_);
  EXPECT_TRUE(package.directories().empty());
}

TEST_F(PackageBuilderTest, EntryAndDirectoryMeta) {
  std::string a = dir_.write("a", "1");
  PackageBuilder builder;
  builder.set("d/x", a, Json::Object{{"old", Json(1)}});
  builder.set_entry_meta("d/x", Json::Object{{"new", Json(2)}});
  builder.set_dir_meta("d/", Json::Object{{"about", Json("d")}});
  EXPECT_THROW(builder.set_entry_meta("missing", Json()), NotFound);
  EXPECT_THROW(builder.set_dir_meta("nodir", Json::object()), NotFound);
  Package package = builder.build(pool_);
  EXPECT_EQ(package.find("d/x")->meta.text(), R"({"user_meta": {"new": 2}})");
  ASSERT_EQ(package.directories().size(), 1u);
  EXPECT_EQ(package.directories()[0].logical_key, "d/");
  EXPECT_NE(package.manifest_text().find(R"({"logical_key": "d/", "meta": {"about": "d"}})"),
            std::string::npos);
  // Directory meta is not part of the top hash.
  EXPECT_EQ(builder.set_dir_meta("d", Json()).build(pool_).top_hash(), package.top_hash());
}

TEST_F(PackageBuilderTest, SetEntryNeedsAHash) {
  ManifestEntry entry;
  entry.logical_key = "k";
  entry.physical_key = PhysicalKey::from_s3("bucket", "k");
  EXPECT_THROW(PackageBuilder().set_entry(entry), InvalidArgument);
  entry.size = 3;
  entry.hash = Hash{HashType::kSha256, std::string(64, 'a')};
  Package package = PackageBuilder().set_entry(entry).build(pool_);  // nothing to hash
  EXPECT_EQ(package.find("k")->hash, entry.hash);
  EXPECT_EQ(package.find("k")->physical_key.str(), "s3://bucket/k");
}

TEST_F(PackageBuilderTest, StartsFromAPackage) {
  std::string a = dir_.write("a", "1");
  Package base = PackageBuilder().set("x", a).set("y/z", a).set_message("first").build(pool_);
  PackageBuilder builder(base);
  EXPECT_EQ(builder.size(), 2u);
  builder.remove("x");
  Package next = builder.build(pool_);
  EXPECT_EQ(next.entries().size(), 1u);
  EXPECT_EQ(next.message(), "first");
  EXPECT_EQ(PackageBuilder(base).build(pool_).top_hash(), base.top_hash());
}

TEST(AbsolutePath, IsLexicallyNormal) {
  EXPECT_EQ(absolute_path("/a/./b/../c/"), "/a/c");
  EXPECT_EQ(absolute_path("/.."), "/");
  EXPECT_EQ(absolute_path("x"), (fs::current_path() / "x").string());
  EXPECT_THROW(absolute_path(""), InvalidArgument);
}

}  // namespace
}  // namespace quilt
