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
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(listener_, 16);
    socklen_t size = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
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
      while (keep && !stopping_) {
        std::string request = read_request(fd);
        if (request.empty()) break;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          requests_.push_back(request);
        }
        FakeReply reply = script_(n++, request);
        size_t sent = 0;
        while (sent < reply.bytes.size()) {
          ssize_t w = ::send(fd, reply.bytes.data() + sent, reply.bytes.size() - sent, MSG_NOSIGNAL);
          if (w <= 0) break;
          sent += static_cast<size_t>(w);
        }
        if (reply.stall_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(reply.stall_ms));
        keep = !reply.close;
      }
      ::close(fd);
    }
  }

  // The request head and as much body as Content-Length says; "" when the peer closed.
  static std::string read_request(int fd) {
    std::string data;
    char buffer[65536];
    size_t head_end = std::string::npos;
    size_t want = 0;
    for (;;) {
      if (head_end == std::string::npos) {
        head_end = data.find("\r\n\r\n");
        if (head_end != std::string::npos) {
          size_t at = data.find("\r\nContent-Length: ");
          if (at == std::string::npos) at = data.find("\r\ncontent-length: ");
          want = head_end + 4 + (at != std::string::npos && at < head_end
                                     ? std::stoul(data.substr(at + 18))
                                     : 0);
        }
      }
      if (head_end != std::string::npos && data.size() >= want) return data;
      ssize_t r = ::recv(fd, buffer, sizeof buffer, 0);
      if (r <= 0) return {};
      data.append(buffer, static_cast<size_t>(r));
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
