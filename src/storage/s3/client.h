#pragma once

// The S3 REST API, as much of it as quiltcpp uses: objects (get, head, put, copy, delete),
// listings (ListObjectsV2, ListObjectVersions), multipart uploads, and bucket creation and
// versioning for tests and set-up. Requests are signed with SigV4 (sigv4.h), sent with libcurl
// (http.h), and answered in XML read with pugixml. Idempotent requests are retried on
// throttling, 5xx and connection faults, with exponential backoff and jitter; a GET that fails
// half-way resumes where it stopped, pinned to the object's ETag.
//
// Errors: NotFound (NoSuchKey, NoSuchBucket, NoSuchUpload, NoSuchVersion), Conflict (412
// PreconditionFailed, 409 on a conditional write), InvalidArgument (a bad bucket name), and
// RemoteError for everything else. Each message names the operation, the s3:// URL, the status,
// S3's error code and message, the request id and, for 403, the access key id in use and where it
// came from (never the secret).

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/s3/config.h"
#include "storage/s3/http.h"
#include "storage/s3/transfer_engine.h"

namespace quilt::s3 {

/// What a GET or HEAD tells about an object.
struct ObjectMeta {
  uint64_t size = 0;  ///< The whole object's size (not the range's).
  std::string etag;   ///< As the server sends it, quotes removed.
  std::optional<std::string> version_id;
  std::string last_modified;
  /// User metadata (x-amz-meta-NAME headers), names lowercase without the prefix.
  std::vector<Header> metadata;

  /// Return the user metadata value `name` (lowercase), if any.
  std::optional<std::string_view> meta(std::string_view name) const;
};

/// What a write (put, copy, complete) produced.
struct PutResult {
  std::string etag;
  std::optional<std::string> version_id;
  uint64_t size = 0;  ///< The object's size (known to put and copy; 0 from complete).
};

struct GetOptions {
  uint64_t offset = 0;
  std::optional<uint64_t> length;  ///< std::nullopt: to the end.
  std::optional<std::string> version_id;
  std::optional<std::string> if_match;  ///< An ETag the object must still have.
};

struct PutOptions {
  /// Create only: fail with Conflict when the key exists (If-None-Match: *).
  bool if_none_match_any = false;
  /// Replace only this version: fail with Conflict otherwise (If-Match: ETAG).
  std::optional<std::string> if_match;
  /// The body's hex SHA-256 when the caller has it already; computed otherwise.
  std::optional<std::string> payload_sha256;
  std::string content_type;
  /// A canned ACL (x-amz-acl), e.g. "public-read"; empty: the bucket's default.
  std::string canned_acl;
  /// User metadata, sent as x-amz-meta-NAME headers (names lowercase, values ASCII).
  std::vector<Header> metadata;
};

/// A body read chunk by chunk for put_object_stream(), with each chunk's SHA-256 (the caller
/// usually has it already: the sha2-256-chunked hash of an entry is made of exactly these).
class ChunkSource {
 public:
  struct Chunk {
    std::span<const uint8_t> bytes;  ///< valid until the next call
    std::string sha256_hex;
  };
  virtual ~ChunkSource() = default;
  /// The size of every chunk but the last, which may be shorter (at least 8 KiB, as S3 asks).
  virtual uint64_t chunk_size() const = 0;
  /// Start again from the first chunk: each attempt to send calls this first.
  virtual void rewind() = 0;
  /// The next chunk, never empty; called only while bytes remain.
  virtual Chunk next() = 0;
  /// Called once the last chunk was taken and before its bytes finish going out: throwing
  /// here (the whole body was not what was expected) stops the upload before the server has
  /// all of it, so no object is made.
  virtual void finish() = 0;
};

struct ListedObject {
  std::string key;
  uint64_t size = 0;
  std::string etag;
  std::string last_modified;
};

struct ListObjectsRequest {
  std::string prefix;
  std::string delimiter;
  std::string continuation_token;
  std::string start_after;
  int max_keys = 1000;
};

struct ListObjectsResult {
  std::vector<ListedObject> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_continuation_token;
};

struct ObjectVersion {
  std::string key;
  std::string version_id;
  bool is_latest = false;
  bool is_delete_marker = false;
  uint64_t size = 0;
  std::string etag;
  std::string last_modified;
};

struct ListVersionsRequest {
  std::string prefix;
  std::string delimiter;
  std::string key_marker;
  std::string version_id_marker;
  int max_keys = 1000;
};

struct ListVersionsResult {
  std::vector<ObjectVersion> versions;  ///< Versions and delete markers, in the server's order.
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_version_id_marker;
};

/// One object of a DeleteObjects request, and one failure it reported.
struct ObjectId {
  std::string key;
  std::optional<std::string> version_id;
};
struct DeleteFailure {
  std::string key;
  std::optional<std::string> version_id;
  std::string code;
  std::string message;
};

struct CompletedPart {
  int part_number = 0;
  std::string etag;
};

/// A byte range [first, last] of a source object for UploadPartCopy.
struct CopyRange {
  uint64_t first = 0;
  uint64_t last = 0;
};

/// Retry policy for idempotent requests.
struct RetryOptions {
  int max_attempts = 5;           ///< QUILT_S3_MAX_ATTEMPTS overrides.
  long base_delay_ms = 100;       ///< Doubled each attempt, with full jitter.
  long max_delay_ms = 5'000;
};

/// How an asynchronous call ended: its value, or the error the blocking call would have thrown.
template <class T>
struct AsyncResult {
  std::optional<T> value;
  std::exception_ptr error;

