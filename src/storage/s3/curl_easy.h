#pragma once

// Internal to storage/s3: one libcurl easy transfer set up from an HttpRequest, shared by the
// blocking HttpClient (http.cc) and the TransferEngine (transfer_engine.cc) so both send the
// same bytes, read responses the same way and report failures with the same messages.

#include <curl/curl.h>

#include <exception>

#include "storage/s3/http.h"

namespace quilt::s3::detail {

/// Initialise libcurl once per process. Throws RemoteError when it cannot.
void curl_global_init_once();

/// The state curl's callbacks reach for one transfer. Owns its header lists.
struct EasyTransfer {
  CURL* curl = nullptr;
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  size_t body_offset = 0;  // bytes of request->body already sent
  std::exception_ptr callback_error;  // what the body sink or source threw
  curl_slist* headers = nullptr;
  curl_slist* resolve = nullptr;
  char error_text[CURL_ERROR_SIZE] = {};

  EasyTransfer() = default;
  EasyTransfer(const EasyTransfer&) = delete;
  EasyTransfer& operator=(const EasyTransfer&) = delete;
  ~EasyTransfer();
};

/// Reset `t.curl` and set every option `*t.request` needs (`t.request`, `t.response` and
/// `t.curl` set by the caller; `t` must stay where it is until the transfer ends).
void configure_easy(EasyTransfer& t, const HttpOptions& options);

/// After curl finished `t` with `code`: set the response status and return null on success,
/// else the error perform() throws (what the sink threw, or a TransportError naming the URL).
/// `*drop_handle` is set when the handle's connection must not be reused.
std::exception_ptr easy_outcome(EasyTransfer& t, CURLcode code, bool* drop_handle);

}  // namespace quilt::s3::detail
