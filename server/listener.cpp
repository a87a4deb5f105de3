#include "listener.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>

namespace authwasm::server {
namespace {

using SteadyClock = std::chrono::steady_clock;

// listen(2): "If the backlog argument is greater than the value in
// /proc/sys/net/core/somaxconn, then it is silently truncated to that value."
int somaxconn() {
  std::ifstream file("/proc/sys/net/core/somaxconn");
  int value = 0;
  return file >> value ? value : 0;
}

int64_t millis_until(SteadyClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t - SteadyClock::now()).count();
}

// Waits up to `timeout_ms` for `events` on the socket (EINTR restarts with the time left).
bool wait_for(socket_t sock, short events, int64_t timeout_ms) {
  const auto until = SteadyClock::now() + std::chrono::milliseconds(std::max<int64_t>(timeout_ms, 0));
  for (;;) {
    pollfd fd{sock, events, 0};
    const int ready = ::poll(&fd, 1, int(std::max<int64_t>(millis_until(until), 0)));
    if (ready > 0) return true;
    if (ready == 0 || errno != EINTR) return false;
  }
}

void address_and_port(const sockaddr_storage& addr, std::string& ip, int& port) {
  char host[NI_MAXHOST] = "", serv[NI_MAXSERV] = "";
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&addr), sizeof addr, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
    ip = host;
    port = std::atoi(serv);
  }
}

void close_socket(socket_t sock) {
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
}

// A socket stream whose reads end at one deadline per request (head and body together), not
// only after an idle gap: a client trickling one header line every 2 s is cut off at the
// deadline instead of holding its worker thread for ever. Writes keep a per-write timeout.
// Reads are buffered, as cpp-httplib's line reader asks for one byte at a time.
// System calls per request: a read or write is tried first and poll(2) runs only when the
// socket is not ready (EAGAIN), and a response's pieces (cpp-httplib writes the head and the
// body separately) are gathered and sent with one send(2) when the request is done (flush),
// before the stream reads again, or at kFlushBytes. bench/server.mjs, refresh and bearer GET:
// 4 polls + 2 sends + 1 recv per keep-alive request before, 1 poll + 1 send + 1 recv after.
class DeadlineStream final : public httplib::Stream {
 public:
  DeadlineStream(socket_t sock, int64_t read_timeout_ms, int64_t write_timeout_ms)
      : sock_(sock), read_timeout_ms_(read_timeout_ms), write_timeout_ms_(write_timeout_ms) {}

  // The next request's clock starts now; deadline_ms == 0: per-read timeout only.
  void start_request(int64_t deadline_ms) {
    read_timed_out_ = false;
    has_deadline_ = deadline_ms > 0;
    deadline_ = SteadyClock::now() + std::chrono::milliseconds(deadline_ms);
  }
  bool has_buffered_bytes() const { return offset_ < size_; }
  // A read of this request waited until the deadline (or its read timeout): cpp-httplib may
  // have answered 400 and would read on, so the connection must be closed. The wait's own
  // result says so: poll(2) can return a hair before the clock reaches the deadline, and the
  // rest of a trickled head was then read as a second request (seen under load).
  bool deadline_passed() const { return read_timed_out_ || (has_deadline_ && millis_until(deadline_) <= 0); }

  bool is_readable() const override { return has_buffered_bytes() || wait_readable(); }
  // Content providers (none here today) ask before each piece: what is gathered goes first.
  bool is_writable() const override { return flush() && wait_for(sock_, POLLOUT, write_timeout_ms_); }

  ssize_t read(char* ptr, size_t size) override {
    if (!has_buffered_bytes()) {
      if (!flush()) return -1;  // e.g. "100 Continue" must reach the client before its body
      ssize_t n;
      for (;;) {
        n = ::recv(sock_, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
        if (n >= 0) break;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
        if (!wait_readable()) return -1;
      }
      if (n == 0) return 0;
      offset_ = 0;
      size_ = size_t(n);
    }
    if (size == 1) {  // cpp-httplib reads the request line and headers a byte at a time
      *ptr = buffer_[offset_++];
      return 1;
    }
    const size_t n = std::min(size, size_ - offset_);
    std::memcpy(ptr, buffer_.data() + offset_, n);
    offset_ += n;
    return ssize_t(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    out_.append(ptr, size);
    if (out_.size() >= kFlushBytes && !flush()) return -1;
    return ssize_t(size);
  }

  // Sends what write() gathered; each wait for room in the socket is bounded by the write
  // timeout. False: the client is gone or stopped reading.
  bool flush() const {
    size_t sent = 0;
    while (sent < out_.size()) {
      const ssize_t n = ::send(sock_, out_.data() + sent, out_.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n >= 0) {
        sent += size_t(n);
      } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!wait_for(sock_, POLLOUT, write_timeout_ms_)) break;
      } else if (errno != EINTR) {
        break;
      }
    }
    const bool ok = sent == out_.size();
    out_.clear();
    return ok;
  }

