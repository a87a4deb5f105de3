// The HTTP listener: cpp-httplib's Server with an accept queue deep enough for a burst of new
// connections (issue 13).
//
// cpp-httplib calls listen(2) with CPPHTTPLIB_LISTEN_BACKLOG, 5 by default. Debian ships
// cpp-httplib as a compiled library (libcpp-httplib.so): that listen() call is inside the .so,
// built with 5, so defining the macro in this project's sources would change nothing. With a
// 5-deep queue a burst of ~50 new connections overflows it (TcpExtListenOverflows), the kernel
// drops the SYNs, and those clients stall 1 s, then 2 s more (SYN retransmission, RFC 6298 §2).
// Linux lets listen(2) be called again on a listening socket to set a new backlog, so the
// server does that right after binding. The kernel caps it at net.core.somaxconn.
#pragma once
#include <httplib.h>

#include <string>

namespace authwasm::server {

constexpr int kListenBacklog = 1024;

class HttpServer : public httplib::Server {
 public:
  // After bind_to_port / bind_to_any_port. Returns "" or a warning for stderr.
  std::string deepen_listen_backlog(int backlog = kListenBacklog);
};

}  // namespace authwasm::server
