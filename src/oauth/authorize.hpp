// The authorization-code redirect (RFC 6749 §4.1 with PKCE, RFC 7636; OIDC Core §3.1.2).
#pragma once
#include <string>

#include "oauth/client_config.hpp"
#include "base/http.hpp"
#include "base/json.hpp"
#include "base/result.hpp"
#include "base/url.hpp"

namespace authwasm {

struct LoginOptions {
  std::string return_to;
  std::string prompt;
  std::string dpop_jkt;  // RFC 9449 §10: binds the code to the DPoP key's thumbprint
  Params extra_params;
};

// What survives the redirect, in sessionStorage for one round trip (never tokens).
struct Transaction {
  std::string state;
  std::string nonce;
  std::string verifier;
  std::string issuer;
  std::string client_id;
  std::string redirect_uri;
  std::string return_to;
  std::string to_json_text() const;  // what from_json reads back
  static Result<Transaction> from_json(std::string_view text);
};

struct AuthorizationStart {
  std::string url;
  Transaction transaction;
};

Result<AuthorizationStart> begin_authorization(const ClientConfig& config, const LoginOptions& options);

// RFC 6749 §4.1.2 / §4.1.2.1 and RFC 9207 §2.4 checks on the URL the provider redirected to.
// Order matters: the redirect target and `state` are checked before `error` is believed,
// so a forged error cannot end anything either. Returns the authorization code.
Result<std::string> parse_callback(const ClientConfig& config, std::string_view callback_url,
                                   const Transaction& transaction);

// RFC 6749 §4.1.3 + RFC 7636 §4.5.
HttpRequest code_token_request(const ClientConfig& config, const std::string& code,
                               const Transaction& transaction);

}  // namespace authwasm
