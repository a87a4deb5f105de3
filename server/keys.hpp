// The server's ES256 signing keys (RFC 7518 §3.4): a P-256 key, its public JWK and its RFC
// 7638 thumbprint `kid`. Keys live in the store (key_ring.hpp, server/README.md "Signing keys
// and rotation"); a PEM file (--key-file) only seeds a store that holds none.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "base/json.hpp"

struct evp_pkey_st;
struct evp_pkey_ctx_st;

namespace authwasm::server {

class SigningKey {
 public:
  // Loads the PEM at `path`, or creates a new key there (mode 0600) if it does not exist.
  // On failure returns nullptr and sets `error`.
  static std::unique_ptr<SigningKey> load_or_create(const std::string& path, std::string& error);
  // Parses a PKCS#8 / SEC1 PEM private key (as the store keeps it). `what` names it in errors.
  static std::unique_ptr<SigningKey> from_pem(const std::string& pem, const std::string& what, std::string& error);
  // A new random P-256 key.
  static std::unique_ptr<SigningKey> generate(std::string& error);

  // The private key as PEM (PKCS#8), for the store. A secret: never log it.
  std::string private_pem() const;

  // JWS signature over `signing_input`: the 64-byte R || S form of RFC 7518 §3.4; empty on
  // failure. Safe to call from several threads at once.
  std::string sign(std::string_view signing_input) const;

  const std::string& kid() const { return kid_; }
  const Json& public_jwk() const { return jwk_; }  // kty crv x y kid alg use

  ~SigningKey();

 private:
  SigningKey() = default;
  // Takes ownership of `pkey`; checks that it is a P-256 key and derives kid and JWK.
  static std::unique_ptr<SigningKey> adopt(evp_pkey_st* pkey, const std::string& what, std::string& error);
  evp_pkey_st* pkey_ = nullptr;
  // A signing context prepared once (EVP_PKEY_sign_init, SHA-256): each sign() signs with a
  // copy of it (EVP_PKEY_CTX_dup), so no call repeats the provider look-ups of an init, and
  // concurrent calls only read it.
  evp_pkey_ctx_st* sign_template_ = nullptr;
  std::string kid_;
  Json jwk_;
};

// RFC 7638 §3: base64url(SHA-256 of the required members, lexicographic order, no spaces).
std::string ec_jwk_thumbprint(const std::string& x_b64, const std::string& y_b64);

}  // namespace authwasm::server
