#pragma once

// What the S3 client's source files share: the request a Client method describes (Call) and
// where it goes (Target), the retry rules, and the helpers for URLs, ETags, error documents
// and XML. client.cc builds and sends requests and sets buckets up; client_objects.cc is
// get, head, put, list and delete; client_multipart.cc copies and multipart uploads;
// client_async.cc the same requests on the transfer engine.

#include <pugixml.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/s3/client.h"
#include "storage/s3/http.h"

namespace quilt::s3 {

// One request as the client describes it; send() turns it into HTTP.
struct Client::Call {
  std::string operation;  // "GetObject", ... for messages
  std::string method;
  std::string bucket;
  std::string key;  // empty for bucket requests
  std::vector<QueryParam> query;
  std::vector<Header> headers;
  std::span<const uint8_t> body;
  const BodySource* source = nullptr;  // instead of body: read as it is sent
  std::string payload_hash;  // empty: computed from body
  // Set by prepare() when it signs: the date and signature of this attempt (an aws-chunked
  // body chains its chunk signatures from them).
  std::string amz_date;
  std::string signature;
  const BodySink* sink = nullptr;
  bool retry = true;
};

struct Client::Target {
  std::string url;
  std::string host;
  std::string path;  // decoded
};

namespace internal {

constexpr std::string_view kXmlNamespace = "http://s3.amazonaws.com/doc/2006-03-01/";

std::span<const uint8_t> as_bytes(std::string_view text);
/// Base64 of the MD5 of `bytes` (Content-MD5).
std::string md5_base64(std::span<const uint8_t> bytes);
/// Decode a key of a listing requested with encoding-type=url ('+' for a space).
std::string url_decode(std::string_view text);
std::string xml_escape(std::string_view text);
/// An ETag without its quotes.
std::string unquote_etag(std::string_view etag);
/// "s3://BUCKET[/KEY]", for messages.
std::string s3_url(const std::string& bucket, const std::string& key);
/// Whether a response with `status` and error `code` is worth another attempt.
bool retryable_status(long status, std::string_view code);
/// Whether a failure below HTTP (a CURLcode) is worth another attempt.
bool retryable_transport(int curl_code);
/// Parse a decimal count; RemoteError naming `what` otherwise.
uint64_t parse_u64(std::string_view text, std::string_view what);

/// An S3 error document: <Error><Code/><Message/><RequestId/></Error>.
struct ErrorDocument {
  std::string code;
  std::string message;
  std::string request_id;
  std::string region;  // <Region> of a redirect or AuthorizationHeaderMalformed
  bool parsed = false;
};
ErrorDocument parse_error(const HttpResponse& response);

/// Parse a success response's XML; a document that does not parse or lacks `root` is the
/// server's fault (RemoteError naming `what`).
pugi::xml_node parse_document(pugi::xml_document& doc, const HttpResponse& response,
                              const char* root, const std::string& what);
uint64_t node_u64(pugi::xml_node node, const char* child, const std::string& what);
bool node_true(pugi::xml_node node, const char* child);
/// An object's size, ETag, version, date and user metadata from a GET or HEAD response.
ObjectMeta meta_from_headers(const HttpResponse& response);
/// Append `metadata` as x-amz-meta-* headers.
void add_metadata(std::vector<Header>& headers, const std::vector<Header>& metadata);

}  // namespace internal
}  // namespace quilt::s3
