#include "support/s3_test_server.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>

namespace quilt::test {
namespace {

std::string getenv_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

std::string trim(const std::string& s) {
  size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return {};
  size_t end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

// Remove one pair of matching quotes; a value with an unmatched quote is malformed.
bool unquote(std::string& value) {
  if (value.empty()) return true;
  char first = value.front();
  if (first != '\'' && first != '"') return value.find_first_of("'\"") == std::string::npos;
  if (value.size() < 2 || value.back() != first) return false;
  value = value.substr(1, value.size() - 2);
  return value.find(first) == std::string::npos;
}

std::string sanitize(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) c = '_';
  }
  return out;
}

}  // namespace

S3TestEnv parse_s3_test_env(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("S3 test server env file " + path + " cannot be read");
  std::map<std::string, std::string> values;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::string text = trim(line);
    if (text.empty() || text.front() == '#') continue;
    if (text.rfind("export ", 0) == 0) text = trim(text.substr(7));
    size_t eq = text.find('=');
    std::string name = eq == std::string::npos ? std::string() : text.substr(0, eq);
    std::string value = eq == std::string::npos ? std::string() : text.substr(eq + 1);
    bool name_ok = !name.empty() && name.find_first_of(" \t") == std::string::npos;
    if (!name_ok || !unquote(value)) {
      throw std::runtime_error(path + ":" + std::to_string(number) + ": not a NAME=value line");
    }
    values[name] = value;
  }
  auto field = [&](const char* name) {
    auto it = values.find(name);
    if (it == values.end() || it->second.empty()) {
      throw std::runtime_error("S3 test server env file " + path + " has no " + name +
                               " (written by scripts/s3-server start)");
    }
    return it->second;
  };
  S3TestEnv env;
  env.endpoint = field("S3_ENDPOINT");
  env.https_endpoint = field("S3_HTTPS_ENDPOINT");
  env.ca_file = field("S3_CA_FILE");
  env.access_key_id = field("AWS_ACCESS_KEY_ID");
  env.secret_access_key = field("AWS_SECRET_ACCESS_KEY");
  env.region = field("AWS_DEFAULT_REGION");
  env.bucket = field("S3_TEST_BUCKET");
  env.versioned_bucket = field("S3_TEST_VERSIONED_BUCKET");
  env.other_access_key_id = field("S3_OTHER_ACCESS_KEY_ID");
  env.other_secret_access_key = field("S3_OTHER_SECRET_ACCESS_KEY");
  env.env_file = path;
  return env;
}

std::optional<S3TestEnv> s3_test_env() {
  std::string path = getenv_or_empty("QUILT_TEST_S3_ENV");
  if (path.empty()) return std::nullopt;
  return parse_s3_test_env(path);
}

bool s3_required() { return getenv_or_empty("QUILT_REQUIRE_S3") == "1"; }

std::string s3_missing_message() {
  return "no S3 test server (QUILT_TEST_S3_ENV is not set). Start one with "
         "`scripts/s3-server start /tmp/quilt-s3` and run the tests with "
         "QUILT_TEST_S3_ENV=/tmp/quilt-s3/env (scripts/test does both); see docs/testing.md";
}

std::string unique_key_prefix() {
  // Start time as well as pid: a server started by hand outlives test runs, and pids recur.
  static const long long start = std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
  static std::atomic<unsigned> counter{0};
  std::string test = "no-test";
  if (const auto* info = ::testing::UnitTest::GetInstance()->current_test_info()) {
    test = std::string(info->test_suite_name()) + "." + info->name();
  }
  return "quilt-tests/" + sanitize(test) + "/" + std::to_string(::getpid()) + "-" +
         std::to_string(start) + "-" + std::to_string(counter.fetch_add(1)) + "/";
}

s3::Environment s3_client_environment(const S3TestEnv& env, bool https) {
  s3::Environment out{
      {"AWS_ACCESS_KEY_ID", env.access_key_id},
      {"AWS_SECRET_ACCESS_KEY", env.secret_access_key},
      {"AWS_REGION", env.region},
      {"AWS_ENDPOINT_URL", https ? env.https_endpoint : env.endpoint},
      {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/quilt-tests/aws-credentials"},
      {"AWS_CONFIG_FILE", "/nonexistent/quilt-tests/aws-config"},
  };
  if (https) out["AWS_CA_BUNDLE"] = env.ca_file;
  return out;
}

void S3ServerTest::SetUp() {
  env_ = s3_test_env();
  if (env_) return;
  if (s3_required()) FAIL() << s3_missing_message();
  GTEST_SKIP() << s3_missing_message();
}

}  // namespace quilt::test
