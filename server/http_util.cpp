#include "http_util.hpp"

#include <cctype>

#include "config.hpp"
#include "tokens.hpp"

namespace authwasm::server {

void send_json(httplib::Response& res, int status, const Json& body) { send_json_text(res, status, dump_json(body)); }

void send_json_text(httplib::Response& res, int status, std::string body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_header("Pragma", "no-cache");
  res.body = std::move(body);  // what set_content does, without copying the body
  res.headers.erase("Content-Type");
  res.set_header("Content-Type", "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& error, const std::string& description) {
  send_json(res, status, Json{{"error", error}, {"error_description", description}});
}

namespace {
// RFC 6750 §3: quoted-string values may not contain '"' or '\\'; keep them printable ASCII.
std::string quoted_safe(const std::string& text) {
  std::string out;
  for (char c : text) out += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? c : ' ';
  return out;
}
}  // namespace

void send_bearer_error(httplib::Response& res, const std::string& description) {
  if (description.empty()) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"authwasm\"");
    send_error(res, 401, "invalid_token", "no bearer token");
    return;
  }
  res.set_header("WWW-Authenticate", "Bearer realm=\"authwasm\", error=\"invalid_token\", error_description=\"" +
                                         quoted_safe(description) + "\"");
  send_error(res, 401, "invalid_token", description);
}

void send_dpop_error(httplib::Response& res, int status, const std::string& error, const std::string& description) {
  std::string challenge = "DPoP ";
  if (!error.empty()) {
    challenge += "error=\"" + error + "\", error_description=\"" + quoted_safe(description) + "\", ";
  }
  res.set_header("WWW-Authenticate", challenge + "algs=\"ES256\"");
  send_error(res, status, error.empty() ? "invalid_token" : error, error.empty() ? "no access token" : description);
}

std::string read_cookie(const httplib::Request& req, const char* name) {
  const std::string wanted = std::string(name) + "=";
  const size_t count = req.get_header_value_count("Cookie");
  for (size_t n = 0; n < count; ++n) {
    const std::string header = req.get_header_value("Cookie", n);
    size_t pos = 0;
    while (pos < header.size()) {
      while (pos < header.size() && (header[pos] == ' ' || header[pos] == ';')) ++pos;
      size_t end = header.find(';', pos);
      if (end == std::string::npos) end = header.size();
      if (header.compare(pos, wanted.size(), wanted) == 0) {
        return header.substr(pos + wanted.size(), end - pos - wanted.size());
      }
      pos = end;
    }
  }
  return "";
}

void set_refresh_cookie(httplib::Response& res, const std::string& token, int64_t max_age) {
  // __Host- would need Path=/ (RFC 6265bis §4.1.3.2); a narrow Path matters more here: the
  // cookie reaches /auth/* only, never /api/* or the SPA's own routes.
  res.set_header("Set-Cookie", std::string(kRefreshCookie) + "=" + token + "; Max-Age=" +
                                   std::to_string(max_age) + "; Path=/auth; HttpOnly; Secure; SameSite=Strict");
}

void clear_refresh_cookie(httplib::Response& res) {
  res.set_header("Set-Cookie", std::string(kRefreshCookie) +
                                   "=; Max-Age=0; Path=/auth; HttpOnly; Secure; SameSite=Strict");
}

void set_session_cookie(httplib::Response& res, const std::string& session, int64_t max_age) {
  // Lax: the SPA reaches /authorize by a top-level navigation, possibly from another site.
  res.set_header("Set-Cookie", std::string(kSessionCookie) + "=" + session + "; Max-Age=" +
                                   std::to_string(max_age) + "; Path=/authorize; HttpOnly; Secure; SameSite=Lax");
}

bool origin_allowed(const Config& config, const std::string& origin) {
  for (const auto& allowed : config.allowed_origins) {
    if (allowed == origin) return true;
  }
  return false;
}

bool check_origin(const Config& config, const httplib::Request& req, httplib::Response& res, bool required) {
  if (!req.has_header("Origin")) {
    if (!required) return true;
    send_error(res, 403, "access_denied", "an Origin header is required on cookie-authenticated requests");
    return false;
  }
  if (req.get_header_value_count("Origin") != 1 || !origin_allowed(config, req.get_header_value("Origin"))) {
    send_error(res, 403, "access_denied", "Origin is not allowed");
    return false;
  }
  return true;
}

void add_cors_headers(const Config& config, const httplib::Request& req, httplib::Response& res) {
  if (req.get_header_value_count("Origin") != 1) return;
  const std::string origin = req.get_header_value("Origin");
  res.set_header("Vary", "Origin");
  if (!origin_allowed(config, origin)) return;
  res.set_header("Access-Control-Allow-Origin", origin);
  res.set_header("Access-Control-Allow-Credentials", "true");
  // DPoP-Nonce: the client must read it to answer use_dpop_nonce (RFC 9449 §8, §9).
  res.set_header("Access-Control-Expose-Headers", "WWW-Authenticate, DPoP-Nonce");
}

AuthorizationHeader authorization_header(const httplib::Request& req) {
  AuthorizationHeader out;
  const size_t count = req.get_header_value_count("Authorization");
  out.present = count > 0;
  if (count != 1) return out;
  const std::string value = req.get_header_value("Authorization");
  const size_t space = value.find(' ');
  if (space == std::string::npos || space == 0 || space + 1 >= value.size()) return out;
  std::string token = value.substr(space + 1);
  if (token.find_first_of(" ,\t") != std::string::npos) return out;  // one token68 (RFC 9110 §11.4)
  out.scheme = value.substr(0, space);
  for (char& c : out.scheme) c = char(std::tolower(static_cast<unsigned char>(c)));  // RFC 9110 §11.1
  out.token = std::move(token);
  return out;
}

std::optional<std::string> single_param(const httplib::Request& req, const char* name, bool& duplicated) {
  const size_t count = req.get_param_value_count(name);
  if (count == 0) return std::nullopt;
  if (count > 1) duplicated = true;
  return req.get_param_value(name);
}

bool is_json_request(const httplib::Request& req) {
  const std::string type = req.get_header_value("Content-Type");
  return type.rfind("application/json", 0) == 0;
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string url_encode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += char(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace authwasm::server
