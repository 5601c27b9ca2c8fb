// The S3 client: requests described as Calls, signed, sent and retried; error responses turned
// into quilt's errors; bucket set-up. The operations on objects are in client_objects.cc and
// client_multipart.cc, their asynchronous forms in client_async.cc.

#include "storage/s3/client.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pugixml.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <random>
#include <thread>

#include "quilt/errors.h"
#include "storage/s3/client_internal.h"

namespace quilt::s3 {
namespace {

std::string amz_date_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[17];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &tm);
  return text;
}

std::string base64(std::span<const uint8_t> bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

namespace internal {

std::span<const uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

std::string md5_base64(std::span<const uint8_t> bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_md5(), nullptr) != 1) {
    throw RemoteError("OpenSSL MD5 failed");
  }
  return base64({digest, size});
}

// Keys in listings requested with encoding-type=url come form-encoded ('+' for a space).
std::string url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() + 0 && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\r': out += "&#13;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string unquote_etag(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

std::string s3_url(const std::string& bucket, const std::string& key) {
  return "s3://" + bucket + (key.empty() ? "" : "/" + key);
}

bool retryable_status(long status, std::string_view code) {
  if (status == 500 || status == 502 || status == 503 || status == 504) return true;
  return code == "SlowDown" || code == "RequestTimeout" || code == "InternalError" ||
         code == "RequestTimeTooSkewed" || code == "Throttling";
}

bool retryable_transport(int curl_code) {
  // Everything but configuration mistakes: a bad URL, an unsupported protocol, TLS
  // verification (retrying cannot fix a certificate).
  switch (curl_code) {
    case 1:   // CURLE_UNSUPPORTED_PROTOCOL
    case 3:   // CURLE_URL_MALFORMAT
    case 6:   // CURLE_COULDNT_RESOLVE_HOST
    case 58:  // CURLE_SSL_CERTPROBLEM
    case 60:  // CURLE_PEER_FAILED_VERIFICATION
    case 77:  // CURLE_SSL_CACERT_BADFILE
      return false;
    default:
      return true;
  }
}

uint64_t parse_u64(std::string_view text, std::string_view what) {
  if (text.empty() || text.size() > 20) throw RemoteError("bad " + std::string(what) + " '" + std::string(text) + "'");
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') throw RemoteError("bad " + std::string(what) + " '" + std::string(text) + "'");
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

ErrorDocument parse_error(const HttpResponse& response) {
  ErrorDocument error;
  error.request_id = std::string(response.header("x-amz-request-id").value_or(""));
  if (response.body.empty()) return error;
  pugi::xml_document doc;
  if (!doc.load_buffer(response.body.data(), response.body.size())) return error;
  pugi::xml_node root = doc.child("Error");
  if (!root) return error;
  error.parsed = true;
  error.code = root.child_value("Code");
  error.message = root.child_value("Message");
  if (const char* id = root.child_value("RequestId"); *id != '\0') error.request_id = id;
  error.region = root.child_value("Region");
  return error;
}

pugi::xml_node parse_document(pugi::xml_document& doc, const HttpResponse& response,
                              const char* root, const std::string& what) {
  pugi::xml_parse_result result = doc.load_buffer(response.body.data(), response.body.size());
  if (!result) {
    throw RemoteError("malformed XML in the response to " + what + ": " + result.description() +
                      " at byte " + std::to_string(result.offset) + " of " +
                      std::to_string(response.body.size()));
  }
  pugi::xml_node node = doc.child(root);
  if (!node) {
    pugi::xml_node first = doc.first_child();
    throw RemoteError("unexpected XML in the response to " + what + ": <" +
                      std::string(first ? first.name() : "") + "> where <" + root + "> belongs");
  }
  return node;
}

uint64_t node_u64(pugi::xml_node node, const char* child, const std::string& what) {
  pugi::xml_node value = node.child(child);
  if (!value) throw RemoteError("malformed XML in the response to " + what + ": no <" + child + ">");
  try {
    return parse_u64(value.child_value(), child);
  } catch (const RemoteError& e) {
    throw RemoteError("malformed XML in the response to " + what + ": " + e.what());
  }
}

bool node_true(pugi::xml_node node, const char* child) {
  return std::string_view(node.child_value(child)) == "true";
}

ObjectMeta meta_from_headers(const HttpResponse& response) {
  ObjectMeta meta;
  for (const Header& h : response.headers) {
    if (h.first.starts_with("x-amz-meta-")) meta.metadata.emplace_back(h.first.substr(11), h.second);
  }
  meta.etag = unquote_etag(response.header("etag").value_or(""));
  if (auto v = response.header("x-amz-version-id"); v && *v != "null") meta.version_id = std::string(*v);
  meta.last_modified = std::string(response.header("last-modified").value_or(""));
  // "bytes FIRST-LAST/TOTAL" or "bytes */TOTAL": the total is the object's size.
  if (auto range = response.header("content-range")) {
    size_t slash = range->rfind('/');
    if (slash != std::string_view::npos && range->substr(slash + 1) != "*") {
      meta.size = parse_u64(range->substr(slash + 1), "Content-Range");
      return meta;
    }
  }
  if (auto length = response.header("content-length")) meta.size = parse_u64(*length, "Content-Length");
  return meta;
}

void add_metadata(std::vector<Header>& headers, const std::vector<Header>& metadata) {
  for (const Header& m : metadata) headers.emplace_back("x-amz-meta-" + m.first, m.second);
}

}  // namespace internal

