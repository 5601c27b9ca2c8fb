#include "quilt/registry.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "quilt/errors.h"
#include "quilt/package_builder.h"
#include "quilt/thread_pool.h"
#include "test_util.h"

namespace quilt {
namespace {

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_.write("src/a.txt", "alpha");
    tmp_.write("src/d/b.txt", "beta");
    registry_ = Registry::open((tmp_.path() / "reg").string());
  }

  Package make(const std::string& message) {
    PackageBuilder builder;
    builder.set_dir("", (tmp_.path() / "src").string());
    builder.set_message(message);
    return builder.build(pool_);
  }

  test::TempDir tmp_;
  ThreadPool pool_{2};
  std::unique_ptr<Registry> registry_;
  PackageName name_ = PackageName::parse("me/pkg");
};

TEST_F(RegistryTest, ParentCheckConflictsUnlessForced) {
  PushOptions first;
  first.parent = "";
  Package v1 = make("one");
  registry_->push(name_, v1, first, pool_);
  // A second writer that started before v1 existed.
  PushOptions stale;
  stale.parent = "";
  Package v2 = make("two");
  try {
    registry_->push(name_, v2, stale, pool_);
    FAIL() << "a stale parent must conflict";
  } catch (const Conflict& e) {
    EXPECT_NE(std::string(e.what()).find(v1.top_hash()), std::string::npos) << e.what();
  }
  EXPECT_EQ(registry_->latest(name_), v1.top_hash());
  stale.force = true;
  registry_->push(name_, v2, stale, pool_);
  EXPECT_EQ(registry_->latest(name_), v2.top_hash());
  PushOptions on_top;
  on_top.parent = v2.top_hash();
  EXPECT_NO_THROW(registry_->push(name_, make("three"), on_top, pool_));
}

TEST_F(RegistryTest, PushPointsEntriesIntoTheRegistry) {
  PushResult result = registry_->push(name_, make("m"), PushOptions{}, pool_);
  std::string root = (tmp_.path() / "reg").string();
  EXPECT_EQ(result.package.find("d/b.txt")->physical_key.local_path(), root + "/me/pkg/d/b.txt");
  Package browsed = registry_->browse(name_);
  EXPECT_EQ(browsed.top_hash(), result.package.top_hash());
  EXPECT_EQ(browsed.find("a.txt")->physical_key.local_path(), root + "/me/pkg/a.txt");
  // Pushing what was browsed copies nothing and conflicts with nothing.
  PushOptions again;
  again.parent = browsed.top_hash();
  EXPECT_NO_THROW(registry_->push(name_, browsed, again, pool_));
}

TEST_F(RegistryTest, VersionsPrefixesDeleteAndRollback) {
  PushOptions build;
  build.copy_data = false;
  Package v1 = make("one");
  Package v2 = make("two");
  registry_->push(name_, v1, build, pool_);
  registry_->push(name_, v2, build, pool_);
  std::vector<PackageVersion> versions = registry_->list_versions(name_);
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0].top_hash, v1.top_hash());
  EXPECT_LT(versions[0].timestamp, versions[1].timestamp);  // same second: the next one
  EXPECT_EQ(registry_->resolve(name_, v1.top_hash().substr(0, 6)), v1.top_hash());
  EXPECT_EQ(registry_->resolve_prefix("ffffffffff").status, ResolvedHash::Status::kNone);
  EXPECT_THROW(registry_->resolve(name_, "abc"), InvalidArgument);
  registry_->rollback(name_, v1.top_hash());
  EXPECT_EQ(registry_->latest(name_), v1.top_hash());
  registry_->delete_version(name_, v1.top_hash());
  EXPECT_EQ(registry_->latest(name_), v2.top_hash());
  EXPECT_EQ(registry_->list_versions(name_).size(), 1u);
  EXPECT_EQ(registry_->list_packages(), std::vector<std::string>{"me/pkg"});
  registry_->delete_package(name_);
  EXPECT_THROW(registry_->latest(name_), NotFound);
  EXPECT_THROW(registry_->list_versions(name_), NotFound);
  EXPECT_TRUE(registry_->list_packages().empty());
}

TEST_F(RegistryTest, ManifestThatDoesNotHashToItsNameIsCorrupt) {
  PushOptions build;
  build.copy_data = false;
  Package v1 = make("one");
  registry_->push(name_, v1, build, pool_);
  std::string path = (tmp_.path() / "reg/.quilt/packages" / v1.top_hash()).string();
  std::string text = test::read_file(path);
  text.replace(text.find("one"), 3, "two");
  tmp_.write("reg/.quilt/packages/" + v1.top_hash(), text);
  EXPECT_THROW(registry_->browse(name_), Corrupt);
}

TEST_F(RegistryTest, DefaultRegistryFollowsQuilt3ConfigAndEnvironment) {
  std::string home = (tmp_.path() / "xdg").string();
  ::setenv("XDG_DATA_HOME", home.c_str(), 1);
  ::unsetenv("QUILTCPP_REGISTRY");
  EXPECT_EQ(default_local_registry(), home + "/Quilt/packages");
  tmp_.write("xdg/Quilt/config.yml", "default_local_registry: file:///srv/quilt%20reg\nnavigator_url: null\n");
  EXPECT_EQ(default_local_registry(), "/srv/quilt reg");
  EXPECT_EQ(default_registry(), "/srv/quilt reg");
  ::setenv("QUILTCPP_REGISTRY", "/elsewhere", 1);
  EXPECT_EQ(default_registry(), "/elsewhere");
  tmp_.write("xdg/Quilt/config.yml", "[not: a mapping");
  EXPECT_THROW(default_local_registry(), Corrupt);
  ::unsetenv("QUILTCPP_REGISTRY");
  ::unsetenv("XDG_DATA_HOME");
}

TEST_F(RegistryTest, OtherSchemesAndBadS3UrlsAreRefused) {
  EXPECT_THROW(Registry::open("https://example.com/registry"), InvalidArgument);
  EXPECT_THROW(Registry::open("s3://"), InvalidArgument);
  EXPECT_THROW(Registry::open("s3://Bad_Bucket!/x"), InvalidArgument);
}

}  // namespace
}  // namespace quilt
