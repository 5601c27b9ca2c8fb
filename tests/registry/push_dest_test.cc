// Push with a destination and a selector (quilt3's dest and selector_fn), into local registries
// and S3 registries on the real S3 server: data lands at the dest keys and the manifest says so
// (with versionIds on a versioned bucket), unselected entries keep their keys, a local key left
// in an S3 package, a bad dest and colliding dests are refused with nothing published, and a
// push run again at a custom dest does not upload again what is already there.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "s3_registry_fixture.h"
#include "quilt/errors.h"
#include "quilt/package_builder.h"
#include "quilt/registry.h"
#include "quilt/thread_pool.h"
#include "test_util.h"

namespace quilt::test {
namespace {

namespace fs = std::filesystem;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class PushDestLocal : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_.write("src/a.txt", "alpha");
    tmp_.write("src/d/b.txt", "beta");
    registry_ = Registry::open((tmp_.path() / "reg").string());
  }
  Package make() {
    PackageBuilder builder;
    builder.set_dir("", (tmp_.path() / "src").string());
    builder.set_message("m");
    return builder.build(pool_);
  }
  std::string at(const std::string& relative) const { return (tmp_.path() / relative).string(); }
  // Nothing of the package was published.
  void expect_unpublished() {
    EXPECT_TRUE(registry_->list_packages().empty());
    EXPECT_FALSE(fs::exists(at("reg/me/pkg")));
  }

  TempDir tmp_;
  ThreadPool pool_{2};
  std::unique_ptr<Registry> registry_;
  PackageName name_ = PackageName::parse("me/pkg");
};

TEST_F(PushDestLocal, DataLandsUnderTheDestPrefixAndTheManifestSaysSo) {
  PushOptions options;
  options.dest = at("out") + "/";  // a trailing '/' changes nothing
  Package pushed = registry_->push(name_, make(), options, pool_).package;
  EXPECT_EQ(read_file(at("out/a.txt")), "alpha");
  EXPECT_EQ(read_file(at("out/d/b.txt")), "beta");
  EXPECT_FALSE(fs::exists(at("reg/me/pkg")));
  EXPECT_EQ(pushed.find("a.txt")->physical_key, PhysicalKey::from_local_path(at("out/a.txt")));
  EXPECT_EQ(pushed.find("d/b.txt")->physical_key, PhysicalKey::from_local_path(at("out/d/b.txt")));
  Package browsed = registry_->browse(name_);
  EXPECT_EQ(browsed.find("d/b.txt")->physical_key, pushed.find("d/b.txt")->physical_key);
}

TEST_F(PushDestLocal, FileUrlDestAndDestFunction) {
  PushOptions by_url;
  by_url.dest = PhysicalKey::from_local_path(at("by url")).str();  // "by%20url"
  Package pushed = registry_->push(name_, make(), by_url, pool_).package;
  EXPECT_EQ(read_file(at("by url/d/b.txt")), "beta");

  PushOptions by_fn;
  by_fn.dest_fn = [&](const ManifestEntry& e) {
    std::string flat = e.logical_key;
    std::replace(flat.begin(), flat.end(), '/', '_');
    return at("flat/" + flat + ".copy");
  };
  pushed = registry_->push(name_, make(), by_fn, pool_).package;
  EXPECT_EQ(read_file(at("flat/d_b.txt.copy")), "beta");
  EXPECT_EQ(pushed.find("d/b.txt")->physical_key,
            PhysicalKey::from_local_path(at("flat/d_b.txt.copy")));
  EXPECT_EQ(pushed.find("a.txt")->physical_key,
            PhysicalKey::from_local_path(at("flat/a.txt.copy")));
}

TEST_F(PushDestLocal, SelectorFalseKeepsThePhysicalKey) {
  PushOptions options;
  options.selector = [](const ManifestEntry& e) { return e.logical_key == "a.txt"; };
  Package pushed = registry_->push(name_, make(), options, pool_).package;
  EXPECT_EQ(pushed.find("a.txt")->physical_key,
            PhysicalKey::from_local_path(at("reg/me/pkg/a.txt")));
  EXPECT_EQ(pushed.find("d/b.txt")->physical_key, PhysicalKey::from_local_path(at("src/d/b.txt")));
  EXPECT_EQ(read_file(at("reg/me/pkg/a.txt")), "alpha");
  EXPECT_FALSE(fs::exists(at("reg/me/pkg/d/b.txt")));
}

