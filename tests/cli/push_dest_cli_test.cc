// `quiltcpp push --dest URL --selector all|local|none` end to end: where the data lands, what
// the manifest records, and the refusals (bad selector, bad dest, local keys kept in an S3
// package), each with nothing published.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "../storage/s3_fixture.h"
#include "quilt/physical_key.h"
#include "quilt/registry.h"
#include "test_util.h"

namespace quilt::test {
namespace {

namespace fs = std::filesystem;

class PushDestCli : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = (tmp_.path() / "src").string();
    tmp_.write("src/a.txt", "alpha");
    tmp_.write("src/d/b.txt", "beta");
    registry_ = (tmp_.path() / "reg").string();
  }
  std::string at(const std::string& relative) const { return (tmp_.path() / relative).string(); }
  Package latest() {
    return Registry::open(registry_)->browse(PackageName::parse("team/data"));
  }

  TempDir tmp_;
  std::string src_;
  std::string registry_;
};

TEST_F(PushDestCli, DestDirectoryForALocalRegistry) {
  RunResult r = run_cli({"push", "team/data", "--dir", src_, "--registry", registry_, "--dest",
                         at("out"), "--selector", "all"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(at("out/d/b.txt")), "beta");
  EXPECT_FALSE(fs::exists(at("reg/team")));
  EXPECT_EQ(latest().find("d/b.txt")->physical_key,
            PhysicalKey::from_local_path(at("out/d/b.txt")));
  EXPECT_EQ(r.out.substr(0, 64), latest().top_hash());
}

TEST_F(PushDestCli, SelectorNoneKeepsLocalKeysInALocalRegistry) {
  RunResult r = run_cli({"push", "team/data", "--dir", src_, "--registry", registry_,
                         "--selector", "none"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(latest().find("a.txt")->physical_key, PhysicalKey::from_local_path(at("src/a.txt")));
  EXPECT_FALSE(fs::exists(at("reg/team")));
}

TEST_F(PushDestCli, BadSelectorAndBadDestExit2AndPublishNothing) {
  RunResult bad_selector = run_cli({"push", "team/data", "--dir", src_, "--registry", registry_,
                                    "--selector", "some"});
  EXPECT_EQ(bad_selector.exit_code, 2);
  EXPECT_TRUE(contains(bad_selector.err, "some")) << bad_selector.err;
  RunResult bad_dest = run_cli({"push", "team/data", "--dir", src_, "--registry", registry_,
                                "--dest", "ftp://host/x"});
  EXPECT_EQ(bad_dest.exit_code, 2);
  EXPECT_TRUE(contains(bad_dest.err, "ftp://host/x")) << bad_dest.err;
  EXPECT_FALSE(fs::exists(at("reg/.quilt/named_packages")));
}

class PushDestCliS3 : public PushDestCli {
 protected:
  void SetUp() override {
    PushDestCli::SetUp();
    env_ = s3_env_for_test();
    if (env_ == nullptr) return;
    client_ = s3_client(*env_);
    prefix_ = unique_s3_prefix() + "/";
    settings_ = std::make_unique<S3ProcessSettings>(*env_, "");
    config_ = std::make_unique<ScopedEnv>("QUILTCPP_CONFIG", at("config.yml"));
  }
  void TearDown() override {
    if (!client_) return;
    for (const std::string& bucket : {env_->bucket, env_->versioned_bucket}) {
      s3_delete_prefix(*client_, bucket, prefix_);
    }
  }
  RunResult push(std::vector<std::string> args) {
    std::vector<std::string> all = {"push", "team/data", "--dir", src_, "--registry",
                                    "s3://" + env_->bucket + "/" + prefix_ + "reg",
                                    "--endpoint-url", env_->endpoint};
    all.insert(all.end(), args.begin(), args.end());
    return run_cli(all);
  }

  const S3TestEnv* env_ = nullptr;
  std::shared_ptr<s3::Client> client_;
  std::string prefix_;
  std::unique_ptr<S3ProcessSettings> settings_;
  std::unique_ptr<ScopedEnv> config_;
};

TEST_F(PushDestCliS3, DestInAnotherBucketThenLocalKeysRefused) {
  RunResult r = push({"--dest", "s3://" + env_->versioned_bucket + "/" + prefix_ + "data"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(client_->get_object_bytes(env_->versioned_bucket, prefix_ + "data/d/b.txt"), "beta");
  EXPECT_FALSE(client_->head_object(env_->bucket, prefix_ + "reg/team/data/d/b.txt"));

  tmp_.write("src/c.txt", "gamma");  // a new revision, so that a refusal would show
  for (const char* selector : {"none", "local"}) {
    SCOPED_TRACE(selector);
    if (std::string(selector) == "local") {
      // Local files are copied: allowed. Then `none` would keep them local: refused.
      RunResult ok = push({"--selector", selector});
      EXPECT_EQ(ok.exit_code, 0) << ok.err;
      continue;
    }
    RunResult refused = push({"--selector", selector});
    EXPECT_EQ(refused.exit_code, 2);
    EXPECT_TRUE(contains(refused.err, "local physical key")) << refused.err;
  }
  RunResult local_dest = push({"--dest", at("out")});
  EXPECT_EQ(local_dest.exit_code, 2);
  EXPECT_TRUE(contains(local_dest.err, "unreachable")) << local_dest.err;
  EXPECT_FALSE(fs::exists(at("out")));
  s3::ListObjectsRequest request;
  request.prefix = prefix_ + "reg/.quilt/named_packages/team/data/";
  // Two revisions: the first push and the `--selector local` one; the refusals wrote none.
  size_t pointers = client_->list_objects(env_->bucket, request).objects.size();
  EXPECT_EQ(pointers, 3u);  // two timestamps and latest
}

}  // namespace
}  // namespace quilt::test
