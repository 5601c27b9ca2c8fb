#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "quilt/errors.h"
#include "quilt/hasher.h"
#include "quilt/package_builder.h"
#include "quilt/thread_pool.h"
#include "test_util.h"

namespace quilt {
namespace {

namespace fs = std::filesystem;
using Keys = std::vector<std::string>;

Keys keys(const Package& package) {
  Keys out;
  for (const ManifestEntry& e : package.entries()) out.push_back(e.logical_key);
  return out;
}

class DiffVerifyTest : public ::testing::Test {
 protected:
  Package build(const std::vector<std::pair<std::string, std::string>>& files) {
    PackageBuilder builder;
    for (const auto& [key, bytes] : files) {
      builder.set(key, dir_.write("src/" + std::to_string(counter_++), bytes));
    }
    return builder.build(pool_);
  }

  test::TempDir dir_;
  ThreadPool pool_{2};
  int counter_ = 0;
};

TEST_F(DiffVerifyTest, DiffByKeyHashAndSize) {
  Package old_pkg = build({{"same", "1"}, {"changed", "old"}, {"gone", "x"}, {"a/b", "1"}});
  Package new_pkg =
      build({{"same", "1"}, {"changed", "new"}, {"added", "y"}, {"a.c", "2"}, {"a/b", "1"}});
  PackageDiff diff = old_pkg.diff(new_pkg);
  EXPECT_EQ(diff.added, (Keys{"a.c", "added"}));
  EXPECT_EQ(diff.modified, (Keys{"changed"}));
  EXPECT_EQ(diff.deleted, (Keys{"gone"}));
  EXPECT_FALSE(diff.empty());
  EXPECT_TRUE(old_pkg.diff(old_pkg).empty());
  PackageDiff back = new_pkg.diff(old_pkg);
  EXPECT_EQ(back.added, diff.deleted);
  EXPECT_EQ(back.deleted, diff.added);
}

TEST_F(DiffVerifyTest, FilterKeepsMetaAndLiveDirectories) {
  Package base = build({{"a/x", "1"}, {"b/y", "22"}, {"c", "333"}});
  PackageBuilder builder(base);
  builder.set_meta(Json::Object{{"m", Json(1)}}).set_message("msg");
  builder.set_dir_meta("a", Json::Object{{"d", Json(1)}}).set_dir_meta("b", Json::Object{});
  builder.set_dir_meta("b", Json::Object{{"d", Json(2)}});
  Package package = builder.build(pool_);
  Package kept = package.filter([](const ManifestEntry& e) { return e.size != 1; });
  EXPECT_EQ(keys(kept), (Keys{"b/y", "c"}));
  EXPECT_EQ(kept.meta(), package.meta());
  ASSERT_EQ(kept.directories().size(), 1u);
  EXPECT_EQ(kept.directories()[0].logical_key, "b/");
  EXPECT_EQ(kept.total_size(), 5u);
}

TEST_F(DiffVerifyTest, MapMayRenameAndIsRevalidated) {
  Package base = build({{"a", "1"}, {"b", "2"}, {"c/d", "3"}});
  Package renamed = base.map([](const ManifestEntry& e) {
    ManifestEntry out = e;
    out.logical_key = "z/" + e.logical_key;
    return out;
  });
  EXPECT_EQ(keys(renamed), (Keys{"z/a", "z/b", "z/c/d"}));
  Package reversed = base.map([](const ManifestEntry& e) {
    ManifestEntry out = e;
    out.logical_key = e.logical_key == "a" ? "zz" : e.logical_key;
    return out;
  });
  EXPECT_EQ(keys(reversed), (Keys{"b", "c/d", "zz"}));  // re-sorted into walk order
  auto rename_to = [&](std::string key) {
    return [key](const ManifestEntry& e) {
      ManifestEntry out = e;
      if (e.logical_key == "a") out.logical_key = key;
      return out;
    };
  };
  EXPECT_THROW(base.map(rename_to("b")), InvalidArgument);     // duplicate
  EXPECT_THROW(base.map(rename_to("c")), InvalidArgument);     // a directory already
  EXPECT_THROW(base.map(rename_to("b/x")), InvalidArgument);   // below a file
  EXPECT_THROW(base.map(rename_to("../x")), InvalidArgument);  // invalid key
  EXPECT_THROW(base.map([](const ManifestEntry& e) {
    ManifestEntry out = e;
    out.hash.value.clear();
    return out;
  }),
               InvalidArgument);
}

TEST_F(DiffVerifyTest, VerifyReportsMissingModifiedExtra) {
  fs::create_directories(dir_.path() / "check");
  test::TempDir check;
  check.write("same", "1");
  check.write("sized", "12");
  check.write("hashed", "abd");
  check.write("extra/file", "e");
  Package package = build({{"same", "1"}, {"sized", "1"}, {"hashed", "abc"}, {"missing", "m"}});
  VerifyResult result = package.verify(check.path().string(), pool_);
  EXPECT_EQ(result.missing, (Keys{"missing"}));
  EXPECT_EQ(result.modified, (Keys{"hashed", "sized"}));
  EXPECT_EQ(result.extra, (Keys{"extra/file"}));
  EXPECT_FALSE(result.ok(true));
  fs::remove(check.path() / "missing");
  check.write("missing", "m");
  check.write("sized", "1");
  check.write("hashed", "abc");
  result = package.verify(check.path().string(), pool_);
  EXPECT_TRUE(result.ok(true));
  EXPECT_FALSE(result.ok(false));
  fs::remove_all(check.path() / "extra");
  EXPECT_TRUE(package.verify(check.path().string(), pool_).ok(false));
}

TEST_F(DiffVerifyTest, VerifyUsesEachEntrysHashType) {
  test::TempDir check;
  check.write("legacy", "hello");
  check.write("crc", "123456789");
  auto bytes = [](const std::string& s) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  PackageBuilder builder;
  for (auto [key, type, data] : {std::tuple{"legacy", HashType::kSha256, "hello"},
                                 std::tuple{"crc", HashType::kCrc64Nvme, "123456789"}}) {
    ManifestEntry entry;
    entry.logical_key = key;
    entry.physical_key = PhysicalKey::from_s3("b", key);
    entry.size = std::string(data).size();
    entry.hash = hash_bytes(bytes(data), type);
    builder.set_entry(entry);
  }
  Package package = builder.build(pool_);
  EXPECT_TRUE(package.verify(check.path().string(), pool_).ok(false));
  check.write("crc", "123456780");
  EXPECT_EQ(package.verify(check.path().string(), pool_).modified, (Keys{"crc"}));
}

TEST_F(DiffVerifyTest, VerifyOfAMissingDirectoryIsIoError) {
  Package package = build({{"a", "1"}});
  EXPECT_THROW(package.verify((dir_.path() / "nope").string(), pool_), IoError);
}

}  // namespace
}  // namespace quilt
