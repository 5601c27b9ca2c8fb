#pragma once

// The contract every ObjectStore backend keeps, as one typed test suite
// (arrow's GenericFileSystemTest). A backend's test file defines a Factory,
// a default-constructible type whose `std::unique_ptr<ObjectStore> make()`
// returns an empty store that lives as long as the factory, and writes
//
//   using Factories = ::testing::Types<MyFactory>;
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, StoreConformance, Factories);
//
// This header may be included by several test files of one binary.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "quilt/errors.h"
#include "quilt/object_store.h"

namespace quilt::test {

// Option builders: GCC 12 warns (-Wmissing-field-initializers) on designated
// initializers that leave members out.
inline ListOptions list_options(char delimiter, size_t max_keys = 1000) {
  ListOptions options;
  options.delimiter = delimiter;
  options.max_keys = max_keys;
  return options;
}

inline ByteRange byte_range(uint64_t offset, std::optional<uint64_t> length = std::nullopt) {
  return ByteRange{offset, length};
}

template <class Factory>
class StoreConformance : public ::testing::Test {
 protected:
  void SetUp() override { store_ = factory_.make(); }

  ObjectStore& store() { return *store_; }

  std::vector<std::string> keys_under(std::string_view prefix) {
    std::vector<std::string> keys;
    for (const ObjectInfo& info : store_->list_all(prefix)) keys.push_back(info.key);
    return keys;
  }

  // Every page of a listing with `options`, concatenated; checks page sizes.
  ListPage all_pages(std::string_view prefix, ListOptions options) {
    ListPage all;
    std::string token;
    for (int pages = 0; pages < 1000; ++pages) {
      options.page_token = token;
      ListPage page = store_->list(prefix, options);
      EXPECT_LE(page.objects.size() + page.common_prefixes.size(), options.max_keys);
      if (!page.next_token.empty()) {
        EXPECT_EQ(page.objects.size() + page.common_prefixes.size(), options.max_keys);
      }
      all.objects.insert(all.objects.end(), page.objects.begin(), page.objects.end());
      all.common_prefixes.insert(all.common_prefixes.end(), page.common_prefixes.begin(),
                                 page.common_prefixes.end());
      if (page.next_token.empty()) return all;
      token = page.next_token;
    }
    ADD_FAILURE() << "listing never ended";
    return all;
  }

  void put_all(const std::vector<std::string>& keys) {
    for (const std::string& key : keys) store_->put(key, "value of " + key);
  }

  Factory factory_;
  std::unique_ptr<ObjectStore> store_;
};

TYPED_TEST_SUITE_P(StoreConformance);

inline std::vector<std::string> object_keys(const ListPage& page) {
  std::vector<std::string> keys;
  for (const ObjectInfo& info : page.objects) keys.push_back(info.key);
  return keys;
}

inline std::string pattern_bytes(size_t size, uint8_t seed) {
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 131 + seed * 7 + i / 977));
  return bytes;
}

TYPED_TEST_P(StoreConformance, RootUrlHasScheme) {
  std::string url = this->store().root_url();
  EXPECT_NE(url.find("://"), std::string::npos) << url;
}

TYPED_TEST_P(StoreConformance, MissingKeyHeadsNulloptAndReadsNotFound) {
  EXPECT_EQ(this->store().head("no/such/key"), std::nullopt);
  try {
    this->store().open_read("no/such/key");
    FAIL() << "open_read of a missing key did not throw";
  } catch (const NotFound& e) {
    EXPECT_NE(std::string(e.what()).find("no/such/key"), std::string::npos) << e.what();
  }
  EXPECT_THROW(this->store().get("missing"), NotFound);
}

TYPED_TEST_P(StoreConformance, PutThenHeadAndGet) {
  ObjectInfo put = this->store().put("dir/sub/file.txt", "hello");
  EXPECT_EQ(put.key, "dir/sub/file.txt");
  EXPECT_EQ(put.size, 5u);
  std::optional<ObjectInfo> head = this->store().head("dir/sub/file.txt");
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->key, "dir/sub/file.txt");
  EXPECT_EQ(head->size, 5u);
  EXPECT_EQ(this->store().get("dir/sub/file.txt"), "hello");
  // A "directory" of keys is not an object.
  EXPECT_EQ(this->store().head("dir/sub"), std::nullopt);
  EXPECT_EQ(this->store().head("dir"), std::nullopt);
  EXPECT_THROW(this->store().open_read("dir/sub"), NotFound);
}

