#pragma once

// Socket pieces shared by the scripted HTTP servers of the tests (fake_http_server.h,
// fault_proxy.h): a listener on 127.0.0.1, whole sends, and reading one HTTP request (head and
// Content-Length body; our client never sends chunked bodies).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

namespace quilt::test {

/// Listen on 127.0.0.1 at a free port; return the socket and set `port`.
inline int listen_loopback(int backlog, int& port) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::listen(listener, backlog);
  socklen_t size = sizeof address;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &size);
  port = ntohs(address.sin_port);
  return listener;
}

/// Send all of `bytes`; false when the peer went away.
inline bool send_all(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

/// Read one whole request from `fd`; bytes received past it stay in `pending` for the next
/// call. Returns "" when the peer closed.
inline std::string read_http_request(int fd, std::string& pending) {
  char buffer[65536];
  for (;;) {
    size_t head_end = pending.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      size_t length = 0;
      std::string head = pending.substr(0, head_end);
      for (const char* name : {"\r\nContent-Length: ", "\r\ncontent-length: "}) {
        size_t at = head.find(name);
        if (at != std::string::npos) length = std::stoul(head.substr(at + 18));
      }
      if (pending.size() >= head_end + 4 + length) {
        std::string request = pending.substr(0, head_end + 4 + length);
        pending.erase(0, request.size());
        return request;
      }
    }
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return {};
    pending.append(buffer, static_cast<size_t>(n));
  }
}

}  // namespace quilt::test
