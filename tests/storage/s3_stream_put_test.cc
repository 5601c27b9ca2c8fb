// Client::put_object_stream against the real S3 server (Ceph RGW on loopback): bodies read
// as they are sent, aws-chunked and signed chunk by chunk (the server checks every chunk
// signature), retried from the start through a fault proxy, and stopped before the end when
// the source finds the body is not what was expected. The unsigned form goes to a scripted
// server that records the bytes.

#include <gtest/gtest.h>

#include <string>

#include "core/sha256.h"
#include "fake_http_server.h"
#include "fault_proxy.h"
#include "quilt/errors.h"
#include "s3_fixture.h"
#include "storage/s3/client.h"
#include "test_util.h"

namespace quilt::s3 {
namespace {

using test::bytes_of;
using test::contains;
using test::error_of;
using test::FakeHttpServer;
using test::FakeReply;
using test::Fault;
using test::FaultProxy;

constexpr uint64_t kChunk = 64 << 10;

std::string pattern(size_t size, unsigned seed) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 2654435761u + seed) >> 11);
  return out;
}

// Chunks of a string, counting what the client asks of it.
class StringSource final : public ChunkSource {
 public:
  explicit StringSource(std::string data, uint64_t chunk = kChunk)
      : data_(std::move(data)), chunk_(chunk) {}

  uint64_t chunk_size() const override { return chunk_; }
  void rewind() override {
    ++rewinds;
    at_ = 0;
  }
  Chunk next() override {
    size_t n = std::min<size_t>(chunk_, data_.size() - at_);
    std::span<const uint8_t> bytes = bytes_of(data_).subspan(at_, n);
    at_ += n;
    std::string hash = detail::to_hex(detail::sha256(bytes));
    if (lie_about_hashes) hash = std::string(64, '0');
    return {bytes, hash};
  }
  void finish() override {
    ++finishes;
    if (refuse_at_finish) throw Corrupt("the body is not what was hashed");
  }

  int rewinds = 0;
  int finishes = 0;
  bool refuse_at_finish = false;
  bool lie_about_hashes = false;

 private:
  std::string data_;
  uint64_t chunk_;
  size_t at_ = 0;
};

int port_of(const std::string& endpoint) { return std::stoi(endpoint.substr(endpoint.rfind(':') + 1)); }

class S3StreamPutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_ = test::s3_env_for_test();
    if (env_ == nullptr) return;
    client_ = test::s3_client(*env_);
    prefix_ = test::unique_s3_prefix() + "/";
  }
  void TearDown() override {
    if (client_ != nullptr) test::s3_delete_prefix(*client_, env_->bucket, prefix_);
  }
  std::string key(const std::string& name) const { return prefix_ + name; }

  const test::S3TestEnv* env_ = nullptr;
  std::shared_ptr<Client> client_;
  std::string prefix_;
};

TEST_F(S3StreamPutTest, BodiesOfEverySizeAroundTheChunksArriveWhole) {
  for (uint64_t size : {uint64_t{0}, uint64_t{1}, kChunk - 1, kChunk, kChunk + 1, 3 * kChunk + 17}) {
    SCOPED_TRACE(size);
    std::string data = pattern(size, static_cast<unsigned>(size));
    StringSource source(data);
    PutOptions options;
    options.content_type = "application/x-test";
    options.metadata = {{"quilt-hash", "sha2-256-chunked:abc"}};
    std::string name = "size-" + std::to_string(size);
    PutResult put = client_->put_object_stream(env_->bucket, key(name), size, source, options);
    EXPECT_EQ(put.size, size);
    EXPECT_EQ(source.rewinds, 1);
    EXPECT_EQ(source.finishes, 1);
    EXPECT_EQ(client_->get_object_bytes(env_->bucket, key(name)), data);
    std::optional<ObjectMeta> meta = client_->head_object(env_->bucket, key(name));
    ASSERT_TRUE(meta);
    EXPECT_EQ(meta->size, size);
    EXPECT_EQ(meta->etag, put.etag);
    EXPECT_EQ(meta->meta("quilt-hash"), "sha2-256-chunked:abc");
  }
}

TEST_F(S3StreamPutTest, ChunksOfEightMebibytesAsPushSendsThem) {
  constexpr uint64_t kEight = uint64_t{8} << 20;
  std::string data = pattern(2 * kEight + 12345, 7);
  StringSource source(data, kEight);
  client_->put_object_stream(env_->bucket, key("big"), data.size(), source);
  EXPECT_EQ(client_->get_object_bytes(env_->bucket, key("big")), data);
}

