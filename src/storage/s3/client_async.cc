// The S3 client's asynchronous calls on its transfer engine: PutObject, HeadObject and
// GetObject. Each keeps its state in a shared object that its engine completion holds; retries
// are engine timers, so a waiting request holds no thread.

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
  auto async = std::make_shared<AsyncCall>();
  if (std::exception_ptr error =
          error_of([&] { async->call = put_call(bucket, key, *body, options); })) {
    done({std::nullopt, error});
    return;
  }
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
      result.value = put_result(response, size);
    }
    done(std::move(result));
  };
  send_async(std::move(async));
}

void Client::head_object_async(const std::string& bucket, const std::string& key,
                               const std::optional<std::string>& version_id,
                               AsyncCallback<std::optional<ObjectMeta>> done) {
  auto async = std::make_shared<AsyncCall>();
  async->call = head_call(bucket, key, version_id);
  async->target = target(bucket, key);
  AsyncCall* raw = async.get();
  async->done = [this, raw, has_version = version_id.has_value(), done = std::move(done)](
                    HttpResponse response, std::exception_ptr error) {
    AsyncResult<std::optional<ObjectMeta>> result;
    if (!error && response.status == 404) {
      // As head_object(): a HEAD has no body to say whether the key or the bucket is missing.
      auto bucket_call = std::make_shared<AsyncCall>();
      bucket_call->call = head_bucket_call(raw->call.bucket);
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
  auto call = std::make_shared<Call>(get_call(s->bucket, s->key, s->options, s->delivered, s->pin));
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
