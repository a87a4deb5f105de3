// OpenID Connect Discovery 1.0 (§4) and OAuth 2.0 Authorization Server Metadata (RFC 8414):
// the request for the provider's metadata, and the checks that fold it into the options that
// parse_client_config() then validates. Also the endpoints JS needs for I/O it runs itself
// (JWKS for the opt-in verifier, UserInfo) and the UserInfo answer's checks.
#pragma once
#include <string_view>

#include "oauth/client_config.hpp"
#include "base/http.hpp"
#include "base/json.hpp"
#include "base/result.hpp"

namespace authwasm {

class Session;

// GET {issuer without trailing '/'}/.well-known/openid-configuration (Discovery §4.1).
HttpRequest discovery_request(std::string_view issuer);

// Validates the metadata answer and returns `options` with the provider's endpoints filled in
// (explicit `options.endpoints` entries win) and `requireIssInCallback` set when the
// provider promises RFC 9207's `iss`. Errors: invalid_response (malformed, mistyped, too
// large, bad endpoint URLs), configuration (issuer mismatch, no PKCE S256), server_error (5xx).
Result<Json> apply_discovery(const Json& options, const HttpResponse& response);

// The endpoints of a configured client, absolute ("" when absent).
std::string endpoints_json_text(const ClientConfig& config);

// OIDC Core §5.3.2: a UserInfo answer is a JSON object whose `sub` equals the session's user's
// `sub`; otherwise it MUST NOT be used.
Result<Json> accept_userinfo(const Session& session, const HttpResponse& response);

}  // namespace authwasm
