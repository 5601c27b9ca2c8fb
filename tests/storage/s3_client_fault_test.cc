// The S3 client against servers that misbehave: a scripted HTTP server on loopback sends
// malformed XML, cuts bodies off, stalls, throttles; a closed port and an unroutable address
// stand in for dead endpoints. (The client against a real server: s3_client_test.cc.)

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "fake_http_server.h"
#include "quilt/errors.h"
#include "storage/s3/client.h"
#include "test_util.h"

namespace quilt::s3 {
namespace {

using test::FakeHttpServer;
using test::FakeReply;

constexpr char kSecret[] = "fake/secret+key/never+printed";

Client make_client(const std::string& endpoint, int attempts = 3, HttpOptions http = {}) {
  ClientConfig config;
  config.endpoint = endpoint;
  config.credentials = Credentials{"AKIDFAKE", kSecret, std::nullopt};
  config.credentials_source = "the test";
  RetryOptions retry;
  retry.max_attempts = attempts;
  retry.base_delay_ms = 1;
  return Client(config, http, retry);
}

std::string list_xml(const std::string& inner) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult>" + inner +
         "</ListBucketResult>";
}

template <class F>
double seconds_of(F&& f) {
  auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(S3ClientFaultTest, MalformedListXmlIsARemoteErrorNamingTheListing) {
  FakeHttpServer server([](int, const std::string&) {
    return FakeReply{FakeHttpServer::response(200, "", list_xml("<Contents><Key>a</Key><Size>1")
                                                          .substr(0, 80) + "<<>>")};
  });
  Client client = make_client(server.endpoint());
  std::string message = test::error_of<RemoteError>([&] { client.list_objects("bkt", {}); });
  EXPECT_TRUE(test::contains(message, "malformed XML")) << message;
  EXPECT_TRUE(test::contains(message, "ListObjectsV2 s3://bkt")) << message;
}

TEST(S3ClientFaultTest, TruncatedXmlDocumentIsMalformed) {
  // A complete HTTP response whose XML stops half-way: the parser, not curl, must notice.
  std::string whole = list_xml("<Contents><Key>a</Key><Size>1</Size></Contents>");
  FakeHttpServer server([&](int, const std::string&) {
    return FakeReply{FakeHttpServer::response(200, "", whole.substr(0, whole.size() / 2))};
  });
  Client client = make_client(server.endpoint());
  std::string message = test::error_of<RemoteError>([&] { client.list_objects("bkt", {}); });
  EXPECT_TRUE(test::contains(message, "malformed XML")) << message;
}

TEST(S3ClientFaultTest, WrongRootElementAndBadSizeAreErrors) {
  FakeHttpServer server([](int n, const std::string&) {
    std::string body = n == 0 ? "<Other/>" : list_xml("<Contents><Key>a</Key><Size>x1</Size></Contents>");
    return FakeReply{FakeHttpServer::response(200, "", body)};
  });
  Client client = make_client(server.endpoint());
  EXPECT_TRUE(test::contains(test::error_of<RemoteError>([&] { client.list_objects("bkt", {}); }),
                             "<Other>"));
  EXPECT_TRUE(test::contains(test::error_of<RemoteError>([&] { client.list_objects("bkt", {}); }),
                             "x1"));
}

TEST(S3ClientFaultTest, BodyCutOffMidwayIsRetriedWithARangePinnedToTheETag) {
  std::string object(100000, '\0');
  for (size_t i = 0; i < object.size(); ++i) object[i] = static_cast<char>(i * 131 + 7);
  FakeHttpServer server([&](int n, const std::string& request) {
    if (n == 0) {
      // Promise everything, send 40,000 bytes, hang up.
      return FakeReply{FakeHttpServer::response(200, "ETag: \"abc\"\r\n", object.substr(0, 40000),
                                                static_cast<long>(object.size()))};
    }
    EXPECT_TRUE(test::contains(request, "Range: bytes=40000-")) << request;
    EXPECT_TRUE(test::contains(request, "If-Match: \"abc\"")) << request;
    return FakeReply{FakeHttpServer::response(
        206, "ETag: \"abc\"\r\nContent-Range: bytes 40000-99999/100000\r\n", object.substr(40000))};
  });
  Client client = make_client(server.endpoint());
  EXPECT_EQ(client.get_object_bytes("bkt", "k"), object);
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(S3ClientFaultTest, BodyCutOffEveryTimeFailsNamingTheCut) {
  FakeHttpServer server([](int, const std::string&) {
    return FakeReply{FakeHttpServer::response(200, "ETag: \"abc\"\r\n", std::string(500, 'x'), 1000)};
  });
  Client client = make_client(server.endpoint(), 1);
  std::string message = test::error_of<TransportError>([&] { client.get_object_bytes("bkt", "k"); });
  EXPECT_TRUE(test::contains(message, "s3://bkt/k")) << message;
  EXPECT_TRUE(test::contains(message, "cut off after 500")) << message;
}

TEST(S3ClientFaultTest, ObjectChangedBetweenResumedRangesIsAConflict) {
  FakeHttpServer server([](int n, const std::string&) {
    if (n == 0) {
      return FakeReply{FakeHttpServer::response(200, "ETag: \"v1\"\r\n", std::string(10, 'a'), 20)};
    }
    return FakeReply{FakeHttpServer::response(
        412, "", "<Error><Code>PreconditionFailed</Code><Message>nope</Message></Error>")};
  });
  Client client = make_client(server.endpoint());
  std::string message = test::error_of<Conflict>([&] { client.get_object_bytes("bkt", "k"); });
  EXPECT_TRUE(test::contains(message, "changed while it was being read")) << message;
}

TEST(S3ClientFaultTest, SlowDownAnd503AreRetriedThenSucceed) {
  FakeHttpServer server([](int n, const std::string&) {
    if (n == 0) {
      return FakeReply{FakeHttpServer::response(
          503, "", "<Error><Code>SlowDown</Code><Message>Please reduce</Message></Error>")};
    }
    if (n == 1) return FakeReply{FakeHttpServer::response(500, "", "")};
    return FakeReply{FakeHttpServer::response(200, "ETag: \"e\"\r\n", "")};
  });
  Client client = make_client(server.endpoint(), 5);
  std::string body = "payload";
  PutResult result = client.put_object(
      "bkt", "k", {reinterpret_cast<const uint8_t*>(body.data()), body.size()});
  EXPECT_EQ(result.etag, "e");
  std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  // Every attempt carried the whole body.
  for (const std::string& r : requests) EXPECT_TRUE(r.ends_with("\r\n\r\npayload")) << r;
}

TEST(S3ClientFaultTest, PersistentSlowDownGivesUpAfterTheAttemptsNamingTheCode) {
  FakeHttpServer server([](int, const std::string&) {
    return FakeReply{FakeHttpServer::response(
        503, "x-amz-request-id: REQ123\r\n",
        "<Error><Code>SlowDown</Code><Message>Please reduce</Message></Error>")};
  });
  Client client = make_client(server.endpoint(), 3);
  std::string message = test::error_of<RemoteError>([&] { client.get_object_bytes("bkt", "k"); });
  EXPECT_TRUE(test::contains(message, "503 SlowDown")) << message;
  EXPECT_TRUE(test::contains(message, "REQ123")) << message;
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(S3ClientFaultTest, ForbiddenNamesBucketAndKeyIdButNeverTheSecret) {
  FakeHttpServer server([](int, const std::string&) {
    return FakeReply{FakeHttpServer::response(
        403, "", "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>")};
  });
  Client client = make_client(server.endpoint());
  std::string message = test::error_of<RemoteError>([&] { client.get_object_bytes("bkt", "k"); });
  EXPECT_TRUE(test::contains(message, "s3://bkt/k")) << message;
  EXPECT_TRUE(test::contains(message, "AKIDFAKE")) << message;
  EXPECT_TRUE(test::contains(message, "the test")) << message;
  EXPECT_FALSE(test::contains(message, kSecret)) << message;
  EXPECT_EQ(server.requests().size(), 1u);  // a 403 is not retried
}

TEST(S3ClientFaultTest, UnreadableErrorBodyIsQuotedNotParsed) {
  FakeHttpServer server([](int, const std::string&) {
    return FakeReply{FakeHttpServer::response(400, "", "<html>proxy says no</html")};
  });
  Client client = make_client(server.endpoint());
  std::string message = test::error_of<RemoteError>([&] { client.get_object_bytes("bkt", "k"); });
  EXPECT_TRUE(test::contains(message, "HTTP 400")) << message;
  EXPECT_TRUE(test::contains(message, "proxy says no")) << message;
}

TEST(S3ClientFaultTest, ClosedPortFailsQuicklyNamingTheURL) {
  int port;
  {
    FakeHttpServer probe([](int, const std::string&) { return FakeReply{}; });
    port = probe.port();
  }  // closed now: connections are refused
  Client client = make_client("http://127.0.0.1:" + std::to_string(port), 2);
  std::string message;
  double took = seconds_of(
      [&] { message = test::error_of<TransportError>([&] { client.head_object("bkt", "k"); }); });
  EXPECT_LT(took, 5.0);
  EXPECT_TRUE(test::contains(message, "127.0.0.1:" + std::to_string(port))) << message;
  EXPECT_TRUE(test::contains(message, "after 2 attempts")) << message;
}

TEST(S3ClientFaultTest, UnroutableEndpointWaitsAtMostTheConnectTimeout) {
  HttpOptions http;
  http.connect_timeout_ms = 300;
  // TEST-NET-1 (RFC 5737): never routed, so a connect either hangs until the timeout or fails
  // at once with "unreachable"; both must end quickly.
  Client client = make_client("http://192.0.2.1:9", 2, http);
  double took = seconds_of([&] { test::error_of<TransportError>([&] { client.head_object("bkt", "k"); }); });
  EXPECT_LT(took, 3.0);
}

TEST(S3ClientFaultTest, StalledResponseIsAbortedAfterTheStallTimeout) {
  FakeHttpServer server([](int, const std::string&) {
    // Headers promise a body that never comes.
    return FakeReply{FakeHttpServer::response(200, "", "", 100), true, 4000};
  });
  HttpOptions http;
  http.stall_timeout_ms = 1000;
  Client client = make_client(server.endpoint(), 1, http);
  double took = seconds_of([&] { test::error_of<TransportError>([&] { client.get_object_bytes("bkt", "k"); }); });
  EXPECT_LT(took, 3.5);
}

TEST(S3ClientFaultTest, SinkErrorsStopTheTransferAndPropagate) {
  FakeHttpServer server([](int, const std::string&) {
    return FakeReply{FakeHttpServer::response(200, "ETag: \"e\"\r\n", std::string(1 << 20, 'z'))};
  });
  Client client = make_client(server.endpoint());
  BodySink sink = [](std::span<const uint8_t>) { throw IoError("disk full (test)"); };
  EXPECT_TRUE(test::contains(
      test::error_of<IoError>([&] { client.get_object("bkt", "k", {}, sink); }), "disk full"));
  EXPECT_EQ(server.requests().size(), 1u);  // a local failure is not retried
}

TEST(S3ClientFaultTest, ConditionalPutsSendTheirHeadersAnd412IsAConflict) {
  FakeHttpServer server([](int n, const std::string&) {
    if (n < 2) return FakeReply{FakeHttpServer::response(200, "ETag: \"e2\"\r\n", "")};
    return FakeReply{FakeHttpServer::response(
        412, "", "<Error><Code>PreconditionFailed</Code><Message>At least one</Message></Error>")};
  });
  Client client = make_client(server.endpoint());
  std::string body = "b";
  std::span<const uint8_t> bytes{reinterpret_cast<const uint8_t*>(body.data()), 1};
  PutOptions match;
  match.if_match = "e1";
  EXPECT_EQ(client.put_object("bkt", "k", bytes, match).etag, "e2");
  PutOptions create;
  create.if_none_match_any = true;
  client.put_object("bkt", "k", bytes, create);
  EXPECT_THROW(client.put_object("bkt", "k", bytes, create), Conflict);
  std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);  // a 412 is not retried
  EXPECT_TRUE(test::contains(requests[0], "If-Match: \"e1\"\r\n")) << requests[0];
  EXPECT_TRUE(test::contains(requests[1], "If-None-Match: *\r\n")) << requests[1];
  // Both are signed: a proxy cannot strip the condition without breaking the signature.
  EXPECT_TRUE(test::contains(requests[0], "SignedHeaders=host;if-match;")) << requests[0];
}

TEST(S3ClientFaultTest, BadEndpointsAreInvalidArguments) {
  for (const char* endpoint : {"127.0.0.1:9000", "ftp://host", "http://", "http://host/path",
                               "http://user@host"}) {
    SCOPED_TRACE(endpoint);
    ClientConfig config;
    config.endpoint = endpoint;
    EXPECT_THROW(Client{config}, InvalidArgument);
  }
}

TEST(S3ClientFaultTest, RequestsAreSignedForTheRightHostAndPath) {
  FakeHttpServer server([](int, const std::string&) {
    return FakeReply{FakeHttpServer::response(200, "ETag: \"e\"\r\n", "ok")};
  });
  Client client = make_client(server.endpoint());
  EXPECT_EQ(client.get_object_bytes("bkt", "dir/a b+c.txt"), "ok");
  std::string request = server.requests().at(0);
  EXPECT_TRUE(request.starts_with("GET /bkt/dir/a%20b%2Bc.txt HTTP/1.1\r\n")) << request;
  EXPECT_TRUE(test::contains(request, "Host: 127.0.0.1:" + std::to_string(server.port()))) << request;
  EXPECT_TRUE(test::contains(request, "Credential=AKIDFAKE/")) << request;
  EXPECT_FALSE(test::contains(request, kSecret));
}

}  // namespace
}  // namespace quilt::s3
