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

namespace quilt::s3 {
namespace {

constexpr std::string_view kXmlNamespace = "http://s3.amazonaws.com/doc/2006-03-01/";

std::string amz_date_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[17];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &tm);
  return text;
}

std::span<const uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

std::string base64(std::span<const uint8_t> bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string md5_base64(std::span<const uint8_t> bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_md5(), nullptr) != 1) {
    throw RemoteError("OpenSSL MD5 failed");
  }
  return base64({digest, size});
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
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

// An S3 error document: <Error><Code/><Message/><RequestId/></Error>.
struct ErrorDocument {
  std::string code;
  std::string message;
  std::string request_id;
  std::string region;  // <Region> of a redirect or AuthorizationHeaderMalformed
  bool parsed = false;
};

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

}  // namespace

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

// One request as the client describes it; send() turns it into HTTP.
struct Client::Call {
  std::string operation;  // "GetObject", ... for messages
  std::string method;
  std::string bucket;
  std::string key;  // empty for bucket requests
  std::vector<QueryParam> query;
  std::vector<Header> headers;
  std::span<const uint8_t> body;
  std::string payload_hash;  // empty: computed from body
  const BodySink* sink = nullptr;
  bool retry = true;
};

struct Client::Target {
  std::string url;
  std::string host;
  std::string path;  // decoded
};

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

namespace {

// Parse a success response's XML; a document that does not parse or lacks `root` is the
// server's fault.
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

}  // namespace

ObjectMeta Client::get_object(const std::string& bucket, const std::string& key,
                              const GetOptions& options, const BodySink& sink) {
  uint64_t delivered = 0;
  std::optional<std::string> pin = options.if_match;
  std::optional<ObjectMeta> meta;
  BodySink counting = [&](std::span<const uint8_t> bytes) {
    sink(bytes);
    delivered += bytes.size();
  };
  if (options.length && *options.length == 0) {
    std::optional<ObjectMeta> head = head_object(bucket, key, options.version_id);
    if (!head) throw NotFound("GetObject " + s3_url(bucket, key) + ": no such key");
    return *head;
  }
  Target t = target(bucket, key);
  for (int attempt = 1;; ++attempt) {
    Call call;
    call.operation = "GetObject";
    call.method = "GET";
    call.bucket = bucket;
    call.key = key;
    call.sink = &counting;
    if (options.version_id) call.query.emplace_back("versionId", *options.version_id);
    uint64_t first = options.offset + delivered;
    if (first > 0 || options.length) {
      std::string range = "bytes=" + std::to_string(first) + "-";
      if (options.length) range += std::to_string(options.offset + *options.length - 1);
      call.headers.emplace_back("Range", range);
    }
    if (pin) call.headers.emplace_back("If-Match", "\"" + *pin + "\"");
    bool last = attempt >= retry_.max_attempts;
    try {
      HttpResponse response = send_once(call, t);
      if (response.status == 200 || response.status == 206) {
        ObjectMeta got = meta_from_headers(response);
        if (!meta) meta = got;
        return *meta;
      }
      if (response.status == 416) {
        // A range that starts at or past the end: no bytes, as the ObjectStore contract says.
        ObjectMeta got = meta_from_headers(response);
        if (!response.header("content-range")) {
          std::optional<ObjectMeta> head = head_object(bucket, key, options.version_id);
          if (!head) throw_error(call, response);
          got = *head;
        }
        return meta ? *meta : got;
      }
      ErrorDocument error = parse_error(response);
      if (response.status == 412 && !options.if_match && pin) {
        throw Conflict("GetObject " + s3_url(bucket, key) +
                       ": the object changed while it was being read (ETag " + *pin + ")");
      }
      if (last || !retryable_status(response.status, error.code)) throw_error(call, response);
    } catch (const TransportError& e) {
      if (last || !retryable_transport(e.curl_code())) {
        throw TransportError("GetObject " + s3_url(bucket, key) + " failed after " +
                                 std::to_string(attempt) + " attempt" +
                                 (attempt == 1 ? "" : "s") + ": " + e.what(),
                             e.curl_code());
      }
      // Resume pinned to the version whose bytes the sink already has.
      if (!pin && e.partial().status / 100 == 2) {
        std::string etag = unquote_etag(e.partial().header("etag").value_or(""));
        if (!etag.empty()) pin = etag;
        if (!meta) meta = meta_from_headers(e.partial());
      }
    }
    if (delivered > 0 && !pin) {
      throw RemoteError("GetObject " + s3_url(bucket, key) +
                        ": cannot resume a read cut off after " + std::to_string(delivered) +
                        " bytes: the server sent no ETag to pin the rest to");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms(attempt)));
  }
}

