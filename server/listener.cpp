#include "listener.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace authwasm::server {
namespace {

// listen(2): "If the backlog argument is greater than the value in
// /proc/sys/net/core/somaxconn, then it is silently truncated to that value."
int somaxconn() {
  std::ifstream file("/proc/sys/net/core/somaxconn");
  int value = 0;
  return file >> value ? value : 0;
}

}  // namespace

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

}  // namespace authwasm::server
