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

using Reply = Result<Json>;

Json failure(const Error& error) {
  return object({{"ok", false}, {"code", to_string(error.code)}, {"message", error.message}});
}

Error bad_args(const char* what) { return make_error(ErrorCode::invalid_argument, what); }

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
  const long long handle = get_int(args, "handle").value_or(0);
  auto& all = sessions();
  return std::find_if(all.begin(), all.end(), [&](const OpenSession& open) { return open.handle == handle; });
}

Result<Session*> session_of(const Json& args) {
  auto it = find_session(args);
  if (it == sessions().end()) return bad_args("no client with this handle (closed?)");
  return it->session.get();
}

Clock clock_of(const Json& args) {
  return Clock{get_int(args, "wall").value_or(0), get_int(args, "mono").value_or(0)};
}

HttpResponse response_of(const Json& args) {
  return args.contains("response") ? http_response_from_json(args["response"]) : HttpResponse{};
}

// ------------------------------------------------------------------ operations
Reply create_pkce(const Json& args) {
  auto pair = create_pkce_pair(static_cast<std::size_t>(get_int(args, "length").value_or(kPkceDefaultLength)));
  if (!pair) return pair.error();
  return object({{"verifier", pair.value().verifier}, {"challenge", pair.value().challenge}});
}

Reply challenge(const Json& args) {
  auto verifier = get_string(args, "verifier");
  if (!verifier) return bad_args("verifier must be a string");
  auto c = pkce_challenge(*verifier);
  if (!c) return c.error();
  return object({{"challenge", c.value()}});
}

Reply decode(const Json& args) {
  auto token = get_string(args, "token");
  if (!token) return bad_args("token must be a string");
  auto jwt = decode_jwt(*token);
  if (!jwt) return jwt.error();
  return object({{"header", jwt.value().header}, {"claims", jwt.value().claims}});
}

Reply create(const Json& args) {
  static long long next_handle = 1;
  auto config = parse_client_config(args.contains("options") ? args["options"] : Json());
  if (!config) return config.error();
  const long long handle = next_handle++;
  sessions().push_back({handle, std::make_unique<Session>(std::move(config).value())});
  return object({{"handle", handle}});
}

Reply destroy(const Json& args) {
  auto it = find_session(args);
  if (it == sessions().end()) return bad_args("no client with this handle (closed?)");
  it->session->wipe();
  sessions().erase(it);
  return Json::object();
}

Reply begin_login(Session& s, const Json& args) {
  LoginOptions options;
  options.return_to = get_string(args, "returnTo").value_or("");
  options.prompt = get_string(args, "prompt").value_or("");
  if (args.contains("extraParams")) {
    if (!args["extraParams"].is_object()) return bad_args("extraParams must be an object of strings");
    for (const auto& [name, value] : args["extraParams"].items()) {
      if (!value.is_string()) return bad_args("extraParams must be an object of strings");
      options.extra_params.emplace_back(name, value.get<std::string>());
    }
  }
  if (s.config().dpop) {  // RFC 9449 §10: the code is bound to the key the exchange will prove
    if (!s.dpop_key()) return make_error(ErrorCode::configuration, "no DPoP key (setDpopKey first)");
    options.dpop_jkt = jwk_thumbprint(*s.dpop_key());
  }
  auto start = begin_authorization(s.config(), options);
  if (!start) return start.error();
  return object({{"url", start.value().url}, {"transaction", dump_json(start.value().transaction.to_json())}});
}

Reply parse_redirect(Session& s, const Json& args) {
  auto url = get_string(args, "url");
  auto stored = get_string(args, "transaction");
  if (!url) return bad_args("url must be a string");
  if (!stored) return make_error(ErrorCode::state_mismatch, "no login is pending in this tab (replayed or foreign callback?)");
  auto transaction = Transaction::from_json(*stored);
  if (!transaction) return transaction.error();
  auto code = parse_callback(s.config(), *url, transaction.value());
  if (!code) return code.error();
  return object({{"request", to_json(code_token_request(s.config(), code.value(), transaction.value()))},
              {"returnTo", transaction.value().return_to}});
}

// The callback URL without its one-time parameters, for history.replaceState.
Reply clean_callback_url(const Json& args) {
  auto url = get_string(args, "url");
  if (!url) return bad_args("url must be a string");
  return object({{"cleanUrl", remove_query_params(*url, {"code", "state", "iss", "session_state",
                                                      "error", "error_description", "error_uri"})}});
}

Reply accept_code(Session& s, const Json& args) {
  auto transaction = Transaction::from_json(get_string(args, "transaction").value_or(""));
  if (!transaction) return transaction.error();
  IdTokenExpectations expect;
  expect.nonce = transaction.value().nonce;
  auto user = s.accept_token_response(response_of(args), expect, clock_of(args));
  if (!user) return user.error();
  return object({{"user", user.value()}});
}

Reply password_request(Session& s, const Json& args) {
  auto username = get_string(args, "username");
  auto password = get_string(args, "password");
  if (!username || !password || username->empty() || password->empty()) {
    return bad_args("username and password must be non-empty strings");
  }
  if (s.config().endpoints.login.empty()) return make_error(ErrorCode::configuration, "no login endpoint");
  return object({{"request", to_json(s.password_login_request(*username, *password))}});
}