TEST_F(PushDestLocal, CollidingDestsAreRefusedAndNothingIsWritten) {
  PushOptions options;
  options.dest_fn = [&](const ManifestEntry&) { return at("one/file"); };
  std::string message =
      error_of<InvalidArgument>([&] { registry_->push(name_, make(), options, pool_); });
  EXPECT_TRUE(has(message, "'a.txt'") && has(message, "'d/b.txt'")) << message;
  EXPECT_TRUE(has(message, at("one/file"))) << message;
  EXPECT_FALSE(fs::exists(at("one")));
  expect_unpublished();
}

TEST_F(PushDestLocal, BadDestsAreRefusedNamingThem) {
  for (const std::string& dest : {std::string("http://example.com/x"), std::string("s3://"),
                                  std::string("s3://bucket/p?versionId=3"),
                                  std::string("s3://ab/p")}) {
    SCOPED_TRACE(dest);
    PushOptions options;
    options.dest = dest;
    std::string message =
        error_of<InvalidArgument>([&] { registry_->push(name_, make(), options, pool_); });
    EXPECT_TRUE(has(message, dest)) << message;
  }
  PushOptions object_dir;
  object_dir.dest_fn = [](const ManifestEntry& e) {
    return "s3://bucket/dir/" + e.logical_key + "/";
  };
  std::string message =
      error_of<InvalidArgument>([&] { registry_->push(name_, make(), object_dir, pool_); });
  EXPECT_TRUE(has(message, "'a.txt'")) << message;
  PushOptions dots;
  dots.dest = "s3://bucket/a//b";
  message = error_of<InvalidArgument>([&] { registry_->push(name_, make(), dots, pool_); });
  EXPECT_TRUE(has(message, "segment")) << message;
  PushOptions layout;
  layout.dest = at("reg/.quilt/packages");
  message = error_of<InvalidArgument>([&] { registry_->push(name_, make(), layout, pool_); });
  EXPECT_TRUE(has(message, ".quilt/")) << message;
  // dest belongs to a push: a build (no copy) refuses it rather than ignoring it.
  PushOptions build;
  build.copy_data = false;
  build.dest = at("out");
  error_of<InvalidArgument>([&] { registry_->push(name_, make(), build, pool_); });
  expect_unpublished();
}

TEST_F(PushDestLocal, AnExceptionFromAUserFunctionPropagatesAndNothingIsWritten) {
  PushOptions options;
  options.dest = at("out");
  options.selector = [](const ManifestEntry& e) -> bool {
    if (e.logical_key == "d/b.txt") throw std::runtime_error("selector gave up on d/b.txt");
    return true;
  };
  try {
    registry_->push(name_, make(), options, pool_);
    FAIL() << "the selector's exception must propagate";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "selector gave up on d/b.txt");
  }
  EXPECT_FALSE(fs::exists(at("out")));  // not even the entry decided before it
  expect_unpublished();
}

class PushDestS3 : public S3RegistryFixture {
 protected:
  void SetUp() override {
    S3RegistryFixture::SetUp();
    if (env_ == nullptr) return;
    tmp_.write("src/a.txt", "alpha");
    tmp_.write("src/d/b.txt", "beta");
  }
  void TearDown() override {
    if (!client_) return;
    for (const std::string& bucket : {env_->bucket, env_->versioned_bucket}) {
      s3_delete_prefix(*client_, bucket, prefix_ + "/");
    }
  }
  std::unique_ptr<Registry> open(const std::string& bucket) {
    return Registry::open("s3://" + bucket + "/" + prefix_ + "/reg");
  }
  Package make(const std::string& message = "m") {
    PackageBuilder builder;
    builder.set_dir("", (tmp_.path() / "src").string());
    builder.set_message(message);
    return builder.build(pool_);
  }
  // No object at all under this test's prefix of the plain bucket.
  bool nothing_under_prefix() {
    s3::ListObjectsRequest request;
    request.prefix = prefix_ + "/";
    return client_->list_objects(env_->bucket, request).objects.empty();
  }
  std::string get(const std::string& bucket, const std::string& key) {
    return client_->get_object_bytes(bucket, key);
  }

};

