// The S3 client's copies and multipart uploads: CopyObject (UploadPartCopy above the single-copy
// limit), CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload and
// AbortMultipartUpload.

#include "storage/s3/client.h"

#include <pugixml.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

#include "quilt/errors.h"
#include "storage/s3/client_internal.h"

namespace quilt::s3 {

using namespace internal;  // NOLINT: the client's own helpers

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

}  // namespace quilt::s3
