#pragma once

// S3 clients for tests against the project's real S3 server (Ceph RGW on loopback, started by
// scripts/s3-server; scripts/test starts it and sets QUILT_TEST_S3_ENV).

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>

#include "support/s3_test_server.h"
#include "storage/s3/client.h"

namespace quilt::test {

/// The test server, parsed once; the calling test is skipped (or, under QUILT_REQUIRE_S3=1,
/// fails fatally, so gtest runs no body after a SetUp that calls this) when there is none.
inline void check_s3_env(const S3TestEnv*& out) {
  static const std::optional<S3TestEnv> env = s3_test_env();
  out = nullptr;
  if (!env) {
    if (s3_required()) GTEST_FAIL() << s3_missing_message();
    GTEST_SKIP() << s3_missing_message();
  }
  out = &*env;
}

/// check_s3_env() as a value: null when the test was skipped or failed.
inline const S3TestEnv* s3_env_for_test() {
  const S3TestEnv* env = nullptr;
  check_s3_env(env);
  return env;
}

/// A key prefix no other test (or earlier run) uses, without the trailing '/'.
inline std::string unique_s3_prefix() {
  std::string prefix = unique_key_prefix();
  if (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return prefix;
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
