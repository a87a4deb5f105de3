#include "api.hpp"

#include <algorithm>
#include <vector>
#include <memory>

#include "oauth/authorize.hpp"
#include "oauth/discovery.hpp"
#include "jose/dpop.hpp"
#include "jose/jwt.hpp"
#include "oauth/pkce.hpp"
#include "session/session.hpp"
#include "tabs/tab_message.hpp"

namespace authwasm {
namespace {

// One call in progress: its arguments, the client it is about (operations on a session), and
// its answer, written as it goes: {"ok":true,<members>}, or {"ok":false,"code","message"} once
// fail() was called. No Json is built for an answer unless a part of it already is one.
struct Call {
  explicit Call(const Json& a) : args(a) { answer.boolean("ok", true); }
  void fail(Error&& e) { error = std::move(e); }
  void fail(const Error& e) { error = e; }
  void fail(ErrorCode code, const char* message) { error = make_error(code, message); }
  void bad_args(const char* what) { fail(ErrorCode::invalid_argument, what); }

  const Json& args;
  Session* session = nullptr;
  JsonWriter answer;
  std::optional<Error> error;
};

std::string failure_text(const Error& error) {
  JsonWriter out;
  out.boolean("ok", false);
  out.string("code", to_string(error.code));
  out.string("message", error.message);
  return std::move(out).close();
}

// Sessions by handle: JS holds a number, not an Embind object that would need .delete().
// A page has one or two clients, so a vector searched in order (a std::map's tree code cost
// ~1 KB of wasm).
struct OpenSession {
  long long handle;
  std::unique_ptr<Session> session;
};
std::vector<OpenSession>& sessions() {
  static std::vector<OpenSession> all;
  return all;
}

std::vector<OpenSession>::iterator find_session(const Json& args) {
  const long long handle = int_or(args, "handle", 0);
  auto& all = sessions();
  return std::find_if(all.begin(), all.end(), [&](const OpenSession& open) { return open.handle == handle; });
}

constexpr const char* kNoSuchClient = "no client with this handle (closed?)";

Clock clock_of(const Json& args) {
  return Clock{int_or(args, "wall", 0), int_or(args, "mono", 0)};
}

long long mono_of(const Json& args) { return int_or(args, "mono", 0); }

HttpResponse response_of(const Json& args) {
  return args.contains("response") ? http_response_from_json(args["response"]) : HttpResponse{};
}

// A member that is passed on as it is (null when absent).
const Json& member_of(const Json& args, const char* name) {
  static const Json null;
  return args.contains(name) ? args[name] : null;
}

// ------------------------------------------------------------------ operations
void create_pkce(Call& c) {
  auto pair = create_pkce_pair(static_cast<std::size_t>(int_or(c.args, "length", kPkceDefaultLength)));
  if (!pair) return c.fail(pair.error());
  c.answer.string("verifier", pair.value().verifier);
  c.answer.string("challenge", pair.value().challenge);
}

void challenge(Call& c) {
  const std::string* verifier = find_string(c.args, "verifier");
  if (!verifier) return c.bad_args("verifier must be a string");
  auto challenge = pkce_challenge(*verifier);
  if (!challenge) return c.fail(challenge.error());
  c.answer.string("challenge", challenge.value());
}

void decode(Call& c) {
  const std::string* token = find_string(c.args, "token");
  if (!token) return c.bad_args("token must be a string");
  auto jwt = decode_jwt(*token);
  if (!jwt) return c.fail(jwt.error());
  c.answer.value("header", jwt.value().header);
  c.answer.value("claims", jwt.value().claims);
}

// RFC 9449's operations are in the DPoP build only (CMakeLists.txt "core module": the default
// wasm leaves them out, 2.2 KB gzip; js/dpop.js loads the DPoP build). Natively: always.
#ifdef AUTHWASM_DPOP
constexpr bool kWithDpop = true;
#else
constexpr bool kWithDpop = false;
#endif

void create(Call& c) {
  static long long next_handle = 1;
  auto config = parse_client_config(member_of(c.args, "options"));
  if (!config) return c.fail(config.error());
  if (!kWithDpop && config.value().dpop) {
    return c.fail(ErrorCode::configuration, "DPoP needs the DPoP build of the core (authwasm/dpop)");
  }
  const long long handle = next_handle++;
  sessions().push_back({handle, std::make_unique<Session>(std::move(config).value())});
  c.answer.number("handle", handle);
}

void destroy(Call& c) {
  auto it = find_session(c.args);
  if (it == sessions().end()) return c.bad_args(kNoSuchClient);
  it->session->wipe();
  sessions().erase(it);
}

void begin_login(Call& c) {
  Session& s = *c.session;
  LoginOptions options;
  options.return_to = string_or_empty(c.args, "returnTo");
  options.prompt = string_or_empty(c.args, "prompt");
  if (c.args.contains("extraParams")) {
    const Json& extra = c.args["extraParams"];
    const char* const refusal = "extraParams must be an object of strings";
    if (!extra.is_object()) return c.bad_args(refusal);
    for (const auto& [name, value] : extra.get_ref<const Json::object_t&>()) {
      if (!value.is_string()) return c.bad_args(refusal);
      options.extra_params.emplace_back(name, value.get_ref<const std::string&>());
    }
  }
  if (kWithDpop && s.config().dpop) {  // RFC 9449 §10: the code is bound to the key the exchange will prove
    if (!s.dpop_key()) return c.fail(ErrorCode::configuration, "no DPoP key (setDpopKey first)");
    options.dpop_jkt = jwk_thumbprint(*s.dpop_key());
  }
  auto start = begin_authorization(s.config(), options);
  if (!start) return c.fail(start.error());
  c.answer.string("url", start.value().url);
  c.answer.string("transaction", start.value().transaction.to_json_text());
}

void parse_redirect(Call& c) {
  Session& s = *c.session;
  const std::string* url = find_string(c.args, "url");
  const std::string* stored = find_string(c.args, "transaction");
  if (!url) return c.bad_args("url must be a string");
  if (!stored) return c.fail(ErrorCode::state_mismatch, "no login is pending in this tab (replayed or foreign callback?)");
  auto transaction = Transaction::from_json(*stored);
  if (!transaction) return c.fail(transaction.error());
  auto code = parse_callback(s.config(), *url, transaction.value());
  if (!code) return c.fail(code.error());
  c.answer.raw("request", to_json_text(code_token_request(s.config(), code.value(), transaction.value())));
  c.answer.string("returnTo", transaction.value().return_to);
}

// The callback URL without its one-time parameters, for history.replaceState.
void clean_callback_url(Call& c) {
  const std::string* url = find_string(c.args, "url");
  if (!url) return c.bad_args("url must be a string");
  c.answer.string("cleanUrl", remove_query_params(*url, {"code", "state", "iss", "session_state",
                                                         "error", "error_description", "error_uri"}));
}

// acceptCodeResponse and acceptLoginResponse: {user} after the token endpoint's answer.
void answer_user(Call& c, const IdTokenExpectations& expect) {
  auto user = c.session->accept_token_response(response_of(c.args), expect, clock_of(c.args));
  if (!user) return c.fail(user.error());
  c.answer.value("user", user.value());
}

void accept_code(Call& c) {
  auto transaction = Transaction::from_json(string_or_empty(c.args, "transaction"));
  if (!transaction) return c.fail(transaction.error());
  IdTokenExpectations expect;
  expect.nonce = transaction.value().nonce;
  answer_user(c, expect);
}

void accept_login(Call& c) { answer_user(c, IdTokenExpectations{}); }

void password_request(Call& c) {
  Session& s = *c.session;
  const std::string* username = find_string(c.args, "username");
  const std::string* password = find_string(c.args, "password");
  if (!username || !password || username->empty() || password->empty()) {
    return c.bad_args("username and password must be non-empty strings");
  }
  if (s.config().endpoints.login.empty()) return c.fail(ErrorCode::configuration, "no login endpoint");
  c.answer.raw("request", to_json_text(s.password_login_request(*username, *password)));
}

void begin_refresh(Call& c) {
  Session& s = *c.session;
  RefreshStep step = s.begin_refresh();
  // unavailable (memory mode without a refresh token): js/ may ask the holder tab instead.
  static const char* const steps[] = {"start", "join", "unavailable"};
  c.answer.string("step", steps[step.kind == RefreshStep::start ? 0 : step.kind == RefreshStep::join ? 1 : 2]);
  if (step.kind == RefreshStep::start) c.answer.raw("request", to_json_text(step.request));
  // generation: for refreshGate, once this tab holds the cross-tab lock (src/tabs/tab_message.hpp)
  c.answer.number("generation", s.generation());
}

void finish_refresh(Call& c) {
  auto change = c.session->finish_refresh(response_of(c.args), clock_of(c.args));
  if (!change) return c.fail(change.error());
  c.answer.boolean("ended", change.value().ended);
  c.answer.value("user", change.value().user);
}

void abandon_refresh(Call& c) { c.session->abandon_refresh(); }

void authorization(Call& c) {
  Session& s = *c.session;
  const long long mono = mono_of(c.args);
  const Freshness f = s.freshness(mono);
  c.answer.string("freshness", f == Freshness::fresh ? "fresh" : f == Freshness::expired ? "expired" : "none");
  if (f == Freshness::fresh) {
    c.answer.string("header", s.authorization(mono).value());
    c.answer.number("generation", s.generation());
  }
}

void classify(Call& c) {
  const ApiAction action = c.session->classify_api_response(
      static_cast<int>(int_or(c.args, "attempt", 1)), get_true(c.args, "nonceRetried"),
      static_cast<unsigned>(int_or(c.args, "generation", -1)),
      static_cast<int>(int_or(c.args, "status", 0)), string_or_empty(c.args, "wwwAuthenticate"));
  static const char* const names[] = {"deliver", "refresh_and_retry", "retry", "nonce_retry"};
  c.answer.string("action", names[static_cast<int>(action)]);
}

void logout(Call& c) {
  Session& s = *c.session;
  c.answer.raw("requests", s.logout_requests_json(get_true(c.args, "everywhere"), mono_of(c.args)));
  c.answer.string("endSessionUrl", get_true(c.args, "redirect")
      ? s.end_session_url(string_or_empty(c.args, "postLogoutRedirectUri"), string_or_empty(c.args, "state"))
      : "");
}

void wipe(Call& c) { c.session->wipe(); }

void info(Call& c) {
  Session& s = *c.session;
  s.write_info(c.answer, mono_of(c.args));
  c.answer.raw("tabMessages", s.tab_state().stats_json_text());
  c.answer.boolean("holdsRefreshToken", s.holds_refresh_token());
}

// ------------------------------------------------------------------ other tabs (src/tabs/tab_message.hpp)
void encode_tab(Call& c) {
  auto message = encode_tab_message(*c.session, string_or_empty(c.args, "type"), c.args, clock_of(c.args));
  if (!message) return c.fail(message.error());
  c.answer.string("message", message.value());
}

void receive_tab(Call& c) {
  write_members(c.answer, receive_tab_message(*c.session, member_of(c.args, "message"), clock_of(c.args)));
}

void refresh_gate_op(Call& c) {
  Session& s = *c.session;
  const RefreshGate gate = refresh_gate(s, static_cast<unsigned>(int_or(c.args, "since", -1)), mono_of(c.args));
  if (gate != RefreshGate::proceed) s.abandon_refresh();  // this tab's flight ends without a request
  c.answer.string("gate", gate == RefreshGate::proceed ? "proceed" : gate == RefreshGate::skip ? "skip" : "ended");
  c.answer.value("user", s.user());
}

// ------------------------------------------------------------------ DPoP (src/jose/dpop.hpp)
#ifdef AUTHWASM_DPOP
void set_dpop_key(Call& c) {
  Session& s = *c.session;
  const Json& jwk = member_of(c.args, "jwk");
  if (jwk.is_null()) return s.set_dpop_key(std::nullopt);
  auto key = EcPublicJwk::from_json(jwk);
  if (!key) return c.fail(key.error());
  s.set_dpop_key(std::move(key).value());
  c.answer.string("jkt", jwk_thumbprint(*s.dpop_key()));
}

void dpop_proof_input(Call& c) {
  const std::string* htm = find_string(c.args, "htm");
  const std::string* htu = find_string(c.args, "htu");
  if (!htm || !htu) return c.bad_args("htm and htu must be strings");
  auto input = c.session->dpop_proof_input(*htm, *htu, get_true(c.args, "resource"), int_or(c.args, "wall", 0));
  if (!input) return c.fail(input.error());
  c.answer.string("signingInput", input.value());
}

// The signature WebCrypto made over the signing input: 64 numbers 0..255 (r || s).
void dpop_proof(Call& c) {
  const std::string* input = find_string(c.args, "signingInput");
  const Json& bytes = member_of(c.args, "signature");
  if (!input || !bytes.is_array()) return c.bad_args("signingInput and signature are required");
  std::string signature;
  for (const auto& byte : bytes.get_ref<const Json::array_t&>()) {
    const auto* value = byte.get_ptr<const Json::number_unsigned_t*>();
    if (!value || *value > 255) return c.bad_args("signature must be bytes");
    signature += static_cast<char>(*value);
  }
  auto proof = assemble_compact_jws(*input, signature);
  if (!proof) return c.fail(proof.error());
  c.answer.string("proof", proof.value());
}

// What a DPoP client does with an answer: remember its DPoP-Nonce (§8) and say whether a
// token endpoint's use_dpop_nonce asks for the one retry.
void dpop_answer(Call& c) {
  Session& s = *c.session;
  const HttpResponse response = response_of(c.args);
  s.remember_dpop_nonce(string_or_empty(c.args, "url"), response.dpop_nonce);
  c.answer.boolean("retry", s.config().dpop && Session::wants_dpop_nonce(response));
}
#endif  // AUTHWASM_DPOP

// ------------------------------------------------------------------ OpenID Providers (src/oauth/discovery.hpp)
void discovery_request_op(Call& c) {
  const std::string* issuer = find_string(c.args, "issuer");
  if (!issuer) return c.bad_args("issuer must be a string");
  auto timeout = parse_timeout_ms(c.args);  // the client's option, before the rest is validated
  if (!timeout) return c.fail(timeout.error());
  HttpRequest request = discovery_request(*issuer);
  request.timeout_ms = timeout.value();
  c.answer.raw("request", to_json_text(request));
}

void apply_discovery_op(Call& c) {
  auto options = apply_discovery(member_of(c.args, "options"), response_of(c.args));
  if (!options) return c.fail(options.error());
  c.answer.value("options", options.value());
}

void endpoints_op(Call& c) {
  c.answer.raw("endpoints", endpoints_json_text(c.session->config()));
  c.answer.number("timeoutMs", c.session->config().timeout_ms);
}

void userinfo_op(Call& c) {
  auto claims = accept_userinfo(*c.session, response_of(c.args));
  if (!claims) return c.fail(claims.error());
  c.answer.value("claims", claims.value());
}

// A plain array searched in order: a std::map here cost ~1.7 KB of wasm for ~30 names.
struct Operation {
  const char* name;
  void (*run)(Call&);
  bool on_session;  // needs {"handle"} of an open client
};
constexpr Operation kOperations[] = {
    {"createPkcePair", create_pkce, false}, {"pkceChallenge", challenge, false}, {"decodeJwt", decode, false},
    {"create", create, false}, {"destroy", destroy, false}, {"cleanCallbackUrl", clean_callback_url, false},
    {"discoveryRequest", discovery_request_op, false}, {"applyDiscovery", apply_discovery_op, false},
    {"beginLogin", begin_login, true}, {"parseCallback", parse_redirect, true}, {"acceptCodeResponse", accept_code, true},
    {"encodeTabMessage", encode_tab, true}, {"receiveTabMessage", receive_tab, true}, {"refreshGate", refresh_gate_op, true},
    {"passwordLoginRequest", password_request, true}, {"acceptLoginResponse", accept_login, true},
    {"beginRefresh", begin_refresh, true}, {"finishRefresh", finish_refresh, true}, {"abandonRefresh", abandon_refresh, true},
    {"authorization", authorization, true}, {"classifyApiResponse", classify, true}, {"logoutRequests", logout, true},
    {"wipe", wipe, true}, {"info", info, true}, {"endpoints", endpoints_op, true}, {"acceptUserinfo", userinfo_op, true},
#ifdef AUTHWASM_DPOP
    {"dpopProof", dpop_proof, false},
    {"setDpopKey", set_dpop_key, true}, {"dpopProofInput", dpop_proof_input, true}, {"dpopAnswer", dpop_answer, true},
#endif
};

}  // namespace

std::string fresh_authorization(long long handle, long long mono_ms) {
  for (const auto& open : sessions()) {
    if (open.handle != handle) continue;
    auto header = open.session->authorization(mono_ms);
    return header ? decimal(open.session->generation()) + " " + header.value() : std::string();
  }
  return std::string();
}

std::string call(std::string_view op, std::string_view args_json) {
  auto parsed = parse_json_object(args_json);
  if (!parsed) return failure_text(make_error(ErrorCode::invalid_argument, "arguments must be a JSON object"));
  Call c(parsed.value());
  const Operation* found = nullptr;
  for (const auto& entry : kOperations) {
    if (op == entry.name) found = &entry;
  }
  if (!found) {
    c.bad_args("unknown operation");
  } else if (found->on_session) {
    auto it = find_session(c.args);
    if (it == sessions().end()) {
      c.bad_args(kNoSuchClient);
    } else {
      c.session = it->session.get();
      found->run(c);
    }
  } else {
    found->run(c);
  }
  return c.error ? failure_text(*c.error) : std::move(c.answer).close();
}

}  // namespace authwasm