std::string Client::get_object_bytes(const std::string& bucket, const std::string& key,
                                     const GetOptions& options) {
  std::string out;
  BodySink sink = [&](std::span<const uint8_t> bytes) {
    out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  };
  get_object(bucket, key, options, sink);
  return out;
}

std::optional<ObjectMeta> Client::head_object(const std::string& bucket, const std::string& key,
                                              const std::optional<std::string>& version_id) {
  Call call;
  call.operation = "HeadObject";
  call.method = "HEAD";
  call.bucket = bucket;
  call.key = key;
  if (version_id) call.query.emplace_back("versionId", *version_id);
  HttpResponse response = send(call);
  if (response.status == 200) return meta_from_headers(response);
  if (response.status == 404) {
    // A HEAD has no body to say whether the key or the bucket is missing: ask the bucket.
    Call bucket_call;
    bucket_call.operation = "HeadBucket";
    bucket_call.method = "HEAD";
    bucket_call.bucket = bucket;
    HttpResponse bucket_response = send(bucket_call);
    if (bucket_response.status == 404) {
      throw NotFound("HeadObject " + s3_url(bucket, key) + ": no such bucket '" + bucket + "'");
    }
    return std::nullopt;
  }
  if (response.status == 400 && version_id) return std::nullopt;  // a malformed version id
  throw_error(call, response);
}

PutResult Client::put_object(const std::string& bucket, const std::string& key,
                             std::span<const uint8_t> body, const PutOptions& options) {
  if (body.size() > kMaxSinglePut) {
    throw InvalidArgument("PutObject " + s3_url(bucket, key) + ": " + std::to_string(body.size()) +
                          " bytes is more than one request may carry (5 GiB); use multipart");
  }
  Call call;
  call.operation = "PutObject";
  call.method = "PUT";
  call.bucket = bucket;
  call.key = key;
  call.body = body;
  if (options.payload_sha256) call.payload_hash = *options.payload_sha256;
  if (!options.content_type.empty()) call.headers.emplace_back("Content-Type", options.content_type);
  if (!options.canned_acl.empty()) call.headers.emplace_back("x-amz-acl", options.canned_acl);
  add_metadata(call.headers, options.metadata);
  if (options.if_none_match_any) call.headers.emplace_back("If-None-Match", "*");
  if (options.if_match) call.headers.emplace_back("If-Match", "\"" + *options.if_match + "\"");
  HttpResponse response = send(call);
  if (response.status != 200) throw_error(call, response);
  PutResult result;
  result.size = body.size();
  result.etag = unquote_etag(response.header("etag").value_or(""));
  if (auto v = response.header("x-amz-version-id"); v && *v != "null") result.version_id = std::string(*v);
  return result;
}

