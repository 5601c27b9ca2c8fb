// Registries in S3 through a fault-injecting proxy in front of the real server: throttling,
// 500s, responses cut off half-way and dropped connections in the middle of a push and an
// install are retried; every byte is still verified; a push that cannot finish publishes
// nothing.

#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "../storage/fault_proxy.h"
#include "../storage/s3_fixture.h"
#include "quilt/errors.h"
#include "quilt/package_builder.h"
#include "quilt/registry.h"
#include "quilt/thread_pool.h"
#include "storage/s3/clients.h"
#include "test_util.h"

namespace quilt::test {
namespace {

int port_of(const std::string& endpoint) { return std::stoi(endpoint.substr(endpoint.rfind(':') + 1)); }

class RegistryS3FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = s3_env_for_test();
    if (env_ == nullptr) return;
    vars_.push_back(std::make_unique<ScopedEnv>("AWS_ACCESS_KEY_ID", env_->access_key_id));
    vars_.push_back(std::make_unique<ScopedEnv>("AWS_SECRET_ACCESS_KEY", env_->secret_access_key));
    vars_.push_back(std::make_unique<ScopedEnv>("AWS_PROFILE", std::nullopt));
    client_ = s3_client(*env_);
    prefix_ = unique_s3_prefix();
    for (int i = 0; i < 24; ++i) tmp_.write("src/f" + std::to_string(i) + ".txt", "file " + std::to_string(i));
    std::string big(20 << 20, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 11);
    tmp_.write("src/big.bin", big);
  }
  void TearDown() override {
    s3::set_default_overrides({});
    if (client_) s3_delete_prefix(*client_, env_->bucket, prefix_ + "/");
  }
  // Route the process's S3 clients through `proxy`.
  void use(const FaultProxy& proxy) {
    s3::ConfigOverrides overrides;
    overrides.endpoint_url = proxy.endpoint();
    s3::set_default_overrides(overrides);
  }
  Package make() {
    PackageBuilder builder;
    builder.set_dir("", (tmp_.path() / "src").string());
    return builder.build(pool_);
  }
  std::string registry_url() const { return "s3://" + env_->bucket + "/" + prefix_; }

  const S3TestEnv* env_ = nullptr;
  std::shared_ptr<s3::Client> client_;
  std::string prefix_;
  TempDir tmp_;
  ThreadPool pool_{2};
  std::vector<std::unique_ptr<ScopedEnv>> vars_;
  PackageName name_ = PackageName::parse("team/faulty");
};

// Fault the first sight of every third distinct request line (a retry of it passes), cycling
// through the kinds of fault.
std::function<Fault(int, const std::string&)> every_third_request() {
  auto seen = std::make_shared<std::set<std::string>>();
  auto mutex = std::make_shared<std::mutex>();
  auto count = std::make_shared<int>(0);
  return [=](int, const std::string& head) {
    std::string line = head.substr(0, head.find("\r\n"));
    std::lock_guard<std::mutex> lock(*mutex);
    if (!seen->insert(line).second) return Fault::kNone;
    int n = (*count)++;
    if (n % 3 != 0) return Fault::kNone;
    static const Fault kinds[] = {Fault::kSlowDown, Fault::kCutResponse, Fault::kInternalError,
                                  Fault::kHangUp};
    return kinds[(n / 3) % 4];
  };
}

TEST_F(RegistryS3FaultTest, PushAndInstallSurviveFaultsAndVerifyEveryByte) {
  FaultProxy proxy(port_of(env_->endpoint), every_third_request());
  use(proxy);
  Package local = make();
  std::unique_ptr<Registry> registry = Registry::open(registry_url());
  registry->push(name_, local, PushOptions{}, pool_);
  EXPECT_GT(proxy.faults(), 5) << proxy.requests() << " requests";
  InstallOptions options;
  options.dest = (tmp_.path() / "out").string();
  int faults_before_install = proxy.faults();
  Package installed = registry->install(name_, "", options, pool_);
  EXPECT_GT(proxy.faults(), faults_before_install);
  EXPECT_EQ(installed.top_hash(), local.top_hash());
  EXPECT_EQ(read_file(options.dest + "/big.bin"), read_file((tmp_.path() / "src/big.bin").string()));
  EXPECT_EQ(read_file(options.dest + "/f7.txt"), "file 7");
}

TEST_F(RegistryS3FaultTest, PushThatCannotWriteItsManifestPublishesNothing) {
  FaultProxy proxy(port_of(env_->endpoint), [](int, const std::string& head) {
    return head.find("/.quilt/packages/") != std::string::npos && head.starts_with("PUT ")
               ? Fault::kInternalError
               : Fault::kNone;
  });
  use(proxy);
  std::unique_ptr<Registry> registry = Registry::open(registry_url());
  std::string message = error_of<RemoteError>([&] { registry->push(name_, make(), PushOptions{}, pool_); });
  EXPECT_TRUE(contains(message, "InternalError")) << message;
  s3::ListObjectsRequest pointers;
  pointers.prefix = prefix_ + "/.quilt/";
  EXPECT_TRUE(client_->list_objects(env_->bucket, pointers).objects.empty());
  EXPECT_TRUE(registry->list_packages().empty());
}

TEST_F(RegistryS3FaultTest, InstallOfAChangedObjectInstallsNothing) {
  FaultProxy proxy(port_of(env_->endpoint), [](int, const std::string&) { return Fault::kNone; });
  use(proxy);
  std::unique_ptr<Registry> registry = Registry::open(registry_url());
  registry->push(name_, make(), PushOptions{}, pool_);
  std::string changed(20 << 20, 'x');
  client_->put_object(env_->bucket, prefix_ + "/team/faulty/big.bin",
                      {reinterpret_cast<const uint8_t*>(changed.data()), changed.size()});
  InstallOptions options;
  options.dest = (tmp_.path() / "out").string();
  EXPECT_THROW(registry->install(name_, "", options, pool_), Corrupt);
  EXPECT_FALSE(std::filesystem::exists(options.dest + "/f1.txt"));
}

}  // namespace
}  // namespace quilt::test
