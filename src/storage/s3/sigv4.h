#pragma once

// AWS Signature Version 4 (AWS4-HMAC-SHA256): signing a request with an Authorization header,
// and presigning a URL (query-string authentication). Pure functions over a request description;
// no I/O. The intermediate canonical request and string-to-sign are returned so that tests can
// check them against the published examples and a 403 can be debugged by comparing them with the
// server's (S3 returns both in its SignatureDoesNotMatch error body).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace quilt::s3 {

/// Keys that sign a request. A session token comes with temporary credentials (STS, SSO).
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::optional<std::string> session_token;
};

/// One HTTP header or one query parameter, as a (name, value) pair.
using Header = std::pair<std::string, std::string>;
using QueryParam = std::pair<std::string, std::string>;

/// The payload hash S3 accepts when the body is not signed.
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
/// Hex SHA-256 of the empty string: the payload hash of a request without a body.
inline constexpr std::string_view kEmptyPayloadHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// What is signed of an HTTP request.
struct Request {
  /// "GET", "PUT", ... (sent and signed as given).
  std::string method = "GET";
  /// The absolute path, decoded ("/bucket/a b/ü.txt"). sign() encodes it as SigV4 requires;
  /// the caller sends encode_path(path) on the wire.
  std::string path = "/";
  /// Query parameters, decoded, in any order; repeated names are allowed. A parameter without
  /// a value ("?lifecycle") has an empty value.
  std::vector<QueryParam> query;
  /// Headers to sign, in any case and order. Must include Host. Repeated names are joined
  /// with ',' in the order given, as HTTP folds them.
  std::vector<Header> headers;
  /// Hex SHA-256 of the body (see payload_hash()), kEmptyPayloadHash, kUnsignedPayload, or a
  /// precomputed value such as STREAMING-AWS4-HMAC-SHA256-PAYLOAD.
  std::string payload_hash = std::string(kEmptyPayloadHash);
};

/// How path segments are encoded in the canonical request.
enum class PathEncoding {
  kDefault,  // kOnce for service "s3", kTwice for every other service (as AWS specifies)
  kOnce,
  kTwice,
};

/// Where and when a request is signed.
struct SigningScope {
  std::string region;    // "us-east-1"
  std::string service;   // "s3", "iam", ...
  std::string amz_date;  // "YYYYMMDDTHHMMSSZ", UTC
  PathEncoding path_encoding = PathEncoding::kDefault;
};

/// The result of sign(): the headers to add, and what was signed.
struct SignedRequest {
  /// Headers to add to the request, names as AWS spells them: X-Amz-Date,
  /// X-Amz-Content-SHA256 (service s3 only), X-Amz-Security-Token (with a session token), and
  /// Authorization (last).
  std::vector<Header> headers;
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;range;x-amz-date"
  std::string signature;       // 64 lowercase hex digits
};

/// Sign `request` for an Authorization header.
/// The added headers (but not Authorization) are part of what is signed; `request.headers`
/// must not already hold any of them. Throws InvalidArgument for a missing Host header, a header
/// that sign() adds, a malformed amz_date, an empty region or service, or empty keys.
SignedRequest sign(const Request& request, const Credentials& credentials,
                   const SigningScope& scope);

/// The result of presign(): the query parameters that authenticate the URL.
struct PresignedRequest {
  /// Parameters to add to the request's own, decoded: X-Amz-Algorithm, X-Amz-Credential,
  /// X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Security-Token (with a session
  /// token) and X-Amz-Signature.
  std::vector<QueryParam> query;
  /// The whole query string to send (the request's parameters and the added ones), encoded and
  /// in canonical order, without the leading '?'.
  std::string query_string;
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;
  std::string signature;
};

/// Presign `request` (query-string authentication) for `expires_seconds` from scope.amz_date.
/// The payload hash signed is `request.payload_hash`; set it to kUnsignedPayload for S3 URLs
/// handed to other programs. `request.query` must not hold any X-Amz-* authentication
/// parameter. Throws InvalidArgument as sign() does, and for expires_seconds outside
/// 1..604800 (7 days, the SigV4 limit).
PresignedRequest presign(const Request& request, const Credentials& credentials,
                         const SigningScope& scope, int64_t expires_seconds);

/// The payload hash of a request whose body is sent aws-chunked, each chunk signed.
inline constexpr std::string_view kStreamingPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// The algorithm named in each chunk's string to sign.
inline constexpr std::string_view kChunkAlgorithm = "AWS4-HMAC-SHA256-PAYLOAD";

/// Signs the chunks of an aws-chunked body (Content-Encoding: aws-chunked, payload hash
/// kStreamingPayload). Each chunk's signature covers its SHA-256 and the signature before it;
/// the chain starts at the signature of the request itself (the "seed"), so the chunks must be
/// signed in the order they are sent, ending with the empty chunk.
class ChunkSigner {
 public:
  /// `scope` and `seed_signature` are those sign() used for the request.
  ChunkSigner(const Credentials& credentials, const SigningScope& scope, std::string seed_signature);

  /// The signature of the next chunk, given the hex SHA-256 of its data (kEmptyPayloadHash for
  /// the final, empty chunk).
  std::string next(std::string_view chunk_sha256_hex);

 private:
  std::vector<uint8_t> key_;
  std::string previous_;
  std::string prefix_;  // algorithm, date and scope lines of every string to sign
};

/// The line that opens an aws-chunked chunk of `size` data bytes: "<hex size>;chunk-signature=
/// <signature>\r\n". The data and "\r\n" follow it.
std::string chunk_header(uint64_t size, std::string_view signature);

/// The Content-Length of `length` bytes sent aws-chunked in chunks of `chunk_size` (the last
/// may be shorter), with the final empty chunk.
uint64_t aws_chunked_length(uint64_t length, uint64_t chunk_size);

/// Return `bytes` URI-encoded the SigV4 way: every byte but A-Z a-z 0-9 - _ . ~ as %XX
/// (uppercase hex); '/' is kept when `keep_slash` is true.
std::string uri_encode(std::string_view bytes, bool keep_slash);

/// Return the path as sent on the wire for `path` (decoded): each segment URI-encoded once,
/// '/' kept. An empty path is "/".
std::string encode_path(std::string_view path);

/// Return the hex SHA-256 of `body`, for Request::payload_hash.
std::string payload_hash(std::string_view body);

}  // namespace quilt::s3
