#include "storage/s3/sigv4.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "quilt/errors.h"

// Expected values come from the examples AWS publishes: the IAM ListUsers example of the SigV4
// guide ("Create a signed AWS API request") and the S3 API reference pages "Signature
// Calculations for the Authorization Header: Transferring Payload in a Single Chunk", "...
// Transferring Payload in Multiple Chunks (Chunked Upload)" and "Authenticating Requests: Using
// Query Parameters".

namespace quilt::test {
namespace {

using s3::Credentials;
using s3::Request;
using s3::SigningScope;

const Credentials kS3Keys{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", {}};
const SigningScope kS3Scope{"us-east-1", "s3", "20130524T000000Z"};
constexpr const char* kBucketHost = "examplebucket.s3.amazonaws.com";

std::string header_value(const std::vector<s3::Header>& headers, const std::string& name) {
  for (const auto& [n, v] : headers) {
    if (n == name) return v;
  }
  return "<absent>";
}

TEST(SigV4, IamListUsersExample) {
  Request request{
      .method = "GET",
      .path = "/",
      .query = {{"Action", "ListUsers"}, {"Version", "2010-05-08"}},
      .headers = {{"Host", "iam.amazonaws.com"},
                  {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}}};
  Credentials keys{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", {}};
  auto signed_request = s3::sign(request, keys, {"us-east-1", "iam", "20150830T123600Z"});

  EXPECT_EQ(signed_request.canonical_request,
            "GET\n/\nAction=ListUsers&Version=2010-05-08\n"
            "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
            "host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "content-type;host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(signed_request.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n"
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
  EXPECT_EQ(signed_request.signature,
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
  // IAM takes no x-amz-content-sha256 header: only S3 does.
  EXPECT_EQ(header_value(signed_request.headers, "X-Amz-Content-SHA256"), "<absent>");
  EXPECT_EQ(header_value(signed_request.headers, "X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(header_value(signed_request.headers, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request,"
            "SignedHeaders=content-type;host;x-amz-date,"
            "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

TEST(SigV4, S3GetObjectExample) {
  Request request{
      .path = "/test.txt", .query = {}, .headers = {{"Host", kBucketHost}, {"Range", "bytes=0-9"}}};
  auto signed_request = s3::sign(request, kS3Keys, kS3Scope);

  EXPECT_EQ(signed_request.canonical_request,
            "GET\n/test.txt\n\n"
            "host:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\n"
            "host;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(signed_request.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(signed_request.signature,
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(header_value(signed_request.headers, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(header_value(signed_request.headers, "X-Amz-Content-SHA256"), s3::kEmptyPayloadHash);
  // Authorization comes last, after the headers it signs.
  EXPECT_EQ(signed_request.headers.back().first, "Authorization");
}

TEST(SigV4, S3PutObjectExample) {
  Request request{.method = "PUT",
                  .path = "/test$file.text",
                  .query = {},
                  .headers = {{"Host", kBucketHost},
                              {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                              {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                  .payload_hash = s3::payload_hash("Welcome to Amazon S3.")};
  EXPECT_EQ(request.payload_hash,
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  auto signed_request = s3::sign(request, kS3Keys, kS3Scope);

  EXPECT_EQ(signed_request.canonical_request,
            "PUT\n/test%24file.text\n\n"
            "date:Fri, 24 May 2013 00:00:00 GMT\n"
            "host:examplebucket.s3.amazonaws.com\n"
            "x-amz-content-sha256:"
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
            "x-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
            "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  EXPECT_EQ(signed_request.signature,
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
  EXPECT_EQ(s3::encode_path(request.path), "/test%24file.text");
}

// The chunked upload example: 66,560 bytes of 'a' in a 64 KiB chunk and a 1 KiB one.
TEST(SigV4, S3ChunkedUploadExample) {
  constexpr uint64_t kLength = 66560;
  constexpr uint64_t kChunk = 65536;
  EXPECT_EQ(s3::aws_chunked_length(kLength, kChunk), 66824u);
  Request request{.method = "PUT",
                  .path = "/examplebucket/chunkObject.txt",
                  .query = {},
                  .headers = {{"Host", "s3.amazonaws.com"},
                              {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                              {"Content-Encoding", "aws-chunked"},
                              {"x-amz-decoded-content-length", std::to_string(kLength)},
                              {"Content-Length", "66824"}},
                  .payload_hash = std::string(s3::kStreamingPayload)};
  auto signed_request = s3::sign(request, kS3Keys, kS3Scope);
  EXPECT_EQ(signed_request.signature,
            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");

  s3::ChunkSigner signer(kS3Keys, kS3Scope, signed_request.signature);
  std::string first(kChunk, 'a');
  std::string second(kLength - kChunk, 'a');
  std::string one = signer.next(s3::payload_hash(first));
  EXPECT_EQ(one, "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
  EXPECT_EQ(s3::chunk_header(first.size(), one),
            "10000;chunk-signature=" + one + "\r\n");
  std::string two = signer.next(s3::payload_hash(second));
  EXPECT_EQ(two, "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
  EXPECT_EQ(s3::chunk_header(second.size(), two).substr(0, 4), "400;");
  std::string last = signer.next(s3::kEmptyPayloadHash);
  EXPECT_EQ(last, "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9");
  EXPECT_EQ(s3::chunk_header(0, last), "0;chunk-signature=" + last + "\r\n");
  // The body those make is exactly the Content-Length signed.
  uint64_t body = s3::chunk_header(first.size(), one).size() + first.size() + 2 +
                  s3::chunk_header(second.size(), two).size() + second.size() + 2 +
                  s3::chunk_header(0, last).size() + 2;
  EXPECT_EQ(body, 66824u);
}

TEST(SigV4, AwsChunkedLengthOfEdgeSizes) {
  // Empty: only the final chunk, "0;chunk-signature=<64>\r\n\r\n".
  EXPECT_EQ(s3::aws_chunked_length(0, 8 << 20), 86u);
  // One whole chunk of 8 MiB ("800000" is six hex digits), then the final one.
  EXPECT_EQ(s3::aws_chunked_length(8 << 20, 8 << 20), (6 + 17 + 64 + 2) + (8u << 20) + 2 + 86);
  EXPECT_EQ(s3::aws_chunked_length((8 << 20) + 1, 8 << 20),
            (6 + 17 + 64 + 2) + (8u << 20) + 2 + (1 + 17 + 64 + 2) + 1 + 2 + 86);
}

TEST(SigV4, S3GetBucketLifecycleExample) {
  Request request{.path = "/", .query = {{"lifecycle", ""}}, .headers = {{"Host", kBucketHost}}};
  auto signed_request = s3::sign(request, kS3Keys, kS3Scope);

  EXPECT_EQ(signed_request.canonical_request,
            "GET\n/\nlifecycle=\n"
            "host:examplebucket.s3.amazonaws.com\n"
            "x-amz-content-sha256:"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\n"
            "host;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(signed_request.signature,
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4, S3ListObjectsExample) {
  // Given out of order on purpose: the canonical query is sorted.
  Request request{.path = "/",
                  .query = {{"prefix", "J"}, {"max-keys", "2"}},
                  .headers = {{"Host", kBucketHost}}};
  auto signed_request = s3::sign(request, kS3Keys, kS3Scope);

  EXPECT_EQ(signed_request.canonical_request.substr(0, 26), "GET\n/\nmax-keys=2&prefix=J\n");
  EXPECT_EQ(signed_request.signature,
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, S3PresignedUrlExample) {
  Request request{.path = "/test.txt",
                  .query = {},
                  .headers = {{"Host", kBucketHost}},
                  .payload_hash = std::string(s3::kUnsignedPayload)};
  auto presigned = s3::presign(request, kS3Keys, kS3Scope, 86400);

  EXPECT_EQ(presigned.canonical_request,
            "GET\n/test.txt\n"
            "X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\n"
            "host:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD");
  EXPECT_EQ(presigned.signature,
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  EXPECT_EQ(presigned.query_string,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
            "&X-Amz-SignedHeaders=host");
  ASSERT_EQ(presigned.query.size(), 6u);
  EXPECT_EQ(presigned.query.back().first, "X-Amz-Signature");
}

// The canonical request line at `index` (0: method, 1: path, 2: query, 3...: headers).
std::string line_of(const std::string& text, size_t index) {
  size_t begin = 0;
  for (size_t i = 0; i < index; ++i) begin = text.find('\n', begin) + 1;
  return text.substr(begin, text.find('\n', begin) - begin);
}

Request bucket_request(std::string path, std::vector<s3::QueryParam> query = {}) {
  return Request{
      .path = std::move(path), .query = std::move(query), .headers = {{"Host", kBucketHost}}};
}

TEST(SigV4, UriEncodeKeepsOnlyUnreservedBytes) {
  EXPECT_EQ(s3::uri_encode("AZaz09-_.~", false), "AZaz09-_.~");
  EXPECT_EQ(s3::uri_encode("a b/\xC3\xBC+?=&", false), "a%20b%2F%C3%BC%2B%3F%3D%26");
  EXPECT_EQ(s3::uri_encode("a b/\xC3\xBC+?=&", true), "a%20b/%C3%BC%2B%3F%3D%26");
  EXPECT_EQ(s3::uri_encode("%*!'()$,;:@[]#\x01\x7F\xFF", false),
            "%25%2A%21%27%28%29%24%2C%3B%3A%40%5B%5D%23%01%7F%FF");
  EXPECT_EQ(s3::uri_encode("", false), "");
}

TEST(SigV4, S3PathIsEncodedOnceAndNotNormalized) {
  auto signed_request =
      s3::sign(bucket_request("/examplebucket/a b/\xC3\xBC+?=&/x//./y%"), kS3Keys, kS3Scope);
  EXPECT_EQ(line_of(signed_request.canonical_request, 1),
            "/examplebucket/a%20b/%C3%BC%2B%3F%3D%26/x//./y%25");
  EXPECT_EQ(s3::encode_path("/examplebucket/a b/\xC3\xBC+?=&/x//./y%"),
            "/examplebucket/a%20b/%C3%BC%2B%3F%3D%26/x//./y%25");
  EXPECT_EQ(s3::encode_path(""), "/");
}

TEST(SigV4, OtherServicesEncodePathTwiceUnlessTold) {
  Request request{.path = "/a b/\xC3\xBC",
                  .query = {},
                  .headers = {{"Host", "example.execute-api.us-east-1.amazonaws.com"}}};
  SigningScope scope{"us-east-1", "execute-api", "20150830T123600Z"};
  auto twice = s3::sign(request, kS3Keys, scope);
  EXPECT_EQ(line_of(twice.canonical_request, 1), "/a%2520b/%25C3%25BC");

  scope.path_encoding = s3::PathEncoding::kOnce;
  auto once = s3::sign(request, kS3Keys, scope);
  EXPECT_EQ(line_of(once.canonical_request, 1), "/a%20b/%C3%BC");
  EXPECT_NE(once.signature, twice.signature);

  SigningScope s3_twice = kS3Scope;
  s3_twice.path_encoding = s3::PathEncoding::kTwice;
  EXPECT_EQ(line_of(s3::sign(request, kS3Keys, s3_twice).canonical_request, 1),
            "/a%2520b/%25C3%25BC");
}

TEST(SigV4, QueryIsEncodedThenSortedByKeyThenValue) {
  auto signed_request = s3::sign(bucket_request("/", {{"prefix", "a b/\xC3\xBC+="},
                                                      {"k", "b"},
                                                      {"k", "a"},
                                                      {"acl", ""},
                                                      {"B", "x"},
                                                      {"a b", "1"},
                                                      {"k", ""}}),
                                 kS3Keys, kS3Scope);
  // Byte order of the encoded forms: 'B' < 'a%20b' < 'acl' < 'k=' < 'k=a' < 'k=b' < 'prefix'.
  // '+' is a literal plus (%2B), never a space; empty values keep their '='.
  EXPECT_EQ(line_of(signed_request.canonical_request, 2),
            "B=x&a%20b=1&acl=&k=&k=a&k=b&prefix=a%20b%2F%C3%BC%2B%3D");
}

TEST(SigV4, HeaderValuesAreTrimmedAndFolded) {
  Request request{.path = "/",
                  .query = {},
                  .headers = {{"hOsT", kBucketHost},
                              {"X-Amz-Meta-Note", "  hello    big \t world  "},
                              {"X-Amz-Meta-List", "one"},
                              {"x-amz-meta-list", " two  three "},
                              {"X-Amz-Meta-Empty", "   "}}};
  auto signed_request = s3::sign(request, kS3Keys, kS3Scope);
  EXPECT_EQ(line_of(signed_request.canonical_request, 3), "host:examplebucket.s3.amazonaws.com");
  EXPECT_EQ(line_of(signed_request.canonical_request, 6), "x-amz-meta-empty:");
  EXPECT_EQ(line_of(signed_request.canonical_request, 7), "x-amz-meta-list:one,two three");
  EXPECT_EQ(line_of(signed_request.canonical_request, 8), "x-amz-meta-note:hello big world");
  EXPECT_EQ(signed_request.signed_headers,
            "host;x-amz-content-sha256;x-amz-date;x-amz-meta-empty;x-amz-meta-list;"
            "x-amz-meta-note");

  // Whitespace that folding removes does not change the signature.
  request.headers[1].second = "hello big world";
  request.headers[0].first = "Host";
  EXPECT_EQ(s3::sign(request, kS3Keys, kS3Scope).signature, signed_request.signature);
  request.headers[1].second = "hello bigworld";
  EXPECT_NE(s3::sign(request, kS3Keys, kS3Scope).signature, signed_request.signature);
}

TEST(SigV4, SessionTokenIsSentAndSigned) {
  Credentials keys = kS3Keys;
  keys.session_token = "FQoGZXIvYXdzE//token+with/odd=chars";
  Request request = bucket_request("/test.txt");
  auto with_token = s3::sign(request, keys, kS3Scope);
  auto without = s3::sign(request, kS3Keys, kS3Scope);

  EXPECT_EQ(header_value(with_token.headers, "X-Amz-Security-Token"), *keys.session_token);
  EXPECT_EQ(header_value(without.headers, "X-Amz-Security-Token"), "<absent>");
  EXPECT_EQ(with_token.signed_headers, "host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
  EXPECT_NE(with_token.canonical_request.find(
                "\nx-amz-security-token:FQoGZXIvYXdzE//token+with/odd=chars\n"),
            std::string::npos);
  EXPECT_NE(with_token.signature, without.signature);

  request.payload_hash = std::string(s3::kUnsignedPayload);
  auto presigned = s3::presign(request, keys, kS3Scope, 3600);
  EXPECT_NE(presigned.query_string.find(
                "&X-Amz-Security-Token=FQoGZXIvYXdzE%2F%2Ftoken%2Bwith%2Fodd%3Dchars&"),
            std::string::npos);
  // The token is part of the signed query, not only of the URL.
  EXPECT_NE(line_of(presigned.canonical_request, 2).find("X-Amz-Security-Token="),
            std::string::npos);
}

TEST(SigV4, PresignKeepsTheRequestsOwnQuery) {
  Request request = bucket_request("/a b.txt", {{"versionId", "3/L4kqtJl+cJ"}});
  request.payload_hash = std::string(s3::kUnsignedPayload);
  auto presigned = s3::presign(request, kS3Keys, kS3Scope, 60);
  EXPECT_EQ(line_of(presigned.canonical_request, 1), "/a%20b.txt");
  EXPECT_TRUE(
      presigned.query_string.ends_with("&X-Amz-SignedHeaders=host&versionId=3%2FL4kqtJl%2BcJ"))
      << presigned.query_string;
  EXPECT_EQ(presigned.query.size(), 6u);  // the request's own parameters are not repeated
}

TEST(SigV4, RejectsBadInput) {
  Request no_host{.path = "/", .query = {}, .headers = {{"Range", "bytes=0-9"}}};
  EXPECT_THROW(s3::sign(no_host, kS3Keys, kS3Scope), InvalidArgument);

  for (const char* date : {"2013-05-24T000000Z", "20130524T000000", "20130524X000000Z", ""}) {
    SigningScope scope = kS3Scope;
    scope.amz_date = date;
    EXPECT_THROW(s3::sign(bucket_request("/"), kS3Keys, scope), InvalidArgument) << date;
  }
  SigningScope no_region = kS3Scope;
  no_region.region = "";
  EXPECT_THROW(s3::sign(bucket_request("/"), kS3Keys, no_region), InvalidArgument);
  EXPECT_THROW(s3::sign(bucket_request("/"), Credentials{"AKID", "", {}}, kS3Scope),
               InvalidArgument);

  Request preset = bucket_request("/");
  preset.headers.emplace_back("X-AMZ-DATE", "20130524T000000Z");
  EXPECT_THROW(s3::sign(preset, kS3Keys, kS3Scope), InvalidArgument);

  Request injected = bucket_request("/");
  injected.headers.emplace_back("X-Amz-Meta-A", "x\r\nAuthorization: forged");
  EXPECT_THROW(s3::sign(injected, kS3Keys, kS3Scope), InvalidArgument);
  Request bad_name = bucket_request("/");
  bad_name.headers.emplace_back("Bad Name", "x");
  EXPECT_THROW(s3::sign(bad_name, kS3Keys, kS3Scope), InvalidArgument);

  EXPECT_THROW(s3::presign(bucket_request("/"), kS3Keys, kS3Scope, 0), InvalidArgument);
  EXPECT_THROW(s3::presign(bucket_request("/"), kS3Keys, kS3Scope, 604801), InvalidArgument);
  EXPECT_NO_THROW(s3::presign(bucket_request("/"), kS3Keys, kS3Scope, 604800));
  EXPECT_THROW(s3::presign(bucket_request("/", {{"X-Amz-Signature", "x"}}), kS3Keys, kS3Scope, 60),
               InvalidArgument);
  EXPECT_THROW(s3::presign(bucket_request("/", {{"x-amz-date", "x"}}), kS3Keys, kS3Scope, 60),
               InvalidArgument);
  EXPECT_NO_THROW(s3::presign(bucket_request("/", {{"x-amz-checksum-mode", "ENABLED"}}), kS3Keys,
                              kS3Scope, 60));
  try {
    s3::sign(no_host, kS3Keys, kS3Scope);
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("Host"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace quilt::test