ListObjectsResult Client::list_objects(const std::string& bucket,
                                       const ListObjectsRequest& request) {
  Call call;
  call.operation = "ListObjectsV2";
  call.method = "GET";
  call.bucket = bucket;
  call.query = {{"list-type", "2"}, {"encoding-type", "url"}};
  if (!request.prefix.empty()) call.query.emplace_back("prefix", request.prefix);
  if (!request.delimiter.empty()) call.query.emplace_back("delimiter", request.delimiter);
  if (!request.continuation_token.empty()) {
    call.query.emplace_back("continuation-token", request.continuation_token);
  }
  if (!request.start_after.empty()) call.query.emplace_back("start-after", request.start_after);
  call.query.emplace_back("max-keys", std::to_string(request.max_keys));
  HttpResponse response = send(call);
  if (response.status != 200) throw_error(call, response);
  std::string what = "ListObjectsV2 " + s3_url(bucket, request.prefix);
  pugi::xml_document doc;
  pugi::xml_node root = parse_document(doc, response, "ListBucketResult", what);
  bool encoded = std::string_view(root.child_value("EncodingType")) == "url";
  auto decode = [&](const char* text) { return encoded ? url_decode(text) : std::string(text); };
  ListObjectsResult result;
  for (pugi::xml_node node : root.children("Contents")) {
    ListedObject object;
    object.key = decode(node.child_value("Key"));
    object.size = node_u64(node, "Size", what);
    object.etag = unquote_etag(node.child_value("ETag"));
    object.last_modified = node.child_value("LastModified");
    result.objects.push_back(std::move(object));
  }
  for (pugi::xml_node node : root.children("CommonPrefixes")) {
    result.common_prefixes.push_back(decode(node.child_value("Prefix")));
  }
  result.truncated = node_true(root, "IsTruncated");
  result.next_continuation_token = root.child_value("NextContinuationToken");
  if (result.truncated && result.next_continuation_token.empty()) {
    throw RemoteError("malformed response to " + what +
                      ": truncated, but no NextContinuationToken");
  }
  return result;
}

ListVersionsResult Client::list_object_versions(const std::string& bucket,
                                                const ListVersionsRequest& request) {
  Call call;
  call.operation = "ListObjectVersions";
  call.method = "GET";
  call.bucket = bucket;
  call.query = {{"versions", ""}, {"encoding-type", "url"}};
  if (!request.prefix.empty()) call.query.emplace_back("prefix", request.prefix);
  if (!request.delimiter.empty()) call.query.emplace_back("delimiter", request.delimiter);
  if (!request.key_marker.empty()) call.query.emplace_back("key-marker", request.key_marker);
  if (!request.version_id_marker.empty()) {
    call.query.emplace_back("version-id-marker", request.version_id_marker);
  }
  call.query.emplace_back("max-keys", std::to_string(request.max_keys));
  HttpResponse response = send(call);
  if (response.status != 200) throw_error(call, response);
  std::string what = "ListObjectVersions " + s3_url(bucket, request.prefix);
  pugi::xml_document doc;
  pugi::xml_node root = parse_document(doc, response, "ListVersionsResult", what);
  bool encoded = std::string_view(root.child_value("EncodingType")) == "url";
  auto decode = [&](const char* text) { return encoded ? url_decode(text) : std::string(text); };
  ListVersionsResult result;
  for (pugi::xml_node node : root.children()) {
    std::string_view name = node.name();
    if (name == "Version" || name == "DeleteMarker") {
      ObjectVersion version;
      version.key = decode(node.child_value("Key"));
      version.version_id = node.child_value("VersionId");
      version.is_latest = node_true(node, "IsLatest");
      version.is_delete_marker = name == "DeleteMarker";
      if (!version.is_delete_marker) {
        version.size = node_u64(node, "Size", what);
        version.etag = unquote_etag(node.child_value("ETag"));
      }
      version.last_modified = node.child_value("LastModified");
      result.versions.push_back(std::move(version));
    } else if (name == "CommonPrefixes") {
      result.common_prefixes.push_back(decode(node.child_value("Prefix")));
    }
  }
  result.truncated = node_true(root, "IsTruncated");
  result.next_key_marker = decode(root.child_value("NextKeyMarker"));
  result.next_version_id_marker = root.child_value("NextVersionIdMarker");
  return result;
}

void Client::delete_object(const std::string& bucket, const std::string& key,
                           const std::optional<std::string>& version_id) {
  Call call;
  call.operation = "DeleteObject";
  call.method = "DELETE";
  call.bucket = bucket;
  call.key = key;
  if (version_id) call.query.emplace_back("versionId", *version_id);
  HttpResponse response = send(call);
  if (response.status == 204 || response.status == 200) return;
  if (response.status == 404 && parse_error(response).code == "NoSuchKey") return;
  throw_error(call, response);
}