using namespace internal;  // NOLINT: this file implements them

std::optional<std::string_view> ObjectMeta::meta(std::string_view name) const {
  for (const Header& m : metadata) {
    if (m.first == name) return std::string_view(m.second);
  }
  return std::nullopt;
}

void validate_bucket_name(std::string_view bucket) {
  auto fail = [&](std::string_view why) {
    throw InvalidArgument("invalid S3 bucket name '" + std::string(bucket) + "': " +
                          std::string(why));
  };
  if (bucket.size() < 3 || bucket.size() > 63) fail("must be 3 to 63 characters");
  for (char c : bucket) {
    // Upper case and '_' are legacy names some servers still hold; accept them.
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              (c >= 'A' && c <= 'Z') || c == '_';
    if (!ok) fail("only letters, digits, '.', '-' and '_' are allowed");
  }
}

std::string sha256_hex(std::span<const uint8_t> bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(bytes.data(), bytes.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * SHA256_DIGEST_LENGTH, '\0');
  for (size_t i = 0; i < SHA256_DIGEST_LENGTH; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 15];
  }
  return out;
}

Client::Client(ClientConfig config, HttpOptions http, RetryOptions retry)
    : config_(std::move(config)), retry_(retry), http_([&] {
        if (http.ca_bundle.empty()) http.ca_bundle = config_.ca_bundle;
        return http;
      }()) {
  if (const char* attempts = std::getenv("QUILT_S3_MAX_ATTEMPTS"); attempts && *attempts) {
    retry_.max_attempts = static_cast<int>(parse_u64(attempts, "QUILT_S3_MAX_ATTEMPTS"));
    if (retry_.max_attempts < 1) retry_.max_attempts = 1;
  }
  if (config_.region.empty()) config_.region = "us-east-1";
  std::string endpoint = config_.endpoint;
  if (endpoint.empty()) endpoint = "https://s3." + config_.region + ".amazonaws.com";
  size_t colon = endpoint.find("://");
  if (colon == std::string::npos) {
    throw InvalidArgument("S3 endpoint '" + endpoint + "' has no http:// or https:// scheme");
  }
  scheme_ = endpoint.substr(0, colon);
  host_ = endpoint.substr(colon + 3);
  while (!host_.empty() && host_.back() == '/') host_.pop_back();
  if (scheme_ != "http" && scheme_ != "https") {
    throw InvalidArgument("S3 endpoint '" + endpoint + "': scheme must be http or https");
  }
  if (host_.empty() || host_.find_first_of("/?#@") != std::string::npos) {
    throw InvalidArgument("S3 endpoint '" + endpoint +
                          "' must be scheme://host[:port] without a path");
  }
  // curl sends no port for the scheme's default; the signed Host must match what is sent.
  if (scheme_ == "http" && host_.ends_with(":80")) host_.resize(host_.size() - 3);
  if (scheme_ == "https" && host_.ends_with(":443")) host_.resize(host_.size() - 4);
}

