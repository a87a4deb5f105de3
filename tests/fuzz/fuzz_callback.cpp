// The authorization response (RFC 6749 §4.1.2, §4.1.2.1, §3.1 and §10.12; RFC 9207 §2.4):
// parse_query on the raw input, then parse_callback with a fixed client and a fixed pending
// transaction on "<redirect_uri>?<input>". Invariants: the code is only ever returned for a
// callback carrying the transaction's state exactly once, no repeated response parameter,
// no error, and an iss that is absent or ours; refusals use the callback error codes; the
// cleaned URL (history.replaceState) keeps none of the one-time parameters.
#include <algorithm>
#include <cstdint>
#include <string>

#include "oauth/authorize.hpp"
#include "oauth/client_config.hpp"
#include "fuzz_support.hpp"
#include "base/url.hpp"

namespace {

using namespace authwasm;

const char* const kIssuer = "https://issuer.example";
const char* const kRedirect = "https://app.example/cb";
const char* const kState = "xyz";  // short, so mutations find it (fixed seeds carry it)

const ClientConfig& config() {
  static const ClientConfig c = [] {
    auto parsed = parse_client_config(Json{{"issuer", kIssuer}, {"clientId", "spa"}, {"redirectUri", kRedirect}});
    FUZZ_CHECK(parsed.ok(), "fixed config is valid");
    return parsed.value();
  }();
  return c;
}

const Transaction& transaction() {
  static const Transaction t = [] {
    Transaction x;
    x.state = kState;
    x.nonce = "n-0S6_WzA2Mj";
    x.verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    x.issuer = kIssuer;
    x.client_id = "spa";
    x.redirect_uri = kRedirect;
    x.return_to = "/";
    return x;
  }();
  return t;
}

std::size_t count(const Params& params, const std::string& name) {
  return static_cast<std::size_t>(std::count_if(params.begin(), params.end(), [&](const auto& p) { return p.first == name; }));
}

const std::string* find(const Params& params, const std::string& name) {
  for (const auto& p : params) if (p.first == name) return &p.second;
  return nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // The query parser alone, on the input as a whole URL.
  auto raw = parse_query(input);
  if (raw) {
    // form_encode ∘ parse_query round trip: what was decoded re-encodes to the same parameters.
    auto again = parse_query("?" + form_encode(raw.value()));
    FUZZ_CHECK(again && again.value() == raw.value(), "parse_query(form_encode(p)) == p");
  } else {
    FUZZ_CHECK(raw.error().code == ErrorCode::invalid_callback, "a malformed query is invalid_callback");
    fuzz::check_error(raw.error());
  }

  // The callback as the provider would send it to our redirect URI.
  const std::string url = std::string(kRedirect) + "?" + std::string(input);
  auto params = parse_query(url);
  auto code = parse_callback(config(), url, transaction());
  if (code) {
    FUZZ_CHECK(params.ok(), "an accepted callback has a well-formed query");
    const Params& p = params.value();
    for (const char* name : {"state", "code", "iss", "error", "error_description"}) {
      FUZZ_CHECK(count(p, name) <= 1, "no response parameter appears twice (RFC 6749 §3.1)");
    }
    FUZZ_CHECK(find(p, "state") && *find(p, "state") == kState, "the state is the transaction's");
    FUZZ_CHECK(!find(p, "error"), "an error response never yields a code");
    FUZZ_CHECK(!find(p, "iss") || *find(p, "iss") == kIssuer, "iss absent or ours (RFC 9207)");
    FUZZ_CHECK(find(p, "code") && *find(p, "code") == code.value() && !code.value().empty(), "the code is the one sent");
    // The token request carries it form-encoded: ASCII only, whatever the code's bytes.
    const HttpRequest request = code_token_request(config(), code.value(), transaction());
    for (char c : request.body) FUZZ_CHECK(static_cast<unsigned char>(c) < 0x80, "form bodies are ASCII");
  } else {
    const ErrorCode c = code.error().code;
    FUZZ_CHECK(c == ErrorCode::state_mismatch || c == ErrorCode::iss_mismatch || c == ErrorCode::invalid_callback ||
               c == ErrorCode::login_required || c == ErrorCode::access_denied || c == ErrorCode::authorization_error,
               "callback refusals use the callback codes");
    fuzz::check_error(code.error());
    if (params && (!find(params.value(), "state") || *find(params.value(), "state") != kState)) {
      FUZZ_CHECK(c == ErrorCode::state_mismatch || c == ErrorCode::invalid_callback,
                 "without our state, nothing (not even error=) is believed (§10.12)");
    }
  }

  // The same callback aimed at another redirect URI never belongs to this transaction.
  auto foreign = parse_callback(config(), "https://evil.example/cb?" + std::string(input), transaction());
  FUZZ_CHECK(!foreign && foreign.error().code == ErrorCode::state_mismatch, "foreign redirect targets are refused");

  // The URL history.replaceState gets: none of the one-time parameters survive.
  const std::initializer_list<std::string_view> one_time = {"code", "state", "iss", "session_state", "error", "error_description", "error_uri"};
  const std::string clean = remove_query_params(url, one_time);
  FUZZ_CHECK(clean.find('#') == std::string::npos, "the fragment is dropped");
  if (params) {
    auto kept = parse_query(clean);
    FUZZ_CHECK(kept.ok(), "a well-formed query stays well formed");
    for (const auto name : one_time) FUZZ_CHECK(count(kept.value(), std::string(name)) == 0, "one-time parameters are removed");
  }
  return 0;
}