Reply accept_login(Session& s, const Json& args) {
  auto user = s.accept_token_response(response_of(args), IdTokenExpectations{}, clock_of(args));
  if (!user) return user.error();
  return object({{"user", user.value()}});
}

Reply begin_refresh(Session& s, const Json&) {
  RefreshStep step = s.begin_refresh();
  if (step.kind == RefreshStep::start) {
    // generation: for refreshGate, once this tab holds the cross-tab lock (src/tabs/tab_message.hpp)
    return object({{"step", "start"}, {"request", to_json(step.request)}, {"generation", s.generation()}});
  }
  // unavailable (memory mode without a refresh token): js/ may ask the holder tab instead.
  return object({{"step", step.kind == RefreshStep::join ? "join" : "unavailable"}, {"generation", s.generation()}});
}

Reply finish_refresh(Session& s, const Json& args) {
  auto change = s.finish_refresh(response_of(args), clock_of(args));
  if (!change) return change.error();
  return object({{"ended", change.value().ended}, {"user", change.value().user}});
}

Reply abandon_refresh(Session& s, const Json&) {
  s.abandon_refresh();
  return Json::object();
}

Reply authorization(Session& s, const Json& args) {
  const long long mono = get_int(args, "mono").value_or(0);
  const Freshness f = s.freshness(mono);
  Json out = object({{"freshness", f == Freshness::fresh ? "fresh" : f == Freshness::expired ? "expired" : "none"}});
  if (f == Freshness::fresh) {
    out["header"] = s.authorization(mono).value();
    out["generation"] = s.generation();
  }
  return out;
}

Reply classify(Session& s, const Json& args) {
  const ApiAction action = s.classify_api_response(
      static_cast<int>(get_int(args, "attempt").value_or(1)), args.value("nonceRetried", false) == true,
      static_cast<unsigned>(get_int(args, "generation").value_or(-1)),
      static_cast<int>(get_int(args, "status").value_or(0)), get_string(args, "wwwAuthenticate").value_or(""));
  static const char* const names[] = {"deliver", "refresh_and_retry", "retry", "nonce_retry"};
  return object({{"action", names[static_cast<int>(action)]}});
}

Reply logout(Session& s, const Json& args) {
  Json requests = Json::array();
  const bool everywhere = args.value("everywhere", false) == true;
  for (const auto& r : s.logout_requests(everywhere, get_int(args, "mono").value_or(0))) requests.push_back(to_json(r));
  const std::string end_session = args.value("redirect", false) == true
      ? s.end_session_url(get_string(args, "postLogoutRedirectUri").value_or(""), get_string(args, "state").value_or(""))
      : "";
  return object({{"requests", std::move(requests)}, {"endSessionUrl", end_session}});
}

Reply wipe(Session& s, const Json&) {
  s.wipe();
  return Json::object();
}

Reply info(Session& s, const Json& args) {
  Json out = s.info(get_int(args, "mono").value_or(0));
  out["tabMessages"] = s.tab_state().stats();
  out["holdsRefreshToken"] = s.holds_refresh_token();
  return out;
}

// ------------------------------------------------------------------ other tabs (src/tabs/tab_message.hpp)
Reply encode_tab(Session& s, const Json& args) {
  auto message = encode_tab_message(s, get_string(args, "type").value_or(""), args, clock_of(args));
  if (!message) return message.error();
  return object({{"message", std::move(message).value()}});
}

Reply receive_tab(Session& s, const Json& args) {
  return to_json(receive_tab_message(s, args.contains("message") ? args["message"] : Json(), clock_of(args)));
}

Reply refresh_gate_op(Session& s, const Json& args) {
  const RefreshGate gate = refresh_gate(s, static_cast<unsigned>(get_int(args, "since").value_or(-1)),
                                        get_int(args, "mono").value_or(0));
  if (gate != RefreshGate::proceed) s.abandon_refresh();  // this tab's flight ends without a request
  return object({{"gate", gate == RefreshGate::proceed ? "proceed" : gate == RefreshGate::skip ? "skip" : "ended"},
              {"user", s.user()}});
}

// ------------------------------------------------------------------ DPoP (src/jose/dpop.hpp)
Reply set_dpop_key(Session& s, const Json& args) {
  if (!args.contains("jwk") || args["jwk"].is_null()) {
    s.set_dpop_key(std::nullopt);
    return Json::object();
  }
  auto key = EcPublicJwk::from_json(args["jwk"]);
  if (!key) return key.error();
  s.set_dpop_key(std::move(key).value());
  return object({{"jkt", jwk_thumbprint(*s.dpop_key())}});
}

Reply dpop_proof_input(Session& s, const Json& args) {
  auto htm = get_string(args, "htm");
  auto htu = get_string(args, "htu");
  if (!htm || !htu) return bad_args("htm and htu must be strings");
  auto input = s.dpop_proof_input(*htm, *htu, args.value("resource", false) == true, get_int(args, "wall").value_or(0));
  if (!input) return input.error();
  return object({{"signingInput", std::move(input).value()}});
}

