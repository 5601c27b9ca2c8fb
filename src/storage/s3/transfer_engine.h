#pragma once

// Many HTTP transfers at once on one thread: an event loop over libcurl's multi interface.
// Blocking transfers cost a thread each, and 4 KiB objects are all latency, so a push of
// thousands of small files is bound by how many requests are in flight, not by bytes. The
// engine keeps up to HttpOptions::max_concurrency requests in flight on its own thread, shares
// one connection cache among them (the multi handle's) and pools its easy handles, so
// connections are reused across requests.
//
// Requests are submitted from any thread with a completion callback. Callbacks, body sinks and
// delayed tasks (run_after) run on the engine's thread: they must be quick and must not wait
// for another transfer of the same engine (that would wait forever). The engine knows nothing
// of S3: signing and retries live in Client (client.h), which schedules a retry's wait as a
// run_after() timer, so waiting requests hold no thread.

#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "storage/s3/http.h"

namespace quilt::s3 {

/// One request for the engine. It owns what it refers to, so the caller may forget it.
struct AsyncRequest {
  std::string method = "GET";
  std::string url;
  /// Sent as given (curl adds Host, and Content-Length for a body).
  std::vector<Header> headers;
  /// The body, shared so that a retry resends the same bytes without copying them; null: none.
  std::shared_ptr<const std::vector<uint8_t>> body;
  /// Where a 2xx body goes (on the engine's thread); empty: into HttpResponse::body. A sink
  /// that throws stops the transfer, and the completion gets what it threw.
  BodySink sink;
};

/// How a request ended: either `error` is null and `response` is what the server sent (any
/// status), or `error` is a TransportError (as HttpClient::perform throws it), what the sink
/// threw, or a RemoteError when the engine was destroyed first. Must not throw.
using AsyncCompletion = std::function<void(HttpResponse response, std::exception_ptr error)>;

class TransferEngine {
 public:
  /// Start the engine's thread. `options.max_concurrency` bounds the transfers in flight.
  explicit TransferEngine(HttpOptions options);
  /// Stop the thread; requests still queued or in flight complete with a RemoteError. Must
  /// not run on the engine's own thread (from a callback): it joins that thread.
  ~TransferEngine();
  TransferEngine(const TransferEngine&) = delete;
  TransferEngine& operator=(const TransferEngine&) = delete;

  /// Queue `request`; `done` runs on the engine's thread when it ends. Thread-safe.
  void submit(AsyncRequest request, AsyncCompletion done);
  /// Run `task` on the engine's thread after `delay` (a retry's backoff). Thread-safe. Tasks
  /// still waiting when the engine is destroyed run then, on the destroying thread.
  void run_after(std::chrono::milliseconds delay, std::function<void()> task);

  /// What the engine has done so far (tests check the concurrency they get).
  struct Stats {
    uint64_t completed = 0;     ///< Requests that ended, whatever the outcome.
    size_t in_flight = 0;       ///< Requests handed to curl now.
    size_t peak_in_flight = 0;  ///< The most ever in flight at once.
    size_t handles = 0;         ///< Easy handles created (they are reused).
  };
  Stats stats() const;
  const HttpOptions& options() const { return options_; }

 private:
  struct Job;
  struct Timer {
    std::chrono::steady_clock::time_point when;
    uint64_t order;  // FIFO among equal deadlines
    std::function<void()> task;
    bool operator>(const Timer& other) const {
      return when != other.when ? when > other.when : order > other.order;
    }
  };

  void run();
  void start_pending();
  void reap();
  void finish(std::unique_ptr<Job> job, HttpResponse response, std::exception_ptr error);

  const HttpOptions options_;
  void* multi_ = nullptr;  // CURLM*
  std::thread thread_;

  mutable std::mutex mutex_;
  bool stopping_ = false;                                                  // guarded by mutex_
  std::vector<std::unique_ptr<Job>> submitted_;                            // guarded by mutex_
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;  // guarded by mutex_
  uint64_t timer_order_ = 0;                                               // guarded by mutex_
  Stats stats_;                                                            // guarded by mutex_

  // The engine thread's own state.
  std::deque<std::unique_ptr<Job>> pending_;
  std::vector<std::unique_ptr<Job>> active_;
  std::vector<void*> idle_handles_;  // CURL*
};

}  // namespace quilt::s3
