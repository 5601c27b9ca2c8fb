// Registries in S3 against the real S3 server (Ceph RGW on loopback): push, browse, list,
// install, delete and rollback in quilt3's layout; versionIds recorded; entries already in the
// bucket left in place; an object changed after push fails the install and installs nothing.

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "s3_registry_fixture.h"
#include "quilt/errors.h"
#include "quilt/package_builder.h"
#include "quilt/registry.h"
#include "quilt/thread_pool.h"
#include "storage/s3/clients.h"
#include "test_util.h"

namespace quilt::test {
namespace {

namespace fs = std::filesystem;

class RegistryS3Test : public S3RegistryFixture {
 protected:
  void SetUp() override {
    S3RegistryFixture::SetUp();
    if (env_ == nullptr) return;
    tmp_.write("src/a.txt", "alpha");
    tmp_.write("src/d/b.txt", "beta");
    std::string big(11 << 20, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 9);
    tmp_.write("src/d/big.bin", big);
  }
  void TearDown() override {
    if (!client_) return;
    for (const std::string& bucket : {env_->bucket, env_->versioned_bucket}) {
      s3_delete_prefix(*client_, bucket, prefix_ + "/");
    }
  }
  std::unique_ptr<Registry> open(const std::string& bucket) {
    return Registry::open("s3://" + bucket + "/" + prefix_);
  }
  Package make(const std::string& message) {
    PackageBuilder builder;
    builder.set_dir("", (tmp_.path() / "src").string());
    builder.set_message(message);
    return builder.build(pool_);
  }

};

TEST_F(RegistryS3Test, PushBrowseInstallRoundTripWithVersionIds) {
  std::unique_ptr<Registry> registry = open(env_->versioned_bucket);
  Package local = make("first");
  PushResult pushed = registry->push(name_, local, PushOptions{}, pool_);
  EXPECT_EQ(pushed.package.top_hash(), local.top_hash());  // physical keys are not hashed
  for (const ManifestEntry& entry : pushed.package.entries()) {
    SCOPED_TRACE(entry.logical_key);
    ASSERT_TRUE(entry.physical_key.is_s3());
    EXPECT_EQ(entry.physical_key.bucket(), env_->versioned_bucket);
    EXPECT_EQ(entry.physical_key.s3_key(), prefix_ + "/team/data/" + entry.logical_key);
    EXPECT_TRUE(entry.physical_key.version_id().has_value());
  }
  // quilt3's layout, under the registry's prefix.
  EXPECT_TRUE(client_->head_object(env_->versioned_bucket,
                                   prefix_ + "/.quilt/packages/" + local.top_hash()));
  EXPECT_EQ(client_->get_object_bytes(env_->versioned_bucket,
                                      prefix_ + "/.quilt/named_packages/team/data/latest"),
            local.top_hash());
  std::unique_ptr<Registry> again = open(env_->versioned_bucket);
  EXPECT_EQ(again->list_packages(), std::vector<std::string>{"team/data"});
  EXPECT_EQ(again->browse(name_).top_hash(), local.top_hash());
  EXPECT_EQ(again->resolve(name_, local.top_hash().substr(0, 8)), local.top_hash());
  InstallOptions options;
  options.dest = (tmp_.path() / "out").string();
  again->install(name_, "", options, pool_);
  EXPECT_EQ(read_file(options.dest + "/d/big.bin"), read_file((tmp_.path() / "src/d/big.bin").string()));
  EXPECT_EQ(read_file(options.dest + "/a.txt"), "alpha");
}

TEST_F(RegistryS3Test, EntriesAlreadyInTheBucketStayWhereTheyAre) {
  std::unique_ptr<Registry> registry = open(env_->bucket);
  client_->put_object(env_->bucket, prefix_ + "/elsewhere/raw.csv", bytes_of("a,b\n1,2\n"));
  PackageBuilder builder;
  builder.set("raw.csv", "s3://" + env_->bucket + "/" + prefix_ + "/elsewhere/raw.csv");
  builder.set("a.txt", (tmp_.path() / "src/a.txt").string());
  Package pushed = registry->push(name_, builder.build(pool_), PushOptions{}, pool_).package;
  EXPECT_EQ(pushed.find("raw.csv")->physical_key.s3_key(), prefix_ + "/elsewhere/raw.csv");
  EXPECT_EQ(pushed.find("a.txt")->physical_key.s3_key(), prefix_ + "/team/data/a.txt");
  EXPECT_FALSE(client_->head_object(env_->bucket, prefix_ + "/team/data/raw.csv"));
}

TEST_F(RegistryS3Test, StaleParentConflictsAndLatestStays) {
  std::unique_ptr<Registry> registry = open(env_->bucket);
  PushOptions first;
  first.parent = "";
  Package v1 = make("one");
  registry->push(name_, v1, first, pool_);
  PushOptions stale;
  stale.parent = "";
  EXPECT_THROW(registry->push(name_, make("two"), stale, pool_), Conflict);
  EXPECT_EQ(registry->latest(name_), v1.top_hash());
  Package v2 = make("two");
  PushOptions on_top;
  on_top.parent = v1.top_hash();
  registry->push(name_, v2, on_top, pool_);
  EXPECT_EQ(registry->latest(name_), v2.top_hash());
  EXPECT_EQ(registry->list_versions(name_).size(), 2u);
  registry->rollback(name_, v1.top_hash());
  EXPECT_EQ(registry->latest(name_), v1.top_hash());
  registry->delete_version(name_, v2.top_hash());
  EXPECT_EQ(registry->list_versions(name_).size(), 2u);  // v1 twice: first push and rollback
  registry->delete_package(name_);
  EXPECT_TRUE(registry->list_packages().empty());
}

TEST_F(RegistryS3Test, ObjectChangedAfterPushFailsInstallAndInstallsNothing) {
  // An unversioned bucket: the entry's key names whatever bytes are there now.
  std::unique_ptr<Registry> registry = open(env_->bucket);
  registry->push(name_, make("one"), PushOptions{}, pool_);
  client_->put_object(env_->bucket, prefix_ + "/team/data/d/b.txt", bytes_of("BETA"));
  InstallOptions options;
  options.dest = (tmp_.path() / "out").string();
  std::string message = error_of<Corrupt>([&] { registry->install(name_, "", options, pool_); });
  EXPECT_TRUE(contains(message, "d/b.txt")) << message;
  EXPECT_FALSE(fs::exists(options.dest + "/a.txt"));
  EXPECT_FALSE(fs::exists(options.dest + "/d"));
}

TEST_F(RegistryS3Test, PushAgainSkipsObjectsAlreadyThereWhole) {
  std::unique_ptr<Registry> registry = open(env_->versioned_bucket);
  Package first = registry->push(name_, make("one"), PushOptions{}, pool_).package;
  // One file changes; the others are where the first push put them, with its hash.
  tmp_.write("src/a.txt", "ALPHA");
  Package second = registry->push(name_, make("two"), PushOptions{}, pool_).package;
  EXPECT_NE(second.find("a.txt")->physical_key, first.find("a.txt")->physical_key);
  EXPECT_EQ(second.find("d/b.txt")->physical_key, first.find("d/b.txt")->physical_key);
  EXPECT_EQ(second.find("d/big.bin")->physical_key, first.find("d/big.bin")->physical_key);
  // An object with the right size but other bytes (no hash of ours on it) is sent again.
  client_->put_object(env_->versioned_bucket, prefix_ + "/team/data/d/b.txt", bytes_of("BETA"));
  Package third = registry->push(name_, make("three"), PushOptions{}, pool_).package;
  EXPECT_NE(third.find("d/b.txt")->physical_key, first.find("d/b.txt")->physical_key);
  s3::GetOptions pinned;
  pinned.version_id = third.find("d/b.txt")->physical_key.version_id();
  EXPECT_EQ(client_->get_object_bytes(env_->versioned_bucket, prefix_ + "/team/data/d/b.txt", pinned),
            "beta");
}

TEST_F(RegistryS3Test, InstallAgainKeepsWholeFilesAndRepairsTheRest) {
  std::unique_ptr<Registry> registry = open(env_->bucket);
  registry->push(name_, make("one"), PushOptions{}, pool_);
  InstallOptions options;
  options.dest = (tmp_.path() / "out").string();
  registry->install(name_, "", options, pool_);
  struct stat before {};
  ASSERT_EQ(::stat((options.dest + "/d/big.bin").c_str(), &before), 0);
  tmp_.write("out/a.txt", "ALPHA");  // damaged: same size, other bytes
  fs::remove(options.dest + "/d/b.txt");
  registry->install(name_, "", options, pool_);
  EXPECT_EQ(read_file(options.dest + "/a.txt"), "alpha");
  EXPECT_EQ(read_file(options.dest + "/d/b.txt"), "beta");
  struct stat after {};
  ASSERT_EQ(::stat((options.dest + "/d/big.bin").c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);  // kept, not fetched and renamed again
}

TEST_F(RegistryS3Test, KilledPushRunAgainCompletesWithoutResending) {
  for (int i = 0; i < 120; ++i) {
    tmp_.write("many/f" + std::to_string(1000 + i) + ".bin", std::string(256 << 10, static_cast<char>('a' + i % 26)));
  }
  std::string registry = "s3://" + env_->versioned_bucket + "/" + prefix_;
  ScopedEnv quiet("QUILT_MINIMIZE_STDOUT", "1");
  std::vector<std::string> args = {"push", "team/many", "--dir", (tmp_.path() / "many").string(),
                                   "--registry", registry, "--endpoint-url", env_->endpoint};
  int pid = spawn_cli(args);
  // Kill it once some data is up, before it can have finished.
  std::vector<s3::ListedObject> uploaded;
  for (int tries = 0; tries < 400 && uploaded.size() < 10; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    s3::ListObjectsRequest request;
    request.prefix = prefix_ + "/team/many/";
    uploaded = client_->list_objects(env_->versioned_bucket, request).objects;
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_GE(uploaded.size(), 10u) << "the push never started uploading";
  s3::ListVersionsRequest versions;
  versions.prefix = prefix_ + "/team/many/";
  size_t versions_before = client_->list_object_versions(env_->versioned_bucket, versions).versions.size();
  EXPECT_FALSE(client_->head_object(env_->versioned_bucket,
                                    prefix_ + "/.quilt/named_packages/team/many/latest"))
      << "killed before it published";
  RunResult again = run_cli(args);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  // Every file now has exactly one version: what the killed push sent was not sent again.
  s3::ListVersionsResult after = client_->list_object_versions(env_->versioned_bucket, versions);
  EXPECT_EQ(after.versions.size(), 120u);
  EXPECT_GE(versions_before, 10u);
  std::unique_ptr<Registry> reg = Registry::open(registry);
  EXPECT_EQ(reg->browse(PackageName::parse("team/many")).entries().size(), 120u);
}

TEST_F(RegistryS3Test, BrowseCachesManifestsByUrlAndRefetchesABadCopy) {
  ScopedEnv cache("XDG_CACHE_HOME", (tmp_.path() / "cache").string());
  std::unique_ptr<Registry> registry = open(env_->bucket);
  Package local = make("one");
  registry->push(name_, local, PushOptions{}, pool_);
  fs::path dir = tmp_.path() / "cache/quiltcpp/manifests";
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_EQ(registry->browse(name_).top_hash(), local.top_hash());
  ASSERT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  std::string cached = fs::directory_iterator(dir)->path().string();
  // From the cache now: the registry's copy is no longer read.
  client_->delete_object(env_->bucket, prefix_ + "/.quilt/packages/" + local.top_hash());
  EXPECT_EQ(registry->browse(name_).top_hash(), local.top_hash());
  // A damaged cached copy is not trusted: the registry's is fetched (and here is gone).
  std::ofstream(cached, std::ios::trunc) << "{\"version\": \"v0\"}\n";
  EXPECT_THROW(registry->browse(name_), Corrupt);
  // The same package (one top hash) in another registry has its own physical keys.
  std::unique_ptr<Registry> other = Registry::open("s3://" + env_->bucket + "/" + prefix_ + "/other");
  other->push(name_, local, PushOptions{}, pool_);
  EXPECT_TRUE(other->browse(name_).find("a.txt")->physical_key.s3_key().starts_with(prefix_ + "/other/"));
}

TEST_F(RegistryS3Test, EntriesDeserializeStraightFromS3AndAreHashChecked) {
  std::unique_ptr<Registry> registry = open(env_->bucket);
  PackageBuilder builder;
  builder.set("doc.json", Json::parse("{\"a\": [1, 2.5, null]}"), SetObjectOptions{});
  Package built = builder.build(pool_);
  Package pushed = registry->push(name_, built, PushOptions{}, pool_).package;
  const ManifestEntry* entry = pushed.find("doc.json");
  ASSERT_TRUE(entry->physical_key.is_s3());
  Object object = deserialize(*entry, {});
  ASSERT_TRUE(std::holds_alternative<Json>(object));
  EXPECT_EQ(std::get<Json>(object), Json::parse("{\"a\": [1, 2.5, null]}"));
  client_->put_object(env_->bucket, entry->physical_key.s3_key(), bytes_of("{\"a\": [1, 2.5, 0]}"));
  std::string message = error_of<Corrupt>([&] { deserialize(*entry, {}); });
  EXPECT_TRUE(contains(message, "mismatch for 'doc.json'")) << message;
}

TEST_F(RegistryS3Test, CliPushAndInstall) {
  std::string registry = "s3://" + env_->bucket + "/" + prefix_;
  ScopedEnv quiet("QUILT_MINIMIZE_STDOUT", "1");
  RunResult push = run_cli({"push", "team/cli", "--dir", (tmp_.path() / "src").string(),
                            "--registry", registry, "--endpoint-url", env_->endpoint});
  ASSERT_EQ(push.exit_code, 0) << push.err;
  RunResult browse = run_cli({"browse", "team/cli", "--registry", registry, "--endpoint-url",
                              env_->endpoint});
  ASSERT_EQ(browse.exit_code, 0) << browse.err;
  EXPECT_TRUE(contains(browse.out, "big.bin")) << browse.out;
  std::string dest = (tmp_.path() / "cli-out").string();
  RunResult install = run_cli({"install", "quilt+" + registry + "#package=team/cli&path=d/",
                               "--dest", dest, "--endpoint-url", env_->endpoint});
  ASSERT_EQ(install.exit_code, 0) << install.err;
  EXPECT_EQ(read_file(dest + "/d/b.txt"), "beta");
  EXPECT_FALSE(fs::exists(dest + "/a.txt"));
  RunResult missing = run_cli({"browse", "team/none", "--registry", registry, "--endpoint-url",
                               env_->endpoint});
  EXPECT_EQ(missing.exit_code, 3) << missing.err;
}

}  // namespace
}  // namespace quilt::test
