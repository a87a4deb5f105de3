// Reading a 401's WWW-Authenticate (RFC 7235 §4.1, RFC 6750 §3).
#pragma once
#include <string_view>

namespace authwasm {

// True when the server says the access token itself is the problem: a Bearer challenge with
// error="invalid_token" (RFC 6750 §3.1), or the bare `token_expired` some servers send.
// insufficient_scope, invalid_request and other schemes are not reasons to refresh.
bool says_invalid_token(std::string_view www_authenticate);

}  // namespace authwasm
