// Registry push and install of many small files, which go through the S3 transfer engine
// (registry_write.cc push_small, registry_install.cc install_small), against the real server:
// every byte arrives and is verified, progress counts every file, and a file that changed
// since it was hashed fails the push by name without publishing anything.

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <set>

#include "s3_registry_fixture.h"
#include "quilt/errors.h"
#include "quilt/hash.h"
#include "quilt/package_builder.h"
#include "quilt/registry.h"
#include "quilt/thread_pool.h"
#include "test_util.h"

namespace quilt::test {
namespace {

namespace fs = std::filesystem;

class TransferEngineRegistryTest : public S3RegistryFixture {
 protected:
  void SetUp() override {
    S3RegistryFixture::SetUp();
    if (env_ == nullptr) return;
    name_ = PackageName::parse("team/many");
    for (int i = 0; i < kFiles; ++i) {
      tmp_.write("src/d" + std::to_string(i % 9) + "/f" + std::to_string(i) + ".bin", content(i));
    }
    tmp_.write("src/empty.txt", "");
  }
  void TearDown() override {
    if (client_) s3_delete_prefix(*client_, env_->versioned_bucket, prefix_ + "/");
  }
  static std::string content(int i) {
    std::string out(3000 + (i * 37) % 2000, '\0');
    for (size_t j = 0; j < out.size(); ++j) out[j] = static_cast<char>((j * 7 + i * 131) >> 2);
    return out;
  }
  Package make() {
    PackageBuilder builder;
    builder.set_dir("", (tmp_.path() / "src").string());
    return builder.build(pool_);
  }
  std::unique_ptr<Registry> open(const std::string& under = "") {
    return Registry::open("s3://" + env_->versioned_bucket + "/" + prefix_ + under);
  }

  static constexpr int kFiles = 300;
};

TEST_F(TransferEngineRegistryTest, ManySmallFilesPushAndInstallWholeWithProgress) {
  std::unique_ptr<Registry> registry = open();
  Package local = make();
  std::atomic<uint64_t> files{0}, bytes{0};
  PushOptions push;
  push.on_progress = [&](uint64_t f, uint64_t b) {
    files += f;
    bytes += b;
  };
  PushResult pushed = registry->push(name_, local, push, pool_);
  EXPECT_EQ(files.load(), static_cast<uint64_t>(kFiles) + 1);
  EXPECT_EQ(bytes.load(), local.total_size());
  std::set<std::string> versions;
  for (const ManifestEntry& entry : pushed.package.entries()) {
    SCOPED_TRACE(entry.logical_key);
    ASSERT_TRUE(entry.physical_key.is_s3());
    EXPECT_EQ(entry.physical_key.s3_key(), prefix_ + "/team/many/" + entry.logical_key);
    ASSERT_TRUE(entry.physical_key.version_id());
    versions.insert(*entry.physical_key.version_id());
  }
  EXPECT_EQ(versions.size(), static_cast<size_t>(kFiles) + 1);  // each its own object
  // The object carries the entry's hash, so a push run again can skip it.
  const ManifestEntry* seven = pushed.package.find("d7/f7.bin");
  ASSERT_NE(seven, nullptr);
  std::optional<s3::ObjectMeta> meta =
      client_->head_object(env_->versioned_bucket, seven->physical_key.s3_key());
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->meta("quilt-hash"),
            std::string(hash_type_name(seven->hash.type)) + ":" + seven->hash.value);

  InstallOptions options;
  options.dest = (tmp_.path() / "out").string();
  files = 0;
  bytes = 0;
  options.on_progress = [&](uint64_t f, uint64_t b) {
    files += f;
    bytes += b;
  };
  registry->install(name_, "", options, pool_);
  EXPECT_EQ(files.load(), static_cast<uint64_t>(kFiles) + 1);
  EXPECT_EQ(bytes.load(), local.total_size());
  for (int i = 0; i < kFiles; ++i) {
    std::string path =
        options.dest + "/d" + std::to_string(i % 9) + "/f" + std::to_string(i) + ".bin";
    ASSERT_EQ(read_file(path), content(i)) << path;
  }
  EXPECT_EQ(read_file(options.dest + "/empty.txt"), "");
  // Nothing staged is left behind.
  for (const auto& item : fs::directory_iterator(options.dest)) {
    EXPECT_FALSE(item.path().filename().string().starts_with(".quiltcpp-install")) << item.path();
  }
}

TEST_F(TransferEngineRegistryTest, FileChangedSinceItWasHashedFailsThePushByName) {
  std::unique_ptr<Registry> registry = open();
  Package local = make();
  tmp_.write("src/d4/f13.bin", content(13) + "!");
  std::string message =
      error_of<Corrupt>([&] { registry->push(name_, local, PushOptions{}, pool_); });
  EXPECT_TRUE(contains(message, "'d4/f13.bin' does not match its entry")) << message;
  EXPECT_TRUE(registry->list_packages().empty());
  s3::ListObjectsRequest manifests;
  manifests.prefix = prefix_ + "/.quilt/";
  EXPECT_TRUE(client_->list_objects(env_->versioned_bucket, manifests).objects.empty());
  // Same size, other bytes: the hash catches it. (A registry of its own: in the first one the
  // object may already be there whole, and a push run again rightly skips it.)
  std::string same_size = content(21);
  same_size[100] ^= 1;
  tmp_.write("src/d4/f13.bin", content(13));
  tmp_.write("src/d3/f21.bin", same_size);
  std::unique_ptr<Registry> second = open("/second");
  message = error_of<Corrupt>([&] { second->push(name_, local, PushOptions{}, pool_); });
  EXPECT_TRUE(contains(message, "'d3/f21.bin' does not match its hash")) << message;
  EXPECT_TRUE(second->list_packages().empty());
}

}  // namespace
}  // namespace quilt::test
