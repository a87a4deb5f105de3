// The HTTP listener: cpp-httplib's Server with an accept queue deep enough for a burst of new
// connections (issue 13), a total deadline per request head and body, and a cap on the
// connections one client address may have served at once (issue 15, "slow clients").
//
// cpp-httplib calls listen(2) with CPPHTTPLIB_LISTEN_BACKLOG, 5 by default. Debian ships
// cpp-httplib as a compiled library (libcpp-httplib.so): that listen() call is inside the .so,
// built with 5, so defining the macro in this project's sources would change nothing. With a
// 5-deep queue a burst of ~50 new connections overflows it (TcpExtListenOverflows), the kernel
// drops the SYNs, and those clients stall 1 s, then 2 s more (SYN retransmission, RFC 6298 §2).
// Linux lets listen(2) be called again on a listening socket to set a new backlog, so the
// server does that right after binding. The kernel caps it at net.core.somaxconn.
//
// Slow clients: cpp-httplib 0.11 has only a per-read timeout (5 s), so a client that sends a
// header line every 2 s holds a worker thread for ever, and 64 such connections hold them all.
// Its per-connection loop (`process_and_close_socket`) is virtual, and `process_request` (one
// request on any `httplib::Stream`) is protected, so this class runs the connection loop
// itself over a stream whose reads share one deadline per request (DeadlineStream, listener.cpp).
#pragma once
#include <httplib.h>

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace authwasm::server {

constexpr int kListenBacklog = 1024;

struct ConnectionLimits {
  // Milliseconds from a request's first byte to the end of its head and body; 0: no deadline
  // (only cpp-httplib's per-read timeout).
  int64_t request_deadline_ms = 10000;
  // Connections of one client address served at once; the others wait, holding no thread, in
  // arrival order. 0: no cap (behind a reverse proxy every connection has the proxy's address).
  int per_address = 16;
  // Connections of one address waiting beyond the cap; more are answered 503 and closed.
  int parked_per_address = 256;
};

class HttpServer : public httplib::Server {
 public:
  explicit HttpServer(ConnectionLimits limits = {}) : limits_(limits) {}
  ~HttpServer() override;

  // After bind_to_port / bind_to_any_port. Returns "" or a warning for stderr.
  std::string deepen_listen_backlog(int backlog = kListenBacklog);

  // After listen_after_bind() returned: closes the connections still waiting for a slot.
  void close_parked_connections();

 private:
  // Called by cpp-httplib's accept loop (on a worker thread) for every accepted socket.
  bool process_and_close_socket(socket_t sock) override;
  // The keep-alive loop of one connection: each request's head and body under the deadline.
  void serve_connection(socket_t sock);
  // Takes a slot for `address`, or parks (returns false, the socket is kept) or refuses
  // (returns false, the socket is closed) the connection.
  bool admit(const std::string& address, socket_t sock);
  // Gives the slot to the next parked connection of `address` (returned), or frees it
  // (returns INVALID_SOCKET).
  socket_t pass_slot(const std::string& address);

  struct AddressState {
    int served = 0;
    std::deque<socket_t> parked;
  };
  ConnectionLimits limits_;
  std::mutex mutex_;
  std::unordered_map<std::string, AddressState> addresses_;
};

// The peer's numeric address ("" when unknown).
std::string peer_address(socket_t sock);

}  // namespace authwasm::server
