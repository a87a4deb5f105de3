// The client's configuration, validated once at createAuthClient() time.
#pragma once
#include <string>

#include "base/json.hpp"
#include "base/result.hpp"

namespace authwasm {

enum class RefreshMode { cookie, memory };

constexpr long long kDefaultTimeoutMs = 10'000;

struct Endpoints {
  std::string authorization, token, login, refresh, logout, logout_all, userinfo, revocation,
      end_session, jwks;
};

struct ClientConfig {
  std::string issuer;
  std::string client_id;
  std::string redirect_uri;
  std::string scope = "openid profile";
  RefreshMode refresh = RefreshMode::cookie;
  Endpoints endpoints;
  long long leeway_ms = 30'000;
  long long timeout_ms = kDefaultTimeoutMs;  // every request the core describes (HttpRequest::timeout_ms)
  std::size_t max_response_bytes = 64 * 1024;
  bool require_iss_in_callback = false;  // RFC 9207: metadata says the server sends it
  bool skip_issuer_check = false;        // explicit opt-out (never the default)
  bool dpop = false;                     // RFC 9449 sender-constrained tokens (option dpop: true)
};

// From the JSON of createAuthClient's options (after discovery, when there was one).
// Endpoint defaults follow DESIGN.md §2's reference-server contract, relative to the issuer.
Result<ClientConfig> parse_client_config(const Json& options);

// The `timeoutSeconds` option (default 10 s, 0 < s <= 300) in ms; also read before discovery.
Result<long long> parse_timeout_ms(const Json& options);

}  // namespace authwasm
