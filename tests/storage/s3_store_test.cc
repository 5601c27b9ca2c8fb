// S3Store keeps the storage contract: the conformance suite the local store passes, run against
// the real S3 server (Ceph RGW on loopback), each test under its own key prefix.

#include <gtest/gtest.h>

#include "s3_fixture.h"
#include "storage/s3/s3_store.h"
#include "store_conformance.h"
#include "test_util.h"

namespace quilt::test {
namespace {

class S3Factory {
 public:
  std::unique_ptr<ObjectStore> make() {
    // Without a server the test is skipped (gtest runs no body after a skip in SetUp).
    const S3TestEnv* env = s3_env_for_test();
    if (env == nullptr) return nullptr;
    client_ = s3_client(*env);
    bucket_ = env->bucket;
    prefix_ = unique_s3_prefix();
    return std::make_unique<s3::S3Store>(client_, bucket_, prefix_);
  }
  ~S3Factory() {
    if (client_) {
      try {
        s3_delete_prefix(*client_, bucket_, prefix_ + "/");
      } catch (...) {
      }
    }
  }

 private:
  std::shared_ptr<s3::Client> client_;
  std::string bucket_;
  std::string prefix_;
};

}  // namespace

using S3Factories = ::testing::Types<S3Factory>;
INSTANTIATE_TYPED_TEST_SUITE_P(S3, StoreConformance, S3Factories);

namespace {

TEST(S3StoreTest, RootUrlAndKeysUnderThePrefix) {
  QUILT_S3_ENV_OR_SKIP(env);
  auto client = s3_client(env);
  std::string prefix = unique_s3_prefix();
  s3::S3Store store(client, env.bucket, prefix + "/");
  EXPECT_EQ(store.root_url(), "s3://" + env.bucket + "/" + prefix);
  store.put("a/b.txt", "bytes");
  EXPECT_EQ(client->get_object_bytes(env.bucket, prefix + "/a/b.txt"), "bytes");
  s3_delete_prefix(*client, env.bucket, prefix + "/");
}

TEST(S3StoreTest, LargeWriteIsAMultipartUploadAndReadsBackInChunks) {
  QUILT_S3_ENV_OR_SKIP(env);
  auto client = s3_client(env);
  std::string prefix = unique_s3_prefix();
  s3::S3Store store(client, env.bucket, prefix);
  // Two full parts and a bit: three parts, and a reader crossing two chunk boundaries.
  std::string bytes(2 * s3::S3Store::kPartSize + 12345, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 2654435761u) >> 13);
  std::unique_ptr<Writer> writer = store.open_write("big.bin");
  for (size_t at = 0; at < bytes.size(); at += 1000003) {
    writer->write(std::string_view(bytes).substr(at, 1000003));
  }
  EXPECT_EQ(store.head("big.bin"), std::nullopt);  // invisible until commit
  ObjectInfo info = writer->commit();
  EXPECT_EQ(info.size, bytes.size());
  // A multipart upload's ETag is "md5-of-part-md5s-PARTS".
  std::optional<s3::ObjectMeta> meta = client->head_object(env.bucket, prefix + "/big.bin");
  ASSERT_TRUE(meta);
  EXPECT_TRUE(meta->etag.ends_with("-3")) << meta->etag;
  EXPECT_EQ(store.get("big.bin"), bytes);
  EXPECT_EQ(store.open_read("big.bin", byte_range(s3::S3Store::kReadChunk - 5, 10))->read_all(),
            bytes.substr(s3::S3Store::kReadChunk - 5, 10));
  s3_delete_prefix(*client, env.bucket, prefix + "/");
}

TEST(S3StoreTest, DroppedMultipartWriterLeavesNoUpload) {
  QUILT_S3_ENV_OR_SKIP(env);
  auto client = s3_client(env);
  std::string prefix = unique_s3_prefix();
  s3::S3Store store(client, env.bucket, prefix);
  {
    std::unique_ptr<Writer> writer = store.open_write("dropped");
    writer->write(std::string(s3::S3Store::kPartSize + 1, 'x'));
  }
  EXPECT_EQ(store.head("dropped"), std::nullopt);
  EXPECT_TRUE(store.list_all("").empty());
}

TEST(S3StoreTest, VersionIdsOnAVersionedBucket) {
  QUILT_S3_ENV_OR_SKIP(env);
  auto client = s3_client(env);
  std::string prefix = unique_s3_prefix();
  s3::S3Store store(client, env.versioned_bucket, prefix);
  ObjectInfo first = store.put("k", "one");
  ObjectInfo second = store.put("k", "two");
  ASSERT_TRUE(first.version_id && second.version_id);
  EXPECT_NE(*first.version_id, *second.version_id);
  EXPECT_EQ(store.head("k")->version_id, second.version_id);
  s3::GetOptions old;
  old.version_id = first.version_id;
  EXPECT_EQ(client->get_object_bytes(env.versioned_bucket, prefix + "/k", old), "one");
  s3_delete_prefix(*client, env.versioned_bucket, prefix + "/");
}

}  // namespace
}  // namespace quilt::test
