// jws_backend.hpp with only OpenSSL's BN arithmetic: the verification equations written out,
// P-256 point arithmetic included. This is the wasm verifier module's implementation: EVP,
// EC_GROUP_new_by_curve_name (the objects table), RSA_new/EC_KEY_new (ex_data) and the EC
// method tables (blinding through the DRBG) all reach OpenSSL 3's provider machinery, ~400 KB
// gzip of wasm, and even EC_POINT on an explicit group links every EC method (signing, ECDH,
// key generation, the ladder, the NIST reductions): ~20 KB of wasm this file does without.
// Nothing here handles a secret (it is public-key verification), so constant time does not
// matter; every range check does.
// Also built natively (jws_bn_tests), so one suite runs against both implementations.
#include <openssl/bn.h>

#include <string>
#include <utility>

#include "jose/jws_backend.hpp"
#include "base/sha256.hpp"

namespace authwasm {
namespace {

struct BnFree { void operator()(BIGNUM* p) const { BN_free(p); } };
struct BnCtxFree { void operator()(BN_CTX* p) const { BN_CTX_free(p); } };
using Bn = std::unique_ptr<BIGNUM, BnFree>;
using BnCtx = std::unique_ptr<BN_CTX, BnCtxFree>;

Error key_error(std::string message) { return make_error(ErrorCode::invalid_argument, std::move(message)); }

const unsigned char* bytes_of(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
Bn to_bn(std::string_view bytes) { return Bn(BN_bin2bn(bytes_of(bytes), int(bytes.size()), nullptr)); }
Bn new_bn() { return Bn(BN_new()); }

// r = base^exponent mod m, left to right (public operands only). Also gives inverses modulo a
// prime by Fermat's little theorem: a^(m-2) = a⁻¹ (mod m).
bool mod_exp(BIGNUM* r, const BIGNUM* base, const BIGNUM* exponent, const BIGNUM* m, BN_CTX* ctx) {
  Bn acc = new_bn(), b = new_bn();
  if (!acc || !b || !BN_one(acc.get()) || !BN_nnmod(b.get(), base, m, ctx)) return false;
  for (int i = BN_num_bits(exponent) - 1; i >= 0; --i) {
    if (!BN_mod_mul(acc.get(), acc.get(), acc.get(), m, ctx)) return false;
    if (BN_is_bit_set(exponent, i) && !BN_mod_mul(acc.get(), acc.get(), b.get(), m, ctx)) return false;
  }
  return BN_copy(r, acc.get()) != nullptr;
}

// ------------------------------------------------------------------ P-256 (SEC 2 §2.4.2)
const char kP256[] =  // p, b, Gx, Gy, n: 32 big-endian bytes each (FIPS 186-4 D.1.2.3)
    "\xff\xff\xff\xff\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
    "\x5a\xc6\x35\xd8\xaa\x3a\x93\xe7\xb3\xeb\xbd\x55\x76\x98\x86\xbc\x65\x1d\x06\xb0\xcc\x53\xb0\xf6\x3b\xce\x3c\x3e\x27\xd2\x60\x4b"
    "\x6b\x17\xd1\xf2\xe1\x2c\x42\x47\xf8\xbc\xe6\xe5\x63\xa4\x40\xf2\x77\x03\x7d\x81\x2d\xeb\x33\xa0\xf4\xa1\x39\x45\xd8\x98\xc2\x96"
    "\x4f\xe3\x42\xe2\xfe\x1a\x7f\x9b\x8e\xe7\xeb\x4a\x7c\x0f\x9e\x16\x2b\xce\x33\x57\x6b\x31\x5e\xce\xcb\xb6\x40\x68\x37\xbf\x51\xf5"
    "\xff\xff\xff\xff\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xbc\xe6\xfa\xad\xa7\x17\x9e\x84\xf3\xb9\xca\xc2\xfc\x63\x25\x51";
enum P256Constant { kPrime, kB, kGx, kGy, kOrder };
Bn p256_constant(P256Constant which) { return to_bn(std::string_view(kP256 + 32 * which, 32)); }

// A point in Jacobian coordinates (X/Z², Y/Z³); Z = 0 is the point at infinity.
struct Jacobian {
  Bn x = new_bn(), y = new_bn(), z = new_bn();
  bool ok() const { return x && y && z; }
  bool infinity() const { return BN_is_zero(z.get()); }
};

// Field arithmetic mod p on P-256, a = -3. Every operation returns false on allocation failure.
class P256Field {
 public:
  explicit P256Field(BN_CTX* ctx) : ctx_(ctx), p_(p256_constant(kPrime)) {}
  bool ok() const { return ctx_ && p_; }
  const BIGNUM* p() const { return p_.get(); }

  // y² = x³ - 3x + b (SEC 1 §3.2.2.1 step 3), for x, y already in [0, p-1].
  bool on_curve(const BIGNUM* x, const BIGNUM* y) {
    Bn lhs = new_bn(), rhs = new_bn(), t = new_bn(), b = p256_constant(kB);
    return lhs && rhs && t && b && mul(lhs.get(), y, y) && mul(rhs.get(), x, x) && mul(rhs.get(), rhs.get(), x) &&
           BN_set_word(t.get(), 3) && mul(t.get(), t.get(), x) && sub(rhs.get(), rhs.get(), t.get()) &&
           add(rhs.get(), rhs.get(), b.get()) && BN_cmp(lhs.get(), rhs.get()) == 0;
  }

  bool from_affine(Jacobian& r, const BIGNUM* x, const BIGNUM* y) {
    return BN_copy(r.x.get(), x) && BN_copy(r.y.get(), y) && BN_one(r.z.get());
  }

  // dbl-2001-b (a = -3): δ = Z², γ = Y², β = Xγ, α = 3(X-δ)(X+δ),
  // X' = α² - 8β, Z' = (Y+Z)² - γ - δ, Y' = α(4β - X') - 8γ².
  bool dbl(Jacobian& r, const Jacobian& a) {
    if (a.infinity()) return BN_zero(r.z.get()), true;
    Bn delta = new_bn(), gamma = new_bn(), beta = new_bn(), alpha = new_bn(), t = new_bn();
    return delta && gamma && beta && alpha && t && mul(delta.get(), a.z.get(), a.z.get()) &&
           mul(gamma.get(), a.y.get(), a.y.get()) && mul(beta.get(), a.x.get(), gamma.get()) &&
           sub(t.get(), a.x.get(), delta.get()) && add(alpha.get(), a.x.get(), delta.get()) &&
           mul(alpha.get(), alpha.get(), t.get()) && small(alpha.get(), alpha.get(), 3) &&
           add(t.get(), a.y.get(), a.z.get()) && mul(r.z.get(), t.get(), t.get()) &&
           sub(r.z.get(), r.z.get(), gamma.get()) && sub(r.z.get(), r.z.get(), delta.get()) &&
           mul(r.x.get(), alpha.get(), alpha.get()) && small(t.get(), beta.get(), 8) &&
           sub(r.x.get(), r.x.get(), t.get()) && small(beta.get(), beta.get(), 4) &&
           sub(beta.get(), beta.get(), r.x.get()) && mul(r.y.get(), alpha.get(), beta.get()) &&
           mul(gamma.get(), gamma.get(), gamma.get()) && small(gamma.get(), gamma.get(), 8) &&
           sub(r.y.get(), r.y.get(), gamma.get());
  }

  // add-1998-cmo-2 with the exceptional cases: U1 = X1Z2², U2 = X2Z1², S1 = Y1Z2³, S2 = Y2Z1³,
  // H = U2 - U1, R = S2 - S1; H = 0 means a = ±b (double, or the point at infinity);
  // X3 = R² - H³ - 2U1H², Y3 = R(U1H² - X3) - S1H³, Z3 = Z1Z2H.
  bool add_points(Jacobian& r, const Jacobian& a, const Jacobian& b) {
    if (a.infinity()) return copy(r, b);
    if (b.infinity()) return copy(r, a);
    Bn u1 = new_bn(), u2 = new_bn(), s1 = new_bn(), s2 = new_bn(), t = new_bn();
    if (!u1 || !u2 || !s1 || !s2 || !t || !mul(t.get(), b.z.get(), b.z.get()) || !mul(u1.get(), a.x.get(), t.get()) ||
        !mul(t.get(), t.get(), b.z.get()) || !mul(s1.get(), a.y.get(), t.get()) ||
        !mul(t.get(), a.z.get(), a.z.get()) || !mul(u2.get(), b.x.get(), t.get()) ||
        !mul(t.get(), t.get(), a.z.get()) || !mul(s2.get(), b.y.get(), t.get()) ||
        !sub(u2.get(), u2.get(), u1.get()) || !sub(s2.get(), s2.get(), s1.get())) {
      return false;
    }
    BIGNUM* h = u2.get();
    BIGNUM* rr = s2.get();
    if (BN_is_zero(h)) {
      if (BN_is_zero(rr)) return dbl(r, a);
      return BN_zero(r.z.get()), true;
    }
    Bn h2 = new_bn(), h3 = new_bn();
    return h2 && h3 && mul(r.z.get(), a.z.get(), b.z.get()) && mul(r.z.get(), r.z.get(), h) &&
           mul(h2.get(), h, h) && mul(h3.get(), h2.get(), h) && mul(u1.get(), u1.get(), h2.get()) &&
           mul(r.x.get(), rr, rr) && sub(r.x.get(), r.x.get(), h3.get()) && small(t.get(), u1.get(), 2) &&
           sub(r.x.get(), r.x.get(), t.get()) && sub(u1.get(), u1.get(), r.x.get()) &&
           mul(u1.get(), u1.get(), rr) && mul(s1.get(), s1.get(), h3.get()) && sub(r.y.get(), u1.get(), s1.get());
  }

  // The affine x coordinate X/Z² of a finite point.
  bool affine_x(BIGNUM* x, const Jacobian& a) {
    Bn z2 = new_bn(), exponent = new_bn();
    return z2 && exponent && mul(z2.get(), a.z.get(), a.z.get()) && BN_copy(exponent.get(), p_.get()) &&
           BN_sub_word(exponent.get(), 2) && mod_exp(z2.get(), z2.get(), exponent.get(), p_.get(), ctx_) &&
           mul(x, a.x.get(), z2.get());
  }

 private:
  bool mul(BIGNUM* r, const BIGNUM* a, const BIGNUM* b) { return BN_mod_mul(r, a, b, p_.get(), ctx_); }
  bool add(BIGNUM* r, const BIGNUM* a, const BIGNUM* b) { return BN_mod_add(r, a, b, p_.get(), ctx_); }
  bool sub(BIGNUM* r, const BIGNUM* a, const BIGNUM* b) { return BN_mod_sub(r, a, b, p_.get(), ctx_); }
  bool small(BIGNUM* r, const BIGNUM* a, BN_ULONG k) { return BN_copy(r, a) && BN_mul_word(r, k) && BN_nnmod(r, r, p_.get(), ctx_); }
  static bool copy(Jacobian& r, const Jacobian& a) {
    return BN_copy(r.x.get(), a.x.get()) && BN_copy(r.y.get(), a.y.get()) && BN_copy(r.z.get(), a.z.get());
  }

  BN_CTX* ctx_;
  Bn p_;
};

// u1·G + u2·Q in one pass over the bits (Shamir's trick; public scalars, so no ladder).
bool twin_multiply(P256Field& field, Jacobian& r, const BIGNUM* u1, const Jacobian& g, const BIGNUM* u2,
                   const Jacobian& q) {
  Jacobian g_plus_q, t;
  if (!g_plus_q.ok() || !t.ok() || !field.add_points(g_plus_q, g, q)) return false;
  BN_zero(r.z.get());
  const int bits = BN_num_bits(u1) > BN_num_bits(u2) ? BN_num_bits(u1) : BN_num_bits(u2);
  for (int i = bits - 1; i >= 0; --i) {
    if (!field.dbl(t, r)) return false;
    const bool a = BN_is_bit_set(u1, i), b = BN_is_bit_set(u2, i);
    const Jacobian* addend = a && b ? &g_plus_q : a ? &g : b ? &q : nullptr;
    if (!addend) {
      std::swap(r, t);
    } else if (!field.add_points(r, t, *addend)) {
      return false;
    }
  }
  return true;
}

// ------------------------------------------------------------------ RSA (RFC 8017)
// RFC 8017 §9.2 note 1: the DER DigestInfo prefix for SHA-256.
constexpr char kSha256DigestInfo[] = "\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20";

// RFC 8017 §9.2 EMSA-PKCS1-v1_5-ENCODE: 00 01 FF…FF 00 || DigestInfo || H, k bytes long.
std::string pkcs1_v15_sha256_encoding(std::string_view message, std::size_t k) {
  const std::string digest_info = std::string(kSha256DigestInfo, sizeof kSha256DigestInfo - 1) + sha256(message);
  std::string em(k - digest_info.size(), '\xff');  // k ≥ 256: far more than §9.2's 8 bytes of FF
  em[0] = '\0';
  em[1] = '\x01';
  em.back() = '\0';
  return em + digest_info;
}

}  // namespace

struct JwsPublicKey {
  Bn x, y;  // ES256: Q, affine, on P-256
  Bn n, e;  // RS256
};

Result<JwsPublicKeyPtr> p256_public_key(std::string_view x, std::string_view y) {
  BnCtx ctx(BN_CTX_new());
  P256Field field(ctx.get());
  auto key = std::make_shared<JwsPublicKey>();
  key->x = to_bn(x);
  key->y = to_bn(y);
  if (!field.ok() || !key->x || !key->y) return key_error("out of memory");
  // SEC 1 §3.2.2.1: coordinates in [0, p-1] and the point on the curve. The cofactor is 1, so
  // that also puts it in the group of order n; an affine point is never the point at infinity.
  if (BN_cmp(key->x.get(), field.p()) >= 0 || BN_cmp(key->y.get(), field.p()) >= 0 ||
      !field.on_curve(key->x.get(), key->y.get())) {
    return key_error("EC JWK point is not on P-256");
  }
  return JwsPublicKeyPtr(std::move(key));
}

Result<JwsPublicKeyPtr> rsa_public_key(std::string_view n, std::string_view e) {
  auto key = std::make_shared<JwsPublicKey>();
  key->n = to_bn(n);
  key->e = to_bn(e);
  if (!key->n || !key->e) return key_error("out of memory");
  return JwsPublicKeyPtr(std::move(key));
}

// SEC 1 §4.1.4 (ECDSA verification), with SHA-256 and P-256 (RFC 7518 §3.4).
bool es256_verify(const JwsPublicKey& key, std::string_view signing_input, std::string_view r_s) {
  if (!key.x || !key.y || r_s.size() != 64) return false;
  BnCtx ctx(BN_CTX_new());
  P256Field field(ctx.get());
  Bn n = p256_constant(kOrder), gx = p256_constant(kGx), gy = p256_constant(kGy);
  Bn r = to_bn(r_s.substr(0, 32)), s = to_bn(r_s.substr(32)), e = to_bn(sha256(signing_input));
  Bn w = new_bn(), u1 = new_bn(), u2 = new_bn(), x = new_bn(), exponent = new_bn();
  Jacobian g, q, sum;
  if (!field.ok() || !n || !gx || !gy || !r || !s || !e || !w || !u1 || !u2 || !x || !exponent || !g.ok() ||
      !q.ok() || !sum.ok()) {
    return false;
  }
  // Step 1: r and s in [1, n-1].
  if (BN_is_zero(r.get()) || BN_is_zero(s.get()) || BN_cmp(r.get(), n.get()) >= 0 || BN_cmp(s.get(), n.get()) >= 0) return false;
  // Steps 2-4: e = H(M) (256 bits: no truncation), w = s⁻¹ = s^(n-2) (n is prime),
  // u1 = e·w, u2 = r·w mod n.
  if (!BN_copy(exponent.get(), n.get()) || !BN_sub_word(exponent.get(), 2) ||
      !mod_exp(w.get(), s.get(), exponent.get(), n.get(), ctx.get()) ||
      !BN_mod_mul(u1.get(), e.get(), w.get(), n.get(), ctx.get()) ||
      !BN_mod_mul(u2.get(), r.get(), w.get(), n.get(), ctx.get())) {
    return false;
  }
  // Step 5: R = u1·G + u2·Q, refused if it is the point at infinity.
  if (!field.from_affine(g, gx.get(), gy.get()) || !field.from_affine(q, key.x.get(), key.y.get()) ||
      !twin_multiply(field, sum, u1.get(), g, u2.get(), q) || sum.infinity()) {
    return false;
  }
  // Steps 6-8: v = x_R mod n, accept iff v = r.
  return field.affine_x(x.get(), sum) && BN_nnmod(x.get(), x.get(), n.get(), ctx.get()) && BN_cmp(x.get(), r.get()) == 0;
}

// RFC 8017 §8.2.2 (RSASSA-PKCS1-v1_5-VERIFY) with SHA-256 (RFC 7518 §3.3).
bool rs256_verify(const JwsPublicKey& key, std::string_view signing_input, std::string_view signature) {
  if (!key.n || !key.e) return false;
  const auto k = static_cast<std::size_t>(BN_num_bytes(key.n.get()));
  if (signature.size() != k) return false;  // step 1: exactly k octets
  BnCtx ctx(BN_CTX_new());
  Bn s = to_bn(signature), m = new_bn();
  if (!ctx || !s || !m) return false;
  // Step 2 (RSAVP1, §5.2.2): s < n, m = s^e mod n, EM = I2OSP(m, k).
  if (BN_cmp(s.get(), key.n.get()) >= 0) return false;
  if (!mod_exp(m.get(), s.get(), key.e.get(), key.n.get(), ctx.get())) return false;
  std::string em(k, '\0');
  if (BN_bn2binpad(m.get(), reinterpret_cast<unsigned char*>(em.data()), int(k)) != int(k)) return false;
  // Steps 3-4: the one valid encoding, compared whole (no parsing of the padding).
  return em == pkcs1_v15_sha256_encoding(signing_input, k);
}

}  // namespace authwasm
