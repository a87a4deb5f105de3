#include "jose/dpop.hpp"

#include <cctype>

#include "base/base64url.hpp"
#include "base/random.hpp"
#include "base/sha256.hpp"
#include "base/url.hpp"

namespace authwasm {
namespace {

bool is_coordinate(const std::string* text) {
  if (!text) return false;
  auto bytes = base64url_decode(*text);
  return bytes && bytes.value().size() == 32;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// RFC 3986 §6.2.2.2: %xx of an unreserved character decoded, other escapes upper-cased.
std::optional<std::string> normalize_percent_encoding(std::string_view path) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      out += path[i];
      continue;
    }
    const int high = i + 2 < path.size() ? hex_digit(path[i + 1]) : -1;
    const int low = i + 2 < path.size() ? hex_digit(path[i + 2]) : -1;
    if (high < 0 || low < 0) return std::nullopt;
    const int value = high * 16 + low;
    const char c = static_cast<char>(value);
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += hex[value >> 4];
      out += hex[value & 15];
    }
    i += 2;
  }
  return out;
}

// RFC 3986 §5.2.4 remove_dot_segments, on a path that starts with '/'. `out` holds the
// segments kept so far, each with its leading '/': ".." drops the last one, and a final "." or
// ".." leaves an empty segment (a trailing '/').
std::string remove_dot_segments(std::string_view path) {
  std::string out;
  std::size_t start = 1;
  for (;;) {
    const std::size_t slash = path.find('/', start);
    const std::string_view segment = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    const bool last = slash == std::string_view::npos;
    if (segment == "..") {
      if (!out.empty()) out.resize(out.rfind('/'));
      if (last) out += '/';
    } else if (segment == ".") {
      if (last) out += '/';
    } else {
      out += '/';
      out += segment;
    }
    if (last) break;
    start = slash + 1;
  }
  return out.empty() ? "/" : out;
}

}  // namespace

Result<EcPublicJwk> EcPublicJwk::from_json(const Json& jwk) {
  if (!jwk.is_object()) return make_error(ErrorCode::invalid_argument, "the DPoP key must be a JWK object");
  if (jwk.contains("d")) return make_error(ErrorCode::invalid_argument, "the DPoP JWK must be public (it has \"d\")");
  if (!string_equals(jwk, "kty", "EC") || !string_equals(jwk, "crv", "P-256")) {
    return make_error(ErrorCode::invalid_argument, "the DPoP key must be an EC P-256 JWK");
  }
  const std::string* x = find_string(jwk, "x");
  const std::string* y = find_string(jwk, "y");
  if (!is_coordinate(x) || !is_coordinate(y)) return make_error(ErrorCode::invalid_argument, "the DPoP JWK's x and y must be 32 bytes");
  return EcPublicJwk{*x, *y};
}

Json EcPublicJwk::to_json() const {
  return object({{"crv", "P-256"}, {"kty", "EC"}, {"x", x}, {"y", y}});
}

std::string EcPublicJwk::to_json_text() const {
  JsonWriter out;
  out.string("crv", "P-256");
  out.string("kty", "EC");
  out.string("x", x);
  out.string("y", y);
  return std::move(out).close();
}

std::optional<std::string> normalize_htu(std::string_view url) {
  auto origin = url_origin(url);
  if (!origin) return std::nullopt;
  std::string scheme_and_host = *origin;
  // §6.2.3: the scheme's default port is the same as none.
  const std::string_view default_port = scheme_and_host.compare(0, 8, "https://") == 0 ? ":443" : ":80";
  if (ends_with(scheme_and_host, default_port)) scheme_and_host.resize(scheme_and_host.size() - default_port.size());
  const std::string_view without_query = url_without_query(url);
  const std::size_t authority_end = without_query.find_first_of("/", without_query.find("://") + 3);
  const std::string_view path = authority_end == std::string_view::npos ? std::string_view() : without_query.substr(authority_end);
  auto decoded = normalize_percent_encoding(path);
  if (!decoded) return std::nullopt;
  return scheme_and_host + (decoded->empty() ? std::string("/") : remove_dot_segments(*decoded));
}

std::string jwk_thumbprint(const EcPublicJwk& key) {
  return base64url_encode(sha256(key.to_json_text()));  // x and y are base64url: written as they are
}

std::string access_token_hash(std::string_view access_token) { return base64url_encode(sha256(access_token)); }

Result<std::string> dpop_signing_input(const EcPublicJwk& key, const DpopClaims& claims) {
  auto htu = normalize_htu(claims.htu);
  if (!htu) return make_error(ErrorCode::invalid_argument, "DPoP htu must be an absolute http(s) URL");
  if (claims.htm.empty()) return make_error(ErrorCode::invalid_argument, "DPoP htm must be an HTTP method");
  auto jti = random_bytes(16);
  if (!jti) return jti.error();
  JsonWriter header;
  header.string("typ", "dpop+jwt");
  header.string("alg", "ES256");
  header.raw("jwk", key.to_json_text());
  JsonWriter payload;
  payload.string("jti", base64url_encode(jti.value()));
  payload.string("htm", claims.htm);
  payload.string("htu", *htu);
  payload.number("iat", claims.iat_s);
  if (!claims.ath.empty()) payload.string("ath", claims.ath);
  if (!claims.nonce.empty()) payload.string("nonce", claims.nonce);
  return base64url_encode(std::move(header).close()) + "." + base64url_encode(std::move(payload).close());
}

Result<std::string> assemble_compact_jws(std::string_view signing_input, std::string_view signature) {
  if (signature.size() != 64) return make_error(ErrorCode::invalid_argument, "an ES256 signature is 64 bytes (r || s)");
  return std::string(signing_input) + "." + base64url_encode(signature);
}

}  // namespace authwasm
