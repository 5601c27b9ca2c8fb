#pragma once

// S3 clients for tests against the project's real S3 server (Ceph RGW on loopback, started by
// scripts/s3-server; scripts/test starts it and sets QUILT_TEST_S3_ENV).

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>

#include "support/s3_test_server.h"
#include "storage/s3/client.h"
#include "storage/s3/clients.h"
#include "test_util.h"

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

/// `text` as bytes, for the client's body arguments.
inline std::span<const uint8_t> bytes_of(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

/// Points the whole process at the test server for a scope: its keys in the environment (which
/// CLI children inherit too), no AWS profile, and, unless `endpoint` is empty, `endpoint` as
/// the default of every per-bucket client (storage/s3/clients.h). Undone on destruction.
class S3ProcessSettings {
 public:
  S3ProcessSettings(const S3TestEnv& env, const std::string& endpoint)
      : key_("AWS_ACCESS_KEY_ID", env.access_key_id),
        secret_("AWS_SECRET_ACCESS_KEY", env.secret_access_key),
        profile_("AWS_PROFILE", std::nullopt),
        endpoint_env_("AWS_ENDPOINT_URL", std::nullopt) {
    s3::ConfigOverrides overrides;
    if (!endpoint.empty()) overrides.endpoint_url = endpoint;
    s3::set_default_overrides(overrides);
  }
  ~S3ProcessSettings() { s3::set_default_overrides({}); }

 private:
  ScopedEnv key_;
  ScopedEnv secret_;
  ScopedEnv profile_;
  ScopedEnv endpoint_env_;
};

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