std::vector<DeleteFailure> Client::delete_objects(const std::string& bucket,
                                                  const std::vector<ObjectId>& objects) {
  std::vector<DeleteFailure> failures;
  for (size_t start = 0; start < objects.size(); start += 1000) {
    size_t end = std::min(objects.size(), start + 1000);
    std::string body = "<Delete xmlns=\"" + std::string(kXmlNamespace) + "\"><Quiet>true</Quiet>";
    for (size_t i = start; i < end; ++i) {
      body += "<Object><Key>" + xml_escape(objects[i].key) + "</Key>";
      if (objects[i].version_id) body += "<VersionId>" + xml_escape(*objects[i].version_id) + "</VersionId>";
      body += "</Object>";
    }
    body += "</Delete>";
    Call call;
    call.operation = "DeleteObjects";
    call.method = "POST";
    call.bucket = bucket;
    call.query = {{"delete", ""}};
    call.body = as_bytes(body);
    call.headers = {{"Content-Type", "application/xml"}, {"Content-MD5", md5_base64(call.body)}};
    HttpResponse response = send(call);
    if (response.status != 200) throw_error(call, response);
    pugi::xml_document doc;
    pugi::xml_node root = parse_document(doc, response, "DeleteResult", "DeleteObjects " + s3_url(bucket, ""));
    for (pugi::xml_node node : root.children("Error")) {
      DeleteFailure failure;
      failure.key = node.child_value("Key");
      if (const char* v = node.child_value("VersionId"); *v != '\0') failure.version_id = v;
      failure.code = node.child_value("Code");
      failure.message = node.child_value("Message");
      failures.push_back(std::move(failure));
    }
  }
  return failures;
}

namespace {

std::string copy_source(const std::string& bucket, const std::string& key,
                        const std::optional<std::string>& version) {
  std::string source = encode_path("/" + bucket + "/" + key);
  if (version) source += "?versionId=" + uri_encode(*version, false);
  return source;
}

}  // namespace

PutResult Client::copy_object(const std::string& source_bucket, const std::string& source_key,
                              const std::optional<std::string>& source_version,
                              const std::string& bucket, const std::string& key,
                              const std::vector<Header>& metadata) {
  std::optional<ObjectMeta> source = head_object(source_bucket, source_key, source_version);
  if (!source) {
    throw NotFound("CopyObject: source " + s3_url(source_bucket, source_key) +
                   (source_version ? "?versionId=" + *source_version : "") + " does not exist");
  }
  if (source->size > copy_single_max_) {
    uint64_t part = std::max<uint64_t>(copy_part_size_, (source->size + kMaxParts - 1) / kMaxParts);
    std::string upload = create_multipart_upload(bucket, key, {}, metadata);
    try {
      std::vector<CompletedPart> parts;
      for (uint64_t first = 0; first < source->size; first += part) {
        int number = static_cast<int>(parts.size()) + 1;
        CopyRange range{first, std::min(source->size, first + part) - 1};
        parts.push_back({number, upload_part_copy(bucket, key, upload, number, source_bucket,
                                                  source_key, source_version, range)});
      }
      PutResult result = complete_multipart_upload(bucket, key, upload, parts);
      result.size = source->size;
      return result;
    } catch (...) {
      try {
        abort_multipart_upload(bucket, key, upload);
      } catch (...) {
      }
      throw;
    }
  }
  Call call;
  call.operation = "CopyObject";
  call.method = "PUT";
  call.bucket = bucket;
  call.key = key;
  call.headers.emplace_back("x-amz-copy-source", copy_source(source_bucket, source_key, source_version));
  // Copying an object onto itself needs a stated change, and keeps the bytes.
  if (!metadata.empty() || (source_bucket == bucket && source_key == key && !source_version)) {
    call.headers.emplace_back("x-amz-metadata-directive", "REPLACE");
    add_metadata(call.headers, metadata);
  }
  HttpResponse response = send(call);
  // A copy may fail after its 200 status is sent: the body is then an <Error>.
  if (response.status != 200 || parse_error(response).parsed) throw_error(call, response);
  pugi::xml_document doc;
  pugi::xml_node root = parse_document(doc, response, "CopyObjectResult", "CopyObject " + s3_url(bucket, key));
  PutResult result;
  result.size = source->size;
  result.etag = unquote_etag(root.child_value("ETag"));
  if (auto v = response.header("x-amz-version-id"); v && *v != "null") result.version_id = std::string(*v);
  return result;
}

