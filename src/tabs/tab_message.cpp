#include "tabs/tab_message.hpp"

#include <algorithm>

#include "base/base64url.hpp"
#include "base/random.hpp"
#include "session/session.hpp"

namespace authwasm {
namespace {

auto last_seen(TabState& tabs, const std::string& sender) {
  return std::find_if(tabs.last_seq.begin(), tabs.last_seq.end(),
                      [&](const auto& entry) { return entry.first == sender; });
}

constexpr const char* kIgnoreNames[] = {"malformed", "version", "unknown_type", "own", "replay", "stale", "rejected"};
constexpr std::size_t kSenderChars = 22;  // 16 random bytes, base64url
constexpr std::size_t kMaxSendersRemembered = 64;
constexpr long long kMaxLockTtlMs = 60'000;

bool is_token_type(const std::string& t) { return t == "refreshed" || t == "logged_in"; }
bool is_end_type(const std::string& t) { return t == "logged_out" || t == "session_ended"; }
// Memory mode's one refresh-token holder (docs/tabs.md): presence, asking the holder for a
// token, its failure, and the hand-off of the refresh token itself.
bool is_holder_type(const std::string& t) {
  return t == "hello" || t == "bye" || t == "token_request" || t == "refresh_failed" || t == "handoff";
}
// What a failed refresh at the holder may report to the tabs that asked (the session is kept).
bool is_transient_code(const std::string& code) {
  return code == "network" || code == "timeout" || code == "server_error" || code == "invalid_dpop_proof" ||
         code == "invalid_response";
}
constexpr std::size_t kMaxPeers = 16;

// A tab heard from (any message) is a candidate for a hand-off; `bye` removes it.
void heard_from(TabState& tabs, const std::string& sender, long long at, bool leaving) {
  auto& peers = tabs.peers;
  peers.erase(std::remove_if(peers.begin(), peers.end(), [&](const auto& p) { return p.first == sender; }), peers.end());
  if (leaving) return;
  peers.emplace_back(sender, at);
  if (peers.size() > kMaxPeers) peers.erase(peers.begin());
}
bool is_lock_op(const std::string& op) { return op == "claim" || op == "held" || op == "released"; }

Result<std::string> own_sender(TabState& tabs) {
  if (tabs.sender.empty()) {
    auto bytes = random_bytes(16);
    if (!bytes) return bytes.error();
    tabs.sender = base64url_encode(bytes.value());
  }
  return tabs.sender;
}

const std::string kNoType;

TabAction ignored(TabState& tabs, TabIgnore why, std::string detail, const std::string& type = kNoType) {
  ++tabs.ignored[static_cast<int>(why)];
  TabAction action;
  action.why = why;
  action.detail = std::move(detail);
  action.type = type;
  return action;
}
// A literal reason: its std::string is built here, once, not at each of ~20 call sites.
TabAction ignored(TabState& tabs, TabIgnore why, const char* detail, const std::string& type = kNoType) {
  return ignored(tabs, why, std::string(detail), type);
}

// The token answer another tab got, as the token endpoint would have sent it, with expires_in
// reduced by the time since it was sent (both tabs read the same wall clock; monotonic clocks
// are per document and cannot be compared).
HttpResponse shared_token_response(const Json& token, double left_s, bool with_refresh_token) {
  Json body = token;
  body["expires_in"] = left_s;
  body.erase("lifetime");
  if (!with_refresh_token) body.erase("refresh_token");  // only a hand-off may carry one
  HttpResponse response;
  response.status = 200;
  response.content_type = "application/json";
  response.body = dump_json(body);
  return response;
}

}  // namespace

const char* to_string(TabIgnore why) { return kIgnoreNames[static_cast<int>(why)]; }

std::string TabState::stats_json_text() const {
  JsonWriter ignored_by;
  for (int i = 0; i < static_cast<int>(TabIgnore::kinds); ++i) ignored_by.number(kIgnoreNames[i], ignored[i]);
  JsonWriter out;
  out.number("received", received);
  out.number("acted", acted);
  out.raw("ignored", std::move(ignored_by).close());
  return std::move(out).close();
}

Result<std::string> encode_tab_message(Session& session, const std::string& type, const Json& extra,
                                       const Clock& clock) {
  TabState& tabs = session.tab_state();
  auto sender = own_sender(tabs);
  if (!sender) return sender.error();
  JsonWriter message;
  message.number("v", kTabMessageVersion);
  message.string("type", type);
  message.string("from", sender.value());
  message.number("seq", tabs.next_seq);
  message.number("at", clock.wall_ms);
  if (is_token_type(type) || type == "handoff") {
    const TokenSet* tokens = session.token_set();
    const long long left_ms = tokens ? tokens->expires_at_mono_ms - clock.mono_ms : 0;
    if (left_ms <= 0) return make_error(ErrorCode::not_authenticated, "no live tokens to share");
    // The refresh token only in a hand-off: in cookie mode there is none, in memory mode it
    // stays in the one tab that holds it.
    JsonWriter token;
    token.string("access_token", tokens->access_token);
    token.string("token_type", session.config().dpop ? "DPoP" : "Bearer");
    token.real("expires_in", static_cast<double>(left_ms) / 1000.0);
    token.number("lifetime", tokens->lifetime_ms);
    if (!tokens->id_token.empty()) token.string("id_token", tokens->id_token);
    if (!tokens->scope.empty()) token.string("scope", tokens->scope);
    if (type == "handoff") {
      // To the tab heard from last (a live one, most likely), unless the caller names one.
      const std::string* to = find_string(extra, "to");
      if (!to && !tabs.peers.empty()) to = &tabs.peers.back().first;
      if (!to || to->size() != kSenderChars) return make_error(ErrorCode::not_authenticated, "no other tab to hand off to");
      if (!session.holds_refresh_token()) return make_error(ErrorCode::not_authenticated, "no refresh token to hand off");
      // A refresh in flight would answer with a successor this tab could no longer pass on.
      if (session.refresh_in_flight()) return make_error(ErrorCode::invalid_argument, "a refresh is in flight");
      token.string("refresh_token", session.refresh_token());
      message.string("to", *to);
      if (!session.login_nonce().empty()) message.string("nonce", session.login_nonce());
      session.forget_refresh_token();  // never two presenters
    }
    message.raw("token", std::move(token).close());
    tabs.last_token_wall = clock.wall_ms;
  } else if (type == "refresh_failed") {
    const std::string* code = find_string(extra, "code");
    if (!code || !is_transient_code(*code)) return make_error(ErrorCode::invalid_argument, "refresh_failed needs a transient code");
    message.string("code", *code);
  } else if (is_holder_type(type)) {
    // hello, bye, token_request: nothing but the envelope
  } else if (is_end_type(type)) {
    tabs.ended_wall = clock.wall_ms;
  } else if (type == "lock") {
    const std::string* op = find_string(extra, "op");
    auto ttl = get_int(extra, "ttl");
    if (!op || !is_lock_op(*op)) return make_error(ErrorCode::invalid_argument, "lock op must be claim|held|released");
    if (!ttl || *ttl <= 0 || *ttl > kMaxLockTtlMs) return make_error(ErrorCode::invalid_argument, "lock ttl must be 1..60000 ms");
    message.string("op", *op);
    message.number("ttl", *ttl);
  } else {
    return make_error(ErrorCode::invalid_argument, "unknown tab message type");
  }
  ++tabs.next_seq;
  return std::move(message).close();
}

TabAction receive_tab_message(Session& session, const Json& raw, const Clock& clock) {
  TabState& tabs = session.tab_state();
  ++tabs.received;
  if (!raw.is_string()) return ignored(tabs, TabIgnore::malformed, "not a string");
  const auto& text = raw.get_ref<const std::string&>();
  if (text.size() > kMaxTabMessageBytes) return ignored(tabs, TabIgnore::malformed, "too large");
  auto parsed = parse_json_object(text);
  if (!parsed) return ignored(tabs, TabIgnore::malformed, parsed.error().message);
  const Json& m = parsed.value();

  auto version = get_int(m, "v");
  if (!version || !m["v"].is_number_integer()) return ignored(tabs, TabIgnore::malformed, "no integer v");
  if (*version != kTabMessageVersion) return ignored(tabs, TabIgnore::version, "version " + decimal(*version));
  const std::string* type = find_string(m, "type");
  if (!type) return ignored(tabs, TabIgnore::malformed, "no type");
  if (!is_token_type(*type) && !is_end_type(*type) && !is_holder_type(*type) && *type != "lock") {
    return ignored(tabs, TabIgnore::unknown_type, "unknown type");  // never echoed: it could be anything
  }
  const std::string* from = find_string(m, "from");
  auto seq = get_int(m, "seq");
  auto at = get_int(m, "at");
  if (!from || from->size() != kSenderChars || !base64url_decode(*from) || !seq || *seq <= 0 ||
      !m["seq"].is_number_integer() || !at || !m["at"].is_number_integer()) {
    return ignored(tabs, TabIgnore::malformed, "bad from/seq/at", *type);
  }
  auto self = own_sender(tabs);
  if (self && self.value() == *from) return ignored(tabs, TabIgnore::own, "own message", *type);
  auto last = last_seen(tabs, *from);
  if (last != tabs.last_seq.end() && *seq <= last->second) return ignored(tabs, TabIgnore::replay, "seq not increasing", *type);
  const long long age_ms = clock.wall_ms - *at;
  if (age_ms > kMaxTabMessageAgeMs || age_ms < -kMaxTabMessageAgeMs) {
    return ignored(tabs, TabIgnore::stale, "sent too long ago (or in the future)", *type);
  }

  TabAction action;
  action.type = *type;
  action.from = *from;
  action.at = *at;
  action.was_authenticated = session.authenticated();
  const bool handoff_to_me = *type == "handoff" && self && string_equals(m, "to", self.value());
  heard_from(tabs, *from, *at, *type == "bye");
  if (*type == "hello" || *type == "bye" || (*type == "handoff" && !handoff_to_me)) {
    action.kind = TabAction::peer;  // presence only (a hand-off to another tab: it is theirs)
  } else if (*type == "token_request") {
    // Only the holder answers: with its token, refreshing first when it has expired.
    if (!session.holds_refresh_token()) action.kind = TabAction::peer;
    else action.kind = TabAction::serve;
  } else if (*type == "refresh_failed") {
    const std::string* code = find_string(m, "code");
    if (!code || !is_transient_code(*code)) return ignored(tabs, TabIgnore::malformed, "bad refresh_failed code", *type);
    action.kind = TabAction::refresh_failed;
    action.op = *code;
  } else if (*type == "lock") {
    const std::string* op = find_string(m, "op");
    auto ttl = get_int(m, "ttl");
    if (!op || !is_lock_op(*op) || !ttl || *ttl <= 0 || *ttl > kMaxLockTtlMs) {
      return ignored(tabs, TabIgnore::malformed, "bad lock op/ttl", *type);
    }
    action.kind = TabAction::lock;
    action.op = *op;
    action.ttl_ms = *ttl;
  } else if (is_end_type(*type)) {
    // This tab got tokens after the other one ended its session (a new login here): keep them.
    if (*at < tabs.last_token_wall) return ignored(tabs, TabIgnore::stale, "older than this tab's tokens", *type);
    session.wipe();
    tabs.ended_wall = std::max(tabs.ended_wall, *at);
    action.kind = TabAction::logout;
  } else {
    // Sent before this tab's session ended (a logout here, or one it heard of): not resurrected.
    if (*at < tabs.ended_wall) return ignored(tabs, TabIgnore::stale, "older than this tab's logout", *type);
    if (!m.contains("token") || !m["token"].is_object()) return ignored(tabs, TabIgnore::malformed, "no token", *type);
    auto expires_in = get_number(m["token"], "expires_in");
    if (!expires_in) return ignored(tabs, TabIgnore::rejected, "shared token has no expires_in", *type);
    const double left_s = *expires_in - static_cast<double>(age_ms) / 1000.0;
    if (left_s <= 0) return ignored(tabs, TabIgnore::stale, "shared token has expired", *type);
    // Only ever move forward: a token that would expire no later than ours is old news (a
    // hand-off brings the refresh token, which matters even with the same access token).
    const TokenSet* current = session.token_set();
    if (!handoff_to_me && current &&
        clock.mono_ms + static_cast<long long>(left_s * 1000) <= current->expires_at_mono_ms) {
      return ignored(tabs, TabIgnore::stale, "not newer than this tab's token", *type);
    }
    if (handoff_to_me) {
      if (session.config().refresh != RefreshMode::memory) return ignored(tabs, TabIgnore::rejected, "hand-off in cookie mode", *type);
      if (session.holds_refresh_token()) return ignored(tabs, TabIgnore::rejected, "this tab holds a refresh token", *type);
      const std::string* refresh_token = find_string(m["token"], "refresh_token");
      if (!refresh_token || refresh_token->empty()) return ignored(tabs, TabIgnore::malformed, "hand-off without a refresh token", *type);
    }
    IdTokenExpectations expect;  // a refresh keeps the user (OIDC Core §12.2); a login may change it
    if (*type != "logged_in" && current && current->id_claims.is_object()) expect.previous = &current->id_claims;
    // The same validation as an answer from the token endpoint: no second parser for tokens.
    auto user = session.accept_token_response(shared_token_response(m["token"], left_s, handoff_to_me), expect, clock);
    if (!user) return ignored(tabs, TabIgnore::rejected, user.error().message, *type);
    session.set_token_lifetime(int_or(m["token"], "lifetime", 0));
    if (handoff_to_me) session.set_login_nonce(string_or_empty(m, "nonce"));
    tabs.last_token_wall = std::max(tabs.last_token_wall, *at);
    action.kind = TabAction::adopt;
    action.user = std::move(user).value();
  }
  auto seen = last_seen(tabs, *from);
  if (seen != tabs.last_seq.end()) {
    seen->second = *seq;
  } else {
    tabs.last_seq.emplace_back(*from, *seq);
    if (tabs.last_seq.size() > kMaxSendersRemembered) tabs.last_seq.erase(tabs.last_seq.begin());
  }
  ++tabs.acted;
  return action;
}

RefreshGate refresh_gate(const Session& session, unsigned since, long long mono_ms) {
  if (session.generation() == since) return RefreshGate::proceed;
  if (!session.authenticated()) return RefreshGate::ended;  // wiped meanwhile: logout elsewhere
  return session.freshness(mono_ms) == Freshness::fresh ? RefreshGate::skip : RefreshGate::proceed;
}

void write_members(JsonWriter& out, const TabAction& a) {
  static const char* const kinds[] = {"ignore", "adopt", "logout", "lock", "peer", "serve", "refresh_failed"};
  out.string("action", kinds[a.kind]);
  out.string("type", a.type);
  switch (a.kind) {
    case TabAction::ignore:
      out.string("ignored", to_string(a.why));
      out.string("detail", a.detail);
      break;
    case TabAction::adopt:
      out.value("user", a.user);
      out.boolean("wasAuthenticated", a.was_authenticated);
      out.boolean("holder", a.type == "handoff");  // this tab now holds the refresh token
      break;
    case TabAction::refresh_failed:
      out.string("code", a.op);
      break;
    case TabAction::peer:
    case TabAction::serve:
      break;
    case TabAction::logout:
      out.boolean("wasAuthenticated", a.was_authenticated);
      break;
    case TabAction::lock:
      out.string("from", a.from);
      out.string("op", a.op);
      out.number("at", a.at);
      out.number("ttl", a.ttl_ms);
      break;
  }
}

}  // namespace authwasm
