// Reading a 401's WWW-Authenticate (RFC 7235 §4.1, RFC 6750 §3).
#pragma once
#include <string_view>

namespace authwasm {

// True when the server says the access token itself is the problem: a Bearer challenge with
// error="invalid_token" (RFC 6750 §3.1), or the bare `token_expired` some servers send.
// insufficient_scope, invalid_request and other schemes are not reasons to refresh.
// Also `DPoP error="invalid_token"` (RFC 9449 §7.1).
bool says_invalid_token(std::string_view www_authenticate);

// RFC 9449 §9: a resource server's `DPoP error="use_dpop_nonce"` challenge.
bool says_use_dpop_nonce(std::string_view www_authenticate);

}  // namespace authwasm
