#include "quilt/physical_key.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "quilt/errors.h"
#include "test_util.h"

namespace quilt {
namespace {

TEST(PhysicalKey, LocalPathPrintedAsQuilt3) {
  EXPECT_EQ(PhysicalKey::from_local_path("/tmp/a b/c+d#e?.txt").str(),
            "file:///tmp/a%20b/c%2Bd%23e%3F.txt");
  EXPECT_EQ(PhysicalKey::from_local_path("/d/é~_.-x").str(), "file:///d/%C3%A9~_.-x");
  PhysicalKey key = PhysicalKey::from_local_path("/tmp/a b/é");
  EXPECT_TRUE(key.is_local());
  EXPECT_FALSE(key.is_s3());
  EXPECT_EQ(key.local_path(), "/tmp/a b/é");
}

TEST(PhysicalKey, S3KeyPrintedAsQuilt3) {
  PhysicalKey key = PhysicalKey::from_s3("bucket", "dir/8MiB+1 x.bin", "a b+c/=");
  EXPECT_EQ(key.str(), "s3://bucket/dir/8MiB%2B1%20x.bin?versionId=a+b%2Bc%2F%3D");
  EXPECT_EQ(key.bucket(), "bucket");
  EXPECT_EQ(key.s3_key(), "dir/8MiB+1 x.bin");
  EXPECT_EQ(key.version_id(), "a b+c/=");
  EXPECT_EQ(PhysicalKey::from_s3("b", "k").str(), "s3://b/k");
  EXPECT_EQ(PhysicalKey::from_s3("b", "k").version_id(), std::nullopt);
}

TEST(PhysicalKey, KeepsTextAsRead) {
  // Lowercase escapes and unescaped characters are kept, not re-encoded.
  for (const char* url : {"s3://b/a%2bb", "s3://b/a b", "file:///x/%c3%a9", "file://localhost/x",
                          "file:/x/y", "s3://b/k?versionId=", "S3://b/k"}) {
    EXPECT_EQ(PhysicalKey::from_url(url).str(), url);
  }
  EXPECT_EQ(PhysicalKey::from_url("s3://b/a%2bb").s3_key(), "a+b");
  EXPECT_EQ(PhysicalKey::from_url("file:///x/%c3%a9").local_path(), "/x/é");
  EXPECT_EQ(PhysicalKey::from_url("s3://b/k?versionId=").version_id(), std::nullopt);
}

TEST(PhysicalKey, RejectsBadUrls) {
  for (const char* url : {"http://x/y", "s3:///key", "s3://b/k?foo=bar", "file://host/x",
                          "file:relative", "file:///x?y=1", "s3://b/k#frag", "nonsense", ""}) {
    try {
      PhysicalKey::from_url(url);
      ADD_FAILURE() << "accepted " << url;
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find("invalid physical key"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(PhysicalKey::from_local_path("relative/path"), InvalidArgument);
  EXPECT_THROW(PhysicalKey::from_s3("", "k"), InvalidArgument);
}

// Compare our quoting with Python's urllib on every byte value and some text.
TEST(PhysicalKey, QuotingAgreesWithPython) {
  std::vector<std::string> inputs;
  for (int c = 1; c < 256; ++c) inputs.push_back("/p" + std::string(1, static_cast<char>(c)));
  inputs.push_back("/a b/ü/😀/~x_y.z-w");
  std::string blob;
  for (const auto& s : inputs) blob += s + std::string(1, '\0');
  std::string script =
      "import sys, urllib.parse as u\n"
      "for s in sys.stdin.buffer.read().split(b'\\0')[:-1]:\n"
      "    print(u.quote(s, safe='/') + ' ' + u.urlencode({'versionId': s}))\n";
  std::string out = test::run_python(script, blob);
  size_t pos = 0;
  for (const auto& s : inputs) {
    size_t nl = out.find('\n', pos);
    ASSERT_NE(nl, std::string::npos);
    std::string want = out.substr(pos, nl - pos);
    pos = nl + 1;
    std::string got;
    append_url_quoted(got, s);
    got += " versionId=";
    append_url_quoted_plus(got, s);
    EXPECT_EQ(got, want) << "byte " << static_cast<int>(static_cast<unsigned char>(s[2]));
    std::string quoted;
    append_url_quoted(quoted, s);
    EXPECT_EQ(url_unquote(quoted), s);
  }
}

}  // namespace
}  // namespace quilt
