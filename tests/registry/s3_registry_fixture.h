#pragma once

// What registry tests against the S3 test server share: the server's settings for this
// process (keys, and the endpoint as AWS_ENDPOINT_URL), a client for checking the bucket
// directly, a key prefix of the test's own, a scratch directory and a pool.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "../storage/s3_fixture.h"
#include "quilt/package_name.h"
#include "quilt/thread_pool.h"
#include "test_util.h"

namespace quilt::test {

class S3RegistryFixture : public ::testing::Test {
 protected:
  // Skips the test (or fails it, under QUILT_REQUIRE_S3=1) without a server; derived SetUp()s
  // call this first and return when env_ is null.
  void SetUp() override {
    env_ = s3_env_for_test();
    if (env_ == nullptr) return;
    settings_ = std::make_unique<S3ProcessSettings>(*env_, env_->endpoint);
    client_ = s3_client(*env_);
    prefix_ = unique_s3_prefix();
  }

  const S3TestEnv* env_ = nullptr;
  std::shared_ptr<s3::Client> client_;
  std::string prefix_;
  TempDir tmp_;
  ThreadPool pool_{2};
  std::unique_ptr<S3ProcessSettings> settings_;
  PackageName name_ = PackageName::parse("team/data");
};

}  // namespace quilt::test
