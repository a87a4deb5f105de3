#include "dpop_check.hpp"

#include <cstdlib>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/base64url.hpp"
#include "clock.hpp"
#include "config.hpp"
#include "base/constant_time.hpp"
#include "jose/dpop.hpp"  // the core's (src/jose/dpop.hpp)
#include "jose/jws_verify.hpp"
#include "jose/jwt.hpp"
#include "base/random.hpp"
#include "base/sha256.hpp"

namespace authwasm::server {

const char* dpop_rejection_name(DpopRejection reason) {
  switch (reason) {
    case DpopRejection::missing: return "missing";
    case DpopRejection::multiple_headers: return "multiple_headers";
    case DpopRejection::malformed: return "malformed";
    case DpopRejection::typ: return "typ";
    case DpopRejection::alg: return "alg";
    case DpopRejection::jwk: return "jwk";
    case DpopRejection::signature: return "signature";
    case DpopRejection::htm: return "htm";
    case DpopRejection::htu: return "htu";
    case DpopRejection::nonce: return "nonce";
    case DpopRejection::iat: return "iat";
    case DpopRejection::ath: return "ath";
    case DpopRejection::key_mismatch: return "key_mismatch";
    case DpopRejection::replay: return "replay";
    case DpopRejection::bearer_downgrade: return "bearer_downgrade";
    case DpopRejection::cache_full: return "cache_full";
    case DpopRejection::count_: break;
  }
  return "unknown";
}

// ---------------------------------------------------------------- nonces (§8)

DpopNonces::DpopNonces(int64_t step_ms) : step_ms_(step_ms) {
  auto secret = random_bytes(32);
  if (!secret) std::abort();  // no CSPRNG: nonces would be predictable; nothing else would work either
  secret_ = std::move(secret).value();
}

std::string DpopNonces::for_step(int64_t step) const {
  const std::string message = "authwasm-dpop-nonce:" + std::to_string(step);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret_.data(), int(secret_.size()), reinterpret_cast<const unsigned char*>(message.data()),
       message.size(), mac, &length);
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(mac), 16));  // 128 bits
}

std::string DpopNonces::current(int64_t now_ms) const { return for_step(now_ms / step_ms_); }

bool DpopNonces::accepts(const std::string& nonce, int64_t now_ms) const {
  const int64_t step = now_ms / step_ms_;
  return constant_time_equals(nonce, for_step(step)) || constant_time_equals(nonce, for_step(step - 1));
}

// ---------------------------------------------------------------- replay cache (§11.1)

ReplayCache::Insert ReplayCache::insert(const std::string& key, int64_t expires_at_ms, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  while (!by_expiry_.empty() && by_expiry_.top().first <= now_ms) {
    keys_.erase(by_expiry_.top().second);
    by_expiry_.pop();
  }
  if (keys_.count(key)) return Insert::replay;
  if (keys_.size() >= capacity_) return Insert::full;
  keys_.insert(key);
  by_expiry_.emplace(expires_at_ms, key);
  return Insert::fresh;
}

std::size_t ReplayCache::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return keys_.size();
}

// ---------------------------------------------------------------- proofs (§4.3)

DpopVerifier::DpopVerifier(const Config& config)
    : config_(config), nonces_(millis(config.dpop_nonce_step)), replay_(std::size_t(config.dpop_replay_cache)) {}

void DpopVerifier::share(SharedState* shared, const std::string& nonce_secret) {
  shared_ = shared;
  nonces_.use_secret(nonce_secret);
}

DpopResult DpopVerifier::refuse(DpopResult::Status status, DpopRejection reason, std::string description) {
  if (status == DpopResult::Status::use_nonce) {
    nonce_challenges_++;
  } else {
    count(reason);
  }
  DpopResult result;
  result.status = status;
  result.reason = reason;
  result.description = std::move(description);
  return result;
}

std::string DpopVerifier::request_url(const httplib::Request& req) const {
  const std::string& target = req.target.empty() ? req.path : req.target;
  return config_.issuer_origin() + target.substr(0, target.find('?'));
}

void DpopVerifier::add_nonce_header(httplib::Response& res, int64_t now_ms) const {
  if (config_.dpop_nonce) res.set_header("DPoP-Nonce", nonces_.current(now_ms));
}

