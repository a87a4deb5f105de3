// HTTP plumbing shared by the routes: JSON responses and errors, cookies, the Origin
// allow-list and CORS, the Authorization header (Bearer or DPoP), single-valued parameters.
#pragma once
#include <optional>
#include <string>

#include <httplib.h>

#include "base/json.hpp"

namespace authwasm::server {

struct Config;

constexpr const char* kRefreshCookie = "authwasm_rt";      // Path=/auth
constexpr const char* kSessionCookie = "authwasm_session";  // Path=/authorize

// 200-style JSON answer with Cache-Control: no-store (RFC 6749 §5.1).
void send_json(httplib::Response& res, int status, const Json& body);
// The same with the body already written (JsonWriter).
void send_json_text(httplib::Response& res, int status, std::string body);
// {error, error_description} (RFC 6749 §5.2 names where they fit).
void send_error(httplib::Response& res, int status, const std::string& error, const std::string& description);
// 401 + WWW-Authenticate: Bearer error="invalid_token", error_description="..." (RFC 6750 §3).
// An empty `description` means the request had no credentials at all (§3.1: no error code).
void send_bearer_error(httplib::Response& res, const std::string& description);
// `status` + WWW-Authenticate: DPoP error="...", error_description="...", algs="ES256"
// (RFC 9449 §7.1; error invalid_token, invalid_dpop_proof or use_dpop_nonce). An empty
// `error` is the bare challenge for a request without credentials.
void send_dpop_error(httplib::Response& res, int status, const std::string& error, const std::string& description);

// The first value of cookie `name` in the Cookie header (RFC 6265 §5.4), or "".
std::string read_cookie(const httplib::Request& req, const char* name);
// Set-Cookie for the refresh token: HttpOnly; Secure; SameSite=Strict; Path=/auth.
void set_refresh_cookie(httplib::Response& res, const std::string& token, int64_t max_age);
void clear_refresh_cookie(httplib::Response& res);
void set_session_cookie(httplib::Response& res, const std::string& session, int64_t max_age);

// Origin allow-list. `required`: a request without Origin is refused too (cookie endpoints).
// Answers 403 itself and returns false when the request must stop.
bool check_origin(const Config& config, const httplib::Request& req, httplib::Response& res, bool required);
bool origin_allowed(const Config& config, const std::string& origin);
// CORS with credentials for listed origins only (Fetch standard, "CORS protocol").
void add_cors_headers(const Config& config, const httplib::Request& req, httplib::Response& res);

// The one Authorization header as scheme (lower-cased: "bearer", "dpop", ...) and token.
// `present` is false without the header; scheme and token are empty when it is malformed
// or repeated.
struct AuthorizationHeader {
  bool present = false;
  std::string scheme, token;
};
AuthorizationHeader authorization_header(const httplib::Request& req);

// A parameter that must appear at most once (RFC 6749 §3.1). Returns nullopt if absent;
// sets `duplicated` if it appears more than once.
std::optional<std::string> single_param(const httplib::Request& req, const char* name, bool& duplicated);

bool is_json_request(const httplib::Request& req);

std::string html_escape(const std::string& text);
std::string url_encode(const std::string& text);

}  // namespace authwasm::server
