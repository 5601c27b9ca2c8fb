// PackageBuilder with entries set from s3:// URLs, against the real S3 server: build() hashes
// them by streaming and pins each to the version it hashed.

#include <gtest/gtest.h>

#include "../registry/s3_registry_fixture.h"
#include "quilt/errors.h"
#include "quilt/hasher.h"
#include "quilt/package_builder.h"
#include "quilt/thread_pool.h"
#include "storage/s3/clients.h"
#include "test_util.h"

namespace quilt::test {
namespace {

// The process-wide clients (what build() uses) reach the test server through the fixture.
class PackageBuilderS3Test : public S3RegistryFixture {
 protected:
  void SetUp() override {
    S3RegistryFixture::SetUp();
    if (env_ == nullptr) return;
    prefix_ += "/";
  }
  void TearDown() override {
    if (client_) s3_delete_prefix(*client_, env_->versioned_bucket, prefix_);
  }
  std::string url(const std::string& name) const {
    return "s3://" + env_->versioned_bucket + "/" + prefix_ + name;
  }
};

TEST_F(PackageBuilderS3Test, BuildHashesObjectsAndPinsTheirVersions) {
  std::string big(9 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + (i >> 12));
  s3::PutResult v1 = client_->put_object(env_->versioned_bucket, prefix_ + "big.bin", bytes_of(big));
  s3::PutResult old = client_->put_object(env_->versioned_bucket, prefix_ + "k", bytes_of("old"));
  s3::PutResult now = client_->put_object(env_->versioned_bucket, prefix_ + "k", bytes_of("new"));
  PackageBuilder builder;
  builder.set("data/big.bin", url("big.bin"));
  builder.set("k-latest", url("k"));
  builder.set("k-old", url("k") + "?versionId=" + *old.version_id);
  Package package = builder.build(pool_);
  const ManifestEntry* entry = package.find("data/big.bin");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->size, big.size());
  EXPECT_EQ(entry->hash, hash_bytes(bytes_of(big)));
  EXPECT_EQ(entry->physical_key.version_id(), v1.version_id);
  EXPECT_EQ(package.find("k-latest")->hash, hash_bytes(bytes_of("new")));
  EXPECT_EQ(package.find("k-latest")->physical_key.version_id(), now.version_id);
  EXPECT_EQ(package.find("k-old")->hash, hash_bytes(bytes_of("old")));
  EXPECT_EQ(package.find("k-old")->physical_key.version_id(), old.version_id);
}

TEST_F(PackageBuilderS3Test, MissingObjectFailsTheBuildNamingIt) {
  PackageBuilder builder;
  builder.set("gone", url("never-written"));
  std::string message = error_of<NotFound>([&] { builder.build(pool_); });
  EXPECT_TRUE(contains(message, url("never-written"))) << message;
}

}  // namespace
}  // namespace quilt::test