TEST_F(PushDestS3, DataGoesToADestInAnotherBucketWithVersionIds) {
  std::unique_ptr<Registry> registry = open(env_->bucket);
  PushOptions options;
  options.dest = "s3://" + env_->versioned_bucket + "/" + prefix_ + "/out";
  Package pushed = registry->push(name_, make(), options, pool_).package;
  for (const ManifestEntry& entry : pushed.entries()) {
    SCOPED_TRACE(entry.logical_key);
    ASSERT_TRUE(entry.physical_key.is_s3());
    EXPECT_EQ(entry.physical_key.bucket(), env_->versioned_bucket);
    EXPECT_EQ(entry.physical_key.s3_key(), prefix_ + "/out/" + entry.logical_key);
    std::optional<s3::ObjectMeta> meta =
        client_->head_object(env_->versioned_bucket, entry.physical_key.s3_key());
    ASSERT_TRUE(meta && meta->version_id);
    EXPECT_EQ(entry.physical_key.version_id(), meta->version_id);
  }
  EXPECT_EQ(get(env_->versioned_bucket, prefix_ + "/out/d/b.txt"), "beta");
  EXPECT_FALSE(client_->head_object(env_->bucket, prefix_ + "/reg/team/data/a.txt"));
  EXPECT_EQ(registry->browse(name_).find("a.txt")->physical_key,
            pushed.find("a.txt")->physical_key);
  // And the install reads the data back from there.
  InstallOptions install;
  install.dest = (tmp_.path() / "installed").string();
  registry->install(name_, "", install, pool_);
  EXPECT_EQ(read_file(install.dest + "/d/b.txt"), "beta");
}

TEST_F(PushDestS3, DestFunctionAndSelectorKeepingAnS3Key) {
  std::unique_ptr<Registry> registry = open(env_->bucket);
  std::string raw_key = prefix_ + "/elsewhere/raw.csv";
  s3::PutResult raw = client_->put_object(env_->versioned_bucket, raw_key, bytes_of("a,b\n1,2\n"));
  PackageBuilder builder;
  builder.set("raw.csv", "s3://" + env_->versioned_bucket + "/" + raw_key + "?versionId=" +
                             raw.version_id.value_or(""));
  builder.set("a.txt", (tmp_.path() / "src/a.txt").string());
  Package package = builder.build(pool_);
  PushOptions options;
  options.selector = [](const ManifestEntry& e) { return e.physical_key.is_local(); };
  int calls = 0;
  options.dest_fn = [&](const ManifestEntry& e) {
    ++calls;
    return "s3://" + env_->bucket + "/" + prefix_ + "/by-fn/" + e.logical_key + ".v1";
  };
  Package pushed = registry->push(name_, package, options, pool_).package;
  EXPECT_EQ(calls, 1);  // only for the entry the selector copies
  EXPECT_EQ(pushed.find("raw.csv")->physical_key, package.find("raw.csv")->physical_key);
  EXPECT_EQ(pushed.find("a.txt")->physical_key.str(),
            "s3://" + env_->bucket + "/" + prefix_ + "/by-fn/a.txt.v1");
  EXPECT_EQ(get(env_->bucket, prefix_ + "/by-fn/a.txt.v1"), "alpha");
  EXPECT_FALSE(client_->head_object(env_->bucket, prefix_ + "/by-fn/raw.csv.v1"));
}

TEST_F(PushDestS3, TheDefaultKeepsWhatIsInTheDestBucketAndCopiesTheRest) {
  std::unique_ptr<Registry> registry = open(env_->bucket);
  std::string raw_key = prefix_ + "/elsewhere/raw.csv";
  client_->put_object(env_->versioned_bucket, raw_key, bytes_of("a,b\n1,2\n"));
  PackageBuilder builder;
  builder.set("raw.csv", "s3://" + env_->versioned_bucket + "/" + raw_key);
  Package package = builder.build(pool_);
  const PhysicalKey& source = package.find("raw.csv")->physical_key;
  // A dest in the plain bucket: the object in the versioned one is copied there (on the server).
  PushOptions there;
  there.dest = "s3://" + env_->bucket + "/" + prefix_ + "/copied";
  Package pushed = registry->push(name_, package, there, pool_).package;
  EXPECT_EQ(pushed.find("raw.csv")->physical_key.str(),
            "s3://" + env_->bucket + "/" + prefix_ + "/copied/raw.csv");
  EXPECT_EQ(get(env_->bucket, prefix_ + "/copied/raw.csv"), "a,b\n1,2\n");
  // A dest in the versioned bucket, where the object already is: it stays where it is.
  PushOptions here;
  here.dest = "s3://" + env_->versioned_bucket + "/" + prefix_ + "/not-used";
  pushed = registry->push(name_, package, here, pool_).package;
  EXPECT_EQ(pushed.find("raw.csv")->physical_key, source);
  EXPECT_FALSE(client_->head_object(env_->versioned_bucket, prefix_ + "/not-used/raw.csv"));
}