  /// Return the value, or rethrow the error.
  T get() && {
    if (error) std::rethrow_exception(error);
    return std::move(*value);
  }
};

/// Receives an AsyncResult on the client's engine thread (see transfer_engine.h: be quick,
/// never wait there for another transfer of the same client). Must not throw.
template <class T>
using AsyncCallback = std::function<void(AsyncResult<T>)>;

/// Largest object PutObject and CopyObject take in one request (5 GiB), and the part limits of
/// multipart uploads.
inline constexpr uint64_t kMaxSinglePut = uint64_t{5} << 30;
inline constexpr uint64_t kMinPartSize = uint64_t{5} << 20;
inline constexpr int kMaxParts = 10'000;

class Client {
 public:
  /// Make a client for `config`. Throws InvalidArgument for an endpoint it cannot use.
  explicit Client(ClientConfig config, HttpOptions http = http_options_from_environment(),
                  RetryOptions retry = {});
  ~Client();

  const ClientConfig& config() const { return config_; }

  /// Stream an object (or a range of it) into `sink`. A range past the end gives no bytes.
  /// Throws NotFound for a missing bucket, key or version; Conflict when `if_match` fails or
  /// the object changes while a retried read resumes.
  ObjectMeta get_object(const std::string& bucket, const std::string& key,
                        const GetOptions& options, const BodySink& sink);
  /// Return an object's bytes (or a range of them).
  std::string get_object_bytes(const std::string& bucket, const std::string& key,
                               const GetOptions& options = {});
  /// Return an object's metadata, or std::nullopt when the key (or version) does not exist.
  /// Throws NotFound when the bucket does not exist.
  std::optional<ObjectMeta> head_object(const std::string& bucket, const std::string& key,
                                        const std::optional<std::string>& version_id = {});
  /// Write an object in one request (at most kMaxSinglePut bytes).
  PutResult put_object(const std::string& bucket, const std::string& key,
                       std::span<const uint8_t> body, const PutOptions& options = {});
  /// Write an object of `length` bytes (at most kMaxSinglePut) in one request whose body is
  /// read from `source` while it is sent, so nothing holds it in memory. A signed request
  /// sends it aws-chunked, each chunk signed over the SHA-256 the source gives (no second pass
  /// over the bytes); an anonymous one sends it as it is. A body of one chunk or less goes as
  /// a plain PutObject signed over that chunk's SHA-256. A retry reads the source again from
  /// the start. What the source throws ends the call, unretried, with no object made.
  PutResult put_object_stream(const std::string& bucket, const std::string& key, uint64_t length,
                              ChunkSource& source, const PutOptions& options = {});
  /// Asynchronous calls: the same requests, signatures, retries (timers on the engine's
  /// thread, never a sleeping thread) and errors as the blocking calls above, with up to
  /// HttpOptions::max_concurrency of them in flight on one thread (engine()). `done` gets the
  /// result on the engine's thread; a call that cannot even start (a bad argument) also
  /// reports through `done`, on the calling thread.
  ///
  /// put_object() without blocking; `body` is shared, not copied.
  void put_object_async(const std::string& bucket, const std::string& key,
                        std::shared_ptr<const std::vector<uint8_t>> body,
                        const PutOptions& options, AsyncCallback<PutResult> done);
  /// get_object() without blocking: `sink` gets the bytes on the engine's thread (a read cut
  /// off resumes where it stopped, pinned to the ETag, as get_object() does). A sink that
  /// throws ends the call with what it threw, not retried.
  void get_object_async(const std::string& bucket, const std::string& key,
                        const GetOptions& options, BodySink sink, AsyncCallback<ObjectMeta> done);
  /// head_object() without blocking.
  void head_object_async(const std::string& bucket, const std::string& key,
                         const std::optional<std::string>& version_id,
                         AsyncCallback<std::optional<ObjectMeta>> done);
  /// The engine that runs the asynchronous calls, started by the first of them.
  TransferEngine& engine();