DpopResult DpopVerifier::check(const httplib::Request& req, const ProofExpectation& expect, int64_t now_ms) {
  using Status = DpopResult::Status;
  const std::size_t headers = req.get_header_value_count("DPoP");
  if (headers == 0) return DpopResult{};
  if (headers > 1) return refuse(Status::invalid, DpopRejection::multiple_headers, "more than one DPoP header");
  auto decoded = decode_jwt(req.get_header_value("DPoP"));  // check 2: a well-formed JWT
  if (!decoded) return refuse(Status::invalid, DpopRejection::malformed, "the DPoP proof is not a JWT: " + decoded.error().message);
  const DecodedJwt& jwt = decoded.value();
  if (get_string(jwt.header, "typ") != std::optional<std::string>("dpop+jwt")) {  // check 4
    return refuse(Status::invalid, DpopRejection::typ, "the DPoP proof's typ is not dpop+jwt");
  }
  // Check 5: an asymmetric algorithm this server supports; only ES256 (none and HS* never).
  if (get_string(jwt.header, "alg") != std::optional<std::string>("ES256")) {
    return refuse(Status::invalid, DpopRejection::alg, "the DPoP proof's alg must be ES256");
  }
  // Check 7 (a public key, no "d") before check 6 (the signature, with that key).
  const Json jwk = jwt.header.contains("jwk") ? jwt.header["jwk"] : Json();
  auto public_jwk = EcPublicJwk::from_json(jwk);
  if (!public_jwk) return refuse(Status::invalid, DpopRejection::jwk, public_jwk.error().message);
  auto key = JwsKey::from_jwk(public_jwk.value().to_json());
  if (!key) return refuse(Status::invalid, DpopRejection::jwk, "the DPoP proof's jwk is not usable: " + key.error().message);
  if (!verify_jws_signature(jwt, key.value(), JwsAlgorithm::ES256)) {
    return refuse(Status::invalid, DpopRejection::signature, "the DPoP proof's signature does not verify with its jwk");
  }
  // Check 3: the required claims, with their types.
  const auto jti = get_string(jwt.claims, "jti");
  const auto htm = get_string(jwt.claims, "htm");
  const auto htu = get_string(jwt.claims, "htu");
  const auto iat = get_int(jwt.claims, "iat");
  if (!jti || jti->empty() || jti->size() > 256 || !htm || !htu || !iat) {
    return refuse(Status::invalid, DpopRejection::malformed, "the DPoP proof lacks jti, htm, htu or iat");
  }
  if (*htm != expect.method) {  // check 8
    return refuse(Status::invalid, DpopRejection::htm, "the DPoP proof's htm is not this request's method");
  }
  // Check 9: both sides normalised by the core's normalize_htu (RFC 3986 §6), no query.
  const auto proof_url = normalize_htu(*htu);
  const auto request_url = normalize_htu(expect.url);
  if (!proof_url || !request_url || *proof_url != *request_url) {
    return refuse(Status::invalid, DpopRejection::htu, "the DPoP proof's htu is not this request's URL");
  }
  // Check 11: iat is whole seconds, so the proof was made in [iat, iat + 1 s); that interval
  // must meet [now - window, now + window].
  const int64_t iat_ms = int64_t(*iat) * 1000;
  if (iat_ms + 1000 <= now_ms - kDpopProofWindowMs || iat_ms > now_ms + kDpopProofWindowMs) {
    return refuse(Status::invalid, DpopRejection::iat, "the DPoP proof's iat is outside the accepted window");
  }
  // Check 12 (§7.1): ath binds the proof to the access token it accompanies.
  if (!expect.access_token.empty() &&
      get_string(jwt.claims, "ath") != std::optional<std::string>(access_token_hash(expect.access_token))) {
    return refuse(Status::invalid, DpopRejection::ath, "the DPoP proof's ath is not the hash of this access token");
  }
  // Check 10: the nonce this server handed out, current or previous step.
  if (config_.dpop_nonce) {
    const auto nonce = get_string(jwt.claims, "nonce");
    if (!nonce || !nonces_.accepts(*nonce, now_ms)) {
      return refuse(Status::use_nonce, DpopRejection::nonce,
                    nonce ? "the DPoP nonce is stale; use the new one" : "a DPoP nonce is required");
    }
  }
  const std::string jkt = jwk_thumbprint(public_jwk.value());
  if (!expect.jkt.empty() && jkt != expect.jkt) {
    return refuse(Status::invalid, DpopRejection::key_mismatch, "the DPoP proof is signed by another key than the token's");
  }
  // §11.1: each jti once, for as long as the proof would pass check 11.
  const std::string replay_key = sha256(jkt + "|" + *jti);
  const int64_t replay_until_ms = iat_ms + 1000 + kDpopProofWindowMs;
  ReplayCache::Insert recorded = ReplayCache::Insert::full;  // a database error fails closed, as a full cache
  if (!shared_) {
    recorded = replay_.insert(replay_key, replay_until_ms, now_ms);
  } else if (const auto r = shared_->record_jti(replay_key, replay_until_ms, now_ms); r != SharedState::JtiRecord::failed) {
    recorded = r == SharedState::JtiRecord::fresh ? ReplayCache::Insert::fresh : ReplayCache::Insert::replay;
  }
  switch (recorded) {
    case ReplayCache::Insert::replay:
      return refuse(Status::invalid, DpopRejection::replay, "this DPoP proof (jti) was already used");
    case ReplayCache::Insert::full:
      return refuse(Status::unavailable, DpopRejection::cache_full, "too many DPoP proofs in flight; retry shortly");
    case ReplayCache::Insert::fresh: break;
  }
  accepted_++;
  DpopResult result;
  result.status = Status::ok;
  result.jkt = jkt;
  return result;
}

Json DpopVerifier::stats() const {
  Json rejected = Json::object();
  for (std::size_t i = 0; i < rejected_.size(); ++i) {
    if (DpopRejection(i) != DpopRejection::nonce) rejected[dpop_rejection_name(DpopRejection(i))] = rejected_[i].load();
  }
  return Json{{"accepted", accepted_.load()}, {"nonce_challenges", nonce_challenges_.load()},
              {"rejected", rejected}, {"replay_cache_size", replay_.size()}};
}

}  // namespace authwasm::server
