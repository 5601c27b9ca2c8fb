#pragma once

// A small blocking HTTP/1.1 client over libcurl's easy interface, for the S3 client. Easy
// handles are pooled (curl_easy_reset keeps a handle's connection cache), so consecutive
// requests to one endpoint reuse their TCP and TLS connections. Thread-safe: perform() may be
// called from many threads at once, each call takes its own handle.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "quilt/errors.h"
#include "storage/s3/sigv4.h"

namespace quilt::s3 {

/// Limits that keep a dead or stalled server from hanging a request.
struct HttpOptions {
  /// Give up connecting after this long (QUILT_S3_CONNECT_TIMEOUT_MS overrides).
  long connect_timeout_ms = 10'000;
  /// Abort a transfer that moves no byte for this long (QUILT_S3_STALL_TIMEOUT_MS overrides).
  long stall_timeout_ms = 60'000;
  /// PEM file of CA certificates to trust instead of the system's; empty: the system's.
  std::string ca_bundle;
  /// curl resolve overrides, "HOST:PORT:ADDRESS" (tests reach virtual-hosted names this way).
  std::vector<std::string> resolve;
  /// Most requests a TransferEngine keeps in flight at once (QUILT_S3_MAX_CONCURRENCY
  /// overrides, 1 to kMaxConcurrency). Blocking calls are not bound by it.
  int max_concurrency = 64;
};

/// The most transfers in flight QUILT_S3_MAX_CONCURRENCY may ask for.
inline constexpr int kMaxConcurrency = 1024;

/// Return `options` with the QUILT_S3_* timeout and concurrency variables of the environment
/// applied. Throws InvalidArgument for a value that is not a number in range.
HttpOptions http_options_from_environment(HttpOptions options = {});

/// One response. Header names are lowercase; a repeated header appears once per occurrence.
struct HttpResponse {
  long status = 0;
  std::vector<Header> headers;
  /// The body, when the request had no sink or the status was not 2xx (then capped at 1 MiB).
  std::string body;
  /// Body bytes handed to the sink.
  uint64_t body_bytes = 0;

  /// Return the first header named `name` (lowercase), if any.
  std::optional<std::string_view> header(std::string_view name) const;
};

/// A request failed below HTTP: no connection, a reset, a timeout, a body cut short, a TLS
/// failure. The message names the URL and curl's reason.
class TransportError : public RemoteError {
 public:
  TransportError(const std::string& message, int curl_code, HttpResponse partial = {})
      : RemoteError(message), curl_code_(curl_code), partial_(std::move(partial)) {}
  /// Return curl's CURLcode.
  int curl_code() const noexcept { return curl_code_; }
  /// What arrived before the failure: the status and headers (0 and none if nothing did), and
  /// the count of body bytes.
  const HttpResponse& partial() const noexcept { return partial_; }

 private:
  int curl_code_;
  HttpResponse partial_;
};

/// Receives the body of a 2xx response piece by piece. May throw: the transfer stops and
/// perform() rethrows.
using BodySink = std::function<void(std::span<const uint8_t>)>;

/// A request body produced while it is sent, for bodies too large to hold in memory. `read`
/// fills a prefix of its argument and returns how many bytes it wrote, 0 only once all
/// `length` bytes were given; `rewind` starts again from the first byte, and runs before each
/// attempt to send the request (so a source may set itself up there). Either may throw: the
/// transfer stops and perform() rethrows.
struct BodySource {
  uint64_t length = 0;
  std::function<size_t(std::span<uint8_t>)> read;
  std::function<void()> rewind;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  /// Sent as given (curl adds Host, and Content-Length for a body).
  std::vector<Header> headers;
  /// The body; sent with Content-Length even when empty for PUT and POST.
  std::span<const uint8_t> body;
  /// Instead of `body` when set: a body read from the source as it is sent (PUT only).
  const BodySource* source = nullptr;
  /// Where a 2xx body goes; null: into HttpResponse::body.
  const BodySink* sink = nullptr;
};

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Perform `request` and return the response, whatever its status. Throws TransportError
  /// when no complete response arrived, and rethrows what the sink throws.
  HttpResponse perform(const HttpRequest& request);

  const HttpOptions& options() const { return options_; }

 private:
  struct Handle;
  std::unique_ptr<Handle> acquire();
  void release(std::unique_ptr<Handle> handle);

  HttpOptions options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Handle>> idle_;
};

}  // namespace quilt::s3
