#pragma once

// An HTTP proxy on loopback in front of a real server that injects faults: requests are read
// whole (our client always sends Content-Length), and a script decides, by request number,
// whether to forward it or to answer 503 SlowDown, 500, cut the real response off half-way, or
// hang up without answering. Forwarded requests go over a fresh upstream connection each.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "loopback_socket.h"

namespace quilt::test {

enum class Fault { kNone, kSlowDown, kInternalError, kCutResponse, kHangUp };

class FaultProxy {
 public:
  /// Forward to 127.0.0.1:`upstream_port`; `fault(n, request_head)` picks the fault of request n.
  FaultProxy(int upstream_port, std::function<Fault(int, const std::string&)> fault)
      : upstream_port_(upstream_port), fault_(std::move(fault)) {
    listener_ = listen_loopback(64, port_);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~FaultProxy() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    acceptor_.join();
    std::lock_guard<std::mutex> lock(mutex_);
    for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
    for (std::thread& t : workers_) t.join();
    for (int fd : open_) ::close(fd);
  }

  /// Answer requests itself: `handler(request)` returns a whole response to send instead of
  /// forwarding, or "" to forward (faults still apply first). Set before traffic starts.
  void set_handler(std::function<std::string(const std::string&)> handler) {
    handler_ = std::move(handler);
  }
  /// Run `after(request)` once a forwarded request's response has been relayed.
  void set_after(std::function<void(const std::string&)> after) { after_ = std::move(after); }

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return counter_.load(); }
  int faults() const { return faults_.load(); }

 private:
  void accept_loop() {
    while (!stopping_) {
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      std::lock_guard<std::mutex> lock(mutex_);
      open_.push_back(fd);
      workers_.emplace_back([this, fd] { serve(fd); });
    }
  }

  // Send `request` upstream with Connection: close and return the whole response.
  std::string forward(const std::string& request) {
    int up = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(upstream_port_));
    if (::connect(up, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      ::close(up);
      return {};
    }
    // Connection is not a signed header: closing makes the response's end plain.
    size_t line_end = request.find("\r\n");
    std::string rewritten = request.substr(0, line_end + 2) + "Connection: close\r\n" +
                            request.substr(line_end + 2);
    std::string response;
    if (send_all(up, rewritten)) {
      char buffer[65536];
      for (;;) {
        ssize_t n = ::recv(up, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        response.append(buffer, static_cast<size_t>(n));
      }
    }
    ::close(up);
    // The client keeps its own connection: drop the upstream's close.
    size_t at = response.find("\r\nConnection: close\r\n");
    if (at != std::string::npos && at < response.find("\r\n\r\n")) {
      response.erase(at, std::string("\r\nConnection: close").size());
    }
    return response;
  }

  static std::string error_reply(int status, const std::string& code) {
    std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code +
                       "</Code><Message>injected by the fault proxy</Message></Error>";
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/xml\r\n" +
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }

  void serve(int fd) {
    std::string pending;
    for (;;) {
      std::string request = read_http_request(fd, pending);
      if (request.empty()) break;
      int n = counter_++;
      Fault fault = fault_(n, request.substr(0, request.find("\r\n\r\n")));
      if (fault != Fault::kNone) ++faults_;
      if (fault == Fault::kHangUp) break;
      if (fault == Fault::kSlowDown) {
        if (!send_all(fd, error_reply(503, "SlowDown"))) break;
        continue;
      }
      if (fault == Fault::kInternalError) {
        if (!send_all(fd, error_reply(500, "InternalError"))) break;
        continue;
      }
      if (handler_) {
        std::string answer = handler_(request);
        if (!answer.empty()) {
          if (!send_all(fd, answer)) break;
          continue;
        }
      }
      std::string response = forward(request);
      if (response.empty()) break;
      if (fault == Fault::kCutResponse) {
        size_t head_end = response.find("\r\n\r\n") + 4;
        send_all(fd, response.substr(0, head_end + (response.size() - head_end) / 2));
        break;
      }
      if (!send_all(fd, response)) break;
      if (after_) after_(request);
    }
    ::shutdown(fd, SHUT_RDWR);
  }

  int upstream_port_;
  std::function<Fault(int, const std::string&)> fault_;
  std::function<std::string(const std::string&)> handler_;
  std::function<void(const std::string&)> after_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> counter_{0};
  std::atomic<int> faults_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<int> open_;
  std::vector<std::thread> workers_;
};

}  // namespace quilt::test
