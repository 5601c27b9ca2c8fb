// Registries in S3 through a fault-injecting proxy in front of the real server: throttling,
// 500s, responses cut off half-way and dropped connections in the middle of a push and an
// install are retried; every byte is still verified; a push that cannot finish publishes
// nothing.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <set>

#include "../storage/fault_proxy.h"
#include "core/part_digest_cache.h"
#include "core/sha256_chunked.h"
#include "../storage/s3_fixture.h"
#include "quilt/errors.h"
#include "quilt/physical_key.h"
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
    settings_ = std::make_unique<S3ProcessSettings>(*env_, "");
    client_ = s3_client(*env_);
    prefix_ = unique_s3_prefix();
    for (int i = 0; i < 24; ++i) tmp_.write("src/f" + std::to_string(i) + ".txt", "file " + std::to_string(i));
    std::string big(20 << 20, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 11);
    tmp_.write("src/big.bin", big);
    // Old enough for its digests to be remembered when it is read (part_digest_cache.h).
    std::this_thread::sleep_for(std::chrono::nanoseconds(2 * detail::kRacyNs));
  }
  void TearDown() override {
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
  std::unique_ptr<S3ProcessSettings> settings_;
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

TEST_F(RegistryS3FaultTest, LargeFilesGoInOneStreamedPutUpToTheMultipartThreshold) {
  std::vector<std::string> heads;
  std::mutex mutex;
  FaultProxy proxy(port_of(env_->endpoint), [&](int, const std::string& head) {
    std::lock_guard<std::mutex> lock(mutex);
    if (head.find("/big.bin") != std::string::npos) heads.push_back(head.substr(0, head.find("\r\n")));
    return Fault::kNone;
  });
  Package local = make();
  for (uint64_t threshold : {uint64_t{20} << 20, uint64_t{8} << 20}) {
    SCOPED_TRACE(threshold);
    heads.clear();
    s3::ConfigOverrides overrides;
    overrides.endpoint_url = proxy.endpoint();
    overrides.multipart_threshold = threshold;
    s3::set_default_overrides(overrides);
    std::string url = registry_url() + "/t" + std::to_string(threshold);
    std::unique_ptr<Registry> registry = Registry::open(url);
    registry->push(name_, local, PushOptions{}, pool_);
    int single = 0;
    int parts = 0;
    for (const std::string& line : heads) {
      if (line.starts_with("PUT ") && line.find("partNumber=") != std::string::npos) ++parts;
      if (line.starts_with("PUT ") && line.find('?') == std::string::npos) ++single;
    }
    // 20 MiB: one PUT at a 20 MiB threshold, parts of 8 MiB above an 8 MiB one.
    EXPECT_EQ(single, threshold == (uint64_t{20} << 20) ? 1 : 0);
    EXPECT_EQ(parts, threshold == (uint64_t{20} << 20) ? 0 : 3);
    InstallOptions options;
    options.dest = (tmp_.path() / ("out" + std::to_string(threshold))).string();
    Registry::open(url)->install(name_, "", options, pool_);
    EXPECT_EQ(read_file(options.dest + "/big.bin"), read_file((tmp_.path() / "src/big.bin").string()));
  }
}

// push --dir: the large file goes up (hashed on the way) before the build, once.
TEST_F(RegistryS3FaultTest, UploadAheadSendsALargeFileOnceAndPushFindsItInPlace) {
  for (bool change_between : {false, true}) {
    SCOPED_TRACE(change_between);
    std::vector<std::string> heads;
    std::mutex mutex;
    FaultProxy proxy(port_of(env_->endpoint), [&](int, const std::string& head) {
      std::lock_guard<std::mutex> lock(mutex);
      if (head.find("/big.bin") != std::string::npos) heads.push_back(head.substr(0, head.find(' ')));
      return Fault::kNone;
    });
    use(proxy);
    std::string url = registry_url() + (change_between ? "/changed" : "/same");
    std::unique_ptr<Registry> registry = Registry::open(url);
    std::string path = (tmp_.path() / "src/big.bin").string();
    registry->upload_ahead(name_, (tmp_.path() / "src").string(), PushOptions{});
    EXPECT_EQ(std::count(heads.begin(), heads.end(), "PUT"), 1);
    std::string bytes = read_file(path);
    if (change_between) {
      bytes[100] ^= 1;
      tmp_.write("src/big.bin", bytes);
    }
    Package local = make();
    // The hash is the file's as it is now, whoever computed it.
    EXPECT_EQ(local.find("big.bin")->hash.value,
              detail::chunked_hash({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, nullptr));
    registry->push(name_, local, PushOptions{}, pool_);
    EXPECT_EQ(std::count(heads.begin(), heads.end(), "PUT"), change_between ? 2 : 1);
    InstallOptions options;
    options.dest = (tmp_.path() / (change_between ? "out-changed" : "out-same")).string();
    Registry::open(url)->install(name_, "", options, pool_);
    EXPECT_EQ(read_file(options.dest + "/big.bin"), bytes);
  }
}

// The directory is named as set_dir takes it: a path or a file:// URL.
TEST_F(RegistryS3FaultTest, UploadAheadTakesTheDirectoryAsSetDirDoes) {
  std::vector<std::string> heads;
  std::mutex mutex;
  FaultProxy proxy(port_of(env_->endpoint), [&](int, const std::string& head) {
    std::lock_guard<std::mutex> lock(mutex);
    if (head.find("/big.bin") != std::string::npos) heads.push_back(head.substr(0, head.find(' ')));
    return Fault::kNone;
  });
  use(proxy);
  std::unique_ptr<Registry> registry = Registry::open(registry_url());
  std::string url = PhysicalKey::from_local_path((tmp_.path() / "src").string()).str();
  ASSERT_TRUE(url.starts_with("file://")) << url;
  registry->upload_ahead(name_, url, PushOptions{});
  EXPECT_EQ(std::count(heads.begin(), heads.end(), "PUT"), 1);
  EXPECT_THROW(registry->upload_ahead(name_, (tmp_.path() / "src/big.bin").string(), PushOptions{}),
               InvalidArgument);
}

// A push --dir that sent the large file and then failed before its manifest, run again (a new
// process), does not send the file again: the record on disk vouches for the object.
TEST_F(RegistryS3FaultTest, PushDirRunAgainDoesNotResendALargeFileItSentAhead) {
  std::vector<std::string> heads;
  std::mutex mutex;
  std::atomic<bool> fail_manifest{true};
  FaultProxy proxy(port_of(env_->endpoint), [&](int, const std::string& head) {
    std::lock_guard<std::mutex> lock(mutex);
    if (head.find("/big.bin") != std::string::npos) heads.push_back(head.substr(0, head.find(' ')));
    return fail_manifest && head.starts_with("PUT ") && head.find("/.quilt/packages/") != std::string::npos
               ? Fault::kInternalError
               : Fault::kNone;
  });
  ScopedEnv quiet("QUILT_MINIMIZE_STDOUT", "1");
  ScopedEnv attempts("QUILT_S3_MAX_ATTEMPTS", "1");
  ScopedEnv data("XDG_DATA_HOME", (tmp_.path() / "data").string());
  std::vector<std::string> args = {"push", "team/faulty", "--dir", (tmp_.path() / "src").string(),
                                   "--registry", registry_url(), "--endpoint-url", proxy.endpoint()};
  RunResult first = run_cli(args);
  EXPECT_NE(first.exit_code, 0);
  EXPECT_TRUE(contains(first.err, "InternalError")) << first.err;
  EXPECT_EQ(std::count(heads.begin(), heads.end(), "PUT"), 1);
  fail_manifest = false;
  RunResult again = run_cli(args);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(std::count(heads.begin(), heads.end(), "PUT"), 1) << "big.bin was sent again";
  // What was published is whole.
  use(proxy);
  InstallOptions options;
  options.dest = (tmp_.path() / "out").string();
  Registry::open(registry_url())->install(name_, "", options, pool_);
  EXPECT_EQ(read_file(options.dest + "/big.bin"), read_file((tmp_.path() / "src/big.bin").string()));
}

TEST_F(RegistryS3FaultTest, LargeFileChangedSinceItWasHashedIsNotUploaded) {
  FaultProxy proxy(port_of(env_->endpoint), [](int, const std::string&) { return Fault::kNone; });
  use(proxy);
  Package local = make();
  // Same size, other bytes near the end: found only after most of it went out.
  std::string path = (tmp_.path() / "src/big.bin").string();
  std::string bytes = read_file(path);
  bytes[bytes.size() - 10] ^= 1;
  tmp_.write("src/big.bin", bytes);
  std::unique_ptr<Registry> registry = Registry::open(registry_url());
  std::string message = error_of<Corrupt>([&] { registry->push(name_, local, PushOptions{}, pool_); });
  EXPECT_TRUE(contains(message, "'big.bin'")) << message;
  EXPECT_TRUE(contains(message, path)) << message;
  EXPECT_EQ(client_->head_object(env_->bucket, prefix_ + "/team/faulty/big.bin"), std::nullopt);
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

// The value of header `name` in a request head, if present.
std::optional<std::string> header_of(const std::string& request, const std::string& name) {
  size_t at = request.find("\r\n" + name + ": ");
  if (at == std::string::npos || at > request.find("\r\n\r\n")) return std::nullopt;
  size_t start = at + 4 + name.size();
  return request.substr(start, request.find("\r\n", start) - start);
}

// Play a server that honours If-Match and If-None-Match on PUT (as AWS does, and RGW 16 does
// not): conditional PUTs are checked and written by the proxy, one at a time. The first
// `gather` PUTs with If-Match are held until all of them have arrived (10 s at most), so
// that racing writers all reach the server's decision.
void honour_conditions(FaultProxy& proxy, s3::Client& client, const std::string& bucket,
                       int gather = 0) {
  struct State {
    std::mutex mutex;
    std::condition_variable arrived;
    int seen = 0;
  };
  auto state = std::make_shared<State>();
  proxy.set_handler([&client, bucket, state, gather](const std::string& request) -> std::string {
    std::optional<std::string> if_match = header_of(request, "If-Match");
    std::optional<std::string> if_none = header_of(request, "If-None-Match");
    if (!request.starts_with("PUT ") || (!if_match && !if_none)) return "";
    std::string path = request.substr(4, request.find(' ', 4) - 4);
    std::string key = path.substr(bucket.size() + 2);
    std::string body = request.substr(request.find("\r\n\r\n") + 4);
    std::unique_lock<std::mutex> lock(state->mutex);
    if (if_match) {
      ++state->seen;
      state->arrived.notify_all();
      state->arrived.wait_for(lock, std::chrono::seconds(10), [&] { return state->seen >= gather; });
    }
    std::optional<s3::ObjectMeta> meta = client.head_object(bucket, key);
    bool ok = if_match ? meta && "\"" + meta->etag + "\"" == *if_match : !meta;
    if (!ok) {
      std::string error = "<Error><Code>PreconditionFailed</Code><Message>At least one of the "
                          "pre-conditions you specified did not hold</Message></Error>";
      return "HTTP/1.1 412 Precondition Failed\r\nContent-Length: " + std::to_string(error.size()) +
             "\r\n\r\n" + error;
    }
    s3::PutResult put = client.put_object(bucket, key, {reinterpret_cast<const uint8_t*>(body.data()), body.size()});
    return "HTTP/1.1 200 OK\r\nETag: \"" + put.etag + "\"\r\nContent-Length: 0\r\n\r\n";
  });
}

TEST_F(RegistryS3FaultTest, EntriesInAnotherBucketOfTheServerAreCopiedByTheServer) {
  std::vector<std::string> heads;
  std::mutex mutex;
  FaultProxy proxy(port_of(env_->endpoint), [&](int, const std::string& head) {
    std::lock_guard<std::mutex> lock(mutex);
    heads.push_back(head);
    return Fault::kNone;
  });
  use(proxy);
  std::string big(6 << 20, 'q');
  s3::PutResult source = client_->put_object(env_->versioned_bucket, prefix_ + "/src/big.bin",
                                             {reinterpret_cast<const uint8_t*>(big.data()), big.size()});
  client_->put_object(env_->versioned_bucket, prefix_ + "/src/big.bin",
                      {reinterpret_cast<const uint8_t*>("changed"), 7});  // a newer version
  PackageBuilder builder;
  builder.set("big.bin", "s3://" + env_->versioned_bucket + "/" + prefix_ + "/src/big.bin?versionId=" +
                             *source.version_id);
  Package package = builder.build(pool_);
  std::unique_ptr<Registry> registry = Registry::open(registry_url());
  registry->push(name_, package, PushOptions{}, pool_);
  int copies = 0;
  int uploads = 0;
  for (const std::string& head : heads) {
    if (!head.starts_with("PUT ") || head.find("/team/faulty/big.bin") == std::string::npos) continue;
    (head.find("x-amz-copy-source:") != std::string::npos ? copies : uploads)++;
  }
  EXPECT_EQ(copies, 1);
  EXPECT_EQ(uploads, 0);
  // The version the entry names was copied, not the newer one.
  EXPECT_EQ(client_->get_object_bytes(env_->bucket, prefix_ + "/team/faulty/big.bin"), big);
  InstallOptions options;
  options.dest = (tmp_.path() / "out").string();
  registry->install(name_, "", options, pool_);
  EXPECT_EQ(read_file(options.dest + "/big.bin"), big);
  s3_delete_prefix(*client_, env_->versioned_bucket, prefix_ + "/");
}

TEST_F(RegistryS3FaultTest, ConcurrentPushesWithConditionalWritesHaveOneWinner) {
  FaultProxy proxy(port_of(env_->endpoint), [](int, const std::string&) { return Fault::kNone; });
  // Both pushes pass the parent check before either moves latest: the server decides.
  honour_conditions(proxy, *client_, env_->bucket, 2);
  s3::ConfigOverrides overrides;
  overrides.endpoint_url = proxy.endpoint();
  overrides.conditional_writes = true;
  s3::set_default_overrides(overrides);
  std::unique_ptr<Registry> registry = Registry::open(registry_url());
  Package base = make();
  registry->push(name_, base, PushOptions{}, pool_);
  std::vector<Package> packages;
  for (const char* message : {"left", "right"}) {
    PackageBuilder builder(base);
    builder.set_message(std::string(message));
    packages.push_back(builder.build(pool_));
  }
  std::atomic<int> wins{0};
  std::atomic<int> conflicts{0};
  std::mutex mutex;
  std::string conflict_message;
  std::vector<std::thread> threads;
  for (const Package& package : packages) {
    threads.emplace_back([&, package] {
      PushOptions options;
      options.parent = base.top_hash();
      try {
        registry->push(name_, package, options, pool_);
        ++wins;
      } catch (const Conflict& e) {
        ++conflicts;
        std::lock_guard<std::mutex> lock(mutex);
        conflict_message = e.what();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(conflicts.load(), 1);
  // The loser was refused by the server's condition, after its revision was recorded.
  EXPECT_TRUE(contains(conflict_message, "during this push")) << conflict_message;
  std::string latest = registry->latest(name_);
  EXPECT_TRUE(latest == packages[0].top_hash() || latest == packages[1].top_hash());
  // Nothing is lost: both revisions' manifests are there to browse.
  for (const Package& package : packages) {
    EXPECT_EQ(registry->browse(name_, package.top_hash()).top_hash(), package.top_hash());
  }
}

TEST_F(RegistryS3FaultTest, WithoutConditionsAWriterLandingJustAfterUsIsAConflict) {
  FaultProxy proxy(port_of(env_->endpoint), [](int, const std::string&) { return Fault::kNone; });
  std::string intruder(64, 'e');
  std::string latest_key = prefix_ + "/.quilt/named_packages/team/faulty/latest";
  // Right after our write of latest, another writer's lands.
  proxy.set_after([&](const std::string& request) {
    if (request.starts_with("PUT ") && request.find("/latest ") != std::string::npos) {
      client_->put_object(env_->bucket, latest_key,
                          {reinterpret_cast<const uint8_t*>(intruder.data()), intruder.size()});
    }
  });
  s3::ConfigOverrides overrides;
  overrides.endpoint_url = proxy.endpoint();
  overrides.conditional_writes = false;
  s3::set_default_overrides(overrides);
  std::unique_ptr<Registry> registry = Registry::open(registry_url());
  Package package = make();
  std::string message = error_of<Conflict>([&] { registry->push(name_, package, PushOptions{}, pool_); });
  EXPECT_TRUE(contains(message, "latest is now " + intruder)) << message;
  // Our revision is recorded all the same.
  EXPECT_EQ(registry->list_versions(name_).back().top_hash, package.top_hash());
}

}  // namespace
}  // namespace quilt::test
