#pragma once

// The S3 server the tests run against: a Ceph RADOS Gateway on loopback started by
// scripts/s3-server, which writes its settings to DIR/env. A test finds that file through
// QUILT_TEST_S3_ENV. Without it an S3 test skips, saying how to start a server, unless
// QUILT_REQUIRE_S3=1 (scripts/test sets it), when it fails: CI never skips S3 tests silently.

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "storage/s3/config.h"

namespace quilt::test {

/// The settings of a running S3 test server (the fields of DIR/env).
struct S3TestEnv {
  std::string endpoint;                 // S3_ENDPOINT: "http://127.0.0.1:PORT"
  std::string https_endpoint;           // S3_HTTPS_ENDPOINT: "https://127.0.0.1:TLSPORT" (stunnel)
  std::string ca_file;                  // S3_CA_FILE: PEM of the proxy's self-signed certificate
  std::string access_key_id;            // AWS_ACCESS_KEY_ID: owner of both buckets
  std::string secret_access_key;        // AWS_SECRET_ACCESS_KEY
  std::string region;                   // AWS_DEFAULT_REGION
  std::string bucket;                   // S3_TEST_BUCKET: unversioned
  std::string versioned_bucket;         // S3_TEST_VERSIONED_BUCKET: versioning Enabled
  std::string other_access_key_id;      // S3_OTHER_ACCESS_KEY_ID: a user owning neither bucket
  std::string other_secret_access_key;  // S3_OTHER_SECRET_ACCESS_KEY
  std::string env_file;                 // the file these came from
};

/// Parse an env file written by scripts/s3-server: `NAME=value` lines (an optional `export `
/// before NAME; the value bare, or in single or double quotes without escapes), blank lines and
/// `#` comments. Unknown names are ignored. Throws std::runtime_error naming the file (and the
/// line or the field) when the file cannot be read, a line is malformed or a field is missing.
S3TestEnv parse_s3_test_env(const std::string& path);

/// The server named by QUILT_TEST_S3_ENV, or std::nullopt when that variable is unset or empty.
/// A variable naming a missing or malformed file throws (a broken setup must not look like "no
/// server").
std::optional<S3TestEnv> s3_test_env();

/// True when QUILT_REQUIRE_S3=1: a test that finds no server fails instead of skipping.
bool s3_required();

/// What a test says when it finds no server: how to start one.
std::string s3_missing_message();

/// A key prefix no other test (nor another run of this one) uses:
/// "quilt-tests/<Suite>.<Test>/<pid>-<start time>-<counter>/", with characters other than
/// [A-Za-z0-9._-] in the test name replaced by '_'. Each call returns a new prefix.
std::string unique_key_prefix();

/// An environment for s3::resolve_config() that reaches the server as its owner: keys, region,
/// AWS_ENDPOINT_URL (the HTTPS endpoint and AWS_CA_BUNDLE when `https`), and both AWS files
/// pointed at a path that does not exist, so the developer's ~/.aws plays no part.
s3::Environment s3_client_environment(const S3TestEnv& env, bool https = false);

/// Fixture base for tests against the server: SetUp() skips or fails (see s3_required()) when
/// there is none. A subclass overriding SetUp() calls S3ServerTest::SetUp() first and returns
/// when IsSkipped() || HasFatalFailure().
class S3ServerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  /// The server; valid after a SetUp() that neither skipped nor failed.
  const S3TestEnv& s3_env() const { return *env_; }

 private:
  std::optional<S3TestEnv> env_;
};

}  // namespace quilt::test

/// In a TEST body: declare `const S3TestEnv& name` for the server, or skip the test (fail it
/// under QUILT_REQUIRE_S3=1) when there is none.
#define QUILT_S3_ENV_OR_SKIP(name)                                                            \
  const std::optional<::quilt::test::S3TestEnv> name##_found_ = ::quilt::test::s3_test_env(); \
  if (!name##_found_) {                                                                       \
    if (::quilt::test::s3_required()) FAIL() << ::quilt::test::s3_missing_message();          \
    GTEST_SKIP() << ::quilt::test::s3_missing_message();                                      \
  }                                                                                           \
  const ::quilt::test::S3TestEnv& name = *name##_found_