TYPED_TEST_P(StoreConformance, EmptyAndBinaryObjects) {
  this->store().put("empty", "");
  ASSERT_TRUE(this->store().head("empty").has_value());
  EXPECT_EQ(this->store().head("empty")->size, 0u);
  EXPECT_EQ(this->store().get("empty"), "");
  std::string binary("\0\xff\n\r\0x", 6);
  this->store().put("binary", binary);
  EXPECT_EQ(this->store().get("binary"), binary);
}

TYPED_TEST_P(StoreConformance, PutReplacesWholeValue) {
  this->store().put("k", "a much longer first value");
  this->store().put("k", "short");
  EXPECT_EQ(this->store().get("k"), "short");
  EXPECT_EQ(this->store().head("k")->size, 5u);
}

TYPED_TEST_P(StoreConformance, LargeObjectWrittenInPieces) {
  std::string bytes = pattern_bytes(3 * 1024 * 1024 + 17, 1);
  std::unique_ptr<Writer> writer = this->store().open_write("large.bin");
  size_t done = 0;
  for (size_t piece = 1; done < bytes.size(); piece = piece * 3 + 1) {
    size_t n = std::min(piece, bytes.size() - done);
    writer->write(std::string_view(bytes).substr(done, n));
    done += n;
  }
  EXPECT_EQ(writer->commit().size, bytes.size());
  EXPECT_EQ(this->store().get("large.bin"), bytes);
}

TYPED_TEST_P(StoreConformance, ReadsRanges) {
  this->store().put("r", "0123456789");
  auto read = [&](ByteRange range) { return this->store().open_read("r", range)->read_all(); };
  EXPECT_EQ(read({}), "0123456789");
  EXPECT_EQ(read(byte_range(3)), "3456789");
  EXPECT_EQ(read(byte_range(3, 4)), "3456");
  EXPECT_EQ(read(byte_range(0, 1)), "0");
  EXPECT_EQ(read(byte_range(8, 100)), "89");  // clamped to the end
  EXPECT_EQ(read(byte_range(9)), "9");
  EXPECT_EQ(read(byte_range(10)), "");
  EXPECT_EQ(read(byte_range(25, 3)), "");
  EXPECT_EQ(read(byte_range(2, 0)), "");
}

TYPED_TEST_P(StoreConformance, ReaderReturnsSmallPiecesThenZero) {
  this->store().put("p", "abcdefg");
  std::unique_ptr<Reader> reader = this->store().open_read("p", byte_range(1, 5));
  std::string got;
  uint8_t buffer[2];
  while (size_t n = reader->read(buffer)) {
    ASSERT_LE(n, 2u);
    got.append(reinterpret_cast<char*>(buffer), n);
  }
  EXPECT_EQ(got, "bcdef");
  EXPECT_EQ(reader->read(buffer), 0u);
}

TYPED_TEST_P(StoreConformance, WriteIsInvisibleUntilCommit) {
  this->store().put("old", "old value");
  std::unique_ptr<Writer> fresh = this->store().open_write("fresh");
  std::unique_ptr<Writer> over = this->store().open_write("old");
  fresh->write("new");
  over->write("new value");
  EXPECT_EQ(this->store().head("fresh"), std::nullopt);
  EXPECT_EQ(this->store().get("old"), "old value");
  EXPECT_EQ(this->keys_under(""), std::vector<std::string>{"old"});
  fresh->commit();
  over->commit();
  EXPECT_EQ(this->store().get("fresh"), "new");
  EXPECT_EQ(this->store().get("old"), "new value");
}

TYPED_TEST_P(StoreConformance, UncommittedWritersLeaveNothing) {
  this->store().put("kept", "kept value");
  {
    std::unique_ptr<Writer> a = this->store().open_write("a/b/never");
    a->write("discarded");
    std::unique_ptr<Writer> b = this->store().open_write("kept");
    b->write("discarded too");
  }
  EXPECT_EQ(this->store().head("a/b/never"), std::nullopt);
  EXPECT_EQ(this->store().get("kept"), "kept value");
  EXPECT_EQ(this->keys_under(""), std::vector<std::string>{"kept"});
  ListPage top = this->store().list("", list_options('/'));
  EXPECT_TRUE(top.common_prefixes.empty());
}