std::string Client::create_multipart_upload(const std::string& bucket, const std::string& key,
                                            const std::string& content_type,
                                            const std::vector<Header>& metadata) {
  Call call;
  call.operation = "CreateMultipartUpload";
  call.method = "POST";
  call.bucket = bucket;
  call.key = key;
  call.query = {{"uploads", ""}};
  if (!content_type.empty()) call.headers.emplace_back("Content-Type", content_type);
  add_metadata(call.headers, metadata);
  HttpResponse response = send(call);
  if (response.status != 200) throw_error(call, response);
  pugi::xml_document doc;
  pugi::xml_node root = parse_document(doc, response, "InitiateMultipartUploadResult",
                                       "CreateMultipartUpload " + s3_url(bucket, key));
  std::string id = root.child_value("UploadId");
  if (id.empty()) throw RemoteError("CreateMultipartUpload " + s3_url(bucket, key) + ": no UploadId");
  return id;
}

std::string Client::upload_part(const std::string& bucket, const std::string& key,
                                const std::string& upload_id, int part_number,
                                std::span<const uint8_t> body,
                                const std::optional<std::string>& payload_sha256) {
  Call call;
  call.operation = "UploadPart " + std::to_string(part_number) + " of";
  call.method = "PUT";
  call.bucket = bucket;
  call.key = key;
  call.query = {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}};
  call.body = body;
  if (payload_sha256) call.payload_hash = *payload_sha256;
  HttpResponse response = send(call);
  if (response.status != 200) throw_error(call, response);
  std::string etag = unquote_etag(response.header("etag").value_or(""));
  if (etag.empty()) throw RemoteError(call.operation + " " + s3_url(bucket, key) + ": no ETag in the response");
  return etag;
}

std::string Client::upload_part_copy(const std::string& bucket, const std::string& key,
                                     const std::string& upload_id, int part_number,
                                     const std::string& source_bucket,
                                     const std::string& source_key,
                                     const std::optional<std::string>& source_version,
                                     CopyRange range) {
  Call call;
  call.operation = "UploadPartCopy " + std::to_string(part_number) + " of";
  call.method = "PUT";
  call.bucket = bucket;
  call.key = key;
  call.query = {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}};
  call.headers = {{"x-amz-copy-source", copy_source(source_bucket, source_key, source_version)},
                  {"x-amz-copy-source-range",
                   "bytes=" + std::to_string(range.first) + "-" + std::to_string(range.last)}};
  HttpResponse response = send(call);
  if (response.status != 200 || parse_error(response).parsed) throw_error(call, response);
  pugi::xml_document doc;
  pugi::xml_node root = parse_document(doc, response, "CopyPartResult",
                                       call.operation + " " + s3_url(bucket, key));
  return unquote_etag(root.child_value("ETag"));
}

PutResult Client::complete_multipart_upload(const std::string& bucket, const std::string& key,
                                            const std::string& upload_id,
                                            const std::vector<CompletedPart>& parts,
                                            const PutOptions& options) {
  std::string body = "<CompleteMultipartUpload xmlns=\"" + std::string(kXmlNamespace) + "\">";
  for (const CompletedPart& part : parts) {
    body += "<Part><PartNumber>" + std::to_string(part.part_number) + "</PartNumber><ETag>\"" +
            xml_escape(part.etag) + "\"</ETag></Part>";
  }
  body += "</CompleteMultipartUpload>";
  Call call;
  call.operation = "CompleteMultipartUpload";
  call.method = "POST";
  call.bucket = bucket;
  call.key = key;
  call.query = {{"uploadId", upload_id}};
  call.body = as_bytes(body);
  call.headers = {{"Content-Type", "application/xml"}};
  if (options.if_none_match_any) call.headers.emplace_back("If-None-Match", "*");
  if (options.if_match) call.headers.emplace_back("If-Match", "\"" + *options.if_match + "\"");
  HttpResponse response = send(call);
  if (response.status != 200 || parse_error(response).parsed) throw_error(call, response);
  pugi::xml_document doc;
  pugi::xml_node root = parse_document(doc, response, "CompleteMultipartUploadResult",
                                       "CompleteMultipartUpload " + s3_url(bucket, key));
  PutResult result;
  result.etag = unquote_etag(root.child_value("ETag"));
  if (auto v = response.header("x-amz-version-id"); v && *v != "null") result.version_id = std::string(*v);
  return result;
}