  // Asked for every request (cpp-httplib fills remote_addr and local_addr); a connection's
  // ends do not change, so each is looked up once (two system calls fewer per request).
  void get_remote_ip_and_port(std::string& ip, int& port) const override { remote_.get(sock_, ::getpeername, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { local_.get(sock_, ::getsockname, ip, port); }
  socket_t socket() const override { return sock_; }

 private:
  bool wait_readable() const {
    if (wait_for(sock_, POLLIN, read_wait_ms())) return true;
    read_timed_out_ = true;
    return false;
  }
  int64_t read_wait_ms() const {
    return has_deadline_ ? std::min(read_timeout_ms_, millis_until(deadline_)) : read_timeout_ms_;
  }
  struct Endpoint {
    bool known = false;
    std::string ip;
    int port = 0;
    void get(socket_t sock, int (*query)(int, sockaddr*, socklen_t*), std::string& out_ip, int& out_port) {
      if (!known) {
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        if (query(sock, reinterpret_cast<sockaddr*>(&addr), &len) == 0) address_and_port(addr, ip, port);
        known = true;
      }
      out_ip = ip;
      out_port = port;
    }
  };

  static constexpr size_t kFlushBytes = 64 * 1024;
  socket_t sock_;
  int64_t read_timeout_ms_, write_timeout_ms_;
  bool has_deadline_ = false;
  SteadyClock::time_point deadline_;
  std::array<char, 4096> buffer_{};
  size_t offset_ = 0, size_ = 0;
  mutable std::string out_;  // written, not sent yet (is_writable, a const member, sends it)
  mutable Endpoint remote_, local_;
  mutable bool read_timed_out_ = false;  // since start_request
};

// RFC 9110 §15.6.4. Sent without waiting: a client that does not read it just gets the close.
void refuse_busy(socket_t sock) {
  static const std::string kBody =
      "{\"error\":\"temporarily_unavailable\",\"error_description\":\"too many connections from this address\"}";
  static const std::string kAnswer =
      "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n"
      "Content-Type: application/json\r\nContent-Length: " + std::to_string(kBody.size()) + "\r\n\r\n" + kBody;
  (void)::send(sock, kAnswer.data(), kAnswer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  close_socket(sock);
}

}  // namespace

std::string peer_address(socket_t sock) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  std::string ip;
  int port = 0;
  if (::getpeername(sock, reinterpret_cast<sockaddr*>(&addr), &len) == 0) address_and_port(addr, ip, port);
  return ip;
}

HttpServer::~HttpServer() { close_parked_connections(); }

std::string HttpServer::deepen_listen_backlog(int backlog) {
  if (::listen(svr_sock_, backlog) != 0) {
    return std::string("listen backlog stays at cpp-httplib's default: ") + std::strerror(errno);
  }
  const int cap = somaxconn();
  if (cap > 0 && cap < backlog) {
    return "net.core.somaxconn = " + std::to_string(cap) + " caps the listen backlog below " +
           std::to_string(backlog);
  }
  return "";
}

void HttpServer::close_parked_connections() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [address, state] : addresses_) {
    for (socket_t sock : state.parked) close_socket(sock);
    state.parked.clear();
  }
}

bool HttpServer::admit(const std::string& address, socket_t sock) {
  std::lock_guard<std::mutex> lock(mutex_);
  AddressState& state = addresses_[address];
  if (state.served < limits_.per_address) {
    ++state.served;
    return true;
  }
  if (int(state.parked.size()) < limits_.parked_per_address) {
    state.parked.push_back(sock);
  } else {
    refuse_busy(sock);
  }
  return false;
}

socket_t HttpServer::pass_slot(const std::string& address) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = addresses_.find(address);
  if (it == addresses_.end()) return INVALID_SOCKET;
  AddressState& state = it->second;
  if (!state.parked.empty()) {
    const socket_t next = state.parked.front();
    state.parked.pop_front();
    return next;
  }
  if (--state.served == 0) addresses_.erase(it);
  return INVALID_SOCKET;
}

bool HttpServer::process_and_close_socket(socket_t sock) {
  if (limits_.per_address <= 0) {
    serve_connection(sock);
    return true;
  }
  const std::string address = peer_address(sock);
  if (!admit(address, sock)) return true;  // parked (a later pass_slot serves it) or refused
  // This thread keeps the address's slot and serves its parked connections in arrival order.
  for (socket_t next = sock; next != INVALID_SOCKET; next = pass_slot(address)) serve_connection(next);
  return true;
}

void HttpServer::serve_connection(socket_t sock) {
  const auto to_ms = [](time_t sec, time_t usec) { return int64_t(sec) * 1000 + int64_t(usec) / 1000; };
  DeadlineStream stream(sock, to_ms(read_timeout_sec_, read_timeout_usec_), to_ms(write_timeout_sec_, write_timeout_usec_));
  // cpp-httplib's keep-alive loop (detail::process_server_socket_core): wait for the next
  // request up to the keep-alive timeout, checking for stop() between short polls.
  const int64_t idle_ms = std::max<int64_t>(to_ms(idle_interval_sec_, idle_interval_usec_), 100);
  for (size_t count = keep_alive_max_count_; count > 0 && svr_sock_ != INVALID_SOCKET; --count) {
    bool readable = stream.has_buffered_bytes();
    for (int64_t waited = 0; !readable && waited < int64_t(keep_alive_timeout_sec_) * 1000 && svr_sock_ != INVALID_SOCKET;
         waited += idle_ms) {
      readable = wait_for(sock, POLLIN, idle_ms);
    }
    if (!readable) break;
    stream.start_request(limits_.request_deadline_ms);
    bool connection_closed = false;
    const bool served = process_request(stream, count == 1, connection_closed, nullptr);
    if (!stream.flush() || !served || connection_closed) break;
    if (stream.deadline_passed()) break;
  }
  close_socket(sock);
}

}  // namespace authwasm::server
