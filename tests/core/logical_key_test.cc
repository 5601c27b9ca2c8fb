#include "quilt/logical_key.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "quilt/errors.h"

namespace quilt {
namespace {

void expect_rejected(const std::string& key, const std::string& reason) {
  try {
    validate_logical_key(key);
    FAIL() << "accepted invalid key '" << key << "'";
  } catch (const InvalidArgument& e) {
    std::string message = e.what();
    EXPECT_NE(message.find(reason), std::string::npos) << message;
    bool printable = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
      return c >= 0x20 && c < 0x7f;
    });
    if (printable) {
      EXPECT_NE(message.find("'" + key + "'"), std::string::npos) << "message must name the key: " << message;
    }
  }
}

TEST(LogicalKey, AcceptsOrdinaryKeys) {
  for (const char* key : {"a", "a/b/c.txt", ".hidden", "a/.b", "...", "a b/c d", "é/😀", "a\\b"}) {
    EXPECT_NO_THROW(validate_logical_key(key)) << key;
  }
}

TEST(LogicalKey, RejectsDotDotSegment) {
  expect_rejected("..", "'..' segment");
  expect_rejected("a/../b", "'..' segment");
  expect_rejected("a/..", "'..' segment");
}

TEST(LogicalKey, RejectsDotSegment) {
  expect_rejected(".", "'.' segment");
  expect_rejected("a/./b", "'.' segment");
}

TEST(LogicalKey, RejectsEmptySegment) {
  expect_rejected("a//b", "empty segment");
  expect_rejected("", "is empty");
}

TEST(LogicalKey, RejectsLeadingSlash) { expect_rejected("/a/b", "starts with '/'"); }

TEST(LogicalKey, RejectsTrailingSlash) { expect_rejected("a/b/", "ends with '/'"); }

TEST(LogicalKey, RejectsNulAndInvalidUtf8) {
  expect_rejected(std::string("a\0b", 3), "NUL");
  expect_rejected("a\xff", "UTF-8");
  expect_rejected("\xed\xa0\x80", "UTF-8");  // an encoded surrogate is not UTF-8
}

TEST(LogicalKey, DirectoryKeys) {
  EXPECT_NO_THROW(validate_directory_key("a/"));
  EXPECT_NO_THROW(validate_directory_key("a/b/"));
  EXPECT_THROW(validate_directory_key("a"), InvalidArgument);
  EXPECT_THROW(validate_directory_key("/"), InvalidArgument);
  EXPECT_THROW(validate_directory_key("a//"), InvalidArgument);
  EXPECT_THROW(validate_directory_key("../"), InvalidArgument);
}

TEST(LogicalKey, WalkOrderPutsDirectoryAtItsNamePosition) {
  std::vector<std::string> keys = {"a.txt", "a/b-c", "a/b/c", "A", "Z", "_x", "a!", "a/z"};
  std::sort(keys.begin(), keys.end(), walk_order_less);
  std::vector<std::string> want = {"A", "Z", "_x", "a/b/c", "a/b-c", "a/z", "a!", "a.txt"};
  EXPECT_EQ(keys, want);
}

TEST(LogicalKey, WalkOrderMatchesSegmentwiseComparison) {
  // Reference: compare segment lists lexicographically by bytes, with a
  // directory's children compared at the directory's name.
  auto split = [](const std::string& key) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
      size_t slash = key.find('/', start);
      parts.push_back(key.substr(start, slash - start));
      if (slash == std::string::npos) return parts;
      start = slash + 1;
    }
  };
  std::vector<std::string> alphabet = {"a", "b", "-", ".", "/", "~", "\xc3\xa9", " ", "0"};
  std::vector<std::string> keys;
  uint32_t seed = 7;
  for (int i = 0; i < 400; ++i) {
    std::string key;
    int length = 1 + static_cast<int>((seed = seed * 1103515245 + 12345) >> 16) % 6;
    for (int j = 0; j < length; ++j) key += alphabet[((seed = seed * 1103515245 + 12345) >> 16) % alphabet.size()];
    if (logical_key_problem(key).empty()) keys.push_back(key);
  }
  for (const auto& a : keys) {
    for (const auto& b : keys) {
      int want = split(a) < split(b) ? -1 : (split(b) < split(a) ? 1 : 0);
      int got = compare_walk_order(a, b);
      ASSERT_EQ((got > 0) - (got < 0), want) << a << " vs " << b;
    }
  }
}

}  // namespace
}  // namespace quilt
