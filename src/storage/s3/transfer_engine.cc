#include "storage/s3/transfer_engine.h"

#include <curl/curl.h>

#include <algorithm>

#include "quilt/errors.h"
#include "storage/s3/curl_easy.h"

namespace quilt::s3 {

// One request from submit() to its completion. `http` views into `request`, and curl's
// callbacks reach `easy`, so a Job never moves once submitted (it lives behind a unique_ptr).
struct TransferEngine::Job {
  AsyncRequest request;
  AsyncCompletion done;
  HttpRequest http;
  HttpResponse response;
  detail::EasyTransfer easy;
};

namespace {

CURLM* as_multi(void* multi) { return static_cast<CURLM*>(multi); }

std::exception_ptr stopped_error(const AsyncRequest& request) {
  // Not a TransportError: nothing retries it.
  return std::make_exception_ptr(
      RemoteError(request.method + " " + request.url +
                  ": the S3 transfer engine was shut down before the request ended"));
}

}  // namespace

TransferEngine::TransferEngine(HttpOptions options) : options_(std::move(options)) {
  detail::curl_global_init_once();
  if (options_.max_concurrency < 1) {
    throw InvalidArgument("the S3 transfer concurrency must be at least 1, not " +
                          std::to_string(options_.max_concurrency));
  }
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) throw RemoteError("cannot create a libcurl multi handle");
  // The multi handle's connection cache is shared by all its transfers: keep one connection
  // per transfer that can be in flight, so none is closed only to be opened again.
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(options_.max_concurrency));
  multi_ = multi;
  thread_ = std::thread([this] { run(); });
}

TransferEngine::~TransferEngine() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  curl_multi_wakeup(as_multi(multi_));
  thread_.join();
  // The loop has stopped: what is left ends here, on this thread. A completion may submit
  // again (a retry); submit() then completes it at once, as stopped.
  std::vector<std::unique_ptr<Job>> left;
  for (auto& job : active_) {
    curl_multi_remove_handle(as_multi(multi_), job->easy.curl);
    curl_easy_cleanup(job->easy.curl);
    job->easy.curl = nullptr;
    left.push_back(std::move(job));
  }
  active_.clear();
  for (auto& job : pending_) left.push_back(std::move(job));
  pending_.clear();
  std::vector<Timer> timers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& job : submitted_) left.push_back(std::move(job));
    submitted_.clear();
    while (!timers_.empty()) {
      timers.push_back(timers_.top());
      timers_.pop();
    }
  }
  for (auto& job : left) {
    std::exception_ptr error = stopped_error(job->request);
    job->done(HttpResponse{}, error);
  }
  // A waiting retry resubmits, and so completes as stopped: nobody is left waiting.
  for (Timer& timer : timers) timer.task();
  for (void* handle : idle_handles_) curl_easy_cleanup(static_cast<CURL*>(handle));
  curl_multi_cleanup(as_multi(multi_));
}

void TransferEngine::submit(AsyncRequest request, AsyncCompletion done) {
  auto job = std::make_unique<Job>();
  job->request = std::move(request);
  job->done = std::move(done);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopping_) {
      submitted_.push_back(std::move(job));
    }
  }
  if (job) {
    job->done(HttpResponse{}, stopped_error(job->request));
    return;
  }
  curl_multi_wakeup(as_multi(multi_));
}

void TransferEngine::run_after(std::chrono::milliseconds delay, std::function<void()> task) {
  bool stopped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped = stopping_;
    if (!stopped) {
      timers_.push(
          Timer{std::chrono::steady_clock::now() + delay, timer_order_++, std::move(task)});
    }
  }
  if (stopped) {
    task();  // it will meet a stopped engine and end
    return;
  }
  curl_multi_wakeup(as_multi(multi_));
}

