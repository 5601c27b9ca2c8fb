#include "support/s3_test_server.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "test_util.h"

// The test support for the S3 server (tests/support/s3_test_server.h): its env-file reader, and,
// when a server is configured, that scripts/s3-server set it up as the tests expect (buckets,
// versioning, the second user, HTTPS and virtual-hosted addressing). The server is reached with
// curl's own SigV4 so that these checks do not depend on our client.

namespace quilt::test {
namespace {

constexpr const char* kFullEnv =
    "# written by scripts/s3-server\n"
    "S3_ENDPOINT=http://127.0.0.1:7480\n"
    "export S3_HTTPS_ENDPOINT=https://127.0.0.1:7482\n"
    "S3_CA_FILE='/tmp/dir with space/tls/cert.pem'\n"
    "\n"
    "AWS_ACCESS_KEY_ID=\"AKIDTEST\"\n"
    "AWS_SECRET_ACCESS_KEY=secret+key/1=\n"
    "AWS_DEFAULT_REGION=us-east-1\n"
    "S3_TEST_BUCKET=quilt-test\n"
    "S3_TEST_VERSIONED_BUCKET=quilt-test-versioned\n"
    "S3_OTHER_ACCESS_KEY_ID=AKIDOTHER\n"
    "S3_OTHER_SECRET_ACCESS_KEY=other-secret\n"
    "SOMETHING_NEW=ignored\n";

TEST(S3TestServerEnv, ParsesEveryField) {
  TempDir dir;
  std::string path = dir.write("env", kFullEnv);
  S3TestEnv env = parse_s3_test_env(path);
  EXPECT_EQ(env.endpoint, "http://127.0.0.1:7480");
  EXPECT_EQ(env.https_endpoint, "https://127.0.0.1:7482");
  EXPECT_EQ(env.ca_file, "/tmp/dir with space/tls/cert.pem");
  EXPECT_EQ(env.access_key_id, "AKIDTEST");
  EXPECT_EQ(env.secret_access_key, "secret+key/1=");
  EXPECT_EQ(env.region, "us-east-1");
  EXPECT_EQ(env.bucket, "quilt-test");
  EXPECT_EQ(env.versioned_bucket, "quilt-test-versioned");
  EXPECT_EQ(env.other_access_key_id, "AKIDOTHER");
  EXPECT_EQ(env.other_secret_access_key, "other-secret");
  EXPECT_EQ(env.env_file, path);
}

TEST(S3TestServerEnv, MissingFieldMalformedLineAndMissingFileAreErrors) {
  TempDir dir;
  std::string text = kFullEnv;
  text.replace(text.find("S3_TEST_BUCKET="), std::string("S3_TEST_BUCKET=").size(), "# ");
  std::string path = dir.write("no-bucket", text);
  std::string message = error_of<std::runtime_error>([&] { parse_s3_test_env(path); });
  EXPECT_TRUE(contains(message, path)) << message;
  EXPECT_TRUE(contains(message, "S3_TEST_BUCKET")) << message;

  path = dir.write("bad-line", std::string(kFullEnv) + "S3_ENDPOINT='unclosed\n");
  message = error_of<std::runtime_error>([&] { parse_s3_test_env(path); });
  EXPECT_TRUE(contains(message, path + ":14")) << message;

  path = (dir.path() / "absent").string();
  message = error_of<std::runtime_error>([&] { parse_s3_test_env(path); });
  EXPECT_TRUE(contains(message, path)) << message;
}

TEST(S3TestServerEnv, UniqueKeyPrefixesNameTheTestAndNeverRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string prefix = unique_key_prefix();
    EXPECT_EQ(
        prefix.rfind("quilt-tests/S3TestServerEnv.UniqueKeyPrefixesNameTheTestAndNeverRepeat/", 0),
        0u)
        << prefix;
    EXPECT_EQ(prefix.back(), '/');
    EXPECT_TRUE(seen.insert(prefix).second) << prefix;
  }
}

TEST(S3TestServerEnv, ClientEnvironmentReachesTheServerAsOwner) {
  TempDir dir;
  S3TestEnv env = parse_s3_test_env(dir.write("env", kFullEnv));
  s3::ClientConfig http = s3::resolve_config({}, s3_client_environment(env));
  EXPECT_EQ(http.endpoint, "http://127.0.0.1:7480");
  EXPECT_EQ(http.addressing, s3::Addressing::kPath);
  ASSERT_TRUE(http.credentials.has_value());
  EXPECT_EQ(http.credentials->access_key_id, "AKIDTEST");
  EXPECT_EQ(http.ca_bundle, "");
  s3::ClientConfig https = s3::resolve_config({}, s3_client_environment(env, true));
  EXPECT_EQ(https.endpoint, "https://127.0.0.1:7482");
  EXPECT_EQ(https.ca_bundle, "/tmp/dir with space/tls/cert.pem");
}

// ---------------------------------------------------------------------------------------------
// Against the running server.

// curl signing with SigV4; returns "<status>\n<body>".
RunResult s3_curl(const S3TestEnv& env, const std::string& key_id, const std::string& secret,
                  const std::string& url, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {"/usr/bin/curl", "-sS", "--max-time", "20", "--aws-sigv4",
                                   "aws:amz:" + env.region + ":s3", "--user", key_id + ":" + secret,
                                   // curl 7.88 does not send the payload hash header RGW requires
                                   "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "-w",
                                   "\n%{http_code}"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(url);
  return run_program(argv);
}

// The HTTP status curl printed last.
std::string status_of(const RunResult& r) { return r.out.substr(r.out.rfind('\n') + 1); }

class S3TestServer : public S3ServerTest {};

TEST_F(S3TestServer, BucketsUsersHttpsAndVirtualHostsAreReady) {
  const S3TestEnv& env = s3_env();
  const std::string& id = env.access_key_id;
  const std::string& secret = env.secret_access_key;
  std::string key = unique_key_prefix() + "probe.txt";

  RunResult put = s3_curl(env, id, secret, env.endpoint + "/" + env.bucket + "/" + key,
                          {"-X", "PUT", "--data-binary", "hello"});
  ASSERT_EQ(status_of(put), "200") << put.out << put.err;

  // Virtual-hosted: BUCKET.localhost (RGW has `rgw dns name = localhost`).
  std::string port = env.endpoint.substr(env.endpoint.rfind(':') + 1);
  RunResult get =
      s3_curl(env, id, secret, "http://" + env.bucket + ".localhost:" + port + "/" + key);
  EXPECT_EQ(status_of(get), "200") << get.out << get.err;
  EXPECT_EQ(get.out.substr(0, 5), "hello");

  // HTTPS through the proxy, trusting only the server's certificate, by IP and by virtual host.
  get = s3_curl(env, id, secret, env.https_endpoint + "/" + env.bucket + "/" + key,
                {"--cacert", env.ca_file});
  EXPECT_EQ(status_of(get), "200") << get.out << get.err;
  std::string tls_port = env.https_endpoint.substr(env.https_endpoint.rfind(':') + 1);
  get = s3_curl(env, id, secret, "https://" + env.bucket + ".localhost:" + tls_port + "/" + key,
                {"--cacert", env.ca_file});
  EXPECT_EQ(status_of(get), "200") << get.out << get.err;
  // Without the CA the certificate is refused (curl exit 60).
  get = s3_curl(env, id, secret, env.https_endpoint + "/" + env.bucket + "/" + key);
  EXPECT_EQ(get.exit_code, 60) << get.err;

  // The other user may not read the bucket.
  get = s3_curl(env, env.other_access_key_id, env.other_secret_access_key,
                env.endpoint + "/" + env.bucket + "/" + key);
  EXPECT_EQ(status_of(get), "403") << get.out;
  EXPECT_TRUE(contains(get.out, "AccessDenied")) << get.out;

  // The versioned bucket has versioning on (curl 7.88 needs `versioning=` to sign it right).
  get = s3_curl(env, id, secret, env.endpoint + "/" + env.versioned_bucket + "?versioning=");
  EXPECT_TRUE(contains(get.out, "<Status>Enabled</Status>")) << get.out;

  RunResult del =
      s3_curl(env, id, secret, env.endpoint + "/" + env.bucket + "/" + key, {"-X", "DELETE"});
  EXPECT_EQ(status_of(del), "204") << del.out;
}

TEST(S3TestServerMacro, DeclaresTheServerOrSkips) {
  QUILT_S3_ENV_OR_SKIP(env);
  EXPECT_EQ(env.endpoint.rfind("http://", 0), 0u) << env.endpoint;
  EXPECT_EQ(env.https_endpoint.rfind("https://", 0), 0u) << env.https_endpoint;
  EXPECT_FALSE(read_file(env.ca_file).empty());
}

}  // namespace
}  // namespace quilt::test
