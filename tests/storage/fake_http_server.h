#pragma once

// A misbehaving HTTP server on loopback for tests of what real servers rarely do on demand:
// malformed or truncated XML, bodies cut off mid-way, stalls, 503s. Each request is answered by
// a script: the raw bytes to send and what to do afterwards. Requests are recorded.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "loopback_socket.h"

namespace quilt::test {

struct FakeReply {
  std::string bytes;          // status line, headers and body, as sent
  bool close = true;          // close the connection after sending
  int stall_ms = 0;           // wait this long (holding the connection) before closing
};

class FakeHttpServer {
 public:
  /// `script(n, request)` answers the n-th request (from 0); `request` is its head and body.
  explicit FakeHttpServer(std::function<FakeReply(int, const std::string&)> script)
      : script_(std::move(script)) {
    listener_ = listen_loopback(16, port_);
    thread_ = std::thread([this] { serve(); });
  }

  ~FakeHttpServer() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }

  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

  /// A reply with `status`, `headers` (each "Name: value\r\n") and `body`, whose
  /// Content-Length is `content_length` (default: the body's size).
  static std::string response(int status, const std::string& headers, const std::string& body,
                              long content_length = -1) {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\n" + headers + "Content-Length: " +
           std::to_string(content_length < 0 ? static_cast<long>(body.size()) : content_length) +
           "\r\n\r\n" + body;
  }

 private:
  void serve() {
    int n = 0;
    while (!stopping_) {
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      bool keep = true;
      std::string pending;
      while (keep && !stopping_) {
        std::string request = read_http_request(fd, pending);
        if (request.empty()) break;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          requests_.push_back(request);
        }
        FakeReply reply = script_(n++, request);
        send_all(fd, reply.bytes);
        if (reply.stall_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(reply.stall_ms));
        keep = !reply.close;
      }
      ::close(fd);
    }
  }

  std::function<FakeReply(int, const std::string&)> script_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> requests_;
};

}  // namespace quilt::test