TEST_F(PushDestS3, ALocalKeyLeftInAnS3PackageIsRefused) {
  std::unique_ptr<Registry> registry = open(env_->bucket);
  PushOptions options;
  options.dest = "s3://" + env_->bucket + "/" + prefix_ + "/out";
  options.selector = [](const ManifestEntry& e) { return e.logical_key != "d/b.txt"; };
  std::string message =
      error_of<InvalidArgument>([&] { registry->push(name_, make(), options, pool_); });
  EXPECT_TRUE(has(message, "'d/b.txt'") && has(message, "local")) << message;
  EXPECT_TRUE(nothing_under_prefix());
}

TEST_F(PushDestS3, ALocalDestForAnS3RegistryIsRefused) {
  std::unique_ptr<Registry> registry = open(env_->bucket);
  std::string local = (tmp_.path() / "out").string();
  for (bool by_fn : {false, true}) {
    PushOptions options;
    if (by_fn) {
      options.dest_fn = [&](const ManifestEntry& e) { return local + "/" + e.logical_key; };
    } else {
      options.dest = local;
    }
    std::string message =
        error_of<InvalidArgument>([&] { registry->push(name_, make(), options, pool_); });
    EXPECT_TRUE(has(message, local) && has(message, "unreachable")) << message;
  }
  EXPECT_FALSE(fs::exists(local));
  EXPECT_TRUE(nothing_under_prefix());
}

TEST_F(PushDestS3, ALocalRegistryMayPutItsDataInS3) {
  std::unique_ptr<Registry> registry = Registry::open((tmp_.path() / "reg").string());
  PushOptions options;
  options.dest = "s3://" + env_->bucket + "/" + prefix_ + "/from-local";
  Package pushed = registry->push(name_, make(), options, pool_).package;
  EXPECT_EQ(pushed.find("d/b.txt")->physical_key.str(),
            "s3://" + env_->bucket + "/" + prefix_ + "/from-local/d/b.txt");
  EXPECT_EQ(get(env_->bucket, prefix_ + "/from-local/d/b.txt"), "beta");
  EXPECT_FALSE(fs::exists(tmp_.path() / "reg/team"));
}

TEST_F(PushDestS3, APushRunAgainAtACustomDestDoesNotUploadAgain) {
  std::string dest = "s3://" + env_->versioned_bucket + "/" + prefix_ + "/out";
  // A stranger's object at one of the keys (no quilt-hash metadata): it must be replaced.
  client_->put_object(env_->versioned_bucket, prefix_ + "/out/d/b.txt", bytes_of("BETA"));
  std::unique_ptr<Registry> registry = open(env_->bucket);
  PushOptions options;
  options.dest = dest;
  Package first = registry->push(name_, make("one"), options, pool_).package;
  EXPECT_EQ(get(env_->versioned_bucket, prefix_ + "/out/d/b.txt"), "beta");
  // Pushed again (as after an interruption, or a new revision of the same files): every object
  // is already there with its hash, so the versions recorded are the first push's, and the
  // versioned bucket holds no new version. Through a dest function too (HEADs, no listing).
  Package second = registry->push(name_, make("two"), options, pool_).package;
  PushOptions by_fn;
  by_fn.dest_fn = [&](const ManifestEntry& e) { return dest + "/" + e.logical_key; };
  Package third = registry->push(name_, make("three"), by_fn, pool_).package;
  for (const Package* again : {&second, &third}) {
    for (const ManifestEntry& entry : first.entries()) {
      SCOPED_TRACE(entry.logical_key);
      ASSERT_TRUE(entry.physical_key.version_id());
      EXPECT_EQ(again->find(entry.logical_key)->physical_key, entry.physical_key);
    }
  }
  s3::ListVersionsRequest request;
  request.prefix = prefix_ + "/out/";
  size_t versions = client_->list_object_versions(env_->versioned_bucket, request).versions.size();
  EXPECT_EQ(versions, 3u);  // the stranger's b.txt, then a.txt and b.txt once each
}

}  // namespace
}  // namespace quilt::test
