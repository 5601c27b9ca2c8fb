// Per-bucket S3 settings from quiltcpp's config file (real files on disk).

#include "storage/s3/bucket_settings.h"

#include <gtest/gtest.h>

#include "quilt/errors.h"
#include "test_util.h"

namespace quilt::s3 {
namespace {

using test::contains;
using test::error_of;

class BucketSettingsTest : public ::testing::Test {
 protected:
  std::string write_config(const std::string& yaml) { return dir_.write("config.yml", yaml); }
  void point_at_config() { env_ = std::make_unique<test::ScopedEnv>("QUILTCPP_CONFIG", (dir_.path() / "config.yml").string()); }

  test::TempDir dir_;
  std::unique_ptr<test::ScopedEnv> env_;
};

TEST_F(BucketSettingsTest, FillsUnsetFieldsOfTheNamedBucketOnly) {
  write_config(
      "s3:\n"
      "  buckets:\n"
      "    team-data:\n"
      "      endpoint_url: http://ceph.internal:7480\n"
      "      region: eu-west-3\n"
      "      profile: ceph\n"
      "      addressing: path\n"
      "      no_sign_request: false\n"
      "      conditional_writes: on\n"
      "    open-data:\n"
      "      no_sign_request: yes\n");
  point_at_config();
  ConfigOverrides cli;
  cli.region = "us-west-2";  // a flag wins over the file
  ConfigOverrides team = with_bucket_settings("team-data", cli);
  EXPECT_EQ(team.endpoint_url, "http://ceph.internal:7480");
  EXPECT_EQ(team.region, "us-west-2");
  EXPECT_EQ(team.profile, "ceph");
  EXPECT_EQ(team.addressing, Addressing::kPath);
  EXPECT_EQ(team.anonymous, false);
  EXPECT_EQ(team.conditional_writes, true);
  ConfigOverrides open = with_bucket_settings("open-data", {});
  EXPECT_EQ(open.anonymous, true);
  EXPECT_FALSE(open.endpoint_url.has_value());
  ConfigOverrides other = with_bucket_settings("someone-else", {});
  EXPECT_FALSE(other.endpoint_url || other.region || other.profile || other.anonymous);
}

TEST_F(BucketSettingsTest, MissingFileOrSectionChangesNothing) {
  point_at_config();  // no file there
  EXPECT_FALSE(with_bucket_settings("b", {}).endpoint_url.has_value());
  write_config("default_thing: 1\n");
  EXPECT_FALSE(with_bucket_settings("b", {}).endpoint_url.has_value());
}

TEST_F(BucketSettingsTest, BadValuesNameFileBucketAndSetting) {
  point_at_config();
  write_config("s3:\n  buckets:\n    b:\n      addressing: sideways\n");
  std::string message = error_of<InvalidArgument>([] { with_bucket_settings("b", {}); });
  EXPECT_TRUE(contains(message, "config.yml")) << message;
  EXPECT_TRUE(contains(message, "'b'")) << message;
  EXPECT_TRUE(contains(message, "sideways")) << message;
  write_config("s3:\n  buckets:\n    b:\n      endpoint: http://x\n");
  message = error_of<InvalidArgument>([] { with_bucket_settings("b", {}); });
  EXPECT_TRUE(contains(message, "unknown setting 'endpoint'")) << message;
  write_config("s3:\n  buckets:\n    b:\n      no_sign_request: maybe\n");
  EXPECT_THROW(with_bucket_settings("b", {}), InvalidArgument);
  write_config("s3:\n  buckets:\n    b: [1, 2]\n");
  EXPECT_THROW(with_bucket_settings("b", {}), InvalidArgument);
  write_config("s3: [unclosed\n");
  EXPECT_THROW(with_bucket_settings("b", {}), Corrupt);
}

TEST_F(BucketSettingsTest, ConfigPathFollowsXdg) {
  test::ScopedEnv no_override("QUILTCPP_CONFIG", std::nullopt);
  test::ScopedEnv xdg("XDG_CONFIG_HOME", "/some/where");
  EXPECT_EQ(quiltcpp_config_path(), "/some/where/quiltcpp/config.yml");
  test::ScopedEnv relative("XDG_CONFIG_HOME", "relative");  // ignored, as XDG says
  test::ScopedEnv home("HOME", "/home/u");
  EXPECT_EQ(quiltcpp_config_path(), "/home/u/.config/quiltcpp/config.yml");
}

}  // namespace
}  // namespace quilt::s3
