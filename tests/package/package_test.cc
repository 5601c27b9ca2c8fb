#include "quilt/package.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "quilt/errors.h"
#include "quilt/manifest.h"

namespace quilt {
namespace {

ManifestEntry make_entry(const std::string& key, uint64_t size, const std::string& hash) {
  ManifestEntry entry;
  entry.logical_key = key;
  entry.physical_key = PhysicalKey::from_local_path("/data/" + key);
  entry.size = size;
  entry.hash = Hash{HashType::kSha2256Chunked, hash};
  return entry;
}

Manifest sample_manifest() {
  Manifest manifest;
  manifest.meta.set("version", "v0");
  manifest.meta.set("user_meta", Json::Object{{"k", Json(1)}});
  manifest.meta.set("message", "hello");
  // Deliberately not in walk order.
  for (const char* key : {"a.txt", "a/b", "z", "a/c/d", "a/c.e", "b/x"}) {
    manifest.entries.push_back(make_entry(key, 10, std::string("h-") + key));
  }
  manifest.directories.push_back({"a/", Json::Object{{"dir", Json(true)}}});
  return manifest;
}

std::vector<std::string> keys(std::span<const ManifestEntry> entries) {
  std::vector<std::string> out;
  for (const ManifestEntry& e : entries) out.push_back(e.logical_key);
  return out;
}

TEST(Package, EmptyPackageHasVersionOnly) {
  Package package;
  EXPECT_EQ(package.meta().manifest_text(), R"({"version": "v0"})");
  EXPECT_TRUE(package.entries().empty());
  EXPECT_FALSE(package.message().has_value());
  EXPECT_TRUE(package.user_meta().is_null());
  EXPECT_EQ(package.manifest_text(), "{\"version\": \"v0\"}\n");
  EXPECT_EQ(package.total_size(), 0u);
}

TEST(Package, PutsEntriesInWalkOrder) {
  Package package(sample_manifest());
  EXPECT_EQ(keys(package.entries()),
            (std::vector<std::string>{"a/b", "a/c/d", "a/c.e", "a.txt", "b/x", "z"}));
  EXPECT_EQ(package.total_size(), 60u);
  EXPECT_EQ(package.message(), "hello");
  EXPECT_EQ(package.user_meta(), Json(Json::Object{{"k", Json(1)}}));
}

TEST(Package, FindsEntriesByKey) {
  Package package(sample_manifest());
  for (const char* key : {"a.txt", "a/b", "z", "a/c/d", "a/c.e", "b/x"}) {
    const ManifestEntry* entry = package.find(key);
    ASSERT_NE(entry, nullptr) << key;
    EXPECT_EQ(entry->hash.value, std::string("h-") + key);
  }
  EXPECT_EQ(package.find("a"), nullptr);  // a directory is no entry
  EXPECT_EQ(package.find("a/c"), nullptr);
  EXPECT_EQ(package.find("zz"), nullptr);
  EXPECT_EQ(package.find(""), nullptr);
}

TEST(Package, UnderReturnsTheDirectoryRange) {
  Package package(sample_manifest());
  EXPECT_EQ(keys(package.under("a")), (std::vector<std::string>{"a/b", "a/c/d", "a/c.e"}));
  EXPECT_EQ(keys(package.under("a/")), keys(package.under("a")));
  EXPECT_EQ(keys(package.under("a/c")), (std::vector<std::string>{"a/c/d"}));
  EXPECT_EQ(keys(package.under("b")), (std::vector<std::string>{"b/x"}));
  EXPECT_EQ(package.under("").size(), 6u);
  EXPECT_TRUE(package.under("a.txt").empty());  // a file, not a directory
  EXPECT_TRUE(package.under("q").empty());
}

TEST(Package, TopHashIsComputedOnceAndMatchesManifest) {
  Manifest manifest = sample_manifest();
  Package package(manifest);
  normalize_manifest(manifest);
  std::string expected = compute_top_hash(manifest);
  std::vector<std::thread> threads;
  std::vector<const std::string*> seen(4);
  for (size_t i = 0; i < seen.size(); ++i) {
    threads.emplace_back([&, i] { seen[i] = &package.top_hash(); });
  }
  for (auto& t : threads) t.join();
  for (const std::string* hash : seen) {
    EXPECT_EQ(hash, seen[0]);  // one cached string
    EXPECT_EQ(*hash, expected);
  }
  Package copy = package;  // copies share the state
  EXPECT_EQ(&copy.top_hash(), seen[0]);
}

TEST(Package, ManifestTextRoundTrips) {
  Package package(sample_manifest());
  std::string text = package.manifest_text();
  Package again(read_manifest(text));
  EXPECT_EQ(again.manifest_text(), text);
  EXPECT_EQ(again.top_hash(), package.top_hash());
  EXPECT_NE(text.find("{\"logical_key\": \"a/\", \"meta\": {\"dir\": true}}\n"), std::string::npos);
}

TEST(Package, RefusesDuplicateKeys) {
  Manifest manifest = sample_manifest();
  manifest.entries.push_back(make_entry("z", 1, "other"));
  EXPECT_THROW(Package{manifest}, Corrupt);
  Manifest clash = sample_manifest();
  clash.entries.push_back(make_entry("z/under", 1, "x"));
  EXPECT_THROW(Package{clash}, Corrupt);
}

}  // namespace
}  // namespace quilt
