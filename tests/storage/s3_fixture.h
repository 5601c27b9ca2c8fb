#pragma once

// S3 clients for tests against the project's real S3 server (Ceph RGW on loopback, started by
// scripts/s3-server; scripts/test starts it and sets QUILT_TEST_S3_ENV).

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <unistd.h>
#include "storage/s3/client.h"

namespace quilt::test {

// TEMPORARY (replaced by tests/support/s3_test_server.h when it lands).
struct S3TestEnv {
  std::string endpoint, https_endpoint, ca_file, access_key_id, secret_access_key, region;
  std::string other_access_key_id, other_secret_access_key, bucket, versioned_bucket;
};
inline const S3TestEnv* s3_test_env_loaded() {
  static std::optional<S3TestEnv> env = []() -> std::optional<S3TestEnv> {
    const char* path = std::getenv("QUILT_TEST_S3_ENV");
    if (!path) return std::nullopt;
    std::ifstream in(path);
    S3TestEnv e;
    std::string line;
    while (std::getline(in, line)) {
      size_t eq = line.find('=');
      if (eq == std::string::npos) continue;
      std::string k = line.substr(0, eq), v = line.substr(eq + 1);
      if (k == "S3_ENDPOINT") e.endpoint = v;
      if (k == "S3_HTTPS_ENDPOINT") e.https_endpoint = v;
      if (k == "S3_CA_FILE") e.ca_file = v;
      if (k == "AWS_ACCESS_KEY_ID") e.access_key_id = v;
      if (k == "AWS_SECRET_ACCESS_KEY") e.secret_access_key = v;
      if (k == "AWS_DEFAULT_REGION") e.region = v;
      if (k == "S3_OTHER_ACCESS_KEY_ID") e.other_access_key_id = v;
      if (k == "S3_OTHER_SECRET_ACCESS_KEY") e.other_secret_access_key = v;
      if (k == "S3_TEST_BUCKET") e.bucket = v;
      if (k == "S3_TEST_VERSIONED_BUCKET") e.versioned_bucket = v;
    }
    return e;
  }();
  return env ? &*env : nullptr;
}
inline void check_s3_env(const S3TestEnv*& out) {
  out = s3_test_env_loaded();
  if (out == nullptr) GTEST_SKIP() << "no S3 test server";
}
inline const S3TestEnv* s3_env_for_test() {
  const S3TestEnv* env = nullptr;
  check_s3_env(env);
  return env;
}
inline std::string unique_s3_prefix() {
  static std::atomic<int> counter{0};
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return std::string(info->test_suite_name()) + "." + info->name() + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

/// The client configuration for the test server's main user, or for its second user.
inline s3::ClientConfig s3_config(const S3TestEnv& env, bool other_user = false) {
  s3::ClientConfig config;
  config.endpoint = env.endpoint;
  config.region = env.region;
  config.addressing = s3::Addressing::kPath;
  config.credentials = other_user ? s3::Credentials{env.other_access_key_id, env.other_secret_access_key, std::nullopt}
                                  : s3::Credentials{env.access_key_id, env.secret_access_key, std::nullopt};
  config.credentials_source = "the test server's env file";
  return config;
}

inline std::shared_ptr<s3::Client> s3_client(const S3TestEnv& env, bool other_user = false) {
  return std::make_shared<s3::Client>(s3_config(env, other_user));
}

/// Delete every object (every version) under `prefix` of `bucket`.
inline void s3_delete_prefix(s3::Client& client, const std::string& bucket,
                             const std::string& prefix) {
  for (;;) {
    s3::ListVersionsRequest request;
    request.prefix = prefix;
    s3::ListVersionsResult page = client.list_object_versions(bucket, request);
    std::vector<s3::ObjectId> ids;
    for (const s3::ObjectVersion& v : page.versions) ids.push_back({v.key, v.version_id});
    if (!ids.empty()) client.delete_objects(bucket, ids);
    if (!page.truncated || ids.empty()) return;
  }
}

}  // namespace quilt::test

/// Skip the test when no S3 test server is configured (a failure under QUILT_REQUIRE_S3=1), else
/// bind `env` to it.
#define QUILT_S3_ENV_OR_SKIP(env)                                          \
  const ::quilt::test::S3TestEnv* env##_ptr = ::quilt::test::s3_env_for_test(); \
  if (env##_ptr == nullptr) return;                                        \
  const ::quilt::test::S3TestEnv& env = *env##_ptr
