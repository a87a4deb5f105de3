#include "jose/jws_verify.hpp"

#include "base/base64url.hpp"

namespace authwasm {
namespace {

Error key_error(std::string message) { return make_error(ErrorCode::invalid_argument, std::move(message)); }
Error jws_error(std::string message) { return make_error(ErrorCode::invalid_jwt, std::move(message)); }

Result<std::string> member_bytes(const Json& jwk, const char* name) {
  auto text = get_string(jwk, name);
  if (!text) return key_error(std::string("JWK has no string \"") + name + "\"");
  auto bytes = base64url_decode(*text);
  if (!bytes) return key_error(std::string("JWK \"") + name + "\" is not base64url");
  return bytes;
}

// The bit length of a big-endian unsigned integer (leading zero bytes allowed).
std::size_t bit_length(std::string_view bytes) {
  std::size_t i = 0;
  while (i < bytes.size() && bytes[i] == '\0') ++i;
  if (i == bytes.size()) return 0;
  std::size_t bits = (bytes.size() - i) * 8;
  for (auto top = static_cast<unsigned char>(bytes[i]); top < 0x80; top <<= 1) --bits;
  return bits;
}

bool is_odd(std::string_view bytes) { return !bytes.empty() && (bytes.back() & 1); }

// RFC 7518 §6.2.1: P-256 public key from x and y (each exactly 32 bytes, §6.2.1.2/3).
Result<JwsPublicKeyPtr> ec_key(const Json& jwk) {
  if (get_string(jwk, "crv") != std::optional<std::string>("P-256")) {
    return key_error("only EC keys on crv \"P-256\" are supported");
  }
  auto x = member_bytes(jwk, "x");
  if (!x) return x.error();
  auto y = member_bytes(jwk, "y");
  if (!y) return y.error();
  if (x.value().size() != 32 || y.value().size() != 32) {
    return key_error("P-256 JWK coordinates must be 32 bytes each (RFC 7518 §6.2.1.2)");
  }
  return p256_public_key(x.value(), y.value());
}

// RFC 7518 §6.3.1: RSA public key from n and e; at least 2048 bits (§3.3).
Result<JwsPublicKeyPtr> rsa_key(const Json& jwk) {
  auto n = member_bytes(jwk, "n");
  if (!n) return n.error();
  auto e = member_bytes(jwk, "e");
  if (!e) return e.error();
  const std::size_t bits = bit_length(n.value());
  if (bits < 2048) return key_error("RSA JWK modulus is shorter than 2048 bits");
  if (bits > 16384) return key_error("RSA JWK modulus is too long");
  if (!is_odd(n.value())) return key_error("RSA JWK modulus is even");
  // e = 1 would make every message its own signature (RFC 8017 §3.1: 3 <= e <= n - 1).
  if (!is_odd(e.value()) || bit_length(e.value()) < 2 || bit_length(e.value()) >= bits) {
    return key_error("RSA JWK exponent is invalid");
  }
  return rsa_public_key(n.value(), e.value());
}

}  // namespace

std::optional<JwsAlgorithm> jws_algorithm_from_name(std::string_view name) {
  if (name == "ES256") return JwsAlgorithm::ES256;
  if (name == "RS256") return JwsAlgorithm::RS256;
  return std::nullopt;
}

const char* jws_algorithm_name(JwsAlgorithm alg) {
  return alg == JwsAlgorithm::ES256 ? "ES256" : "RS256";
}

Result<JwsKey> JwsKey::from_jwk(const Json& jwk) {
  if (!jwk.is_object()) return key_error("JWK must be a JSON object");
  auto kty = get_string(jwk, "kty");
  if (!kty) return key_error("JWK has no string \"kty\"");
  if (jwk.contains("use") && get_string(jwk, "use") != std::optional<std::string>("sig")) {
    return key_error("JWK \"use\" is not \"sig\" (RFC 7517 §4.2)");
  }
  JwsKey key;
  if (*kty == "EC") {
    auto public_key = ec_key(jwk);
    if (!public_key) return public_key.error();
    key.public_key_ = std::move(public_key).value();
    key.alg_ = JwsAlgorithm::ES256;
  } else if (*kty == "RSA") {
    auto public_key = rsa_key(jwk);
    if (!public_key) return public_key.error();
    key.public_key_ = std::move(public_key).value();
    key.alg_ = JwsAlgorithm::RS256;
  } else {
    return key_error("JWK \"kty\" must be \"EC\" or \"RSA\"");
  }
  if (jwk.contains("alg")) {  // RFC 7517 §4.4: the key is for that algorithm only
    auto name = get_string(jwk, "alg");
    auto alg = name ? jws_algorithm_from_name(*name) : std::nullopt;
    if (!alg || *alg != key.alg_) return key_error("JWK \"alg\" is unsupported or does not fit its kty");
    key.alg_pinned_ = true;
  }
  if (jwk.contains("kid")) {
    auto kid = get_string(jwk, "kid");
    if (!kid) return key_error("JWK \"kid\" must be a string");
    key.kid_ = *kid;
  }
  return key;
}

Result<JwkSet> JwkSet::from_json(const Json& jwks) {
  if (!jwks.is_object()) return key_error("JWK Set must be a JSON object");
  auto it = jwks.find("keys");
  if (it == jwks.end() || !it->is_array()) return key_error("JWK Set has no \"keys\" array (RFC 7517 §5.1)");
  JwkSet set;
  for (const Json& jwk : *it) {
    auto key = JwsKey::from_jwk(jwk);
    if (key) set.keys_.push_back(std::move(key).value());
  }
  if (set.keys_.empty()) return key_error("JWK Set has no usable ES256/RS256 signing key");
  return set;
}

JwkSet JwkSet::of(std::vector<JwsKey> keys) {
  JwkSet set;
  set.keys_ = std::move(keys);
  return set;
}

bool verify_jws_signature(const DecodedJwt& jwt, const JwsKey& key, JwsAlgorithm alg) {
  // The key's algorithm follows from its kty (and a pinned "alg" must agree with it).
  if (key.algorithm() != alg) return false;
  if (alg == JwsAlgorithm::ES256) {
    if (jwt.signature.size() != 64) return false;  // RFC 7518 §3.4: exactly 64 octets, not DER
    return es256_verify(key.public_key(), jwt.signing_input, jwt.signature);
  }
  return rs256_verify(key.public_key(), jwt.signing_input, jwt.signature);
}

Result<DecodedJwt> verify_jws(std::string_view token, const JwkSet& keys,
                              const std::vector<JwsAlgorithm>& allowed) {
  auto decoded = decode_jwt(token);
  if (!decoded) return decoded.error();
  const DecodedJwt& jwt = decoded.value();
  const std::string alg_name = get_string(jwt.header, "alg").value_or("");
  const auto alg = jws_algorithm_from_name(alg_name);
  bool permitted = false;
  for (JwsAlgorithm a : allowed) permitted = permitted || (alg && a == *alg);
  if (!permitted) {  // includes "none" (RFC 8725 §3.2) and any HMAC algorithm
    return jws_error("JWT \"alg\" is not in the allow-list");
  }
  const JwsKey* chosen = nullptr;
  if (jwt.header.contains("kid")) {
    auto kid = get_string(jwt.header, "kid");
    if (!kid) return jws_error("JWT header \"kid\" must be a string");
    for (const JwsKey& key : keys.keys()) {
      if (key.kid() == *kid && key.algorithm() == *alg) chosen = &key;
    }
    if (!chosen) return jws_error("no key with the JWT's \"kid\"");
  } else {
    // No kid: only unambiguous when exactly one key of the right type exists.
    int count = 0;
    for (const JwsKey& key : keys.keys()) {
      if (key.algorithm() == *alg) {
        chosen = &key;
        ++count;
      }
    }
    if (count != 1) return jws_error("JWT has no \"kid\" and the key is ambiguous or missing");
  }
  if (!verify_jws_signature(jwt, *chosen, *alg)) return jws_error("JWT signature is invalid");
  return decoded;
}

}  // namespace authwasm
