// Token endpoint responses (RFC 6749 §5.1/§5.2) and ID token claims (OIDC Core §3.1.3.7,
// §12.2). Signatures are not checked here: the token came straight from the token endpoint
// over TLS (OIDC Core §3.1.3.7 step 6); the opt-in verifier module adds JWS checks.
#pragma once
#include <string>

#include "oauth/client_config.hpp"
#include "base/http.hpp"
#include "base/json.hpp"
#include "base/result.hpp"

namespace authwasm {

struct Clock {
  long long wall_ms = 0;  // Unix time in ms: for JWT NumericDates
  long long mono_ms = 0;  // monotonic (performance.now): for token lifetimes
};

struct TokenSet {
  std::string access_token;
  long long lifetime_ms = 0;         // expires_in as it arrived (bounds the leeway: Session::freshness)
  long long expires_at_mono_ms = 0;
  std::string scope;
  std::string id_token;
  Json id_claims;             // validated claims, or null without an ID token
  std::string refresh_token;  // memory mode only
};

struct IdTokenExpectations {
  std::string nonce;                 // required equal when non-empty (code exchange)
  const Json* previous = nullptr;    // claims of the ID token this one replaces (refresh)
  // Refresh: the nonce of the login this refresh token descends from. §12.2 binds a refreshed
  // ID token's nonce (when it has one) to the *original* authentication, which need not be
  // the ID token `previous` points at: in memory mode a tab may have adopted another tab's
  // tokens (another login, another nonce) while its refresh token stays its own.
  std::string original_nonce;
};

// Maps a non-200 answer to the error the caller should see (RFC 6749 §5.2 names).
Error token_error_from_response(const HttpResponse& response);

Result<TokenSet> parse_token_response(const ClientConfig& config, const HttpResponse& response,
                                      const IdTokenExpectations& expect, const Clock& clock);

Result<Json> validate_id_token_claims(const ClientConfig& config, const Json& header, const Json& claims,
                                      const IdTokenExpectations& expect, long long wall_ms);

}  // namespace authwasm
