// Sans-I/O HTTP: the core describes requests and consumes responses; js/ runs fetch().
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/json.hpp"

namespace authwasm {

struct HttpRequest {
  // Literals (static storage), not std::string: every request would construct and destroy them.
  std::string_view method = "GET";
  std::string url;
  // Headers: every request asks for JSON (Accept: application/json), and has these when set.
  const char* content_type = nullptr;  // a literal
  std::string authorization;
  std::string body;
  // fetch()'s credentials mode: "include" sends and accepts cookies cross-origin (the
  // HttpOnly refresh cookie), "same-origin", or "omit" (OpenID Providers: no cookies).
  std::string_view credentials = "same-origin";
  // The deadline js/ enforces with an AbortSignal (client option timeoutSeconds): past it the
  // call fails with `timeout` and nothing changes. 0: none.
  long long timeout_ms = 0;
  // RFC 9449: js/ adds a DPoP proof for this method and URL: the token endpoint's requests,
  // and (`dpop_ath`, §7.1) a resource request that carries the access token (logout-all).
  bool dpop = false;
  bool dpop_ath = false;
};

// Only what the client looks at. JS caps the body before handing it over.
struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string www_authenticate;
  std::string body;
  bool truncated = false;  // the body exceeded the cap and was cut off by JS
  std::string dpop_nonce;  // the DPoP-Nonce header (RFC 9449 §8), when the server sent one
};

// {method, url, headers, credentials, body?, timeoutMs?, dpop?, dpopAth?} as JSON text, for js/.
std::string to_json_text(const HttpRequest& request);
// From the {status, contentType, wwwAuthenticate, body, truncated} object js/ sends.
HttpResponse http_response_from_json(const Json& object);

// "application/json" and "application/json; charset=utf-8", also "+json" types (RFC 6839).
bool is_json_content_type(const std::string& content_type);

}  // namespace authwasm