void Client::abort_multipart_upload(const std::string& bucket, const std::string& key,
                                    const std::string& upload_id) {
  Call call;
  call.operation = "AbortMultipartUpload";
  call.method = "DELETE";
  call.bucket = bucket;
  call.key = key;
  call.query = {{"uploadId", upload_id}};
  HttpResponse response = send(call);
  if (response.status == 204 || response.status == 200) return;
  if (parse_error(response).code == "NoSuchUpload") return;
  throw_error(call, response);
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

// Asynchronous calls. Each keeps its state in a shared object that its engine completion
// holds; retries are engine timers, so a waiting request holds no thread.

namespace quilt::s3 {
namespace {

template <class F>
std::exception_ptr error_of(F&& f) {
  try {
    f();
  } catch (...) {
    return std::current_exception();
  }
  return nullptr;
}

AsyncRequest to_async(HttpRequest prepared, std::shared_ptr<const std::vector<uint8_t>> body) {
  AsyncRequest request;
  request.method = std::move(prepared.method);
  request.url = std::move(prepared.url);
  request.headers = std::move(prepared.headers);
  request.body = std::move(body);
  return request;
}

}  // namespace

// One request of send_async() and its retries.
struct Client::AsyncCall {
  Call call;
  Target target;
  std::shared_ptr<const std::vector<uint8_t>> body;  // what call.body views
  int attempt = 0;
  // The outcome once retries are over: the final response (any status), or an error.
  std::function<void(HttpResponse, std::exception_ptr)> done;
};

// One get_object_async() across its attempts.
struct Client::GetState {
  std::string bucket;
  std::string key;
  GetOptions options;
  BodySink sink;
  AsyncCallback<ObjectMeta> done;
  Target target;
  uint64_t delivered = 0;
  std::optional<std::string> pin;  // the ETag a resumed read must still find
  std::optional<ObjectMeta> meta;  // from the first response that had the object
  int attempt = 0;
};

TransferEngine& Client::engine() {
  std::call_once(engine_once_,
                 [this] { engine_ = std::make_unique<TransferEngine>(http_.options()); });
  return *engine_;
}

void Client::send_async(std::shared_ptr<AsyncCall> async) {
  ++async->attempt;
  AsyncRequest request;
  if (std::exception_ptr error =
          error_of([&] { request = to_async(prepare(async->call, async->target), async->body); })) {
    async->done({}, error);
    return;
  }
  engine().submit(std::move(request), [this, async](HttpResponse response,
                                                    std::exception_ptr error) {
    bool retry = false;
    if (std::exception_ptr final_error =
            error_of([&] { retry = should_retry(async->call, async->attempt, response, error); })) {
      async->done({}, final_error);
      return;
    }
    if (!retry) {
      async->done(std::move(response), nullptr);
      return;
    }
    engine().run_after(std::chrono::milliseconds(backoff_ms(async->attempt)),
                       [this, async] { send_async(async); });
  });
}

void Client::put_object_async(const std::string& bucket, const std::string& key,
                              std::shared_ptr<const std::vector<uint8_t>> body,
                              const PutOptions& options, AsyncCallback<PutResult> done) {
  if (!body) body = std::make_shared<const std::vector<uint8_t>>();
  if (body->size() > kMaxSinglePut) {
    done({std::nullopt,
          std::make_exception_ptr(InvalidArgument(
              "PutObject " + s3_url(bucket, key) + ": " + std::to_string(body->size()) +
              " bytes is more than one request may carry (5 GiB); use multipart"))});
    return;
  }
  auto async = std::make_shared<AsyncCall>();
  Call& call = async->call;
  call.operation = "PutObject";
  call.method = "PUT";
  call.bucket = bucket;
  call.key = key;
  call.body = *body;
  if (options.payload_sha256) call.payload_hash = *options.payload_sha256;
  if (!options.content_type.empty())
    call.headers.emplace_back("Content-Type", options.content_type);
  if (!options.canned_acl.empty()) call.headers.emplace_back("x-amz-acl", options.canned_acl);
  add_metadata(call.headers, options.metadata);
  if (options.if_none_match_any) call.headers.emplace_back("If-None-Match", "*");
  if (options.if_match) call.headers.emplace_back("If-Match", "\"" + *options.if_match + "\"");
  async->target = target(bucket, key);
  async->body = body;
  // The state outlives its own callback (the engine's completion holds it): a plain pointer
  // here avoids a reference cycle.
  AsyncCall* raw = async.get();
  async->done = [this, raw, size = body->size(), done = std::move(done)](HttpResponse response,
                                                                         std::exception_ptr error) {
    AsyncResult<PutResult> result;
    if (!error && response.status != 200)
      error = error_of([&] { throw_error(raw->call, response); });
    if (error) {
      result.error = error;
    } else {
      PutResult put;
      put.size = size;
      put.etag = unquote_etag(response.header("etag").value_or(""));
      if (auto v = response.header("x-amz-version-id"); v && *v != "null")
        put.version_id = std::string(*v);
      result.value = std::move(put);
    }
    done(std::move(result));
  };
  send_async(std::move(async));
}

void Client::head_object_async(const std::string& bucket, const std::string& key,
                               const std::optional<std::string>& version_id,
                               AsyncCallback<std::optional<ObjectMeta>> done) {
  auto async = std::make_shared<AsyncCall>();
  Call& call = async->call;
  call.operation = "HeadObject";
  call.method = "HEAD";
  call.bucket = bucket;
  call.key = key;
  if (version_id) call.query.emplace_back("versionId", *version_id);
  async->target = target(bucket, key);
  AsyncCall* raw = async.get();
  async->done = [this, raw, has_version = version_id.has_value(), done = std::move(done)](
                    HttpResponse response, std::exception_ptr error) {
    AsyncResult<std::optional<ObjectMeta>> result;
    if (!error && response.status == 404) {
      // As head_object(): a HEAD has no body to say whether the key or the bucket is missing.
      auto bucket_call = std::make_shared<AsyncCall>();
      bucket_call->call.operation = "HeadBucket";
      bucket_call->call.method = "HEAD";
      bucket_call->call.bucket = raw->call.bucket;
      bucket_call->target = target(raw->call.bucket, "");
      bucket_call->done = [url = s3_url(raw->call.bucket, raw->call.key), bucket = raw->call.bucket,
                           done](HttpResponse bucket_response, std::exception_ptr bucket_error) {
        AsyncResult<std::optional<ObjectMeta>> result;
        if (bucket_error) {
          result.error = bucket_error;
        } else if (bucket_response.status == 404) {
          result.error = std::make_exception_ptr(
              NotFound("HeadObject " + url + ": no such bucket '" + bucket + "'"));
        } else {
          result.value.emplace();  // the key (or version) does not exist
        }
        done(std::move(result));
      };
      send_async(std::move(bucket_call));
      return;
    }
    if (!error) {
      error = error_of([&] {
        if (response.status == 200) {
          result.value.emplace(meta_from_headers(response));
        } else if (response.status == 400 && has_version) {
          result.value.emplace();  // a malformed version id
        } else {
          throw_error(raw->call, response);
        }
      });
    }
    if (error) {
      result.value.reset();
      result.error = error;
    }
    done(std::move(result));
  };
  send_async(std::move(async));
}

void Client::get_object_async(const std::string& bucket, const std::string& key,
                              const GetOptions& options, BodySink sink,
                              AsyncCallback<ObjectMeta> done) {
  if (options.length && *options.length == 0) {
    head_object_async(
        bucket, key, options.version_id,
        [url = s3_url(bucket, key),
         done = std::move(done)](AsyncResult<std::optional<ObjectMeta>> head) {
          AsyncResult<ObjectMeta> result;
          if (head.error) {
            result.error = head.error;
          } else if (!*head.value) {
            result.error = std::make_exception_ptr(NotFound("GetObject " + url + ": no such key"));
          } else {
            result.value = std::move(**head.value);
          }
          done(std::move(result));
        });
    return;
  }
  auto state = std::make_shared<GetState>();
  state->bucket = bucket;
  state->key = key;
  state->options = options;
  state->sink = std::move(sink);
  state->done = std::move(done);
  state->pin = options.if_match;
  state->target = target(bucket, key);
  get_attempt(std::move(state));
}

void Client::get_attempt(std::shared_ptr<GetState> s) {
  ++s->attempt;
  auto call = std::make_shared<Call>();
  call->operation = "GetObject";
  call->method = "GET";
  call->bucket = s->bucket;
  call->key = s->key;
  if (s->options.version_id) call->query.emplace_back("versionId", *s->options.version_id);
  uint64_t first = s->options.offset + s->delivered;
  if (first > 0 || s->options.length) {
    std::string range = "bytes=" + std::to_string(first) + "-";
    if (s->options.length) range += std::to_string(s->options.offset + *s->options.length - 1);
    call->headers.emplace_back("Range", range);
  }
  if (s->pin) call->headers.emplace_back("If-Match", "\"" + *s->pin + "\"");
  AsyncRequest request;
  if (std::exception_ptr error =
          error_of([&] { request = to_async(prepare(*call, s->target), nullptr); })) {
    s->done({std::nullopt, error});
    return;
  }
  GetState* raw = s.get();  // alive while the completion (which holds `s`) is
  request.sink = [raw](std::span<const uint8_t> bytes) {
    raw->sink(bytes);
    raw->delivered += bytes.size();
  };
  // As get_object(), step for step: the same statuses, resumption and messages.
  engine().submit(std::move(request), [this, s, call](HttpResponse response,
                                                      std::exception_ptr error) {
    auto fail = [&](std::exception_ptr e) { s->done({std::nullopt, e}); };
    auto succeed = [&](ObjectMeta meta) { s->done({std::move(meta), nullptr}); };
    bool last = s->attempt >= retry_.max_attempts;
    try {
      if (error) {
        try {
          std::rethrow_exception(error);
        } catch (const TransportError& e) {
          if (last || !retryable_transport(e.curl_code())) {
            return fail(std::make_exception_ptr(
                TransportError("GetObject " + s3_url(s->bucket, s->key) + " failed after " +
                                   std::to_string(s->attempt) + " attempt" +
                                   (s->attempt == 1 ? "" : "s") + ": " + e.what(),
                               e.curl_code())));
          }
          // Resume pinned to the version whose bytes the sink already has.
          if (!s->pin && e.partial().status / 100 == 2) {
            std::string etag = unquote_etag(e.partial().header("etag").value_or(""));
            if (!etag.empty()) s->pin = etag;
            if (!s->meta) s->meta = meta_from_headers(e.partial());
          }
        }
      } else {
        if (response.status == 200 || response.status == 206) {
          if (!s->meta) s->meta = meta_from_headers(response);
          return succeed(*s->meta);
        }
        if (response.status == 416) {
          // A range that starts at or past the end: no bytes.
          if (response.header("content-range")) {
            return succeed(s->meta ? *s->meta : meta_from_headers(response));
          }
          head_object_async(
              s->bucket, s->key, s->options.version_id,
              [this, s, call, response](AsyncResult<std::optional<ObjectMeta>> head) {
                if (head.error) return s->done({std::nullopt, head.error});
                if (!*head.value) {
                  return s->done({std::nullopt, error_of([&] { throw_error(*call, response); })});
                }
                s->done({s->meta ? *s->meta : **head.value, nullptr});
              });
          return;
        }
        ErrorDocument document = parse_error(response);
        if (response.status == 412 && !s->options.if_match && s->pin) {
          throw Conflict("GetObject " + s3_url(s->bucket, s->key) +
                         ": the object changed while it was being read (ETag " + *s->pin + ")");
        }
        if (last || !retryable_status(response.status, document.code)) throw_error(*call, response);
      }
      if (s->delivered > 0 && !s->pin) {
        throw RemoteError("GetObject " + s3_url(s->bucket, s->key) +
                          ": cannot resume a read cut off after " + std::to_string(s->delivered) +
                          " bytes: the server sent no ETag to pin the rest to");
      }
    } catch (...) {
      return fail(std::current_exception());
    }
    engine().run_after(std::chrono::milliseconds(backoff_ms(s->attempt)),
                       [this, s] { get_attempt(s); });
  });
}

}  // namespace quilt::s3
