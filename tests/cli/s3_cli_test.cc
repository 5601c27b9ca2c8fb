// `quiltcpp hash s3://...` against the real S3 server: the value equals the hash of the same
// bytes on disk, for both hash types and for an older version.

#include <gtest/gtest.h>

#include "../storage/s3_fixture.h"
#include "quilt/hasher.h"
#include "test_util.h"

namespace quilt::test {
namespace {

// The CLI reaches the server with the keys in the environment and the endpoint as a flag.
class S3CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = s3_env_for_test();
    if (env_ == nullptr) return;
    client_ = s3_client(*env_);
    prefix_ = unique_s3_prefix() + "/";
    settings_ = std::make_unique<S3ProcessSettings>(*env_, "");
    vars_.push_back(std::make_unique<ScopedEnv>("QUILTCPP_CONFIG", (dir_.path() / "config.yml").string()));
    vars_.push_back(std::make_unique<ScopedEnv>("QUILT_MINIMIZE_STDOUT", "true"));
  }
  void TearDown() override {
    if (client_) {
      for (const std::string& bucket : {env_->bucket, env_->versioned_bucket}) {
        try {
          s3_delete_prefix(*client_, bucket, prefix_);
        } catch (...) {
        }
      }
    }
  }
  std::string url(const std::string& bucket, const std::string& name) const {
    return "s3://" + bucket + "/" + prefix_ + name;
  }

  const S3TestEnv* env_ = nullptr;
  std::shared_ptr<s3::Client> client_;
  std::string prefix_;
  TempDir dir_;
  std::unique_ptr<S3ProcessSettings> settings_;
  std::vector<std::unique_ptr<ScopedEnv>> vars_;
};

TEST_F(S3CliTest, HashOfAnObjectEqualsHashOfTheSameLocalBytes) {
  // Three chunked-hash parts of 8 MiB and a bit.
  std::string body(17 << 20, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>((i * 40503u) >> 7);
  client_->put_object(env_->bucket, prefix_ + "data file.bin", bytes_of(body));
  std::string local = dir_.write("data.bin", body);
  for (const char* type : {"sha2-256-chunked", "SHA256"}) {
    SCOPED_TRACE(type);
    RunResult expected = run_cli({"hash", "--type", type, local});
    ASSERT_EQ(expected.exit_code, 0) << expected.err;
    RunResult got = run_cli({"hash", "--type", type, "--endpoint-url", env_->endpoint,
                             url(env_->bucket, "data%20file.bin")});
    ASSERT_EQ(got.exit_code, 0) << got.err;
    EXPECT_EQ(got.out, expected.out);
  }
  RunResult json = run_cli({"hash", "--json", "--endpoint-url", env_->endpoint,
                            url(env_->bucket, "data%20file.bin")});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_TRUE(contains(json.out, "\"size\": " + std::to_string(body.size()))) << json.out;
}

TEST_F(S3CliTest, HashOfAnOlderVersion) {
  s3::PutResult v1 = client_->put_object(env_->versioned_bucket, prefix_ + "k", bytes_of("first"));
  client_->put_object(env_->versioned_bucket, prefix_ + "k", bytes_of("second"));
  ASSERT_TRUE(v1.version_id);
  std::string local = dir_.write("first", "first");
  RunResult expected = run_cli({"hash", local});
  RunResult got = run_cli({"hash", "--endpoint-url", env_->endpoint,
                           url(env_->versioned_bucket, "k") + "?versionId=" + *v1.version_id});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, expected.out);
}

TEST_F(S3CliTest, EndpointFromThePerBucketConfig) {
  client_->put_object(env_->bucket, prefix_ + "c", bytes_of("configured"));
  dir_.write("config.yml", "s3:\n  buckets:\n    " + env_->bucket + ":\n      endpoint_url: " +
                               env_->endpoint + "\n");
  RunResult expected = run_cli({"hash", dir_.write("c", "configured")});
  RunResult got = run_cli({"hash", url(env_->bucket, "c")});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, expected.out);
}

TEST_F(S3CliTest, MissingObjectAndWrongKeysExitWithTheirCodes) {
  RunResult missing = run_cli({"hash", "--endpoint-url", env_->endpoint, url(env_->bucket, "nope")});
  EXPECT_EQ(missing.exit_code, 3) << missing.err;
  EXPECT_TRUE(contains(missing.err, url(env_->bucket, "nope"))) << missing.err;
  ScopedEnv wrong("AWS_SECRET_ACCESS_KEY", "not-the-secret-at-all");
  RunResult denied = run_cli({"hash", "--endpoint-url", env_->endpoint, url(env_->bucket, "nope")});
  EXPECT_EQ(denied.exit_code, 7) << denied.err;
  EXPECT_TRUE(contains(denied.err, env_->access_key_id)) << denied.err;
  EXPECT_FALSE(contains(denied.err, "not-the-secret-at-all")) << denied.err;
  RunResult bad = run_cli({"hash", "--endpoint-url", "ftp://x", url(env_->bucket, "nope")});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

}  // namespace
}  // namespace quilt::test
