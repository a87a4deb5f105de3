// Server configuration from command-line flags and AUTHWASM_* environment variables
// (flags win). See server/README.md for the full list.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace authwasm::server {

struct Client {
  std::string id;
  std::vector<std::string> redirect_uris;  // matched exactly (RFC 9700 §2.1, OAuth 2.1 §4.1.1)
};

// RFC 9449 (server/dpop.hpp): off ignores DPoP headers; allowed binds tokens to a key when a
// proof comes with the token request; required refuses token requests without one.
enum class DpopMode { off, allowed, required };

struct Config {
  std::string bind = "127.0.0.1";
  int port = 8080;                       // 0: ephemeral
  std::string data_dir = "./authwasm-data";
  std::string store;                     // --store: "sqlite:PATH" or "postgres://…"; empty: DATA_DIR/authwasm.sqlite3
  // PostgreSQL connections this instance opens at most (≤ --threads: a request holds one at a
  // time). Instances × pool must stay under the database's max_connections (100 by default).
  int store_pool = 16;
  std::string issuer;                    // empty: http://BIND:PORT once the port is known
  std::vector<std::string> allowed_origins;
  std::vector<Client> clients;
  // Lifetimes are given in seconds; the store compares them in milliseconds (clock.hpp).
  int64_t access_ttl = 900;              // seconds
  int64_t refresh_ttl = 30 * 86400;
  // Lost-response / concurrent-refresh window. Longer than the client's 10 s request deadline
  // (js/), so a refresh whose answer was lost is still inside it on the user's next call
  // (server/README.md "Refresh-token rotation").
  int64_t grace = 30;
  int64_t code_ttl = 60;                 // ≤ 60 (issue 4)
  int64_t session_ttl = 8 * 3600;        // browser login session for /authorize
  std::string key_file;                  // empty: DATA_DIR/signing-key.pem; seeds a store without keys
  // Signing keys (key_ring.hpp, server/README.md "Signing keys and rotation"), seconds. The
  // server reloads the store's keys every key_reload; `keys rotate` stages a key that signs
  // promote_after from now, and retires the keys it replaces access_ttl + retire_margin after that.
  int64_t key_reload = 15;
  int64_t promote_after = 90;            // > key_reload + how long verifiers cache the JWKS
  int64_t retire_margin = 60;            // clock skew between instances, and slack
  std::string static_dir;
  bool demo = false;
  bool debug_stats = false;
  bool quiet = false;                    // no request log on stderr
  int login_burst = 10;                  // token bucket per (username, IP)
  double login_per_minute = 10;
  int register_burst = 50;               // registrations per IP: burst and per-minute refill
  // HTTP worker threads. cpp-httplib holds one per open keep-alive connection, and a browser
  // keeps up to 6 open per origin: 16 served fewer than 3 busy browsers at once.
  int threads = 64;
  // Slow clients (server/listener.hpp): a request's head and body must arrive within this many
  // seconds of its first byte (0: no deadline), and one client address has at most this many
  // connections served at once (0: no cap; set 0 behind a reverse proxy).
  int64_t request_deadline = 10;
  int max_connections_per_ip = 16;
  // Seconds an idle keep-alive connection is kept (and announced as `Keep-Alive: timeout=N`).
  // Node's http.Agent and fetch (undici) never reuse a socket whose announced timeout is 1 s or
  // less, so 1 made every Node client open a connection per request. An idle connection holds
  // a worker thread until then (one address: at most max_connections_per_ip of them).
  int64_t keep_alive = 5;
  int64_t cleanup_interval = 60;         // seconds between purges of expired rows
  std::size_t max_body = 16 * 1024;
  DpopMode dpop = DpopMode::allowed;
  bool dpop_nonce = true;                // server nonces required in proofs (RFC 9449 §8, §9)
  int64_t dpop_nonce_step = 60;          // seconds per nonce; the current and previous are accepted
  int64_t dpop_replay_cache = 100000;    // jti entries held (RFC 9449 §11.1); full: 503

  // Filled in after binding.
  std::string issuer_origin() const;     // scheme://host[:port] of the issuer
  const Client* client(const std::string& id) const;
};

struct ConfigResult {
  Config config;
  std::string error;   // non-empty: print it and exit 2
  bool help = false;
};

ConfigResult parse_config(int argc, char** argv);
std::string usage();

// Creates the data directory (0700) unless it exists; false with `error` if it cannot, or if
// the path is not a directory.
bool ensure_data_dir(const std::string& path, std::string& error);

// The key file the server reads when the store holds no key: --key-file or DATA_DIR/signing-key.pem.
std::string key_file_path(const Config& config);

// After the port is known: derive the issuer, default client and redirect URIs; validate.
// Returns an error message or "".
std::string finalize_config(Config& config, int actual_port);

}  // namespace authwasm::server
