#include "keys.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "base/base64url.hpp"
#include "base/sha256.hpp"

namespace authwasm::server {
namespace {

std::string openssl_error() {
  char buf[256];
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  return buf;
}

EVP_PKEY* read_pem(const std::string& path, std::string& error) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return nullptr;
  EVP_PKEY* pkey = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!pkey) error = "cannot read a private key from " + path + ": " + openssl_error();
  return pkey;
}

bool write_pem(EVP_PKEY* pkey, const std::string& path, std::string& error) {
  // O_EXCL: never overwrite; 0600: the key is a secret.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    error = "cannot create key file " + path;
    return false;
  }
  FILE* f = fdopen(fd, "wb");
  const bool ok = f && PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (f) ok ? (void)std::fflush(f) : (void)0;
  if (f) ::fsync(fd);
  if (f) std::fclose(f); else ::close(fd);
  if (!ok) error = "cannot write key file " + path;
  return ok;
}

}  // namespace

std::string ec_jwk_thumbprint(const std::string& x_b64, const std::string& y_b64) {
  const std::string canonical =
      R"({"crv":"P-256","kty":"EC","x":")" + x_b64 + R"(","y":")" + y_b64 + R"("})";
  return base64url_encode(sha256(canonical));
}

std::unique_ptr<SigningKey> SigningKey::load_or_create(const std::string& path, std::string& error) {
  EVP_PKEY* pkey = nullptr;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    pkey = read_pem(path, error);
    if (!pkey) return nullptr;
  } else {
    pkey = EVP_EC_gen("P-256");
    if (!pkey) {
      error = "cannot generate a P-256 key: " + openssl_error();
      return nullptr;
    }
    if (!write_pem(pkey, path, error)) {
      EVP_PKEY_free(pkey);
      return nullptr;
    }
  }
  return adopt(pkey, path, error);
}

std::unique_ptr<SigningKey> SigningKey::from_pem(const std::string& pem, const std::string& what, std::string& error) {
  BIO* bio = BIO_new_mem_buf(pem.data(), int(pem.size()));
  EVP_PKEY* pkey = bio ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (!pkey) {
    error = "cannot read the private key of " + what + ": " + openssl_error();
    return nullptr;
  }
  return adopt(pkey, what, error);
}

std::unique_ptr<SigningKey> SigningKey::generate(std::string& error) {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  if (!pkey) {
    error = "cannot generate a P-256 key: " + openssl_error();
    return nullptr;
  }
  return adopt(pkey, "a new key", error);
}

std::unique_ptr<SigningKey> SigningKey::adopt(EVP_PKEY* pkey, const std::string& what, std::string& error) {
  if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC) {
    EVP_PKEY_free(pkey);
    error = what + " is not an EC key (ES256 needs P-256)";
    return nullptr;
  }
  char group[64] = {};
  size_t group_len = 0;
  unsigned char point[65];
  size_t point_len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &group_len) != 1 ||
      std::string(group) != "prime256v1" ||
      EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point, sizeof point,
                                      &point_len) != 1 ||
      point_len != 65 || point[0] != 0x04) {
    EVP_PKEY_free(pkey);
    error = what + " is not a P-256 key";
    return nullptr;
  }
  std::unique_ptr<SigningKey> key(new SigningKey());
  key->pkey_ = pkey;
  key->sign_template_ = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
  if (!key->sign_template_ || EVP_PKEY_sign_init(key->sign_template_) != 1 ||
      EVP_PKEY_CTX_set_signature_md(key->sign_template_, EVP_sha256()) != 1) {
    error = "cannot prepare signing with " + what + ": " + openssl_error();
    return nullptr;
  }
  const std::string x = base64url_encode(std::string_view(reinterpret_cast<char*>(point + 1), 32));
  const std::string y = base64url_encode(std::string_view(reinterpret_cast<char*>(point + 33), 32));
  key->kid_ = ec_jwk_thumbprint(x, y);
  key->jwk_ = Json{{"kty", "EC"}, {"crv", "P-256"}, {"x", x},           {"y", y},
                   {"kid", key->kid_}, {"alg", "ES256"}, {"use", "sig"}};
  return key;
}

std::string SigningKey::private_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  std::string pem;
  if (bio && PEM_write_bio_PrivateKey(bio, pkey_, nullptr, nullptr, 0, nullptr, nullptr) == 1) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    if (data && len > 0) pem.assign(data, size_t(len));
  }
  BIO_free(bio);
  return pem;
}

SigningKey::~SigningKey() {
  EVP_PKEY_CTX_free(sign_template_);
  EVP_PKEY_free(pkey_);
}

std::string SigningKey::sign(std::string_view input) const {
  // ES256 signs the SHA-256 of the signing input (RFC 7518 §3.4). EVP_PKEY_CTX_dup only reads
  // the template, so worker threads signing at once need no lock.
  const std::string digest = sha256(input);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_dup(sign_template_);
  unsigned char der[80];
  size_t der_len = sizeof der;
  std::string raw;
  if (ctx && EVP_PKEY_sign(ctx, der, &der_len, reinterpret_cast<const unsigned char*>(digest.data()),
                           digest.size()) == 1) {
    const unsigned char* p = der;
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, long(der_len));
    if (sig) {
      raw.assign(64, '\0');
      // RFC 7518 §3.4: R and S as 32-byte big-endian octet sequences, left-padded.
      BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
      BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
      ECDSA_SIG_free(sig);
    }
  }
  EVP_PKEY_CTX_free(ctx);
  return raw;
}

}  // namespace authwasm::server
