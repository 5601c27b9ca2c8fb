#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "quilt/errors.h"
#include "storage/s3/config.h"
#include "test_util.h"

// Every rule of resolve_config() against real files in a temporary directory and an explicit
// environment map; the process environment plays no part (except in the one test of
// process_environment()).

namespace quilt::test {
namespace {

using s3::Addressing;
using s3::ClientConfig;
using s3::ConfigOverrides;
using s3::Environment;
using s3::resolve_config;

constexpr const char* kSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr const char* kOtherSecret = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY";

class S3ConfigTest : public ::testing::Test {
 protected:
  // Paths of the two files (not created until written) and an environment naming them.
  std::string credentials_path() const { return (dir_.path() / "credentials").string(); }
  std::string config_path() const { return (dir_.path() / "config").string(); }
  void write_credentials(const std::string& text) const { dir_.write("credentials", text); }
  void write_config(const std::string& text) const { dir_.write("config", text); }
  Environment env(Environment extra = {}) const {
    extra.emplace("AWS_SHARED_CREDENTIALS_FILE", credentials_path());
    extra.emplace("AWS_CONFIG_FILE", config_path());
    return extra;
  }

  TempDir dir_;
};

// One override set, the others unset (designated initializers would trip
// -Wmissing-field-initializers).
ConfigOverrides with_profile(const std::string& v) {
  ConfigOverrides o;
  o.profile = v;
  return o;
}
ConfigOverrides with_endpoint(const std::string& v) {
  ConfigOverrides o;
  o.endpoint_url = v;
  return o;
}
ConfigOverrides with_region(const std::string& v) {
  ConfigOverrides o;
  o.region = v;
  return o;
}
ConfigOverrides with_addressing(Addressing v) {
  ConfigOverrides o;
  o.addressing = v;
  return o;
}
ConfigOverrides with_anonymous(bool v) {
  ConfigOverrides o;
  o.anonymous = v;
  return o;
}

// The message of the InvalidArgument that resolving throws.
std::string config_error(const ConfigOverrides& overrides, const Environment& environment) {
  return error_of<InvalidArgument>([&] { resolve_config(overrides, environment); });
}

// ---------------------------------------------------------------------------------------------
// Defaults and files.

TEST_F(S3ConfigTest, NothingConfiguredMeansAwsAnonymousUsEast1) {
  ClientConfig c = resolve_config({}, env());
  EXPECT_EQ(c.endpoint, "");
  EXPECT_EQ(c.region, "us-east-1");
  EXPECT_EQ(c.addressing, Addressing::kVirtual);
  EXPECT_FALSE(c.credentials.has_value());
  EXPECT_EQ(c.ca_bundle, "");
  EXPECT_TRUE(contains(c.credentials_source, "anonymous")) << c.credentials_source;
  EXPECT_TRUE(contains(c.credentials_source, credentials_path())) << c.credentials_source;
  EXPECT_TRUE(contains(c.credentials_source, config_path() + " (absent)")) << c.credentials_source;
}

TEST_F(S3ConfigTest, FilesDefaultToHomeDotAws) {
  dir_.write(".aws/credentials",
             "[default]\naws_access_key_id = AKIDHOME\n"
             "aws_secret_access_key = " +
                 std::string(kSecret) + "\n");
  dir_.write(".aws/config", "[default]\nregion = eu-west-1\n");
  ClientConfig c = resolve_config({}, {{"HOME", dir_.path().string()}});
  ASSERT_TRUE(c.credentials.has_value());
  EXPECT_EQ(c.credentials->access_key_id, "AKIDHOME");
  EXPECT_EQ(c.region, "eu-west-1");
  EXPECT_EQ(c.credentials_source, (dir_.path() / ".aws/credentials").string() + " [default]");
}

TEST_F(S3ConfigTest, FileVariablesWinOverHomeAndExpandTilde) {
  dir_.write(".aws/credentials",
             "[default]\naws_access_key_id = AKIDHOME\n"
             "aws_secret_access_key = " +
                 std::string(kSecret) + "\n");
  dir_.write("elsewhere/creds",
             "[default]\naws_access_key_id = AKIDELSEWHERE\n"
             "aws_secret_access_key = " +
                 std::string(kSecret) + "\n");
  ClientConfig c = resolve_config(
      {}, {{"HOME", dir_.path().string()}, {"AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere/creds"}});
  ASSERT_TRUE(c.credentials.has_value());
  EXPECT_EQ(c.credentials->access_key_id, "AKIDELSEWHERE");
}

TEST_F(S3ConfigTest, MissingFilesAndNoHomeAreNotErrors) {
  ClientConfig c = resolve_config({}, {});
  EXPECT_FALSE(c.credentials.has_value());
  EXPECT_TRUE(contains(c.credentials_source, "HOME")) << c.credentials_source;
  c = resolve_config({}, env());  // both named files absent
  EXPECT_FALSE(c.credentials.has_value());
}

TEST_F(S3ConfigTest, AFileThatIsADirectoryIsAnIoError) {
  std::filesystem::create_directories(config_path());
  std::string message = error_of<IoError>([&] { resolve_config({}, env()); });
  EXPECT_TRUE(contains(message, config_path())) << message;
}

// ---------------------------------------------------------------------------------------------
// Credentials.

TEST_F(S3ConfigTest, EnvironmentKeysWinOverBothFiles) {
  write_credentials("[default]\naws_access_key_id = AKIDCREDFILE\naws_secret_access_key = x\n");
  write_config("[default]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = y\n");
  ClientConfig c = resolve_config({}, env({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                                           {"AWS_SECRET_ACCESS_KEY", kSecret},
                                           {"AWS_SESSION_TOKEN", "token-from-env"}}));
  ASSERT_TRUE(c.credentials.has_value());
  EXPECT_EQ(c.credentials->access_key_id, "AKIDENV");
  EXPECT_EQ(c.credentials->secret_access_key, kSecret);
  EXPECT_EQ(c.credentials->session_token, "token-from-env");
  EXPECT_EQ(c.credentials_source, "environment");
}

TEST_F(S3ConfigTest, EnvironmentKeysWithoutTokenHaveNone) {
  ClientConfig c = resolve_config(
      {}, env({{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", kSecret}}));
  ASSERT_TRUE(c.credentials.has_value());
  EXPECT_FALSE(c.credentials->session_token.has_value());
}

TEST_F(S3ConfigTest, CredentialsFileWinsOverConfigFile) {
  write_credentials("[default]\naws_access_key_id = AKIDCREDFILE\naws_secret_access_key = " +
                    std::string(kSecret) + "\n");
  write_config("[default]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = " +
               std::string(kOtherSecret) + "\n");
  ClientConfig c = resolve_config({}, env());
  ASSERT_TRUE(c.credentials.has_value());
  EXPECT_EQ(c.credentials->access_key_id, "AKIDCREDFILE");
  EXPECT_EQ(c.credentials->secret_access_key, kSecret);
  EXPECT_EQ(c.credentials_source, credentials_path() + " [default]");
}

TEST_F(S3ConfigTest, ConfigFileKeysWhenCredentialsFileHasNone) {
  write_credentials("[default]\nregion = us-west-2\n");
  write_config("[profile dev]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = " +
               std::string(kSecret) + "\n");
  ClientConfig c = resolve_config(with_profile("dev"), env());
  ASSERT_TRUE(c.credentials.has_value());
  EXPECT_EQ(c.credentials->access_key_id, "AKIDCONFIG");
  EXPECT_EQ(c.credentials_source, config_path() + " [profile dev]");
}

TEST_F(S3ConfigTest, SessionTokenFromTheProfile) {
  write_credentials("[temp]\naws_access_key_id = ASIATEMP\naws_secret_access_key = " +
                    std::string(kSecret) + "\naws_session_token = FwoGZXIvYXdzEJr//token==\n");
  ClientConfig c = resolve_config({}, env({{"AWS_PROFILE", "temp"}}));
  ASSERT_TRUE(c.credentials.has_value());
  EXPECT_EQ(c.credentials->access_key_id, "ASIATEMP");
  EXPECT_EQ(c.credentials->session_token, "FwoGZXIvYXdzEJr//token==");
}

TEST_F(S3ConfigTest, OneEnvironmentKeyWithoutTheOtherIsAnError) {
  std::string message = config_error({}, env({{"AWS_ACCESS_KEY_ID", "AKIDLONELY"}}));
  EXPECT_TRUE(contains(message, "AWS_SECRET_ACCESS_KEY")) << message;
  EXPECT_TRUE(contains(message, "AKIDLONELY")) << message;
  EXPECT_TRUE(contains(message, "environment")) << message;

  message = config_error({}, env({{"AWS_SECRET_ACCESS_KEY", kSecret}}));
  EXPECT_TRUE(contains(message, "AWS_ACCESS_KEY_ID")) << message;
  EXPECT_FALSE(contains(message, kSecret)) << message;
}

TEST_F(S3ConfigTest, OneProfileKeyWithoutTheOtherNamesFileAndProfile) {
  write_credentials("[dev]\naws_access_key_id = AKIDHALF\n");
  std::string message = config_error(with_profile("dev"), env());
  EXPECT_TRUE(contains(message, credentials_path() + " [dev]")) << message;
  EXPECT_TRUE(contains(message, "aws_secret_access_key")) << message;

  write_credentials("[dev]\naws_secret_access_key = " + std::string(kSecret) + "\n");
  message = config_error(with_profile("dev"), env());
  EXPECT_TRUE(contains(message, credentials_path() + " [dev]")) << message;
  EXPECT_TRUE(contains(message, "aws_access_key_id")) << message;
  EXPECT_FALSE(contains(message, kSecret)) << message;

  write_credentials("");
  write_config("[profile dev]\naws_access_key_id = AKIDHALF\n");
  message = config_error(with_profile("dev"), env());
  EXPECT_TRUE(contains(message, config_path() + " [profile dev]")) << message;
}

TEST_F(S3ConfigTest, UnsupportedCredentialSourcesAreNamed) {
  write_config(
      "[profile sso]\nsso_start_url = https://example.awsapps.com/start\n"
      "[profile proc]\ncredential_process = /usr/bin/get-creds\n");
  std::string message = config_error(with_profile("sso"), env());
  EXPECT_TRUE(contains(message, "sso_start_url")) << message;
  EXPECT_TRUE(contains(message, config_path() + " [profile sso]")) << message;
  message = config_error(with_profile("proc"), env());
  EXPECT_TRUE(contains(message, "credential_process")) << message;
  // Keys in the environment make the profile's other ways moot.
  ClientConfig c =
      resolve_config(with_profile("proc"),
                     env({{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", kSecret}}));
  EXPECT_EQ(c.credentials_source, "environment");
}

TEST_F(S3ConfigTest, AnonymousWinsOverEveryKey) {
  write_credentials("[default]\naws_access_key_id = AKIDCREDFILE\naws_secret_access_key = x\n");
  Environment keys = env({{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", kSecret}});

  ClientConfig c = resolve_config(with_anonymous(true), keys);
  EXPECT_FALSE(c.credentials.has_value());
  EXPECT_EQ(c.credentials_source, "anonymous (--no-sign-request)");

  Environment no_sign = keys;
  no_sign["AWS_NO_SIGN_REQUEST"] = "TRUE";
  c = resolve_config({}, no_sign);
  EXPECT_FALSE(c.credentials.has_value());
  EXPECT_EQ(c.credentials_source, "anonymous (AWS_NO_SIGN_REQUEST)");

  // An explicit "sign" beats the variable.
  c = resolve_config(with_anonymous(false), no_sign);
  ASSERT_TRUE(c.credentials.has_value());
  EXPECT_EQ(c.credentials->access_key_id, "AKIDENV");

  no_sign["AWS_NO_SIGN_REQUEST"] = "false";
  c = resolve_config({}, no_sign);
  EXPECT_TRUE(c.credentials.has_value());

  no_sign["AWS_NO_SIGN_REQUEST"] = "maybe";
  std::string message = config_error({}, no_sign);
  EXPECT_TRUE(contains(message, "AWS_NO_SIGN_REQUEST")) << message;
}

// ---------------------------------------------------------------------------------------------
// Profiles.

TEST_F(S3ConfigTest, ProfileSectionNamesDifferBetweenTheFiles) {
  // Credentials file: [NAME]. "[profile dev]" there is a profile called "profile dev".
  write_credentials(
      "[profile dev]\naws_access_key_id = AKIDWRONG1\naws_secret_access_key = x\n"
      "[dev]\naws_access_key_id = AKIDRIGHT1\naws_secret_access_key = x\n");
  // Config file: [profile NAME]. A plain [dev] there is not a profile at all.
  write_config("[dev]\nregion = ap-south-1\n[profile dev]\nregion = eu-central-1\n");
  ClientConfig c = resolve_config(with_profile("dev"), env());
  ASSERT_TRUE(c.credentials.has_value());
  EXPECT_EQ(c.credentials->access_key_id, "AKIDRIGHT1");
  EXPECT_EQ(c.region, "eu-central-1");

  // Only the wrong-style sections: the profile is in neither file.
  write_credentials("[profile dev]\naws_access_key_id = AKIDWRONG1\naws_secret_access_key = x\n");
  write_config("[dev]\nregion = ap-south-1\n");
  std::string message = config_error(with_profile("dev"), env());
  EXPECT_TRUE(contains(message, "'dev'")) << message;

  // "[profile dev]" in the credentials file is reachable by its literal name.
  c = resolve_config(with_profile("profile dev"), env());
  ASSERT_TRUE(c.credentials.has_value());
  EXPECT_EQ(c.credentials->access_key_id, "AKIDWRONG1");
}

TEST_F(S3ConfigTest, DefaultProfileIsDefaultInBothFiles) {
  write_config("[default]\nregion = sa-east-1\n");
  EXPECT_EQ(resolve_config({}, env()).region, "sa-east-1");
  write_config("[profile default]\nregion = ca-central-1\n");
  EXPECT_EQ(resolve_config({}, env()).region, "ca-central-1");
}

TEST_F(S3ConfigTest, ProfilePrecedence) {
  write_config(
      "[profile a]\nregion = us-west-1\n[profile b]\nregion = us-west-2\n"
      "[profile c]\nregion = eu-west-3\n[default]\nregion = eu-north-1\n");
  Environment e = env({{"AWS_PROFILE", "b"}, {"AWS_DEFAULT_PROFILE", "c"}});
  EXPECT_EQ(resolve_config(with_profile("a"), e).region, "us-west-1");
  EXPECT_EQ(resolve_config({}, e).region, "us-west-2");
  e.erase("AWS_PROFILE");
  EXPECT_EQ(resolve_config({}, e).region, "eu-west-3");
  e.erase("AWS_DEFAULT_PROFILE");
  EXPECT_EQ(resolve_config({}, e).region, "eu-north-1");
  e["AWS_PROFILE"] = "";  // empty counts as unset
  EXPECT_EQ(resolve_config({}, e).region, "eu-north-1");
}

TEST_F(S3ConfigTest, NamedMissingProfileNamesBothFiles) {
  write_credentials("[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = x\n");
  write_config("[profile dev]\nregion = us-west-2\n");
  for (const auto& [overrides, environment, origin] :
       {std::tuple{with_profile("prod"), env(), "--profile"},
        std::tuple{ConfigOverrides{}, env({{"AWS_PROFILE", "prod"}}), "AWS_PROFILE"},
        std::tuple{ConfigOverrides{}, env({{"AWS_DEFAULT_PROFILE", "prod"}}),
                   "AWS_DEFAULT_PROFILE"}}) {
    std::string message = config_error(overrides, environment);
    EXPECT_TRUE(contains(message, "'prod'")) << message;
    EXPECT_TRUE(contains(message, origin)) << message;
    EXPECT_TRUE(contains(message, credentials_path())) << message;
    EXPECT_TRUE(contains(message, config_path())) << message;
  }
  // Even with keys in the environment: the profile also carries region and endpoint.
  std::string message = config_error(
      {},
      env({{"AWS_PROFILE", "prod"}, {"AWS_ACCESS_KEY_ID", "A"}, {"AWS_SECRET_ACCESS_KEY", "B"}}));
  EXPECT_TRUE(contains(message, "'prod'")) << message;
  // A profile in just one file is found.
  write_credentials("");
  EXPECT_EQ(resolve_config(with_profile("dev"), env()).region, "us-west-2");
}

TEST_F(S3ConfigTest, MissingDefaultProfileIsNotAnError) {
  write_config("[profile other]\nregion = us-west-2\n");
  ClientConfig c = resolve_config({}, env());
  EXPECT_EQ(c.region, "us-east-1");
  EXPECT_FALSE(c.credentials.has_value());
}

TEST_F(S3ConfigTest, CredentialsFileSettingsOverrideConfigFileSettings) {
  write_credentials("[dev]\nregion = ap-northeast-1\n");
  write_config("[profile dev]\nregion = us-west-2\nca_bundle = /etc/dev-ca.pem\n");
  ClientConfig c = resolve_config(with_profile("dev"), env());
  EXPECT_EQ(c.region, "ap-northeast-1");
  EXPECT_EQ(c.ca_bundle, "/etc/dev-ca.pem");
}

// ---------------------------------------------------------------------------------------------
// INI syntax.

TEST_F(S3ConfigTest, CommentsBlankLinesAndSpacing) {
  write_credentials(
      "# a comment\n"
      "; another\n"
      "\n"
      "[default]\n"
      "   # an indented comment\n"
      "AWS_ACCESS_KEY_ID=AKIDCOMMENTS\n"  // names are case-insensitive; no spaces needed
      "aws_secret_access_key   =   " +
      std::string(kSecret) +
      "   \r\n"
      "aws_session_token: colon-delimited\n");
  // A '#' after a value is part of it: the AWS CLI has no inline comments.
  write_config("[default]\nca_bundle = /etc/ca.pem # not a comment\n");
  ClientConfig c = resolve_config({}, env());
  ASSERT_TRUE(c.credentials.has_value());
  EXPECT_EQ(c.credentials->access_key_id, "AKIDCOMMENTS");
  EXPECT_EQ(c.credentials->secret_access_key, kSecret);
  EXPECT_EQ(c.credentials->session_token, "colon-delimited");
  EXPECT_EQ(c.ca_bundle, "/etc/ca.pem # not a comment");
}

TEST_F(S3ConfigTest, NestedS3Section) {
  write_config(
      "[profile ceph]\n"
      "region = default\n"
      "endpoint_url = http://top-level.example:1\n"
      "s3 =\n"
      "  endpoint_url = http://127.0.0.1:7480/\n"
      "\n"
      "  # a comment inside\n"
      "  Addressing_Style = virtual\n"
      "ca_bundle = /etc/ceph-ca.pem\n");
  ClientConfig c = resolve_config(with_profile("ceph"), env());
  EXPECT_EQ(c.endpoint, "http://127.0.0.1:7480");  // s3's endpoint_url beats the top-level one
  EXPECT_EQ(c.addressing, Addressing::kVirtual);
  EXPECT_EQ(c.region, "default");
  EXPECT_EQ(c.ca_bundle, "/etc/ceph-ca.pem");  // the nested section ended at the unindented line
}

TEST_F(S3ConfigTest, TopLevelEndpointWhenS3HasNone) {
  write_config(
      "[default]\nendpoint_url = https://minio.example:9000\ns3 =\n"
      "  addressing_style = auto\n");
  ClientConfig c = resolve_config({}, env());
  EXPECT_EQ(c.endpoint, "https://minio.example:9000");
  EXPECT_EQ(c.addressing, Addressing::kPath);  // auto with an endpoint: path
}

TEST_F(S3ConfigTest, IndentedSettingsWithoutAParentAreOrdinarySettings) {
  // configparser continues an option only with lines indented deeper than the option itself.
  write_config("[default]\n  region = us-west-2\n  ca_bundle = /etc/x.pem\n");
  ClientConfig c = resolve_config({}, env());
  EXPECT_EQ(c.region, "us-west-2");
  EXPECT_EQ(c.ca_bundle, "/etc/x.pem");
}

TEST_F(S3ConfigTest, MalformedLineNamesFileAndLineButNotItsText) {
  // A secret pasted without its name is the likely malformed line: never echo it.
  write_credentials("[default]\naws_access_key_id = AKIDX\n" + std::string(kSecret) + "\n");
  std::string message = config_error({}, env());
  EXPECT_TRUE(contains(message, credentials_path() + ":3:")) << message;
  EXPECT_FALSE(contains(message, kSecret)) << message;
  EXPECT_FALSE(contains(message, "K7MDENG")) << message;

  write_credentials("");
  write_config("[default]\ns3 =\n  addressing_style = path\n  " + std::string(kSecret) + "\n");
  message = config_error({}, env());
  EXPECT_TRUE(contains(message, config_path() + ":4:")) << message;
  EXPECT_FALSE(contains(message, "K7MDENG")) << message;

  write_config("region = us-west-2\n");
  message = config_error({}, env());
  EXPECT_TRUE(contains(message, config_path() + ":1:")) << message;
  EXPECT_TRUE(contains(message, "section")) << message;

  write_config("[default\nregion = us-west-2\n");
  message = config_error({}, env());
  EXPECT_TRUE(contains(message, config_path() + ":1:")) << message;

  write_config("[default]\n= value without a name\n");
  message = config_error({}, env());
  EXPECT_TRUE(contains(message, config_path() + ":2:")) << message;
}

TEST_F(S3ConfigTest, DuplicateSectionOrSettingIsAnError) {
  write_config("[default]\nregion = us-west-2\n\n[default]\nregion = us-west-1\n");
  std::string message = config_error({}, env());
  EXPECT_TRUE(contains(message, config_path() + ":4:")) << message;
  EXPECT_TRUE(contains(message, "[default]")) << message;

  write_config("[default]\nregion = us-west-2\nREGION = us-west-1\n");
  message = config_error({}, env());
  EXPECT_TRUE(contains(message, config_path() + ":3:")) << message;
  EXPECT_TRUE(contains(message, "region")) << message;
}

TEST_F(S3ConfigTest, ErrorsInTheOtherFileStillCount) {
  // A malformed config file fails resolution even when the credentials come from elsewhere:
  // the AWS CLI reads both files whole.
  write_config("[default]\nthis line is wrong\n");
  std::string message =
      config_error({}, env({{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", kSecret}}));
  EXPECT_TRUE(contains(message, config_path() + ":2:")) << message;
}

// ---------------------------------------------------------------------------------------------
// Region.

TEST_F(S3ConfigTest, RegionPrecedence) {
  write_config("[default]\nregion = eu-west-1\n");
  Environment e = env({{"AWS_REGION", "us-west-1"}, {"AWS_DEFAULT_REGION", "us-west-2"}});
  EXPECT_EQ(resolve_config(with_region("ap-east-1"), e).region, "ap-east-1");
  EXPECT_EQ(resolve_config({}, e).region, "us-west-1");
  e.erase("AWS_REGION");
  EXPECT_EQ(resolve_config({}, e).region, "us-west-2");
  e.erase("AWS_DEFAULT_REGION");
  EXPECT_EQ(resolve_config({}, e).region, "eu-west-1");
  write_config("");
  EXPECT_EQ(resolve_config({}, e).region, "us-east-1");
}

TEST_F(S3ConfigTest, BadRegionNamesItsSource) {
  std::string message = config_error({}, env({{"AWS_REGION", "us east 1"}}));
  EXPECT_TRUE(contains(message, "AWS_REGION")) << message;
  EXPECT_TRUE(contains(message, "us east 1")) << message;
  write_config("[default]\nregion = eu/west\n");
  message = config_error({}, env());
  EXPECT_TRUE(contains(message, config_path() + " [default]")) << message;
}

// ---------------------------------------------------------------------------------------------
// Endpoint.

TEST_F(S3ConfigTest, EndpointPrecedence) {
  write_config(
      "[default]\nendpoint_url = http://top.example\ns3 =\n"
      "  endpoint_url = http://nested.example\n");
  Environment e = env({{"AWS_ENDPOINT_URL_S3", "http://s3var.example"},
                       {"AWS_ENDPOINT_URL", "http://generic.example"}});
  EXPECT_EQ(resolve_config(with_endpoint("http://flag.example"), e).endpoint,
            "http://flag.example");
  EXPECT_EQ(resolve_config({}, e).endpoint, "http://s3var.example");
  e.erase("AWS_ENDPOINT_URL_S3");
  EXPECT_EQ(resolve_config({}, e).endpoint, "http://generic.example");
  e.erase("AWS_ENDPOINT_URL");
  EXPECT_EQ(resolve_config({}, e).endpoint, "http://nested.example");
  write_config("[default]\nendpoint_url = http://top.example\n");
  EXPECT_EQ(resolve_config({}, e).endpoint, "http://top.example");
  write_config("");
  EXPECT_EQ(resolve_config({}, e).endpoint, "");
}

TEST_F(S3ConfigTest, EndpointIsNormalised) {
  EXPECT_EQ(resolve_config(with_endpoint("HTTP://127.0.0.1:7480/"), env()).endpoint,
            "http://127.0.0.1:7480");
  EXPECT_EQ(resolve_config(with_endpoint("https://s3.example.com"), env()).endpoint,
            "https://s3.example.com");
  EXPECT_EQ(resolve_config(with_endpoint("http://[::1]:7480"), env()).endpoint,
            "http://[::1]:7480");
}

TEST_F(S3ConfigTest, BadEndpointUrlsAreRejectedNamingTheSource) {
  const char* bad[] = {"127.0.0.1:7480",     "ftp://host",       "http://",
                       "http://host/bucket", "http://host//",    "http://host?x=1",
                       "http://host#frag",   "http://host:",     "http://host:0",
                       "http://host:70000",  "http://host:http", "http://ho st",
                       "http://[::1",        "http://[zz]:1"};
  for (const char* url : bad) {
    std::string message = config_error({}, env({{"AWS_ENDPOINT_URL", url}}));
    EXPECT_TRUE(contains(message, "AWS_ENDPOINT_URL")) << url << ": " << message;
    EXPECT_TRUE(contains(message, url)) << url << ": " << message;
  }
  write_config("[default]\ns3 =\n  endpoint_url = http://host/path\n");
  std::string message = config_error({}, env());
  EXPECT_TRUE(contains(message, config_path() + " [default] s3.endpoint_url")) << message;
}

TEST_F(S3ConfigTest, EndpointWithUserInfoIsRejectedWithoutEchoingThePassword) {
  std::string message =
      config_error(with_endpoint(std::string("http://AKID:") + kSecret + "@127.0.0.1:7480"), env());
  EXPECT_TRUE(contains(message, "user info")) << message;
  EXPECT_TRUE(contains(message, "127.0.0.1:7480")) << message;
  EXPECT_FALSE(contains(message, "K7MDENG")) << message;
  // Without a '/' in the password, and without a scheme.
  message = config_error(with_endpoint("https://user:hunter2@s3.example.com"), env());
  EXPECT_TRUE(contains(message, "user info")) << message;
  EXPECT_FALSE(contains(message, "hunter2")) << message;
  message = config_error(with_endpoint("user:hunter2@s3.example.com"), env());
  EXPECT_FALSE(contains(message, "hunter2")) << message;
}

// ---------------------------------------------------------------------------------------------
// Addressing and CA bundle.

TEST_F(S3ConfigTest, AddressingPrecedence) {
  // Auto: virtual for AWS, path for any other endpoint.
  EXPECT_EQ(resolve_config({}, env()).addressing, Addressing::kVirtual);
  EXPECT_EQ(resolve_config(with_endpoint("http://127.0.0.1:7480"), env()).addressing,
            Addressing::kPath);

  write_config("[default]\ns3 =\n  addressing_style = virtual\n");
  Environment e = env({{"AWS_ENDPOINT_URL", "http://localhost:7480"}});
  EXPECT_EQ(resolve_config({}, e).addressing, Addressing::kVirtual);
  e["QUILT_S3_ADDRESSING"] = "path";
  EXPECT_EQ(resolve_config({}, e).addressing, Addressing::kPath);
  EXPECT_EQ(resolve_config(with_addressing(Addressing::kVirtual), e).addressing,
            Addressing::kVirtual);
  e.erase("AWS_ENDPOINT_URL");
  write_config("[default]\ns3 =\n  addressing_style = path\n");
  EXPECT_EQ(resolve_config({}, e).addressing, Addressing::kPath);  // even for AWS
  e["QUILT_S3_ADDRESSING"] = "virtual";
  EXPECT_EQ(resolve_config({}, e).addressing, Addressing::kVirtual);
}

TEST_F(S3ConfigTest, MultipartThresholdPrecedenceAndSizes) {
  // One PUT up to 5 GiB for other endpoints; the AWS CLI's 8 MiB for AWS.
  EXPECT_EQ(resolve_config({}, env()).multipart_threshold, uint64_t{8} << 20);
  EXPECT_EQ(resolve_config(with_endpoint("http://127.0.0.1:7480"), env()).multipart_threshold,
            uint64_t{5} << 30);
  write_config("[default]\ns3 =\n  multipart_threshold = 64MB\n");
  EXPECT_EQ(resolve_config({}, env()).multipart_threshold, uint64_t{64} << 20);
  Environment e = env({{"QUILT_S3_MULTIPART_THRESHOLD", "1048576"}});
  EXPECT_EQ(resolve_config({}, e).multipart_threshold, uint64_t{1} << 20);
  for (const auto& [text, bytes] : std::vector<std::pair<std::string, uint64_t>>{
           {"0", 0}, {"16KB", 16 << 10}, {"2GiB", uint64_t{2} << 30}, {"5gb", uint64_t{5} << 30}}) {
    e["QUILT_S3_MULTIPART_THRESHOLD"] = text;
    EXPECT_EQ(resolve_config({}, e).multipart_threshold, bytes) << text;
  }
  for (const char* bad : {"8 MB", "MB", "-1", "6GB", "1PB", "99999999999999999"}) {
    e["QUILT_S3_MULTIPART_THRESHOLD"] = bad;
    std::string message = config_error({}, e);
    EXPECT_TRUE(contains(message, "QUILT_S3_MULTIPART_THRESHOLD")) << bad << ": " << message;
  }
  write_config("[default]\ns3 =\n  multipart_threshold = lots\n");
  std::string message = config_error({}, env());
  EXPECT_TRUE(contains(message, "'lots'")) << message;
  EXPECT_TRUE(contains(message, "s3.multipart_threshold")) << message;
}

TEST_F(S3ConfigTest, BadAddressingStyleNamesItsSource) {
  std::string message = config_error({}, env({{"QUILT_S3_ADDRESSING", "auto"}}));
  EXPECT_TRUE(contains(message, "QUILT_S3_ADDRESSING")) << message;
  EXPECT_TRUE(contains(message, "path or virtual")) << message;
  write_config("[default]\ns3 =\n  addressing_style = dns\n");
  message = config_error({}, env());
  EXPECT_TRUE(contains(message, "'dns'")) << message;
  EXPECT_TRUE(contains(message, config_path())) << message;
  // `s3 = value` is not a nested section.
  write_config("[default]\ns3 = path\n");
  message = config_error({}, env());
  EXPECT_TRUE(contains(message, "nested")) << message;
}

TEST_F(S3ConfigTest, CaBundlePrecedence) {
  write_config("[default]\nca_bundle = ~/profile-ca.pem\n");
  Environment e = env({{"HOME", "/home/q"}, {"AWS_CA_BUNDLE", "/etc/env-ca.pem"}});
  EXPECT_EQ(resolve_config({}, e).ca_bundle, "/etc/env-ca.pem");
  e.erase("AWS_CA_BUNDLE");
  EXPECT_EQ(resolve_config({}, e).ca_bundle, "/home/q/profile-ca.pem");
}

// ---------------------------------------------------------------------------------------------
// Secrets never appear in errors.

TEST_F(S3ConfigTest, NoErrorMessageContainsASecretKey) {
  write_credentials(
      "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = " + std::string(kSecret) +
      "\n[half]\naws_secret_access_key = " + std::string(kOtherSecret) + "\n");
  Environment keys = env({{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", kSecret}});
  std::vector<std::pair<ConfigOverrides, Environment>> failing = {
      {with_profile("missing"), keys},
      {with_profile("half"), env()},
      {with_endpoint("http://h/p"), keys},
      {with_region("bad region"), keys},
      {{}, env({{"AWS_SECRET_ACCESS_KEY", kOtherSecret}})},
      {{}, env({{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SESSION_TOKEN", kOtherSecret}})},
  };
  for (const auto& [overrides, environment] : failing) {
    std::string message = config_error(overrides, environment);
    EXPECT_FALSE(message.empty());
    EXPECT_FALSE(contains(message, kSecret)) << message;
    EXPECT_FALSE(contains(message, kOtherSecret)) << message;
  }
}

TEST(S3ConfigProcess, ProcessEnvironmentReadsTheRealEnvironment) {
  ASSERT_EQ(::setenv("QUILT_S3_CONFIG_TEST_VAR", "a=b c", 1), 0);
  Environment e = s3::process_environment();
  ::unsetenv("QUILT_S3_CONFIG_TEST_VAR");
  EXPECT_EQ(e["QUILT_S3_CONFIG_TEST_VAR"], "a=b c");  // split at the first '='
  EXPECT_EQ(e.count("QUILT_S3_CONFIG_TEST_VAR_NOT_SET"), 0u);
}

}  // namespace
}  // namespace quilt::test

namespace quilt::test {
namespace {

TEST(S3ConditionalWritesTest, OnForAwsOffElsewhereUnlessSaid) {
  s3::Environment none;
  EXPECT_TRUE(s3::resolve_config({}, none).conditional_writes);
  s3::ConfigOverrides ceph;
  ceph.endpoint_url = "http://127.0.0.1:7480";
  EXPECT_FALSE(s3::resolve_config(ceph, none).conditional_writes);
  EXPECT_TRUE(s3::resolve_config(ceph, {{"QUILT_S3_CONDITIONAL_WRITES", "true"}}).conditional_writes);
  EXPECT_FALSE(s3::resolve_config({}, {{"QUILT_S3_CONDITIONAL_WRITES", "false"}}).conditional_writes);
  ceph.conditional_writes = true;
  EXPECT_TRUE(s3::resolve_config(ceph, {{"QUILT_S3_CONDITIONAL_WRITES", "false"}}).conditional_writes);
  EXPECT_THROW(s3::resolve_config({}, {{"QUILT_S3_CONDITIONAL_WRITES", "yes"}}), InvalidArgument);
}

}  // namespace
}  // namespace quilt::test