Client::~Client() = default;

void Client::set_copy_limits(uint64_t single_copy_max, uint64_t part_size) {
  if (single_copy_max > kMaxSinglePut || part_size < kMinPartSize || part_size > kMaxSinglePut) {
    throw InvalidArgument("copy limits out of S3's range (single copy at most 5 GiB, parts 5 MiB to 5 GiB)");
  }
  copy_single_max_ = single_copy_max;
  copy_part_size_ = part_size;
}

Client::Target Client::target(const std::string& bucket, const std::string& key) const {
  Target t;
  // Dotted names break TLS wildcard certificates in virtual-hosted style: AWS's own advice is
  // path style for them.
  bool virtual_host = config_.addressing == Addressing::kVirtual && !bucket.empty() &&
                      bucket.find('.') == std::string::npos;
  if (virtual_host) {
    t.host = bucket + "." + host_;
    t.path = "/" + key;
  } else {
    t.host = host_;
    t.path = "/" + bucket + (key.empty() ? "" : "/" + key);
  }
  t.url = scheme_ + "://" + t.host + encode_path(t.path);
  return t;
}

std::string Client::object_url(const std::string& bucket, const std::string& key) const {
  return target(bucket, key).url;
}

HttpRequest Client::prepare(Call& call, const Target& t) {
  HttpRequest request;
  request.method = call.method;
  request.body = call.body;
  request.source = call.source;
  request.sink = call.sink;
  request.url = t.url;
  if (!call.query.empty()) {
    std::string query;
    for (const QueryParam& q : call.query) {
      if (!query.empty()) query += '&';
      query += uri_encode(q.first, false);
      // "?uploads", "?versioning", "?delete": a bare name, as S3 documents them.
      if (!q.second.empty()) query += "=" + uri_encode(q.second, false);
    }
    request.url += "?" + query;
  }
  std::vector<Header> headers = call.headers;
  headers.emplace_back("Host", t.host);
  if (config_.credentials) {
    Request to_sign;
    to_sign.method = call.method;
    to_sign.path = t.path;
    to_sign.query = call.query;
    to_sign.headers = headers;
    if (call.payload_hash.empty()) {
      call.payload_hash =
          call.body.empty() ? std::string(kEmptyPayloadHash) : sha256_hex(call.body);
    }
    to_sign.payload_hash = call.payload_hash;
    SigningScope scope{config_.region, "s3", amz_date_now()};
    SignedRequest signed_request = sign(to_sign, *config_.credentials, scope);
    call.amz_date = scope.amz_date;
    call.signature = signed_request.signature;
    headers.insert(headers.end(), signed_request.headers.begin(), signed_request.headers.end());
  }
  request.headers = std::move(headers);
  return request;
}

HttpResponse Client::send_once(Call& call, const Target& t) {
  return http_.perform(prepare(call, t));
}

bool Client::should_retry(const Call& call, int attempt, const HttpResponse& response,
                          std::exception_ptr error) const {
  bool last = !call.retry || attempt >= retry_.max_attempts;
  if (error) {
    try {
      std::rethrow_exception(error);
    } catch (const TransportError& e) {
      if (last || !retryable_transport(e.curl_code())) {
        throw TransportError(call.operation + " " + s3_url(call.bucket, call.key) +
                                 " failed after " + std::to_string(attempt) + " attempt" +
                                 (attempt == 1 ? "" : "s") + ": " + e.what(),
                             e.curl_code());
      }
      return true;
    }
    // Anything else (a sink's error, a stopped engine) propagates as it is.
  }
  // Success bodies (listings) are parsed once, by the caller, not here.
  return !(last || response.status < 400 ||
           !retryable_status(response.status, parse_error(response).code));
}