TEST_F(S3StreamPutTest, TheServerChecksEveryChunkSignature) {
  // A chunk signed over the wrong hash is refused: the signatures that pass are checked.
  StringSource source(pattern(2 * kChunk, 3));
  source.lie_about_hashes = true;
  std::string message = error_of<RemoteError>(
      [&] { client_->put_object_stream(env_->bucket, key("lie"), 2 * kChunk, source); });
  EXPECT_TRUE(contains(message, "PutObject")) << message;
  EXPECT_EQ(client_->head_object(env_->bucket, key("lie")), std::nullopt);
}

TEST_F(S3StreamPutTest, ABodyRefusedAtTheEndMakesNoObjectAndIsNotRetried) {
  for (uint64_t size : {uint64_t{0}, uint64_t{10}, 2 * kChunk + 5}) {
    SCOPED_TRACE(size);
    StringSource source(pattern(size, 5));
    source.refuse_at_finish = true;
    std::string name = "refused-" + std::to_string(size);
    std::string message = error_of<Corrupt>(
        [&] { client_->put_object_stream(env_->bucket, key(name), size, source); });
    EXPECT_TRUE(contains(message, "not what was hashed")) << message;
    EXPECT_EQ(source.rewinds, 1);
    EXPECT_EQ(client_->head_object(env_->bucket, key(name)), std::nullopt);
  }
}

TEST_F(S3StreamPutTest, ConditionsAndTheSizeLimitAreKept) {
  StringSource source(pattern(100, 1));
  client_->put_object_stream(env_->bucket, key("once"), 100, source);
  PutOptions create;
  create.if_none_match_any = true;
  StringSource again(pattern(100, 2));
  EXPECT_THROW(client_->put_object_stream(env_->bucket, key("once"), 100, again, create), Conflict);
  std::string message = error_of<InvalidArgument>(
      [&] { client_->put_object_stream(env_->bucket, key("huge"), kMaxSinglePut + 1, again); });
  EXPECT_TRUE(contains(message, "5 GiB")) << message;
  StringSource tiny(pattern(100, 3), 1024);
  message = error_of<InvalidArgument>(
      [&] { client_->put_object_stream(env_->bucket, key("tiny"), 100, tiny); });
  EXPECT_TRUE(contains(message, "8 KiB")) << message;
}

TEST_F(S3StreamPutTest, FailedAttemptsSendTheBodyAgainFromTheStart) {
  // The first PUT is answered 500 and the second hung up on: the third lands, whole.
  FaultProxy proxy(port_of(env_->endpoint), [](int, const std::string& head) {
    static int puts = 0;
    if (!head.starts_with("PUT ")) return Fault::kNone;
    int n = puts++;
    return n == 0 ? Fault::kInternalError : n == 1 ? Fault::kHangUp : Fault::kNone;
  });
  ClientConfig config = test::s3_config(*env_);
  config.endpoint = proxy.endpoint();
  RetryOptions retry;
  retry.max_attempts = 4;
  retry.base_delay_ms = 1;
  Client client(config, {}, retry);
  std::string data = pattern(3 * kChunk + 1, 9);
  StringSource source(data);
  client.put_object_stream(env_->bucket, key("retried"), data.size(), source);
  EXPECT_EQ(source.rewinds, 3);
  EXPECT_EQ(proxy.faults(), 2);
  EXPECT_EQ(client_->get_object_bytes(env_->bucket, key("retried")), data);
}

TEST(S3StreamPutUnsigned, AnAnonymousBodyGoesAsItIsWithItsLength) {
  FakeHttpServer server([](int, const std::string&) {
    return FakeReply{FakeHttpServer::response(200, "ETag: \"e\"\r\n", "")};
  });
  ClientConfig config;
  config.endpoint = server.endpoint();
  Client client(config);
  std::string data = pattern(2 * kChunk + 3, 11);
  StringSource source(data);
  PutResult put = client.put_object_stream("bkt", "k", data.size(), source);
  EXPECT_EQ(put.etag, "e");
  std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const std::string& request = requests[0];
  size_t body = request.find("\r\n\r\n") + 4;
  EXPECT_EQ(request.substr(body), data);
  EXPECT_TRUE(contains(request, "Content-Length: " + std::to_string(data.size()))) << request.substr(0, body);
  EXPECT_FALSE(contains(request.substr(0, body), "aws-chunked"));
  EXPECT_FALSE(contains(request.substr(0, body), "Authorization"));
}

}  // namespace
}  // namespace quilt::s3
