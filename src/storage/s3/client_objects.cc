// The S3 client's object operations: GetObject (resumed where a read was cut off), HeadObject,
// PutObject, ListObjectsV2, ListObjectVersions, DeleteObject and DeleteObjects.

#include "storage/s3/client.h"

#include <pugixml.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

#include "quilt/errors.h"
#include "storage/s3/client_internal.h"

namespace quilt::s3 {

using namespace internal;  // NOLINT: the client's own helpers

Client::Call Client::get_call(const std::string& bucket, const std::string& key,
                              const GetOptions& options, uint64_t delivered,
                              const std::optional<std::string>& pin) {
  Call call;
  call.operation = "GetObject";
  call.method = "GET";
  call.bucket = bucket;
  call.key = key;
  if (options.version_id) call.query.emplace_back("versionId", *options.version_id);
  // A resumed read asks for the rest: from where the bytes delivered so far end.
  uint64_t first = options.offset + delivered;
  if (first > 0 || options.length) {
    std::string range = "bytes=" + std::to_string(first) + "-";
    if (options.length) range += std::to_string(options.offset + *options.length - 1);
    call.headers.emplace_back("Range", range);
  }
  if (pin) call.headers.emplace_back("If-Match", "\"" + *pin + "\"");
  return call;
}

Client::Call Client::head_call(const std::string& bucket, const std::string& key,
                               const std::optional<std::string>& version_id) {
  Call call;
  call.operation = "HeadObject";
  call.method = "HEAD";
  call.bucket = bucket;
  call.key = key;
  if (version_id) call.query.emplace_back("versionId", *version_id);
  return call;
}

Client::Call Client::head_bucket_call(const std::string& bucket) {
  Call call;
  call.operation = "HeadBucket";
  call.method = "HEAD";
  call.bucket = bucket;
  return call;
}

Client::Call Client::put_call(const std::string& bucket, const std::string& key,
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
  return call;
}

PutResult Client::put_result(const HttpResponse& response, uint64_t size) {
  PutResult result;
  result.size = size;
  result.etag = unquote_etag(response.header("etag").value_or(""));
  if (auto v = response.header("x-amz-version-id"); v && *v != "null") result.version_id = std::string(*v);
  return result;
}

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
    Call call = get_call(bucket, key, options, delivered, pin);
    call.sink = &counting;
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
  Call call = head_call(bucket, key, version_id);
  HttpResponse response = send(call);
  if (response.status == 200) return meta_from_headers(response);
  if (response.status == 404) {
    // A HEAD has no body to say whether the key or the bucket is missing: ask the bucket.
    Call bucket_call = head_bucket_call(bucket);
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
  Call call = put_call(bucket, key, body, options);
  HttpResponse response = send(call);
  if (response.status != 200) throw_error(call, response);
  return put_result(response, body.size());
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

}  // namespace quilt::s3
