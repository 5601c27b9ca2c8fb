#include "storage/s3/http.h"

#include "storage/s3/curl_easy.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>

namespace quilt::s3 {
namespace {

// Error bodies are small XML documents; a server that sends more is not worth keeping.
constexpr size_t kMaxErrorBody = size_t{1} << 20;

}  // namespace

namespace detail {

void curl_global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw RemoteError("cannot initialise libcurl");
    }
  });
}

}  // namespace detail

namespace {

long env_millis(const char* name, long fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value <= 0) {
    throw InvalidArgument(std::string(name) + "='" + text + "' is not a positive number of ms");
  }
  return value;
}

// A count from the environment, 1 to `most`.
long env_count(const char* name, long fallback, long most) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value < 1 || value > most) {
    throw InvalidArgument(std::string(name) + "='" + text + "' is not a number from 1 to " +
                          std::to_string(most));
  }
  return value;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

using detail::EasyTransfer;

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<EasyTransfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    // A new status line (after a 100 Continue or a redirect): start over.
    t->response->headers.clear();
    return line.size();
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->response->headers.emplace_back(lowercase(trim(line.substr(0, colon))),
                                      std::string(trim(line.substr(colon + 1))));
  }
  return line.size();
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<EasyTransfer*>(user);
  size_t n = size * count;
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (t->request->sink != nullptr && status >= 200 && status < 300) {
    try {
      (*t->request->sink)({reinterpret_cast<const uint8_t*>(data), n});
    } catch (...) {
      t->callback_error = std::current_exception();
      return CURL_WRITEFUNC_ERROR;
    }
    t->response->body_bytes += n;
    return n;
  }
  std::string& body = t->response->body;
  if (t->request->sink == nullptr || body.size() < kMaxErrorBody) body.append(data, n);
  t->response->body_bytes += n;
  return n;
}

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<EasyTransfer*>(user);
  if (t->request->source != nullptr) {
    try {
      return t->request->source->read({reinterpret_cast<uint8_t*>(buffer), size * count});
    } catch (...) {
      t->callback_error = std::current_exception();
      return CURL_READFUNC_ABORT;
    }
  }
  std::span<const uint8_t> rest = t->request->body.subspan(t->body_offset);
  size_t n = std::min(rest.size(), size * count);
  std::memcpy(buffer, rest.data(), n);
  t->body_offset += n;
  return n;
}

// curl asks to rewind the body when it must resend it (a reused connection that turned out
// closed, an auth retry).
int on_seek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<EasyTransfer*>(user);
  if (t->request->source != nullptr) {
    if (origin != SEEK_SET || offset != 0) return CURL_SEEKFUNC_CANTSEEK;
    try {
      t->request->source->rewind();
    } catch (...) {
      t->callback_error = std::current_exception();
      return CURL_SEEKFUNC_FAIL;
    }
    return CURL_SEEKFUNC_OK;
  }
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > t->request->body.size()) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  t->body_offset = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

}  // namespace

struct HttpClient::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

HttpOptions http_options_from_environment(HttpOptions options) {
  options.connect_timeout_ms = env_millis("QUILT_S3_CONNECT_TIMEOUT_MS", options.connect_timeout_ms);
  options.stall_timeout_ms = env_millis("QUILT_S3_STALL_TIMEOUT_MS", options.stall_timeout_ms);
  options.max_concurrency = static_cast<int>(
      env_count("QUILT_S3_MAX_CONCURRENCY", options.max_concurrency, kMaxConcurrency));
  return options;
}

std::optional<std::string_view> HttpResponse::header(std::string_view name) const {
  for (const Header& h : headers) {
    if (h.first == name) return std::string_view(h.second);
  }
  return std::nullopt;
}

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) { detail::curl_global_init_once(); }

HttpClient::~HttpClient() = default;

std::unique_ptr<HttpClient::Handle> HttpClient::acquire() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<Handle> handle = std::move(idle_.back());
      idle_.pop_back();
      return handle;
    }
  }
  auto handle = std::make_unique<Handle>();
  handle->curl = curl_easy_init();
  if (handle->curl == nullptr) throw RemoteError("cannot create a libcurl handle");
  return handle;
}