long Client::backoff_ms(int attempt) const {
  // Full jitter: a random wait up to a ceiling that doubles each attempt.
  thread_local std::mt19937_64 random(std::random_device{}());
  long ceiling = std::min(retry_.max_delay_ms, retry_.base_delay_ms << std::min(attempt - 1, 20));
  return std::uniform_int_distribution<long>(0, ceiling)(random);
}

HttpResponse Client::send(Call& call) {
  Target t = target(call.bucket, call.key);
  for (int attempt = 1;; ++attempt) {
    HttpResponse response;
    std::exception_ptr error;
    try {
      response = send_once(call, t);
    } catch (const TransportError&) {
      error = std::current_exception();
    }
    if (!should_retry(call, attempt, response, error)) return response;
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms(attempt)));
  }
}

void Client::throw_error(const Call& call, const HttpResponse& response) const {
  ErrorDocument error = parse_error(response);
  std::string message = call.operation + " " + s3_url(call.bucket, call.key) + ": HTTP " +
                        std::to_string(response.status);
  if (!error.code.empty()) message += " " + error.code;
  if (!error.message.empty()) message += ": " + error.message;
  if (!error.parsed && !response.body.empty() && call.method != "HEAD") {
    std::string head = response.body.substr(0, 200);
    message += " (unreadable error body: '" + head + (response.body.size() > 200 ? "...'" : "'") + ")";
  }
  if (!error.request_id.empty()) message += " [request id " + error.request_id + "]";
  if (response.status == 403 || response.status == 401) {
    if (config_.credentials) {
      message += "; signed with access key id " + config_.credentials->access_key_id + " from " +
                 config_.credentials_source;
    } else {
      message += "; sent unsigned (" +
                 (config_.credentials_source.empty() ? std::string("anonymous")
                                                     : config_.credentials_source) +
                 ")";
    }
  }
  if (std::optional<std::string_view> region = response.header("x-amz-bucket-region");
      region && *region != config_.region) {
    message += "; the bucket is in region " + std::string(*region) + ", not " + config_.region;
  } else if (!error.region.empty() && error.region != config_.region) {
    message += "; the server expects region " + error.region + ", not " + config_.region;
  }
  if (response.status == 404 || error.code == "NoSuchKey" || error.code == "NoSuchBucket" ||
      error.code == "NoSuchUpload" || error.code == "NoSuchVersion") {
    throw NotFound(message);
  }
  if (response.status == 412 || error.code == "PreconditionFailed" ||
      error.code == "ConditionalRequestConflict") {
    throw Conflict(message);
  }
  if (error.code == "InvalidBucketName") throw InvalidArgument(message);
  throw RemoteError(message);
}

void Client::create_bucket(const std::string& bucket) {
  validate_bucket_name(bucket);
  std::string body;
  if (config_.region != "us-east-1") {
    body = "<CreateBucketConfiguration xmlns=\"" + std::string(kXmlNamespace) +
           "\"><LocationConstraint>" + xml_escape(config_.region) +
           "</LocationConstraint></CreateBucketConfiguration>";
  }
  Call call;
  call.operation = "CreateBucket";
  call.method = "PUT";
  call.bucket = bucket;
  call.body = as_bytes(body);
  HttpResponse response = send(call);
  if (response.status == 200) return;
  if (parse_error(response).code == "BucketAlreadyOwnedByYou") return;
  throw_error(call, response);
}

void Client::set_bucket_versioning(const std::string& bucket, bool enabled) {
  std::string body = "<VersioningConfiguration xmlns=\"" + std::string(kXmlNamespace) +
                     "\"><Status>" + (enabled ? "Enabled" : "Suspended") +
                     "</Status></VersioningConfiguration>";
  Call call;
  call.operation = "PutBucketVersioning";
  call.method = "PUT";
  call.bucket = bucket;
  call.query = {{"versioning", ""}};
  call.body = as_bytes(body);
  call.headers = {{"Content-MD5", md5_base64(call.body)}};
  HttpResponse response = send(call);
  if (response.status != 200) throw_error(call, response);
}

}  // namespace quilt::s3
