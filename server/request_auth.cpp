// How a request proves itself: an access token with the Bearer scheme (RFC 6750) or the DPoP
// scheme and its proof (RFC 9449 §7), and the DPoP proof of a token request (RFC 9449 §5).
// The proof checks themselves are in dpop_check.cpp; this file maps their outcomes to answers.
#include "app.hpp"
#include "clock.hpp"
#include "http_util.hpp"

namespace authwasm::server {
namespace {

// The replay cache is full: fail closed, briefly (dpop_check.hpp, ReplayCache).
void send_replay_cache_full(httplib::Response& res, const DpopResult& result) {
  res.set_header("Retry-After", "1");
  send_error(res, 503, "temporarily_unavailable", result.description);
}

// 401 with the DPoP challenge (RFC 9449 §7.1, §9).
void send_proof_refusal(httplib::Response& res, const DpopResult& result) {
  switch (result.status) {
    case DpopResult::Status::use_nonce: return send_dpop_error(res, 401, "use_dpop_nonce", result.description);
    case DpopResult::Status::unavailable: return send_replay_cache_full(res, result);
    default: return send_dpop_error(res, 401, "invalid_dpop_proof", result.description);
  }
}

}  // namespace

bool App::authenticate(const httplib::Request& req, httplib::Response& res, AccessClaims& out) {
  const bool dpop_on = config.dpop != DpopMode::off;
  const bool dpop_only = config.dpop == DpopMode::required;
  const AuthorizationHeader credentials = authorization_header(req);
  const bool dpop_scheme = dpop_on && credentials.scheme == "dpop";
  // Answers in the scheme the client used; a server that requires DPoP answers in DPoP.
  auto refuse_token = [&](const std::string& description) {
    if (dpop_scheme || dpop_only) return send_dpop_error(res, 401, description.empty() ? "" : "invalid_token", description);
    send_bearer_error(res, description);
  };
  if (!dpop_scheme && credentials.scheme != "bearer") {
    refuse_token(credentials.present ? "malformed Authorization header" : "");
    return false;
  }
  const int64_t now_ms = now_millis();
  BearerCheck check = tokens->verify_access_token(credentials.token, now_ms);
  if (check.ok && config.demo) {
    std::lock_guard<std::mutex> lock(expired_mutex);
    if (expired_jti.count(check.claims.jti)) {
      check.ok = false;
      check.description = "The access token expired";
    }
  }
  if (dpop_scheme && req.has_header("DPoP")) dpop->add_nonce_header(res, now_ms);  // §9: any response
  if (!check.ok) {
    refuse_token(check.description);
    return false;
  }
  if (!dpop_scheme) {
    if (!check.claims.jkt.empty()) {  // §7.2: a bound token is never a bearer token
      dpop->count(DpopRejection::bearer_downgrade);
      send_dpop_error(res, 401, "invalid_token", "a DPoP-bound access token must be sent with the DPoP scheme");
      return false;
    }
    if (dpop_only) {
      refuse_token("this server accepts DPoP-bound access tokens only");
      return false;
    }
    out = check.claims;
    return true;
  }
  if (check.claims.jkt.empty()) {
    refuse_token("the access token is not DPoP-bound; send it with the Bearer scheme");
    return false;
  }
  const ProofExpectation expect{req.method, dpop->request_url(req), credentials.token, check.claims.jkt};
  const DpopResult proof = dpop->check(req, expect, now_ms);
  if (proof.status == DpopResult::Status::absent) {
    dpop->count(DpopRejection::missing);
    send_dpop_error(res, 401, "invalid_dpop_proof", "the DPoP scheme needs a DPoP proof header");
    return false;
  }
  if (proof.status != DpopResult::Status::ok) {
    send_proof_refusal(res, proof);
    return false;
  }
  out = check.claims;
  return true;
}

bool App::token_request_dpop(const httplib::Request& req, httplib::Response& res, std::string& jkt) {
  jkt.clear();
  if (config.dpop == DpopMode::off) return true;  // a server without DPoP ignores the header
  const int64_t now_ms = now_millis();
  if (req.has_header("DPoP")) dpop->add_nonce_header(res, now_ms);  // §8.2: any response
  const DpopResult proof = dpop->check(req, ProofExpectation{req.method, dpop->request_url(req), "", ""}, now_ms);
  switch (proof.status) {
    case DpopResult::Status::ok:
      jkt = proof.jkt;
      return true;
    case DpopResult::Status::absent:
      if (config.dpop != DpopMode::required) return true;  // a Bearer token request
      dpop->count(DpopRejection::missing);
      send_error(res, 400, "invalid_dpop_proof", "this server requires a DPoP proof on token requests (RFC 9449)");
      return false;
    case DpopResult::Status::use_nonce:  // §8: 400, with the nonce to use in DPoP-Nonce (above)
      send_error(res, 400, "use_dpop_nonce", proof.description);
      return false;
    case DpopResult::Status::unavailable:
      send_replay_cache_full(res, proof);
      return false;
    case DpopResult::Status::invalid: break;
  }
  send_error(res, 400, "invalid_dpop_proof", proof.description);
  return false;
}

}  // namespace authwasm::server