TransferEngine::Stats TransferEngine::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void TransferEngine::run() {
  for (;;) {
    std::vector<std::unique_ptr<Job>> incoming;
    std::vector<std::function<void()>> due;
    auto now = std::chrono::steady_clock::now();
    long wait_ms = 1000;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
      incoming.swap(submitted_);
      while (!timers_.empty() && timers_.top().when <= now) {
        due.push_back(timers_.top().task);
        timers_.pop();
      }
    }
    for (auto& job : incoming) pending_.push_back(std::move(job));
    for (auto& task : due) task();
    start_pending();
    int running = 0;
    curl_multi_perform(as_multi(multi_), &running);
    reap();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!submitted_.empty()) continue;
      if (!timers_.empty()) {
        auto until = std::chrono::duration_cast<std::chrono::milliseconds>(
                         timers_.top().when - std::chrono::steady_clock::now())
                         .count();
        wait_ms = std::clamp<long>(until, 0, wait_ms);
      }
    }
    if (!pending_.empty() && active_.size() < static_cast<size_t>(options_.max_concurrency)) {
      wait_ms = 0;
    }
    // Waits for socket activity, curl's own timeouts (it shortens the wait for them), a
    // wakeup from submit()/run_after(), or the next timer.
    curl_multi_poll(as_multi(multi_), nullptr, 0, static_cast<int>(wait_ms), nullptr);
  }
}

void TransferEngine::start_pending() {
  while (!pending_.empty() && active_.size() < static_cast<size_t>(options_.max_concurrency)) {
    std::unique_ptr<Job> job = std::move(pending_.front());
    pending_.pop_front();
    job->http.method = job->request.method;
    job->http.url = job->request.url;
    job->http.headers = job->request.headers;
    if (job->request.body) job->http.body = *job->request.body;
    job->http.sink = job->request.sink ? &job->request.sink : nullptr;
    CURL* curl = nullptr;
    if (!idle_handles_.empty()) {
      curl = static_cast<CURL*>(idle_handles_.back());
      idle_handles_.pop_back();
    } else {
      curl = curl_easy_init();
      if (curl == nullptr) {
        finish(std::move(job), {},
               std::make_exception_ptr(RemoteError("cannot create a libcurl handle")));
        continue;
      }
      std::lock_guard<std::mutex> lock(mutex_);
      ++stats_.handles;
    }
    job->easy.curl = curl;
    job->easy.request = &job->http;
    job->easy.response = &job->response;
    detail::configure_easy(job->easy, options_);
    curl_easy_setopt(curl, CURLOPT_PRIVATE, job.get());
    if (CURLMcode code = curl_multi_add_handle(as_multi(multi_), curl); code != CURLM_OK) {
      std::exception_ptr error = std::make_exception_ptr(RemoteError(
          job->request.method + " " + job->request.url + ": " + curl_multi_strerror(code)));
      job->easy.curl = nullptr;
      idle_handles_.push_back(curl);
      finish(std::move(job), {}, error);
      continue;
    }
    active_.push_back(std::move(job));
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.in_flight = active_.size();
    stats_.peak_in_flight = std::max(stats_.peak_in_flight, active_.size());
  }
}

void TransferEngine::reap() {
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(as_multi(multi_), &left)) {
    if (message->msg != CURLMSG_DONE) continue;
    CURL* curl = message->easy_handle;
    CURLcode code = message->data.result;
    curl_multi_remove_handle(as_multi(multi_), curl);
    auto it = std::find_if(active_.begin(), active_.end(),
                           [&](const std::unique_ptr<Job>& job) { return job->easy.curl == curl; });
    if (it == active_.end()) continue;  // cannot happen: every handle added is a job's
    std::unique_ptr<Job> job = std::move(*it);
    *it = std::move(active_.back());
    active_.pop_back();
    bool drop = false;
    std::exception_ptr error = detail::easy_outcome(job->easy, code, &drop);
    if (drop) {
      curl_easy_cleanup(curl);
    } else {
      idle_handles_.push_back(curl);
    }
    job->easy.curl = nullptr;
    HttpResponse response = std::move(job->response);
    finish(std::move(job), std::move(response), error);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.in_flight = active_.size();
}

void TransferEngine::finish(std::unique_ptr<Job> job, HttpResponse response,
                            std::exception_ptr error) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.completed;
  }
  AsyncCompletion done = std::move(job->done);
  job.reset();  // the request's body and sink go before the callback runs
  done(std::move(response), error);
}

}  // namespace quilt::s3