// The signature WebCrypto made over the signing input: 64 numbers 0..255 (r || s).
Reply dpop_proof(const Json& args) {
  auto input = get_string(args, "signingInput");
  if (!input || !args.contains("signature") || !args["signature"].is_array()) return bad_args("signingInput and signature are required");
  std::string signature;
  for (const auto& byte : args["signature"]) {
    if (!byte.is_number_unsigned() || byte.get<unsigned>() > 255) return bad_args("signature must be bytes");
    signature += static_cast<char>(byte.get<unsigned>());
  }
  auto proof = assemble_compact_jws(*input, signature);
  if (!proof) return proof.error();
  return object({{"proof", std::move(proof).value()}});
}

// What a DPoP client does with an answer: remember its DPoP-Nonce (§8) and say whether a
// token endpoint's use_dpop_nonce asks for the one retry.
Reply dpop_answer(Session& s, const Json& args) {
  const HttpResponse response = response_of(args);
  s.remember_dpop_nonce(get_string(args, "url").value_or(""), response.dpop_nonce);
  return object({{"retry", s.config().dpop && Session::wants_dpop_nonce(response)}});
}

// ------------------------------------------------------------------ OpenID Providers (src/oauth/discovery.hpp)
Reply discovery_request_op(const Json& args) {
  auto issuer = get_string(args, "issuer");
  if (!issuer) return bad_args("issuer must be a string");
  auto timeout = parse_timeout_ms(args);  // the client's option, before the rest is validated
  if (!timeout) return timeout.error();
  HttpRequest request = discovery_request(*issuer);
  request.timeout_ms = timeout.value();
  return object({{"request", to_json(request)}});
}

Reply apply_discovery_op(const Json& args) {
  auto options = apply_discovery(args.contains("options") ? args["options"] : Json(), response_of(args));
  if (!options) return options.error();
  return object({{"options", std::move(options).value()}});
}

Reply endpoints_op(Session& s, const Json&) {
  return object({{"endpoints", endpoints_json(s.config())}, {"timeoutMs", s.config().timeout_ms}});
}

Reply userinfo_op(Session& s, const Json& args) {
  auto claims = accept_userinfo(s, response_of(args));
  if (!claims) return claims.error();
  return object({{"claims", std::move(claims).value()}});
}

}  // namespace

std::string fresh_authorization(long long handle, long long mono_ms) {
  for (const auto& open : sessions()) {
    if (open.handle != handle) continue;
    auto header = open.session->authorization(mono_ms);
    return header ? std::to_string(open.session->generation()) + " " + header.value() : std::string();
  }
  return std::string();
}

std::string call(std::string_view op, std::string_view args_json) {
  auto parsed = parse_json_object(args_json);
  if (!parsed) return dump_json(failure(bad_args("arguments must be a JSON object")));
  const Json& args = parsed.value();

  using Stateless = Reply (*)(const Json&);
  using OnSession = Reply (*)(Session&, const Json&);
  // Plain arrays searched in order: a std::map here cost ~1.7 KB of wasm for ~30 names.
  struct StatelessOp { const char* name; Stateless run; };
  struct SessionOp { const char* name; OnSession run; };
  static const StatelessOp stateless[] = {
      {"createPkcePair", create_pkce}, {"pkceChallenge", challenge}, {"decodeJwt", decode},
      {"create", create}, {"destroy", destroy}, {"cleanCallbackUrl", clean_callback_url},
      {"discoveryRequest", discovery_request_op}, {"applyDiscovery", apply_discovery_op},
      {"dpopProof", dpop_proof}};
  static const SessionOp on_session[] = {
      {"beginLogin", begin_login}, {"parseCallback", parse_redirect}, {"acceptCodeResponse", accept_code},
      {"encodeTabMessage", encode_tab}, {"receiveTabMessage", receive_tab}, {"refreshGate", refresh_gate_op},
      {"passwordLoginRequest", password_request}, {"acceptLoginResponse", accept_login},
      {"beginRefresh", begin_refresh}, {"finishRefresh", finish_refresh}, {"abandonRefresh", abandon_refresh},
      {"authorization", authorization}, {"classifyApiResponse", classify}, {"logoutRequests", logout}, {"wipe", wipe}, {"info", info},
      {"endpoints", endpoints_op}, {"acceptUserinfo", userinfo_op},
      {"setDpopKey", set_dpop_key}, {"dpopProofInput", dpop_proof_input}, {"dpopAnswer", dpop_answer}};

  Reply reply = make_error(ErrorCode::invalid_argument, "unknown operation");
  for (const auto& entry : stateless) {
    if (op == entry.name) reply = entry.run(args);
  }
  for (const auto& entry : on_session) {
    if (op != entry.name) continue;
    auto s = session_of(args);
    reply = s ? entry.run(*s.value(), args) : Reply(s.error());
  }
  if (!reply) return dump_json(failure(reply.error()));
  Json out = std::move(reply).value();
  out["ok"] = true;
  return dump_json(out);
}

}  // namespace authwasm