  /// One page of ListObjectsV2.
  ListObjectsResult list_objects(const std::string& bucket, const ListObjectsRequest& request);
  /// One page of ListObjectVersions.
  ListVersionsResult list_object_versions(const std::string& bucket,
                                          const ListVersionsRequest& request);
  /// Delete an object (or one version of it). Deleting a missing key is not an error.
  void delete_object(const std::string& bucket, const std::string& key,
                     const std::optional<std::string>& version_id = {});
  /// Delete many objects, 1000 per request; return the ones the server failed to delete.
  std::vector<DeleteFailure> delete_objects(const std::string& bucket,
                                            const std::vector<ObjectId>& objects);
  /// Copy an object on the server: CopyObject up to kMaxSinglePut, UploadPartCopy above it.
  /// With `metadata`, the copy gets it instead of the source's user metadata.
  PutResult copy_object(const std::string& source_bucket, const std::string& source_key,
                        const std::optional<std::string>& source_version,
                        const std::string& bucket, const std::string& key,
                        const std::vector<Header>& metadata = {});

  /// Multipart upload, step by step. Parts are numbered from 1; all but the last must be at
  /// least kMinPartSize.
  std::string create_multipart_upload(const std::string& bucket, const std::string& key,
                                      const std::string& content_type = {},
                                      const std::vector<Header>& metadata = {});
  /// Upload one part; return its ETag.
  std::string upload_part(const std::string& bucket, const std::string& key,
                          const std::string& upload_id, int part_number,
                          std::span<const uint8_t> body,
                          const std::optional<std::string>& payload_sha256 = {});
  /// Copy a range of another object into one part; return its ETag.
  std::string upload_part_copy(const std::string& bucket, const std::string& key,
                               const std::string& upload_id, int part_number,
                               const std::string& source_bucket, const std::string& source_key,
                               const std::optional<std::string>& source_version,
                               CopyRange range);
  /// Finish an upload from its parts (in part-number order). `options.if_none_match_any` and
  /// `options.if_match` make the completion conditional where the server honours them.
  PutResult complete_multipart_upload(const std::string& bucket, const std::string& key,
                                      const std::string& upload_id,
                                      const std::vector<CompletedPart>& parts,
                                      const PutOptions& options = {});
  /// Abandon an upload and free its parts. A missing upload is not an error.
  void abort_multipart_upload(const std::string& bucket, const std::string& key,
                              const std::string& upload_id);

  /// Create a bucket (in the client's region). An existing bucket the caller owns is not an
  /// error.
  void create_bucket(const std::string& bucket);
  /// Turn versioning on (or suspend it) for a bucket.
  void set_bucket_versioning(const std::string& bucket, bool enabled);

  /// Change where copy_object switches to UploadPartCopy and the part size it then uses (tests
  /// exercise the multipart path with small objects; S3 needs parts of at least 5 MiB).
  void set_copy_limits(uint64_t single_copy_max, uint64_t part_size);

  /// Return the https?:// URL of an object (encoded), as requests address it.
  std::string object_url(const std::string& bucket, const std::string& key) const;

 private:
  struct Call;
  struct Target;
  struct AsyncCall;
  struct GetState;
  Target target(const std::string& bucket, const std::string& key) const;
  HttpResponse send(Call& call);
  HttpResponse send_once(Call& call, const Target& target);
  HttpRequest prepare(Call& call, const Target& target);
  bool should_retry(const Call& call, int attempt, const HttpResponse& response,
                    std::exception_ptr error) const;
  long backoff_ms(int attempt) const;
  // The requests of get, head and put, shared by the blocking and the asynchronous calls.
  static Call get_call(const std::string& bucket, const std::string& key,
                       const GetOptions& options, uint64_t delivered,
                       const std::optional<std::string>& pin);
  static Call head_call(const std::string& bucket, const std::string& key,
                        const std::optional<std::string>& version_id);
  static Call head_bucket_call(const std::string& bucket);
  // Throws InvalidArgument for a body over S3's 5 GiB.
  static Call put_call(const std::string& bucket, const std::string& key,
                       std::span<const uint8_t> body, const PutOptions& options);
  static PutResult put_result(const HttpResponse& response, uint64_t size);
  void send_async(std::shared_ptr<AsyncCall> async);
  void get_attempt(std::shared_ptr<GetState> state);
  [[noreturn]] void throw_error(const Call& call, const HttpResponse& response) const;

  ClientConfig config_;
  RetryOptions retry_;
  uint64_t copy_single_max_ = kMaxSinglePut;
  uint64_t copy_part_size_ = uint64_t{512} << 20;
  std::string scheme_;
  std::string host_;  // host[:port] of the endpoint
  HttpClient http_;
  std::once_flag engine_once_;
  // Last: destroyed first, while the completions it runs can still use the client.
  std::unique_ptr<TransferEngine> engine_;
};

/// Throw InvalidArgument unless `bucket` is a valid S3 bucket name (3-63 of a-z 0-9 . -).
void validate_bucket_name(std::string_view bucket);

/// Return the hex SHA-256 of `bytes`.
std::string sha256_hex(std::span<const uint8_t> bytes);

}  // namespace quilt::s3