TYPED_TEST_P(StoreConformance, IfAbsentCreatesAndConflicts) {
  this->store().put("x", "first", {.if_absent = true});
  EXPECT_EQ(this->store().get("x"), "first");
  EXPECT_THROW(this->store().put("x", "second", {.if_absent = true}), Conflict);
  EXPECT_EQ(this->store().get("x"), "first");
  // The condition holds at commit, not at open.
  std::unique_ptr<Writer> late = this->store().open_write("y", {.if_absent = true});
  late->write("late");
  this->store().put("y", "early");
  EXPECT_THROW(late->commit(), Conflict);
  EXPECT_EQ(this->store().get("y"), "early");
  late.reset();
  EXPECT_EQ(this->keys_under(""), (std::vector<std::string>{"x", "y"}));
}

TYPED_TEST_P(StoreConformance, ConcurrentIfAbsentHasOneWinner) {
  constexpr int kThreads = 8;
  std::atomic<int> wins{0};
  std::atomic<int> conflicts{0};
  std::atomic<int> other_errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      try {
        this->store().put("race", "writer " + std::to_string(i), {.if_absent = true});
        ++wins;
      } catch (const Conflict&) {
        ++conflicts;
      } catch (...) {
        ++other_errors;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
  EXPECT_EQ(other_errors.load(), 0);
  EXPECT_TRUE(this->store().get("race").starts_with("writer "));
}

TYPED_TEST_P(StoreConformance, ConcurrentWritersLeaveOneWholeValue) {
  constexpr int kThreads = 6;
  constexpr size_t kSize = 512 * 1024 + 3;
  std::vector<std::string> values;
  for (int i = 0; i < kThreads; ++i)
    values.push_back(pattern_bytes(kSize, static_cast<uint8_t>(i)));
  std::atomic<int> errors{0};
  std::atomic<bool> writing{true};
  std::atomic<int> torn_reads{0};
  this->store().put("shared", values[0]);
  std::thread reader([&] {
    while (writing) {
      std::string seen = this->store().get("shared");
      if (std::find(values.begin(), values.end(), seen) == values.end()) ++torn_reads;
    }
  });
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      try {
        for (int round = 0; round < 3; ++round) {
          std::unique_ptr<Writer> w = this->store().open_write("shared");
          for (size_t at = 0; at < kSize; at += 4096) {
            w->write(std::string_view(values[i]).substr(at, 4096));
          }
          w->commit();
        }
      } catch (...) {
        ++errors;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  writing = false;
  reader.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(torn_reads.load(), 0);
  std::string final_value = this->store().get("shared");
  EXPECT_NE(std::find(values.begin(), values.end(), final_value), values.end());
  EXPECT_EQ(this->keys_under(""), std::vector<std::string>{"shared"});
}

TYPED_TEST_P(StoreConformance, ListsEmptyStore) {
  ListPage page = this->store().list("");
  EXPECT_TRUE(page.objects.empty());
  EXPECT_TRUE(page.common_prefixes.empty());
  EXPECT_TRUE(page.next_token.empty());
  EXPECT_TRUE(this->store().list("no/such/", list_options('/')).objects.empty());
}

TYPED_TEST_P(StoreConformance, ListsInKeyByteOrderWithSizes) {
  // '-' < '.' < '/' < '0': a tree walk in name order would put a/... before a.txt.
  this->put_all({"a0", "a/c/d", "b", "a.txt", "a/b", "a-c", "A", "\xc3\xa9"});
  std::vector<std::string> expected = {"A", "a-c", "a.txt", "a/b", "a/c/d", "a0", "b", "\xc3\xa9"};
  EXPECT_EQ(this->keys_under(""), expected);
  for (const ObjectInfo& info : this->store().list_all("")) {
    EXPECT_EQ(info.size, ("value of " + info.key).size()) << info.key;
  }
}

TYPED_TEST_P(StoreConformance, ListPrefixIsAStringPrefix) {
  // (No key is also the "directory" of another: a local store cannot hold both.)
  this->put_all({"a/b-1", "a/b.txt", "a/bc/d", "a/b/x", "a/c", "ab", "b"});
  EXPECT_EQ(this->keys_under("a/b"),
            (std::vector<std::string>{"a/b-1", "a/b.txt", "a/b/x", "a/bc/d"}));
  EXPECT_EQ(this->keys_under("a/b/"), std::vector<std::string>{"a/b/x"});
  EXPECT_EQ(this->keys_under("a"),
            (std::vector<std::string>{"a/b-1", "a/b.txt", "a/b/x", "a/bc/d", "a/c", "ab"}));
  EXPECT_EQ(this->keys_under("a/b/x"), std::vector<std::string>{"a/b/x"});
  EXPECT_TRUE(this->keys_under("a/z").empty());
  EXPECT_TRUE(this->keys_under("zz/").empty());
}

TYPED_TEST_P(StoreConformance, ListPaginatesWithMaxKeys) {
  std::vector<std::string> keys = {"a", "b/1", "b/2", "b/3/x", "c.txt", "c/d", "e"};
  this->put_all(keys);
  ListPage first = this->store().list("", list_options(0, 2));
  EXPECT_EQ(object_keys(first), (std::vector<std::string>{"a", "b/1"}));
  EXPECT_FALSE(first.next_token.empty());
  ListPage all = this->all_pages("", list_options(0, 2));
  EXPECT_EQ(object_keys(all), keys);
  ListPage one_by_one = this->all_pages("b/", list_options(0, 1));
  EXPECT_EQ(object_keys(one_by_one), (std::vector<std::string>{"b/1", "b/2", "b/3/x"}));
  // Exactly a page's worth: the last page may be full, but ends the listing.
  ListPage exact = this->all_pages("b/", list_options(0, 3));
  EXPECT_EQ(object_keys(exact).size(), 3u);
}

TYPED_TEST_P(StoreConformance, ListWithDelimiterGivesCommonPrefixes) {
  this->put_all({"top.txt", "a/1", "a/2/x", "b/c/d", "b.txt", "zz"});
  ListPage root = this->store().list("", list_options('/'));
  EXPECT_EQ(object_keys(root), (std::vector<std::string>{"b.txt", "top.txt", "zz"}));
  EXPECT_EQ(root.common_prefixes, (std::vector<std::string>{"a/", "b/"}));
  ListPage a = this->store().list("a/", list_options('/'));
  EXPECT_EQ(object_keys(a), std::vector<std::string>{"a/1"});
  EXPECT_EQ(a.common_prefixes, std::vector<std::string>{"a/2/"});
  ListPage partial = this->store().list("b", list_options('/'));
  EXPECT_EQ(object_keys(partial), std::vector<std::string>{"b.txt"});
  EXPECT_EQ(partial.common_prefixes, std::vector<std::string>{"b/"});
  ListPage deep = this->store().list("b/c/", list_options('/'));
  EXPECT_EQ(object_keys(deep), std::vector<std::string>{"b/c/d"});
  EXPECT_TRUE(deep.common_prefixes.empty());
}

TYPED_TEST_P(StoreConformance, ListWithDelimiterPaginates) {
  this->put_all({"a/1", "a/2", "b", "c/1", "d", "e/f/g", "f"});
  ListPage all = this->all_pages("", list_options('/', 2));
  EXPECT_EQ(object_keys(all), (std::vector<std::string>{"b", "d", "f"}));
  EXPECT_EQ(all.common_prefixes, (std::vector<std::string>{"a/", "c/", "e/"}));
}

TYPED_TEST_P(StoreConformance, RemoveDeletesAndIgnoresMissing) {
  this->put_all({"d/e/f", "d/g", "h"});
  this->store().remove("d/e/f");
  EXPECT_EQ(this->store().head("d/e/f"), std::nullopt);
  EXPECT_EQ(this->keys_under(""), (std::vector<std::string>{"d/g", "h"}));
  EXPECT_EQ(this->store().list("d/", list_options('/')).common_prefixes.size(), 0u);
  EXPECT_NO_THROW(this->store().remove("d/e/f"));
  EXPECT_NO_THROW(this->store().remove("never/was"));
  EXPECT_NO_THROW(this->store().remove("d"));  // a "directory", no object
  this->store().remove("d/g");
  EXPECT_TRUE(this->store().list("", list_options('/')).common_prefixes.empty());
  // A key can be written again where its "directory" was emptied.
  this->store().put("d/e/f", "again");
  EXPECT_EQ(this->store().get("d/e/f"), "again");
}

TYPED_TEST_P(StoreConformance, CopyMakesAnIndependentObject) {
  std::string bytes = pattern_bytes(2 * 1024 * 1024 + 5, 9);
  this->store().put("src/data", bytes);
  this->store().put("dst/old", "to be replaced");
  ObjectInfo copied = this->store().copy("src/data", "dst/new/data");
  EXPECT_EQ(copied.key, "dst/new/data");
  EXPECT_EQ(copied.size, bytes.size());
  EXPECT_EQ(this->store().get("dst/new/data"), bytes);
  this->store().copy("src/data", "dst/old");
  EXPECT_EQ(this->store().get("dst/old"), bytes);
  this->store().put("src/data", "changed");
  EXPECT_EQ(this->store().get("dst/new/data"), bytes);
  this->store().copy("src/data", "src/data");
  EXPECT_EQ(this->store().get("src/data"), "changed");
  EXPECT_THROW(this->store().copy("src/missing", "dst/x"), NotFound);
  EXPECT_EQ(this->store().head("dst/x"), std::nullopt);
}

TYPED_TEST_P(StoreConformance, RefusesKeysEscapingTheRoot) {
  for (const char* key :
       {"../x", "a/../../x", "..", ".", "/abs", "a//b", "", "a/", "./a", "a/.", "a/./b"}) {
    SCOPED_TRACE(key);
    EXPECT_THROW(this->store().head(key), InvalidArgument);
    EXPECT_THROW(this->store().open_read(key), InvalidArgument);
    EXPECT_THROW(this->store().open_write(key), InvalidArgument);
    EXPECT_THROW(this->store().remove(key), InvalidArgument);
    EXPECT_THROW(this->store().copy(key, "ok"), InvalidArgument);
    EXPECT_THROW(this->store().copy("ok", key), InvalidArgument);
  }
  for (const char* prefix : {"../", "a/../", "/", "a//"}) {
    SCOPED_TRACE(prefix);
    EXPECT_THROW(this->store().list(prefix), InvalidArgument);
  }
  try {
    this->store().put("../escape", "x");
    FAIL() << "no throw";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("../escape"), std::string::npos) << e.what();
  }
}

TYPED_TEST_P(StoreConformance, ListWithOtherDelimiter) {
  this->put_all({"x-1/a", "x-1/b", "x-2", "x/3-4", "y", "z-"});
  std::vector<std::string> groups = {"x-", "x/3-", "z-"};
  ListPage one = this->store().list("", list_options('-'));
  EXPECT_EQ(object_keys(one), std::vector<std::string>{"y"});
  EXPECT_EQ(one.common_prefixes, groups);
  ListPage paged = this->all_pages("", list_options('-', 1));
  EXPECT_EQ(object_keys(paged), std::vector<std::string>{"y"});
  EXPECT_EQ(paged.common_prefixes, groups);
  ListPage under = this->store().list("x/", list_options('-'));
  EXPECT_TRUE(under.objects.empty());
  EXPECT_EQ(under.common_prefixes, std::vector<std::string>{"x/3-"});
}

TYPED_TEST_P(StoreConformance, ConcurrentPutAndRemoveUnderOnePrefix) {
  // Local stores prune emptied directories while other writers create them.
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      std::string key = "a/b/c/" + std::to_string(i);
      try {
        for (int round = 0; round < 200; ++round) {
          this->store().put(key, "x");
          if (this->store().get(key) != "x") ++errors;
          this->store().remove(key);
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        ++errors;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_TRUE(this->keys_under("").empty());
}

REGISTER_TYPED_TEST_SUITE_P(
    StoreConformance, RootUrlHasScheme, MissingKeyHeadsNulloptAndReadsNotFound, PutThenHeadAndGet,
    EmptyAndBinaryObjects, PutReplacesWholeValue, LargeObjectWrittenInPieces, ReadsRanges,
    ReaderReturnsSmallPiecesThenZero, WriteIsInvisibleUntilCommit, UncommittedWritersLeaveNothing,
    IfAbsentCreatesAndConflicts, ConcurrentIfAbsentHasOneWinner,
    ConcurrentWritersLeaveOneWholeValue, ListsEmptyStore, ListsInKeyByteOrderWithSizes,
    ListPrefixIsAStringPrefix, ListPaginatesWithMaxKeys, ListWithDelimiterGivesCommonPrefixes,
    ListWithDelimiterPaginates, ListWithOtherDelimiter, RemoveDeletesAndIgnoresMissing,
    ConcurrentPutAndRemoveUnderOnePrefix, CopyMakesAnIndependentObject, RefusesKeysEscapingTheRoot);

}  // namespace quilt::test