void HttpClient::release(std::unique_ptr<Handle> handle) {
  std::lock_guard<std::mutex> lock(mutex_);
  idle_.push_back(std::move(handle));
}

namespace detail {

EasyTransfer::~EasyTransfer() {
  curl_slist_free_all(headers);
  curl_slist_free_all(resolve);
}

void configure_easy(EasyTransfer& t, const HttpOptions& options) {
  CURL* curl = t.curl;
  const HttpRequest& request = *t.request;
  // Reset options but keep the handle's connections, DNS and TLS session caches.
  curl_easy_reset(curl);
  curl_slist_free_all(t.headers);
  curl_slist_free_all(t.resolve);
  t.headers = nullptr;
  t.resolve = nullptr;
  t.body_offset = 0;
  t.callback_error = nullptr;
  t.error_text[0] = '\0';

  for (const Header& h : request.headers) {
    t.headers = curl_slist_append(t.headers, (h.first + ": " + h.second).c_str());
  }
  // curl would otherwise wait for 100 Continue before sending bodies over 1 MiB.
  t.headers = curl_slist_append(t.headers, "Expect:");
  // And would add a form Content-Type to POST bodies.
  if (request.method == "POST" &&
      std::none_of(request.headers.begin(), request.headers.end(),
                   [](const Header& h) { return lowercase(h.first) == "content-type"; })) {
    t.headers = curl_slist_append(t.headers, "Content-Type:");
  }
  for (const std::string& entry : options.resolve) {
    t.resolve = curl_slist_append(t.resolve, entry.c_str());
  }

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, t.headers);
  if (t.resolve != nullptr) curl_easy_setopt(curl, CURLOPT_RESOLVE, t.resolve);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options.connect_timeout_ms);
  // "No progress for this long": fewer than 1 byte/s over the stall window.
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, std::max(1L, options.stall_timeout_ms / 1000));
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!options.ca_bundle.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_bundle.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, t.error_text);

  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT" || request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &t);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, &t);
    uint64_t length = request.body.size();
    if (request.source != nullptr) {
      request.source->rewind();
      length = request.source->length;
      // Large bodies: fewer, larger reads and sends than curl's 64 KiB default.
      curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, 1L << 20);
    }
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(length));
    if (request.method == "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "POST");
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
}

std::exception_ptr easy_outcome(EasyTransfer& t, CURLcode code, bool* drop_handle) {
  const HttpRequest& request = *t.request;
  HttpResponse& response = *t.response;
  curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_easy_setopt(t.curl, CURLOPT_ERRORBUFFER, nullptr);
  *drop_handle = false;
  if (t.callback_error) {
    // The connection may hold the rest of a body: drop it rather than reuse it.
    *drop_handle = true;
    return t.callback_error;
  }
  if (code == CURLE_OK) return nullptr;
  std::string reason = t.error_text[0] != '\0' ? t.error_text : curl_easy_strerror(code);
  std::string message = request.method + " " + request.url + ": " + reason;
  if (code == CURLE_PARTIAL_FILE) {
    message += " (the response was cut off after " + std::to_string(response.body_bytes) +
               " body bytes)";
  }
  // Keep the handle: curl closes a broken connection itself.
  response.body.clear();
  return std::make_exception_ptr(
      TransportError(message, static_cast<int>(code), std::move(response)));
}

}  // namespace detail

HttpResponse HttpClient::perform(const HttpRequest& request) {
  std::unique_ptr<Handle> handle = acquire();
  HttpResponse response;
  EasyTransfer transfer;
  transfer.curl = handle->curl;
  transfer.request = &request;
  transfer.response = &response;
  detail::configure_easy(transfer, options_);
  CURLcode code = curl_easy_perform(handle->curl);
  bool drop = false;
  std::exception_ptr error = detail::easy_outcome(transfer, code, &drop);
  if (drop) {
    curl_easy_cleanup(handle->curl);
    handle->curl = nullptr;
  } else {
    release(std::move(handle));
  }
  if (error) std::rethrow_exception(error);
  return response;
}

}  // namespace quilt::s3
